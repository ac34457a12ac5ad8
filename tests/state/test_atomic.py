"""One atomic write (photosync/atomic.py): every replaced file is written to a temp name, fsynced,
renamed, and its folder fsynced; a failed write leaves the old file and no temp file.

``os.fsync`` is observed (still called) to see which file or folder each call made durable: a
power cut cannot be staged in a test, but a missing fsync can be seen.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from photosync.atomic import is_partial, replacing, write_atomic
from photosync.mirror.metadata import write_json
from photosync.state import db
from photosync.state.db import open_db


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths fsynced, in order."""
    seen: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        seen.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return seen


def _durable(seen: list[str], dest: Path) -> bool:
    """A temp file beside ``dest`` was fsynced, then ``dest``'s folder."""
    files = [i for i, p in enumerate(seen)
             if Path(p).parent == dest.parent and is_partial(Path(p).name)]
    folders = [i for i, p in enumerate(seen) if p == str(dest.parent)]
    return bool(files and folders and files[0] < folders[-1])


def test_a_rolling_backup_is_fsynced_with_its_folder_and_private(tmp_path: Path, synced: list[str]):
    conn = open_db(tmp_path)
    made = db.rolling_backup(conn, tmp_path, 1_000_000.0)
    conn.close()
    assert made is not None and _durable(synced, made)
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if is_partial(p.name)]


def test_a_mirror_album_sidecar_is_replaced_durably(tmp_path: Path, synced: list[str]):
    path = tmp_path / "album" / "album.json"
    assert write_json(path, {"title": "one"}) and write_json(path, {"title": "two"})
    assert _durable(synced, path) and '"two"' in path.read_text()


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path):
    path = tmp_path / "daemon.json"
    write_atomic(path, b"old", mode=0o600)
    with pytest.raises(RuntimeError), replacing(path, mode=0o600) as out:
        out.write(b"half of the new")
        raise RuntimeError("disk full")
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["daemon.json"]


def test_a_private_file_is_never_readable_by_others_whatever_the_umask(tmp_path: Path):
    old = os.umask(0)
    try:
        with replacing(tmp_path / "token.json", mode=0o600) as out:
            assert stat.S_IMODE(os.fstat(out.fileno()).st_mode) == 0o600  # before any byte
            out.write(b"{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "token.json").stat().st_mode) == 0o600
