"""Previews (migration 8): for each remote photo whose original the remote withholds, the
smaller copy ``flickr.download_previews`` kept of it (never a library photo)."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Protocol

from photosync.state.db import transaction


class SizeLike(Protocol):
    """Which size a preview is (``remotes.flickr.Size``)."""

    @property
    def label(self) -> str: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...


@dataclass(frozen=True)
class Preview:
    remote_id: str
    path: str  # relative to library.root
    label: str  # Flickr's name of the size ("Large" is 1024 px)
    width: int
    height: int


def recorded(conn: sqlite3.Connection, remote: str) -> dict[str, Preview]:
    rows = conn.execute("SELECT remote_id, path, label, width, height FROM previews "
                        "WHERE remote = ?", (remote,))
    return {row[0]: Preview(row[0], row[1], row[2], row[3] or 0, row[4] or 0) for row in rows}


def record(conn: sqlite3.Connection, remote: str, preview: Preview) -> None:
    with transaction(conn):
        conn.execute("INSERT OR REPLACE INTO previews (remote, remote_id, path, label, width, "
                     "height, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (remote, preview.remote_id, preview.path, preview.label, preview.width,
                      preview.height, time.time()))


def forget(conn: sqlite3.Connection, remote: str, remote_id: str) -> None:
    with transaction(conn):
        conn.execute("DELETE FROM previews WHERE remote = ? AND remote_id = ?",
                     (remote, remote_id))


def count(conn: sqlite3.Connection, remote: str) -> int:
    row = conn.execute("SELECT COUNT(*) FROM previews WHERE remote = ?", (remote,)).fetchone()
    return int(row[0])
