"""The local index (migration 1), read by the sync engine, the CLI and ``photosync status``.

Rows become frozen :class:`LocalFile` values. The scanner's own reads and writes are in
:mod:`photosync.state.scans`; the one write here, :func:`read_again`, is the sync engine's.
Signatures are only comparable between files whose ``signature_im_version`` and
``signature_quantum`` are equal.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from photosync.state.db import transaction

Status = Literal["present", "gone", "failed"]

COLUMNS = ("id, path, size, mtime_ns, md5, sha256, signature, signature_im_version, "
            "signature_quantum, date_taken, date_subsec, date_offset, width, height, media, "
            "album, status, error, duration")


@dataclass(frozen=True)
class LocalFile:
    id: int  # stable across moves and renames
    path: str  # relative to library.root, "/"-separated
    size: int | None
    mtime_ns: int | None
    md5: str | None  # hex; equals Drive's md5Checksum for the same bytes
    sha256: str | None
    signature: str | None  # ImageMagick pixel signature; None for videos and failed files
    signature_im_version: int | None
    signature_quantum: int | None
    date_taken: datetime | None  # EXIF DateTimeOriginal, naive local time
    date_subsec: str | None
    date_offset: str | None  # EXIF OffsetTimeOriginal, e.g. "+02:00"
    width: int | None
    height: int | None
    media: Literal["photo", "video"]
    album: str | None
    status: Status
    error: str | None
    duration: float | None = None  # a video's length in seconds (None: a photo, or unknown)

    @property
    def identity(self) -> str | None:
        """What makes two files the same picture: the signature, or for videos the SHA-256."""
        if self.signature:
            return f"im{self.signature_im_version}q{self.signature_quantum}:{self.signature}"
        return f"sha256:{self.sha256}" if self.sha256 else None


def to_file(row: sqlite3.Row | tuple) -> LocalFile:
    values = list(row)
    values[9] = datetime.fromisoformat(values[9]) if values[9] else None
    return LocalFile(*values)


def _select(conn: sqlite3.Connection, where: str,
            params: tuple[object, ...] = ()) -> list[LocalFile]:
    rows = conn.execute(f"SELECT {COLUMNS} FROM files WHERE {where} ORDER BY path, id", params)
    return [to_file(row) for row in rows]


def present_files(conn: sqlite3.Connection) -> list[LocalFile]:
    """Files found by the last scan and indexed successfully."""
    return _select(conn, "status = 'present'")


def gone_files(conn: sqlite3.Connection) -> list[LocalFile]:
    """Files that were indexed once and are no longer found (the sync needs to know)."""
    return _select(conn, "status = 'gone'")


def failed_files(conn: sqlite3.Connection) -> list[LocalFile]:
    """Files found but not indexable, each with its ``error``."""
    return _select(conn, "status = 'failed'")


def file_by_id(conn: sqlite3.Connection, file_id: int) -> LocalFile | None:
    """The indexed file with this id (the dashboard serves thumbnails by id, never by path)."""
    found = _select(conn, "id = ?", (file_id,))
    return found[0] if found else None


def read_again(conn: sqlite3.Connection, path: str) -> None:
    """Make the next scan read ``path`` even if its size and mtime look unchanged: its bytes were
    found to differ from the index (an in-place rewrite may keep both, e.g. ``cp -p``)."""
    with transaction(conn):
        conn.execute("UPDATE files SET mtime_ns = NULL WHERE path = ? AND status != 'gone'",
                     (path,))


def duplicate_groups(conn: sqlite3.Connection) -> list[list[LocalFile]]:
    """Present files showing the same picture (same :attr:`LocalFile.identity`), 2+ per group.

    Biggest groups first, then by first path; files in a group by path.
    """
    groups: dict[str, list[LocalFile]] = {}
    # Only the files whose signature (or, without one, SHA-256) another present file shares
    # are read: at 1,000,000 files, reading all of them took seconds for a handful of groups.
    # "+status": read (signature, status) from their index alone, in signature order.
    shared = ("status = 'present' AND (signature IN (SELECT signature FROM files WHERE +status = "
              "'present' AND signature IS NOT NULL GROUP BY signature HAVING COUNT(*) > 1) OR "
              "signature IS NULL AND sha256 IN (SELECT sha256 FROM files WHERE status = "
              "'present' AND signature IS NULL AND sha256 IS NOT NULL GROUP BY sha256 "
              "HAVING COUNT(*) > 1))")
    for file in _select(conn, shared):
        if file.identity:
            groups.setdefault(file.identity, []).append(file)
    found = [g for g in groups.values() if len(g) > 1]
    found.sort(key=lambda g: (-len(g), g[0].path))
    return found
