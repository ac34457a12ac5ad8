"""The mirror's rows in the state database (migration 5): photo details, the stream's watermark.

Why the shared state database and not a file in DEST: DEST is typically the NAS share, where
SQLite locking is unreliable (DESIGN: keep the state on a local disk); the state database
already has migrations, backups and WAL. Rows are keyed by the mirror's resolved path, so several
mirrors (accounts) live side by side. The files in DEST stay self-describing: a photo file exists
only once complete, and its sidecar carries its ``last_update``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photosync.state.db import transaction

if TYPE_CHECKING:  # only its fields are read: state/ does not import the mirror at run time
    from photosync.mirror.photo import MirrorPhoto


@dataclass(frozen=True)
class PhotoRow:
    id: str
    path: str | None
    size: int | None
    version: str | None
    info_level: int | None
    last_update: int | None
    status: str


@dataclass(frozen=True)
class StreamRow:
    user_nsid: str
    username: str | None
    owner_view: bool
    watermark: int | None
    full_walk_at: float | None
    settings: dict[str, Any]


class MirrorStore:
    """The rows of one mirror (``dest``); use from one thread."""

    def __init__(self, conn: sqlite3.Connection, dest: Path):
        self.conn = conn
        self.dest = str(Path(dest).resolve())

    # -- the stream ---------------------------------------------------------------------------
    def stream(self) -> StreamRow | None:
        row = self.conn.execute("SELECT * FROM mirror_streams WHERE dest = ?",
                                (self.dest,)).fetchone()
        if row is None:
            return None
        return StreamRow(row["user_nsid"], row["username"], bool(row["owner_view"]),
                         row["watermark"], row["full_walk_at"], json.loads(row["settings"] or "{}"))

    def start(self, nsid: str, username: str | None, owner_view: bool) -> None:
        """Claim ``dest`` for this stream (keeps the watermark of an earlier complete run)."""
        with transaction(self.conn):
            self.conn.execute(
                "INSERT INTO mirror_streams (dest, user_nsid, username, owner_view)"
                " VALUES (?, ?, ?, ?) ON CONFLICT(dest) DO UPDATE SET"
                " user_nsid = excluded.user_nsid, username = COALESCE(excluded.username, username),"
                " owner_view = excluded.owner_view",
                (self.dest, nsid, username, int(owner_view)))

    def finish(self, watermark: int | None, full_walk: bool, settings: dict[str, Any]) -> None:
        """A run completed: the next one may start from ``watermark``."""
        with transaction(self.conn):
            self.conn.execute("UPDATE mirror_streams SET watermark = ?, settings = ?"
                              " WHERE dest = ?",
                              (watermark, json.dumps(settings, sort_keys=True), self.dest))
            if full_walk:
                self.conn.execute("UPDATE mirror_streams SET full_walk_at = ? WHERE dest = ?",
                                  (time.time(), self.dest))

    # -- photos ------------------------------------------------------------------------------
    def photos(self, ids: list[str]) -> dict[str, PhotoRow]:
        out: dict[str, PhotoRow] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                    "SELECT id, path, size, version, info_level, last_update, status"
                    f" FROM mirror_photos WHERE dest = ? AND id IN ({marks})",
                    (self.dest, *chunk)):
                out[row["id"]] = PhotoRow(*tuple(row))
        return out

    def complete_files(self) -> list[tuple[str, int, int | None]]:
        """(path, size, info level) of every photo whose file this mirror holds."""
        return [(r["path"], r["size"], r["info_level"]) for r in self.conn.execute(
            "SELECT path, size, info_level FROM mirror_photos WHERE dest = ?"
            " AND status = 'complete' AND path IS NOT NULL AND size IS NOT NULL", (self.dest,))]

    def holds_previews(self) -> bool:
        """Any file here a preview (``<id>.preview.<ext>``: Flickr gave no original)?"""
        return self.conn.execute(
            "SELECT 1 FROM mirror_photos WHERE dest = ? AND status = 'complete'"
            " AND path LIKE '%.preview.%' LIMIT 1", (self.dest,)).fetchone() is not None

    def known(self) -> dict[str, str | None]:
        """id -> path of every photo not known to be gone."""
        return {r["id"]: r["path"] for r in self.conn.execute(
            "SELECT id, path FROM mirror_photos WHERE dest = ? AND status != 'gone'", (self.dest,))}

    def record(self, photo: MirrorPhoto, path: str | None, size: int | None, version: str | None,
               info_level: int | None, error: str | None = None) -> None:
        """Store what is now true of ``photo`` (``error``: it failed; its file, if any, is kept)."""
        geo = photo.geo or {}
        with transaction(self.conn):
            self.conn.execute(
                "INSERT OR REPLACE INTO mirror_photos (dest, id, owner, title, description, media,"
                " format, date_taken, date_upload, last_update, width, height, privacy, latitude,"
                " longitude, path, size, version, info_level, status, error, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (self.dest, photo.id, photo.owner, photo.title, photo.description, photo.media,
                 photo.original_format, photo.taken, photo.uploaded,
                 None if error else photo.last_update, photo.width or None, photo.height or None,
                 photo.privacy, geo.get("latitude"), geo.get("longitude"), path, size, version,
                 info_level, "failed" if error else "complete", error, time.time()))

    def mark_gone(self, ids: list[str]) -> None:
        with transaction(self.conn):
            self.conn.executemany("UPDATE mirror_photos SET status = 'gone', updated = ?"
                                  " WHERE dest = ? AND id = ?",
                                  [(time.time(), self.dest, i) for i in ids])

    def forget(self, ids: list[str]) -> None:
        with transaction(self.conn):
            self.conn.executemany("DELETE FROM mirror_photos WHERE dest = ? AND id = ?",
                                  [(self.dest, i) for i in ids])
