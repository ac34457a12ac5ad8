"""``POST /_admin/import`` for Drive: many files at once, as photosync's uploads leave them.

For benchmarks of listings and change feeds at a million photos, where uploading each through
the API would take hours. Each photo becomes what ``DriveRemote.upload`` makes: a file named as
given, in the album's folder under the library folder (``folder``, default "Photos"; folders
made as photosync makes them, ``photosync_root`` / ``photosync_album`` marks, existing ones of
the same name reused), ``appProperties`` holding the signature, created by the emulator's OAuth
client (what a ``drive.file`` grant of photosync sees), one change recorded per file and folder.
Its ``size`` and ``md5Checksum`` are the ones given (a recipe that declares them,
``drive_files.declared``); its bytes, if downloaded, are a generated stand-in (64 x 48 JPEG
with the date taken) of another size and hash: imported files are for listings, not transfers.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any

from photosync.emulators.drive_files import FOLDER, DriveFile, new_id
from photosync.emulators.drive_store import DriveStore
from photosync.emulators.server import BlobStore
from photosync.remotes import names  # noqa: F401  (registers photosync's media types)
from photosync.remotes.drive_rows import SIGNATURE_KEY
from photosync.remotes.drive_tree import ALBUM_MARK, ROOT_MARK, split_path

BODY = ('send {"account": EMAIL (optional), "folder": "Photos" (optional), "photos": [{"name", '
        '"album" (or null), "taken" ("YYYY-MM-DDTHH:MM:SS" or null), "signature", "md5", '
        '"size"}...]}')


@dataclass(frozen=True)
class Imported:
    """One photo of an import body, checked."""

    name: str
    album: str | None
    taken: str | None
    signature: str
    md5: str
    size: int


def import_photos(store: DriveStore, body: dict[str, Any], email: str, client_id: str
                  ) -> dict[str, Any]:
    """Create the files of ``body["photos"]`` for ``email`` (the caller holds the lock)."""
    photos = [_checked(p, n) for n, p in enumerate(body.get("photos") or [])]
    account = store.account(email)
    now = store.clock()
    folders = _Folders(store, email, client_id, now)
    library = folders.ensure(account["root"], str(body.get("folder") or "Photos"),
                             {ROOT_MARK: "1"})
    parents: dict[str | None, str] = {None: library}
    for photo in photos:
        parent = parents.get(photo.album)
        if parent is None:
            parent = parents[photo.album] = folders.ensure(library, photo.album or "",
                                                           {ALBUM_MARK: "1"})
        file_id = new_id()
        recipe = BlobStore.recipe({"seed": file_id, "format": "jpeg", "width": 64, "height": 48,
                                   "date_taken": photo.taken, "md5": photo.md5,
                                   "size": photo.size})
        mime = mimetypes.guess_type(photo.name)[0] or "application/octet-stream"
        f = DriveFile(file_id, photo.name, mime, email, [parent], now, now, blob=recipe,
                      app=client_id)
        f.appProperties = {SIGNATURE_KEY: photo.signature}
        store.files[f.id] = f
        store.changes.record(f.id, email, now)
    return {"imported": len(photos), "albums": len([a for a in parents if a])}


def _checked(photo: Any, n: int) -> Imported:
    """A photo of the body, or ValueError naming what is wrong."""
    try:
        taken = photo.get("taken")
        return Imported(str(photo["name"]), photo.get("album") or None,
                        str(taken)[:19] if taken else None, str(photo["signature"]).lower(),
                        str(photo["md5"]).lower(), int(photo["size"]))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ValueError(f"photos[{n}]: {BODY}") from None


class _Folders:
    """``email``'s folders not in the trash by (parent id, name), the oldest of a name; missing
    ones are made as photosync makes them (by its app, with its marks)."""

    def __init__(self, store: DriveStore, email: str, client_id: str, now: float):
        self.store, self.email, self.client_id, self.now = store, email, client_id, now
        self.known: dict[tuple[str, str], str] = {}
        for f in store.files.values():
            if f.mimeType == FOLDER and f.owner == email and f.parents and not f.trashed:
                self.known.setdefault((f.parents[0], f.name), f.id)

    def ensure(self, parent: str, path: str, marks: dict[str, str]) -> str:
        """The id of folder ``path`` ("a/b") under ``parent``, made where missing."""
        for name in split_path(path):
            found = self.known.get((parent, name))
            if found is None:
                f = DriveFile(new_id(), name, FOLDER, self.email, [parent], self.now, self.now,
                              app=self.client_id)
                f.appProperties = dict(marks)
                self.store.files[f.id] = f
                self.store.changes.record(f.id, self.email, self.now)
                found = self.known[(parent, name)] = f.id
            parent = found
        return parent
