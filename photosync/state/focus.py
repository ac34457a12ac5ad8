"""What the planner needs to see of one remote: everything except the photos plainly in sync.

At 1,000,000 photos the index, a remote's listing and its pairs do not fit a small NAS's memory
as Python objects, and a sync that changes nothing must not load them. A pair is *settled* when
nothing about it can lead to an action: it is ``synced`` with a known content version; the
library has the picture at the pair's path, in the pair's album, and nowhere else; the remote
lists the item with that version and our tag, in no special state (withheld, video pending or
failed); and no other pair or item shows the same picture. The planner, given the whole state,
decides nothing about a settled pair, and nothing else it decides looks at one, except:

- an unsettled pair whose path now holds a settled pair's file (is that file an edit?), and
- an untagged remote item that matches a settled file by MD5 or by file name and date taken.

So :func:`focus` leaves the settled pairs out (with their file and item) but for those two, and
counts them for the guard rails that need the whole (an empty side, deletions over the limit).
Everything is SQL over indexes; only the unsettled part becomes Python objects.

Before that, :func:`focus` *adopts* what the planner would pair by our signature tag and nothing
else could claim: a picture held by one present file and listed as one item carrying its tag,
with no pair showing either (a lost database, or a new one beside remotes that already hold the
library). The planner's decision for such a picture is always the same (pair them, nothing to
transfer), so SQL makes those pairs directly, and they are settled at once: a lost database meets
a million photos without a million objects in memory.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace

from photosync.library.rules import is_raw
from photosync.remotes.base import RemoteItem
from photosync.state.db import transaction
from photosync.state.index import COLUMNS, LocalFile, to_file
from photosync.state.listings import item_from_json
from photosync.sync.actions import Pair
from photosync.sync.match import stem_key
from photosync.sync.media import folder_and_stem

# A present file's sync key, the one definition of it: its pixel signature, else for a video or
# a RAW file the SHA-256 of its bytes, which the remotes carry in the same tag (Flickr machine
# tag, Drive appProperty). ps_raw is :func:`is_raw`, registered by :func:`_functions`.
_KEY = ("CASE WHEN f.signature IS NOT NULL THEN f.signature WHEN f.sha256 IS NOT NULL AND "
        "(f.media = 'video' OR ps_raw(f.path)) THEN f.sha256 END")

_SETTLED = f"""
CREATE TEMP TABLE settled AS
SELECT p.remote_id AS remote_id, p.path AS path, f.id AS file_id,
  i.albums IS (CASE WHEN p.album IS NULL THEN '[]' ELSE json_array(p.album) END) AS in_album
FROM pairs p
JOIN files f ON f.path = p.path AND f.status = 'present' AND f.status != 'gone'
JOIN remote_items i ON i.remote = p.remote AND i.id = p.remote_id
WHERE p.remote = :remote AND p.status = 'synced' AND p.version IS NOT NULL
  AND i.version = p.version AND i.signature = p.signature AND i.state IS NULL
  AND f.album IS p.album AND {_KEY} = p.signature
  AND p.signature NOT IN (SELECT key FROM temp.shared_keys)
"""

# Keys shown by more than one pair, item or present file: their pictures are never settled.
# ("+status": the files' signatures are read from their (signature, status) index alone.)
_SHARED = """
CREATE TEMP TABLE shared_keys AS
SELECT signature AS key FROM pairs WHERE remote = :remote GROUP BY signature HAVING COUNT(*) > 1
UNION SELECT signature FROM remote_items WHERE remote = :remote AND signature IS NOT NULL
  GROUP BY signature HAVING COUNT(*) > 1
UNION SELECT signature FROM files WHERE signature IS NOT NULL AND +status = 'present'
  GROUP BY signature HAVING COUNT(*) > 1
UNION SELECT f.sha256 FROM files f WHERE f.signature IS NULL AND f.status = 'present'
  AND f.sha256 IS NOT NULL AND (f.media = 'video' OR ps_raw(f.path))
  GROUP BY f.sha256 HAVING COUNT(*) > 1 OR EXISTS (SELECT 1 FROM files g WHERE g.signature =
  f.sha256 AND g.status = 'present')
"""

_UNSETTLED = "NOT IN (SELECT remote_id FROM temp.settled)"


# Photos the planner would pair by signature tag and nothing else (module docstring): one
# present file and one listed item with the picture, no pair showing either (nor the file's path:
# that pair may take the file for its own edit), nothing odd about
# the item (withheld, not yet processed, version unknown); and no other file with the item's MD5
# (matching rule b could otherwise take the item for another picture). CROSS JOIN: files first,
# each probing the items by signature (the other order scans the files once per item).
_ADOPT = f"""
INSERT INTO pairs (remote, remote_id, signature, path, version, album, status, updated)
SELECT :remote, i.id, i.signature, f.path, i.version, f.album, 'synced', :now
FROM files f CROSS JOIN remote_items i ON i.remote = :remote AND i.signature = {_KEY}
WHERE f.status = 'present' AND i.state IS NULL AND i.version IS NOT NULL
  AND i.signature NOT IN (SELECT key FROM temp.shared_keys)
  AND NOT EXISTS (SELECT 1 FROM pairs p WHERE p.remote = :remote AND p.remote_id = i.id)
  AND NOT EXISTS (SELECT 1 FROM pairs p WHERE p.remote = :remote AND p.signature = i.signature)
  AND NOT EXISTS (SELECT 1 FROM pairs p WHERE p.remote = :remote AND p.path = f.path)
  AND (i.md5 IS NULL OR NOT EXISTS (SELECT 1 FROM files g WHERE g.md5 = i.md5 AND g.status =
       'present' AND g.id != f.id))
"""


@dataclass
class Focus:
    """The unsettled part of the state for one remote, and counts of what was left out."""

    local: list[LocalFile]  # present files with a sync key (``signature`` set to it)
    items: list[RemoteItem]
    pairs: list[Pair]
    settled: int = 0  # settled pairs left out (each with its file and item)
    local_total: int = 0  # present files with a sync key, settled included
    items_total: int = 0
    in_sync: int = 0  # pairs with status "synced", settled included
    videos_sent: bool = False  # some pair shows a local video: videos went there before
    adopted: int = 0  # pairs made by signature tag before planning (module docstring)
    # Pairs in sync whose album on the remote SQL could not confirm (its item listed in exactly
    # the pair's album): 0 means every album is in step, as far as the listing shows.
    albums_unconfirmed: int = 0
    paths: dict[str, LocalFile] = field(default_factory=dict)


def _functions(conn: sqlite3.Connection) -> None:
    """The Python functions this module's SQL calls."""
    conn.create_function("ps_raw", 1, is_raw, deterministic=True)
    conn.create_function("ps_stem", 1, lambda p: "\0".join(folder_and_stem(p)),
                         deterministic=True)


def keyed_files(conn: sqlite3.Connection) -> list[LocalFile]:
    """Every present file with a sync key, ``signature`` set to it (the whole index: for
    tests and small tools; a sync reads :func:`focus`)."""
    _functions(conn)
    return _files(conn, "1", {})


def focus(conn: sqlite3.Connection, remote: str, now: float) -> Focus:
    """Adopt the pictures paired by tag alone, then the unsettled files, items and pairs of
    ``remote`` (see the module docstring); ``now`` dates the adopted pairs."""
    _functions(conn)
    args = {"remote": remote}
    for table in ("settled", "shared_keys"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
    conn.execute(_SHARED, args)
    with transaction(conn):
        adopted = conn.execute(_ADOPT, {"remote": remote, "now": now}).rowcount
    conn.execute(_SETTLED, args)
    try:
        found = _load(conn, remote)
        found.adopted = adopted
        return found
    finally:
        conn.execute("DROP TABLE temp.settled")
        conn.execute("DROP TABLE temp.shared_keys")


def stem_twins(conn: sqlite3.Connection) -> list[LocalFile]:
    """Present files with a sync key sharing their folder and stem with another (see
    ``sync.media``): the only candidates for Live Photo clips and shots, found in SQL so a
    million files are not loaded to find a few."""
    _functions(conn)
    with transaction(conn):  # rows new or moved since the last run (migration 12's trigger)
        conn.execute("UPDATE files SET stem = ps_stem(path) WHERE stem IS NULL")
    return _files(conn, "f.stem IN (SELECT stem FROM files GROUP BY stem HAVING COUNT(*) > 1)",
                  {})


def local_albums(conn: sqlite3.Connection) -> set[str | None]:
    """The albums the library's files with a sync key are in (an album folder still holding
    photos keeps its album on the remotes)."""
    _functions(conn)
    return {r[0] for r in conn.execute(f"SELECT DISTINCT f.album FROM files f WHERE f.status = "
                                       f"'present' AND {_KEY} IS NOT NULL")}


def _load(conn: sqlite3.Connection, remote: str) -> Focus:
    args = {"remote": remote}
    settled = _count(conn, "SELECT COUNT(*) FROM temp.settled", {})
    out = Focus([], [], [], settled,
                local_total=_count(conn, f"SELECT COUNT(*) FROM files f WHERE f.status = "
                                   f"'present' AND {_KEY} IS NOT NULL", {}),
                items_total=_count(conn, "SELECT COUNT(*) FROM remote_items WHERE remote = "
                                   ":remote", args),
                in_sync=_count(conn, "SELECT COUNT(*) FROM pairs WHERE remote = :remote AND "
                               "status = 'synced'", args))
    pairs_total = _count(conn, "SELECT COUNT(*) FROM pairs WHERE remote = :remote", args)
    out.albums_unconfirmed = out.in_sync - _count(conn, "SELECT COUNT(*) FROM temp.settled "
                                                  "WHERE in_album", {})
    if max(pairs_total, out.local_total, out.items_total) > settled:  # some are not settled
        conn.execute("CREATE UNIQUE INDEX temp.settled_id ON settled(remote_id)")
        conn.execute("CREATE INDEX temp.settled_path ON settled(path)")
        conn.execute("CREATE INDEX temp.settled_file ON settled(file_id)")
    if pairs_total > settled:
        out.pairs = [Pair(*r) for r in conn.execute(
            "SELECT remote_id, signature, path, version, album, status FROM pairs p WHERE "
            f"remote = :remote AND remote_id {_UNSETTLED} ORDER BY remote_id", args)]
    if out.local_total > settled:
        out.local = _files(conn, "f.id NOT IN (SELECT file_id FROM temp.settled)", {})
    if out.items_total > settled:
        out.items = _items(conn, f"remote = :remote AND id {_UNSETTLED}", args)
    _add_related(conn, remote, out)
    out.videos_sent = bool(_count(conn, "SELECT EXISTS (SELECT 1 FROM files f WHERE f.signature "
                                  "IS NULL AND f.media = 'video' AND f.status = 'present' AND "
                                  "EXISTS (SELECT 1 FROM pairs p WHERE p.remote = :remote AND "
                                  "p.signature = f.sha256))", args))
    out.paths = {f.path: f for f in out.local}
    return out


def _add_related(conn: sqlite3.Connection, remote: str, out: Focus) -> None:
    """Settled pairs an unsettled element looks at (see the module docstring), made unsettled:
    the pair, its file and its item join ``out``."""
    ids: set[str] = set()
    for pair in out.pairs:
        row = conn.execute("SELECT remote_id FROM temp.settled WHERE path = ?",
                           (pair.path,)).fetchone()
        if row:
            ids.add(row[0])
    for item in out.items:
        if item.signature:
            continue
        if item.md5:
            ids.update(r[0] for r in conn.execute(
                "SELECT s.remote_id FROM files f CROSS JOIN temp.settled s ON s.file_id = f.id "
                "WHERE f.md5 = ? AND f.status = 'present'", (item.md5,)))
        if item.date_taken_known and item.date_taken:
            ids.update(_same_name_and_date(conn, item))
    if not ids:
        return
    chosen = sorted(ids)
    marks = ",".join("?" * len(chosen))
    out.pairs = sorted(out.pairs + [Pair(*r) for r in conn.execute(
        f"SELECT remote_id, signature, path, version, album, status FROM pairs WHERE remote = ? "
        f"AND remote_id IN ({marks})", (remote, *chosen))], key=lambda p: p.remote_id)
    out.items += _items(conn, f"remote = ? AND id IN ({marks})", (remote, *chosen))
    out.local += _files(conn, f"f.id IN (SELECT file_id FROM temp.settled WHERE remote_id IN "
                        f"({marks}))", tuple(chosen))
    out.settled -= len(chosen)


def _same_name_and_date(conn: sqlite3.Connection, item: RemoteItem) -> list[str]:
    """Settled pairs whose file has ``item``'s file name stem and date taken (to the second)."""
    assert item.date_taken is not None
    second = item.date_taken.replace(microsecond=0).isoformat()
    stem = stem_key(item.name)
    rows = conn.execute("SELECT s.remote_id, f.path FROM files f CROSS JOIN temp.settled s ON "
                        "s.file_id = f.id WHERE f.date_taken BETWEEN ? AND ?",
                        (second, second + ".999999"))
    return [r[0] for r in rows if stem_key(r[1]) == stem]


def _files(conn: sqlite3.Connection, where: str, params: dict[str, str] | tuple[str, ...]
           ) -> list[LocalFile]:
    """Present files with a sync key, ``signature`` set to it, by path."""
    columns = ", ".join(f"f.{c.strip()}" for c in COLUMNS.split(","))
    rows = conn.execute(f"SELECT {columns}, {_KEY} FROM files f WHERE f.status = 'present' AND "
                        f"{_KEY} IS NOT NULL AND {where} ORDER BY f.path", params)
    found = []
    for row in rows:
        file = to_file(tuple(row)[:-1])
        found.append(file if file.signature == row[-1] else replace(file, signature=row[-1]))
    return found


def _items(conn: sqlite3.Connection, where: str, params: dict[str, str] | tuple[str, ...]
           ) -> list[RemoteItem]:
    return [item_from_json(r[0]) for r in
            conn.execute(f"SELECT data FROM remote_items WHERE {where} ORDER BY id", params)]


def _count(conn: sqlite3.Connection, sql: str, params: dict[str, str]) -> int:
    return int(conn.execute(sql, params).fetchone()[0])
