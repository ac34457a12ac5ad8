"""The state database: one SQLite file per state dir, versioned and migrated, never flushed.

The schema is the ordered list :data:`MIGRATIONS`; a database's version (``PRAGMA user_version``)
is how many of them it has had. Opening a database applies the missing ones, each in its own
explicit transaction, after copying an existing file aside (``photosync.db.bak-v<N>``). To change
the schema, APPEND a :class:`Migration` at the end of the list; never edit or reorder one that
was released, and never "delete the DB and rescan": the database holds what was synced.

A sync that finishes leaves a rolling copy (``photosync.db.backup-<UTC time>``, the newest
:data:`BACKUPS_KEPT`, at most one per :data:`BACKUP_EVERY` seconds). A damaged file (SQLite's
"malformed" or "not a database") becomes one :func:`damaged` message, exit 2, wherever it shows.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from photosync.atomic import fsync_file, place, temp_path
from photosync.errors import LockedError, StateDamaged, UsageError
from photosync.state.lock import StateLock
from photosync.state.private import FILE_MODE

log = logging.getLogger("photosync.state.db")

DB_NAME = "photosync.db"
BUSY_TIMEOUT_MS = 10_000
BACKUP_PREFIX = f"{DB_NAME}.backup-"
BACKUPS_KEPT = 3
BACKUP_EVERY = 3600.0  # seconds: the watch daemon syncs often; one copy an hour is plenty
DAMAGED = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


@dataclass(frozen=True)
class Migration:
    """One schema step: SQL statements and/or a function, run together in one transaction."""

    description: str
    statements: tuple[str, ...] = ()
    function: Callable[[sqlite3.Connection], None] | None = None


# Version 1: the local library index (issue 4).
_FILES_V1 = (
    """CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,                 -- relative to library.root, POSIX separators
        size INTEGER,
        mtime_ns INTEGER,
        dev INTEGER,
        inode INTEGER,
        md5 TEXT,                           -- hex, comparable with Drive's md5Checksum
        sha256 TEXT,                        -- hex, of the file's bytes
        signature TEXT,                     -- ImageMagick pixel signature (see library/decode.py)
        signature_im_version INTEGER,       -- ImageMagick major version that computed it
        signature_quantum INTEGER,          -- ImageMagick quantum depth (Q8/Q16) that computed it
        date_taken TEXT,                    -- EXIF DateTimeOriginal, ISO 8601, naive local time
        date_subsec TEXT,                   -- EXIF SubSecTimeOriginal
        date_offset TEXT,                   -- EXIF OffsetTimeOriginal, e.g. +02:00
        width INTEGER,
        height INTEGER,
        media TEXT NOT NULL DEFAULT 'photo' CHECK (media IN ('photo', 'video')),
        album TEXT,
        status TEXT NOT NULL CHECK (status IN ('present', 'gone', 'failed')),
        error TEXT,                         -- why it failed (status 'failed')
        first_seen REAL NOT NULL,           -- unix time
        updated REAL NOT NULL,              -- unix time of the last change to this row
        gone_since REAL                     -- unix time it was found missing
    )""",
    # Gone rows keep their old path; only rows that exist may not share one.
    "CREATE UNIQUE INDEX files_live_path ON files(path) WHERE status != 'gone'",
    "CREATE INDEX files_inode ON files(inode)",  # moves: same inode, size, mtime
    "CREATE INDEX files_signature ON files(signature)",
    "CREATE INDEX files_status ON files(status)",
    """CREATE TABLE scans (
        id INTEGER PRIMARY KEY,
        root TEXT NOT NULL,
        started REAL NOT NULL,
        finished REAL,
        new INTEGER, changed INTEGER, moved INTEGER, gone INTEGER, failed INTEGER,
        decoded INTEGER
    )""",
)

# Version 2: sync state (issue 7): what was in sync, the remotes' cached listings, the journal.
_SYNC_V2 = (
    """CREATE TABLE pairs (
        remote TEXT NOT NULL,               -- "flickr", "drive"
        remote_id TEXT NOT NULL,
        signature TEXT NOT NULL,            -- the local picture's signature at the last sync
        path TEXT NOT NULL,                 -- its local path then
        version TEXT,                       -- the remote's content version then
        album TEXT,                         -- its local album then
        status TEXT NOT NULL DEFAULT 'synced'
            CHECK (status IN ('synced', 'local_deleted', 'remote_deleted')),
        updated REAL NOT NULL,
        PRIMARY KEY (remote, remote_id)
    )""",
    "CREATE INDEX pairs_signature ON pairs(remote, signature)",
    """CREATE TABLE remote_items (          -- each remote's listing, kept current by its changes
        remote TEXT NOT NULL,
        id TEXT NOT NULL,
        data TEXT NOT NULL,                 -- the RemoteItem as JSON
        PRIMARY KEY (remote, id)
    )""",
    """CREATE TABLE remote_cursors (
        remote TEXT PRIMARY KEY,
        cursor TEXT NOT NULL,
        full_listing_at REAL NOT NULL       -- unix time of the last full listing
    )""",
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started REAL NOT NULL,
        finished REAL,
        dry_run INTEGER NOT NULL,
        exit_code INTEGER,
        summary TEXT                        -- JSON: {remote: {action: count}}
    )""",
    """CREATE TABLE journal (              -- every action, recorded before and after it runs
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        remote TEXT NOT NULL,
        action TEXT NOT NULL,
        path TEXT,
        remote_id TEXT,
        signature TEXT,
        state TEXT NOT NULL CHECK (state IN ('started', 'done', 'failed')),
        error TEXT,
        started REAL NOT NULL,
        finished REAL
    )""",
    "CREATE INDEX journal_state ON journal(state)",
)

# Version 4: the watch daemon's failing items (issue 9). ``item`` is the path for local-side
# actions and the remote id otherwise; a new ``fingerprint`` (the file or item changed) starts over.
_DAEMON_FAILURES_V4 = """CREATE TABLE daemon_failures (
    remote TEXT NOT NULL,
    action TEXT NOT NULL,
    item TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    path TEXT,
    remote_id TEXT,
    attempts INTEGER NOT NULL,
    error TEXT NOT NULL,
    first_failed REAL NOT NULL,
    last_failed REAL NOT NULL,
    next_retry REAL,                    -- NULL once parked
    parked INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (remote, action, item)
)"""

# Version 5: ``photosync mirror flickr`` (issue 10). One mirror per ``dest`` (its resolved path):
# the details of each mirrored photo, and the stream's watermark for incremental re-runs.
_MIRROR_V5 = (
    """CREATE TABLE mirror_photos (
        dest TEXT NOT NULL,
        id TEXT NOT NULL,
        owner TEXT,
        title TEXT, description TEXT,
        media TEXT, format TEXT,
        date_taken TEXT, date_upload INTEGER, last_update INTEGER,
        width INTEGER, height INTEGER,
        privacy TEXT,                       -- public | friends | family | friends_family | private
        latitude REAL, longitude REAL,
        path TEXT,                          -- the file, relative to dest (NULL: not downloaded)
        size INTEGER,
        version TEXT,                       -- the file's URL when downloaded (changes on replace)
        info_level INTEGER,                 -- sidecar level written (NULL: none)
        status TEXT NOT NULL CHECK (status IN ('complete', 'failed', 'gone')),
        error TEXT,
        updated REAL NOT NULL,
        PRIMARY KEY (dest, id)
    )""",
    """CREATE TABLE mirror_streams (
        dest TEXT PRIMARY KEY,
        user_nsid TEXT NOT NULL,
        username TEXT,
        owner_view INTEGER NOT NULL,        -- 1: mirrored as the owner (private photos too)
        watermark INTEGER,                  -- server time before the last complete run began
        full_walk_at REAL,                  -- unix time of the last complete full listing
        settings TEXT                       -- the options the last complete run used (JSON)
    )""",
)


def _fill_item_keys(conn: sqlite3.Connection) -> None:
    """Migration 11's data step: the key columns of the items already cached."""
    from photosync.state.listings import fill_keys

    fill_keys(conn)


# Append new migrations at the END of this list.
MIGRATIONS: list[Migration] = [
    Migration("local library index: files, scans", _FILES_V1),
    Migration("sync state: pairs, remote listings and cursors, runs, journal", _SYNC_V2),
    Migration("scans remember the album rules they used (albums recomputed only on change)",
              ("ALTER TABLE scans ADD COLUMN album_rules TEXT",)),
    Migration("watch daemon: items that keep failing, retried with backoff then parked",
              (_DAEMON_FAILURES_V4,)),
    Migration("photosync mirror: mirrored photo details and stream watermarks", _MIRROR_V5),
    Migration("sync runs keep their errors, for `photosync status` (JSON: [{remote, path, error}])",
              ("ALTER TABLE runs ADD COLUMN errors TEXT",)),
    # Version 7 (issue 21): `photosync history` and the dashboard show why and how much.
    Migration("the journal remembers each action's reason and bytes",
              ("ALTER TABLE journal ADD COLUMN reason TEXT",
               "ALTER TABLE journal ADD COLUMN bytes INTEGER",
               "CREATE INDEX journal_run ON journal(run_id, remote)")),
    # Version 8 (issue 17): a remote account's kind, limits and usage (Flickr free or Pro).
    Migration("each remote's account: kind, limits and usage, refreshed on a full listing",
              ("""CREATE TABLE remote_accounts (
                    remote TEXT PRIMARY KEY,
                    data TEXT NOT NULL,             -- JSON: FlickrAccount.to_dict()
                    updated REAL NOT NULL
                )""",)),
    # Version 9 (issue 17): previews of photos whose original a remote withholds.
    Migration("previews: the largest size Flickr allows of a free account's photo, kept apart",
              ("""CREATE TABLE previews (
                   remote TEXT NOT NULL,
                   remote_id TEXT NOT NULL,
                   path TEXT NOT NULL,           -- relative to library.root, in the previews folder
                   label TEXT NOT NULL,          -- the size it is ("Large": 1024 px)
                   width INTEGER, height INTEGER,
                   created REAL NOT NULL,
                   PRIMARY KEY (remote, remote_id)
               )""",)),
    # Version 10 (issues 17, 19): a video's length, held against the account's limit.
    Migration("files: a video's duration in seconds (from its container)",
              ("ALTER TABLE files ADD COLUMN duration REAL",)),
    # Version 11 (issue 20): at 1,000,000 photos the planner reads only what is not in sync; the
    # listing's matching keys are columns so SQL can tell, without parsing every item's JSON.
    Migration("remote listings: each item's matching keys as columns; indexes for them",
              ("ALTER TABLE remote_items ADD COLUMN signature TEXT",
               "ALTER TABLE remote_items ADD COLUMN md5 TEXT",
               "ALTER TABLE remote_items ADD COLUMN version TEXT",
               "ALTER TABLE remote_items ADD COLUMN state TEXT",
               "ALTER TABLE remote_items ADD COLUMN name_key TEXT",
               "ALTER TABLE remote_items ADD COLUMN albums TEXT",
               "CREATE INDEX remote_items_signature ON remote_items(remote, signature)",
               "CREATE INDEX remote_items_md5 ON remote_items(remote, md5)",
               "CREATE INDEX remote_items_name_key ON remote_items(remote, name_key)",
               "CREATE INDEX pairs_path ON pairs(remote, path)",
               "CREATE INDEX files_sha256 ON files(sha256)",
               "CREATE INDEX files_md5 ON files(md5)",
               "CREATE INDEX files_date_taken ON files(date_taken)"),
              _fill_item_keys),
    # Version 12 (issue 20): Live Photo clips and shots (same folder and stem) are found through
    # an index, not by reading every path; the sync fills the column for rows new or moved.
    Migration("files: folder and stem, kept NULL by a trigger until the sync fills it",
              ("ALTER TABLE files ADD COLUMN stem TEXT",
               "CREATE INDEX files_stem ON files(stem)",
               "CREATE TRIGGER files_stem_moved AFTER UPDATE OF path ON files "
               "WHEN new.path IS NOT old.path BEGIN "
               "UPDATE files SET stem = NULL WHERE id = new.id; END")),
    # Version 13 (issue 20): duplicate pictures found from indexes alone (no row read per file).
    Migration("files: signatures with their status; videos' and RAW files' SHA-256 apart",
              ("CREATE INDEX files_signature_status ON files(signature, status)",
               "CREATE INDEX files_unsigned ON files(sha256, status) WHERE signature IS NULL")),
]


def schema_version() -> int:
    """The version a database has once every known migration is applied."""
    return len(MIGRATIONS)


def db_path(state_dir: Path) -> Path:
    return Path(state_dir) / DB_NAME


def open_db(state_dir: Path) -> sqlite3.Connection:
    """Open (creating and migrating as needed) the state database in ``state_dir``.

    Autocommit mode: write inside :func:`transaction` so every change is explicit.
    """
    state_dir = Path(state_dir)
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = db_path(state_dir)
    existed = path.exists() and path.stat().st_size > 0
    try:
        if not path.exists():  # created 0600: SQLite gives its -wal and -shm the same mode
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    except (sqlite3.Error, OSError) as exc:
        raise UsageError(f"cannot open the state database {path}: {exc}") from None
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")  # durable at each checkpoint; safe in WAL mode
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, path if existed else None)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if is_damaged(exc):
            raise damaged(state_dir, exc) from None
        raise UsageError(f"the state database {path} is unusable: {exc}") from None
    except BaseException:
        conn.close()
        raise
    return conn


class ScratchCopy(sqlite3.Connection):
    """A dry run's private copy of the state database, on disk beside it in ``state_dir`` (in
    memory, a million photos' database would cost its whole size in RAM); the copy is removed
    when the connection is closed, or collected."""

    folder: Path
    removal: weakref.finalize  # runs once: on close, or when the copy is collected

    def close(self) -> None:
        super().close()
        self.removal()


def _remove_copy(folder: Path, lock: StateLock) -> None:
    """Remove the copy, then let go of its lock."""
    shutil.rmtree(folder, ignore_errors=True)
    lock.release()


def _remove_abandoned_copies(state_dir: Path) -> None:
    """Remove the copies of dry runs that were killed (a copy is as big as the database): each
    live one holds its folder's :class:`StateLock`, which the kernel drops when it dies."""
    for folder in state_dir.glob(".dry-run-*"):
        probe = StateLock(folder)
        if not probe.path.exists():  # being created this instant: its lock comes next
            continue
        try:
            probe.acquire()
        except (LockedError, OSError):  # a dry run is using it
            continue
        log.info("removing %s, left by a dry run that was stopped", folder)
        _remove_copy(folder, probe)


def open_scratch_copy(state_dir: Path) -> sqlite3.Connection:
    """A private copy of the state database (for a dry run), migrated as needed.

    The real file is never opened: closing the last connection to a WAL database checkpoints it
    (after a killed run the WAL holds commits), and an old schema would be migrated, both of which
    rewrite ``photosync.db``. Its files are copied (read only) instead.
    """
    state_dir = Path(state_dir)
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    _remove_abandoned_copies(state_dir)
    folder = Path(tempfile.mkdtemp(prefix=".dry-run-", dir=state_dir))
    lock = StateLock(folder)
    lock.acquire()
    try:
        source = db_path(state_dir)
        for suffix in ("", "-wal"):  # the -shm index is rebuilt from the WAL
            part = source.with_name(source.name + suffix)
            if part.exists():
                shutil.copyfile(part, folder / part.name)
        open_db(folder).close()  # created or migrated like the real one
        copy = sqlite3.connect(db_path(folder), isolation_level=None, check_same_thread=False,
                               factory=ScratchCopy)
    except BaseException:
        _remove_copy(folder, lock)
        raise
    assert isinstance(copy, ScratchCopy)
    copy.folder = folder
    copy.removal = weakref.finalize(copy, _remove_copy, folder, lock)
    copy.row_factory = sqlite3.Row
    return copy


@contextmanager
def transaction(conn: sqlite3.Connection, immediate: bool = True) -> Iterator[sqlite3.Connection]:
    """BEGIN (IMMEDIATE: take the write lock now) ... COMMIT, or ROLLBACK on any exception.

    BEGIN is inside the ``try``: a Ctrl-C raised as BEGIN returns would otherwise leave the
    transaction open, and the next one (recording the transfers that finished) would fail."""
    nested = conn.in_transaction  # then BEGIN fails, and the outer transaction is not ours
    try:
        conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        yield conn
    except BaseException:
        if conn.in_transaction and not nested:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def current_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, backup_of: Path | None) -> int:
    """Apply the missing migrations; back ``backup_of`` up first. Returns the final version."""
    version = current_version(conn)
    target = schema_version()
    if version > target:
        raise UsageError(f"the state database has schema version {version}, newer than this "
                         f"photosync knows ({target}): upgrade photosync")
    if version == target:
        return version
    if backup_of is not None and version > 0:
        backup(conn, backup_of.with_name(f"{backup_of.name}.bak-v{version}"))
    for number in range(version + 1, target + 1):
        step = MIGRATIONS[number - 1]
        log.debug("state database: migration %d: %s", number, step.description)
        with transaction(conn):
            if current_version(conn) >= number:
                continue  # another process applied it while we waited for the write lock
            for statement in step.statements:
                conn.execute(statement)
            if step.function is not None:
                step.function(conn)
            conn.execute(f"PRAGMA user_version = {int(number)}")
    return target


def is_damaged(exc: BaseException) -> bool:
    """True for SQLite's "database disk image is malformed" and "file is not a database"."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.DatabaseError) and code is not None and code & 0xFF in DAMAGED


def damaged(state_dir: Path, exc: BaseException) -> StateDamaged:
    """The one message for a damaged state database: what works to recover, in one line."""
    path = db_path(state_dir)
    newest = backups(state_dir)[:1]
    restore = f"; or copy back the newest backup, {newest[0]}" if newest else ""
    return StateDamaged(f"the state database {path} is damaged ({exc}): move it (and "
                        f"{DB_NAME}-wal, {DB_NAME}-shm if there) out of {state_dir} and sync "
                        f"again: every photo is re-linked through its tags on the remotes, none "
                        f"uploaded again{restore}")


def backups(state_dir: Path) -> list[Path]:
    """The rolling backups in ``state_dir``, newest first."""
    return sorted(Path(state_dir).glob(f"{BACKUP_PREFIX}*Z"), reverse=True)


def rolling_backup(conn: sqlite3.Connection, state_dir: Path, now: float) -> Path | None:
    """After a finished sync: a copy unless the newest is under BACKUP_EVERY old; the newest
    BACKUPS_KEPT are kept. A database that fails ``quick_check`` is not copied (it would push a
    good backup out): a warning says so."""
    existing = backups(state_dir)
    if existing and existing[0].name > _backup_name(now - BACKUP_EVERY):
        return None
    problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
    if problems != ["ok"]:
        log.warning("%s", damaged(state_dir, sqlite3.DatabaseError("; ".join(problems))))
        return None
    dest = backup(conn, Path(state_dir) / _backup_name(now))
    for old in backups(state_dir)[BACKUPS_KEPT:]:
        old.unlink(missing_ok=True)
    return dest


def _backup_name(at: float) -> str:
    """Named by UTC time, so names sort by age."""
    return f"{BACKUP_PREFIX}{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(at))}"


def backup(conn: sqlite3.Connection, dest: Path) -> Path:
    """A consistent copy of the open database (WAL included), written atomically, mode 0600."""
    tmp = temp_path(dest)
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        target = sqlite3.connect(tmp)
        try:
            conn.backup(target)
        finally:
            target.close()
        fsync_file(tmp)
        place(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    log.debug("state database backed up to %s", dest)
    return dest
