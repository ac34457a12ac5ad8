"""The scanner's side of the local index (migrations 1 and 3): what it loads, and its writes.

The scanner (``photosync/library/scan.py``) decides; this module holds every statement it runs.
Writes are batched into one transaction per :data:`BATCH` statements or :data:`SECONDS`, so a
100,000-file first scan does not commit per file and an interrupted one keeps what it read.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from photosync.state.db import transaction

BATCH = 500
SECONDS = 1.0
CHUNK = 1000  # rows read at a time by ScanStore.indexed

# What a read (hash and decode) finds, in the order of ``files``' columns.
DATA_COLUMNS = ("size", "mtime_ns", "dev", "inode", "md5", "sha256", "signature",
                "signature_im_version", "signature_quantum", "date_taken", "date_subsec",
                "date_offset", "width", "height", "media", "duration")
HASH_COLUMNS = DATA_COLUMNS[4:]

# A row the path of a file may have, as a plain tuple (path, id, size, mtime_ns, inode, dev,
# album): a rescan compares these and nothing else, and tuples load several times faster than
# rows. ``album`` is None unless asked for.
IndexedRow = tuple[str, int, int | None, int | None, int | None, int | None, str | None]


class Known(NamedTuple):
    """What the index knew about a path before this scan."""

    id: int
    size: int | None
    mtime_ns: int | None
    inode: int | None
    dev: int | None
    status: str
    error: str | None


class Copy(NamedTuple):
    """A known row with hashes that may be the same file as a new path (a move or a link)."""

    id: int
    path: str
    dev: int | None
    status: str
    hashes: tuple[object, ...]  # the values of HASH_COLUMNS


class Stale(NamedTuple):
    """A present photo whose signature another ImageMagick computed."""

    id: int
    path: str
    size: int
    mtime_ns: int
    inode: int
    dev: int
    album: str | None


class Counts(NamedTuple):
    new: int
    changed: int
    moved: int
    gone: int
    failed: int
    decoded: int


class ScanStore:
    """One scan's reads and batched writes of ``files`` and ``scans``; use from one thread."""

    def __init__(self, conn: sqlite3.Connection, now: float):
        self.conn, self.now = conn, now
        self.pending: list[tuple[str, tuple[object, ...]]] = []
        self.last = time.monotonic()

    # -- reads -------------------------------------------------------------------------------
    def indexed(self, albums: bool) -> Iterator[IndexedRow]:
        """Present and failed rows (:data:`IndexedRow`) in path order (SQLite's: UTF-8 bytes,
        the order of Python's ``str``), streamed: the scanner merges them with its walk, so a
        rescan of 1,000,000 files holds none of them in memory. ``albums``: each row ends with its
        album (else None).

        Read :data:`CHUNK` rows at a time, each read a finished statement: no read transaction
        stays open while the scanner writes (an open one would keep SQLite from recycling the
        WAL, which would grow by everything a first scan writes). Rows the scanner writes are
        never among those still to come: it writes only paths the walk has passed."""
        cursor = self.conn.cursor()
        cursor.row_factory = None
        sql = (f"SELECT path, id, size, mtime_ns, inode, dev, {'album' if albums else 'NULL'} "
               f"FROM files WHERE status != 'gone' AND path > ? ORDER BY path LIMIT {CHUNK}")
        after = ""
        while True:
            rows = cursor.execute(sql, (after,)).fetchall()
            yield from rows
            if len(rows) < CHUNK:
                return
            after = rows[-1][0]

    def failed(self) -> dict[str, Known]:
        """Failed rows by path (apart from :meth:`indexed`: reading their status and error there
        would cost every row of a rescan 15 %)."""
        cursor = self.conn.cursor()
        cursor.row_factory = None
        rows = cursor.execute("SELECT path, id, size, mtime_ns, inode, dev, error FROM files "
                              "WHERE status = 'failed'")
        return {path: Known(file_id, size, mtime_ns, inode, dev, "failed", error)
                for path, file_id, size, mtime_ns, inode, dev, error in rows}

    def any_hashed(self) -> bool:
        return self.conn.execute(
            "SELECT 1 FROM files WHERE md5 IS NOT NULL LIMIT 1").fetchone() is not None

    def last_album_rules(self) -> str | None:
        """The album rules of the last finished scan (None: none finished, or none recorded)."""
        row = self.conn.execute("SELECT album_rules FROM scans WHERE finished IS NOT NULL "
                                "ORDER BY id DESC LIMIT 1").fetchone()
        return None if row is None else row[0]

    def copies(self, inode: int | None, size: int | None, mtime_ns: int | None) -> list[Copy]:
        """Known rows with hashes and the same inode, size and mtime, by id."""
        rows = self.conn.execute(
            f"SELECT id, path, dev, status, {', '.join(HASH_COLUMNS)} FROM files "
            "WHERE inode = ? AND size = ? AND mtime_ns = ? AND md5 IS NOT NULL "
            "AND status != 'failed' ORDER BY id", (inode, size, mtime_ns))
        return [Copy(r[0], r[1], r[2], r[3], tuple(r[4:])) for r in rows]

    def stale_signatures(self, im_version: int, quantum: int | None) -> list[Stale]:
        """Present photos whose signature another ImageMagick (version, quantum) computed."""
        self.flush()
        rows = self.conn.execute(
            "SELECT id, path, size, mtime_ns, inode, dev, album FROM files "
            "WHERE status = 'present' AND signature IS NOT NULL "
            "AND (signature_im_version IS NOT ? OR signature_quantum IS NOT ?)",
            (im_version, quantum))
        return [Stale(*row) for row in rows]

    # -- the scan's own row --------------------------------------------------------------------
    def start(self, root: str, album_rules: str) -> int:
        with transaction(self.conn):
            cur = self.conn.execute("INSERT INTO scans (root, started, album_rules) "
                                    "VALUES (?, ?, ?)", (root, self.now, album_rules))
        return int(cur.lastrowid or 0)

    def finish(self, scan_id: int, counts: Counts) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE scans SET finished = ?, new = ?, changed = ?, moved = ?, gone = ?, "
                "failed = ?, decoded = ? WHERE id = ?", (time.time(), *counts, scan_id))

    # -- batched writes to files ---------------------------------------------------------------
    def mark_failed(self, file_id: int, reason: str) -> None:
        self._add("UPDATE files SET status = 'failed', error = ?, updated = ? WHERE id = ?",
                  (reason, self.now, file_id))

    def touch(self, file_id: int, album: str | None, dev: int | None) -> None:
        """An unchanged file whose album or device number changed."""
        self._add("UPDATE files SET album = ?, dev = ?, updated = ? WHERE id = ?",
                  (album, dev, self.now, file_id))

    def update(self, file_id: int, values: Sequence[object], album: str | None) -> None:
        """A known path read again: its DATA_COLUMNS ``values``, present."""
        sets = ", ".join(f"{c} = ?" for c in DATA_COLUMNS)
        self._add(f"UPDATE files SET {sets}, album = ?, status = 'present', error = NULL, "
                  f"updated = ?, gone_since = NULL WHERE id = ?",
                  (*values, album, self.now, file_id))

    def insert(self, path: str, values: Sequence[object], album: str | None) -> None:
        """A new present file with its DATA_COLUMNS ``values``."""
        marks = ", ".join("?" * len(DATA_COLUMNS))
        self._add(f"INSERT INTO files (path, {', '.join(DATA_COLUMNS)}, album, status, "
                  f"first_seen, updated) VALUES (?, {marks}, ?, 'present', ?, ?)",
                  (path, *values, album, self.now, self.now))

    def insert_failed(self, path: str, size: int | None, mtime_ns: int | None, dev: int | None,
                      inode: int | None, media: str, album: str | None, reason: str) -> None:
        self._add("INSERT INTO files (path, size, mtime_ns, dev, inode, media, album, status, "
                  "error, first_seen, updated) VALUES (?, ?, ?, ?, ?, ?, ?, 'failed', ?, ?, ?)",
                  (path, size, mtime_ns, dev, inode, media, album, reason, self.now, self.now))

    def adopt(self, file_id: int, path: str, album: str | None, dev: int | None) -> None:
        """A known file found at ``path``: its row moves there, present."""
        self._add("UPDATE files SET path = ?, album = ?, dev = ?, status = 'present', "
                  "error = NULL, gone_since = NULL, updated = ? WHERE id = ?",
                  (path, album, dev, self.now, file_id))

    def mark_gone(self, file_id: int) -> None:
        self._add("UPDATE files SET status = 'gone', gone_since = ?, updated = ? WHERE id = ?",
                  (self.now, self.now, file_id))

    def _add(self, sql: str, params: tuple[object, ...]) -> None:
        self.pending.append((sql, params))
        if len(self.pending) >= BATCH or time.monotonic() - self.last > SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            with transaction(self.conn):
                for sql, params in self.pending:
                    self.conn.execute(sql, params)
            self.pending = []
        self.last = time.monotonic()
