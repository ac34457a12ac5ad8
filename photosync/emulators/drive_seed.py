"""``POST /_admin/seed`` for Drive: an account with N generated photos in album folders, cheaply.

Each photo is a blob *recipe* (seed, size, EXIF date), not bytes: 50,000 files take well under a
second and a few tens of MB; bytes, checksums and image metadata are made when first asked for.
Everything (ids, names, dates, albums) is deterministic from ``seed``.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from photosync.emulators.drive_files import FOLDER, DriveFile, seeded_id
from photosync.emulators.drive_store import DriveStore
from photosync.emulators.server import BlobStore

DEFAULTS = {
    "account": "tester@example.com",
    "count": 100,
    "albums": 5,
    "seed": 0,
    "parent": "Photos",
    "width": 64,
    "height": 48,
    "start": "2015-01-01T09:00:00",
}


def seed(store: DriveStore, body: dict[str, Any]) -> dict[str, Any]:
    """Create the account, a ``parent`` folder (None: the albums go in My Drive), album folders and
    ``count`` JPEGs spread over them in order of date taken. Returns the ids it made."""
    opts = {**DEFAULTS, **(body or {})}
    email, count, albums, seed_value = (
        opts["account"],
        int(opts["count"]),
        max(1, int(opts["albums"])),
        opts["seed"],
    )
    account = store.account(email)
    rng = random.Random(f"drive-seed:{seed_value}:{email}")
    taken = datetime.fromisoformat(opts["start"]).replace(tzinfo=None)
    epoch0 = taken.replace(tzinfo=UTC).timestamp()
    top = account["root"]
    if opts["parent"]:
        top = _folder(
            store, email, seeded_id(seed_value, email, "parent"), opts["parent"], top, epoch0
        )
    folders = [
        _folder(
            store,
            email,
            seeded_id(seed_value, email, "album", a),
            f"Album {a + 1:03d}",
            top,
            epoch0,
        )
        for a in range(albums)
    ]
    for index in range(count):
        taken += timedelta(minutes=rng.randrange(30, 600))
        file_id = seeded_id(seed_value, email, "photo", index)
        if file_id in store.files:
            continue
        recipe = BlobStore.recipe(
            {
                "seed": f"{seed_value}:{email}:{index}",
                "width": int(opts["width"]),
                "height": int(opts["height"]),
                "format": "jpeg",
                "date_taken": taken.isoformat(),
            }
        )
        created = taken.replace(tzinfo=UTC).timestamp() + 3600 + rng.random()
        store.files[file_id] = DriveFile(
            file_id,
            f"IMG_{index + 1:06d}.jpg",
            "image/jpeg",
            email,
            [folders[index * albums // max(count, 1)]],
            created,
            created,
            blob=recipe,
            originalFilename=f"IMG_{index + 1:06d}.jpg",
        )
        store.changes.record(file_id, email, created)
    return {
        "account": email,
        "root": account["root"],
        "parent": top,
        "albums": folders,
        "files": count,
    }


def _folder(
    store: DriveStore, email: str, folder_id: str, name: str, parent: str, when: float
) -> str:
    if folder_id not in store.files:
        store.files[folder_id] = DriveFile(folder_id, name, FOLDER, email, [parent], when, when)
        store.changes.record(folder_id, email, when)
    return folder_id
