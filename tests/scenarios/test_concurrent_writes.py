"""Photos rewritten while a sync runs: every remote copy ends equal to the local file.

A writer thread flips each "hot" photo between two versions for the whole first run, the way
editors (write a temp file, rename it over) and SMB copies (rewrite in place, in chunks) do,
then leaves version A. After that run and one more, each remote must hold exactly one copy of
each photo, byte for byte the local file (Drive: its MD5; Flickr: the stored file's SHA-256).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest

from photosync.emulators.images import make_image
from tests.scenarios.conftest import World

HOT = 3


class Writer(threading.Thread):
    """Rewrites ``paths`` between versions A and B until stopped, then leaves A everywhere."""

    def __init__(self, versions: dict[Path, tuple[bytes, bytes]], in_place: bool):
        super().__init__(daemon=True)
        self.versions, self.in_place = versions, in_place
        self.stop = threading.Event()

    def run(self) -> None:
        turn = 1
        while not self.stop.is_set():
            for path, both in self.versions.items():
                self.write(path, both[turn % 2])
            turn += 1
            time.sleep(0.01)
        for path, both in self.versions.items():
            self.write(path, both[0])

    def write(self, path: Path, data: bytes) -> None:
        if not self.in_place:  # an editor: a temp file renamed over the photo
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
            return
        with open(path, "r+b") as fh:  # an SMB copy: the same file rewritten in chunks
            for start in range(0, len(data), 4096):
                fh.write(data[start:start + 4096])
                time.sleep(0.001)
            fh.truncate()


def wrong_copies(world: World, names: list[str]) -> list[str]:
    """Each hot photo whose remote copies are not exactly one, equal to the local bytes."""
    wrong = []
    flickr = admin_state(world)
    drive = world.drive_photos()
    for name in names:
        data = (world.root / "hot" / name).read_bytes()
        on_flickr = [p["sha256"] for p in flickr if p["title"] == Path(name).stem]
        on_drive = [f["md5Checksum"] for f in drive if f["name"] == name]
        if on_flickr != [hashlib.sha256(data).hexdigest()]:
            wrong.append(f"flickr {name}: {len(on_flickr)} copies, equal: "
                         f"{on_flickr == [hashlib.sha256(data).hexdigest()]}")
        if on_drive != [hashlib.md5(data).hexdigest()]:
            wrong.append(f"drive {name}: {len(on_drive)} copies")
    return wrong


def admin_state(world: World) -> list[dict]:
    from tests.scenarios.conftest import admin
    return admin(world.flickr_url, "state")["photos"]


@pytest.mark.parametrize("trial", range(4))
def test_a_photo_rewritten_during_the_run_ends_byte_for_byte_on_both_remotes(world, trial):
    for i in range(4):
        world.photo(f"calm/p{i}.jpg", f"calm{i}")
    names = [f"h{i}.jpg" for i in range(HOT)]
    versions = {}
    for i, name in enumerate(names):
        path = world.photo(f"hot/{name}", f"A{trial}-{i}")
        versions[path] = (path.read_bytes(), make_image(f"B{trial}-{i}", width=96, height=64))
    writer = Writer(versions, in_place=trial % 2 == 1)
    writer.start()
    try:
        world.sync(expect=None)
    finally:
        writer.stop.set()
        writer.join()
    world.sync(expect=None)
    assert wrong_copies(world, names) == []


def test_a_photo_changed_with_its_size_and_time_kept_is_read_again_and_sent(world):
    """An in-place rewrite that keeps size and mtime (``cp -p`` of a same-size version) escapes
    the scan; the upload sees the bytes differ from the index, and the next scan reads it."""
    path = world.photo("p.jpg", "same-size")
    assert world.run("scan").returncode == 0
    st = path.stat()
    data = path.read_bytes().replace(b"2022:", b"2021:", 1)  # EXIF date: same size and pixels
    path.write_bytes(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    doc = world.sync(expect=1)
    assert {e["path"] for e in doc["errors"]} == {"p.jpg"}
    assert all("changed since it was indexed" in e["error"] for e in doc["errors"])
    world.sync()
    assert [f["md5Checksum"] for f in world.drive_photos()] == [hashlib.md5(data).hexdigest()]
    assert [p["sha256"] for p in admin_state(world)] == [hashlib.sha256(data).hexdigest()]
