"""The state database damaged or lost, through the CLI against both emulators: one message, exit 2,
and the recovery the README gives works (issue 14)."""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest

from photosync.emulators import admin
from tests.scenarios.conftest import busy, count

DB = "photosync.db"


def _synced(world, photos: int = 20) -> None:
    for i in range(photos):
        world.photo(f"2024/Walk/p{i:02}.jpg", 900 + i)
    doc = world.sync()
    assert count(doc, "flickr", "upload") == photos and count(doc, "drive", "upload") == photos


def _garble_table(path, table: str) -> None:
    """A few KiB of garbage over the pages of ``table`` (in the middle of the file)."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    conn.close()
    assert not path.with_name(DB + "-wal").exists()  # the last run checkpointed its WAL
    assert 0 < (root - 1) * page_size < path.stat().st_size - page_size  # not at either end
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(os.urandom(page_size))


def _move_aside(world) -> None:
    aside = world.tmp / "damaged"
    aside.mkdir()
    for name in (DB, DB + "-wal", DB + "-shm"):
        if (world.state / name).exists():
            shutil.move(world.state / name, aside / name)


def test_garbage_in_the_database_is_one_message_and_moving_it_aside_relinks_without_upload(world):
    _synced(world)
    _garble_table(world.state / DB, "pairs")
    result = world.run("sync")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is damaged (database disk image is malformed)" in lines[0], lines
    assert "sync again" in lines[0] and "none uploaded again" in lines[0]

    _move_aside(world)  # the recovery the message gives
    doc = world.sync()
    assert count(doc, "flickr", "upload") == 0 and count(doc, "drive", "upload") == 0
    assert len(world.flickr_photos()) == 20 and len(world.drive_photos()) == 20
    conn = sqlite3.connect(world.state / DB)
    relinked = dict(conn.execute("SELECT remote, count(*) FROM pairs GROUP BY remote").fetchall())
    conn.close()
    assert relinked == {"flickr": 20, "drive": 20}
    assert busy(world.sync()) == []


def test_a_finished_sync_keeps_a_backup_the_message_names_and_it_restores(world):
    _synced(world, 3)
    backups = sorted(world.state.glob(DB + ".backup-*"))
    assert len(backups) == 1 and oct(backups[0].stat().st_mode & 0o777) == "0o600"
    world.sync()
    assert sorted(world.state.glob(DB + ".backup-*")) == backups  # at most one an hour
    (world.state / DB).write_bytes(b"not a database at all" * 100)
    result = world.run("sync")
    assert result.returncode == 2 and str(backups[0]) in result.stderr, result.stderr
    shutil.copy(backups[0], world.state / DB)
    doc = world.sync()
    assert busy(doc) == [] and len(world.flickr_photos()) == 3


@pytest.mark.parametrize("command", [("scan",), ("status",), ("duplicates",), ("sync",),
                                     ("sync", "--dry-run")])
def test_every_command_that_opens_a_damaged_database_says_so_with_exit_2(world, command):
    world.photo("a.jpg", 1)
    world.run("scan")
    path = world.state / DB
    path.write_bytes(path.read_bytes()[:4096])  # truncated
    result = world.run(*command)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "is damaged" in result.stderr and ".bak-" not in result.stderr, result.stderr


def _flickr_calls(world) -> dict[str, int]:
    return admin(world.flickr_url, "calls")["methods"]


def test_downloads_cost_one_tag_write_each_and_a_lost_database_relinks_them_by_tag(world):
    """Issue 18: a Flickr-only photo's download is not held up by tagging. The tag is one
    addTags per photo (the listing shows it untagged: no getInfo), written after the transfers,
    still in the same run: with the database lost right after it, every photo re-links by tag."""
    admin(world.flickr_url, "seed", {"seed": 7, "accounts": ["testuser"], "photos": 6,
                                     "albums": 1, "video_ratio": 0, "collections": False})
    before = _flickr_calls(world)
    doc = world.sync()
    after = _flickr_calls(world)
    assert count(doc, "flickr", "download") == 6 and doc["errors"] == []
    spent = {m: after.get(m, 0) - before.get(m, 0) for m in ("flickr.photos.getInfo",
                                                             "flickr.photos.addTags")}
    assert spent == {"flickr.photos.getInfo": 0, "flickr.photos.addTags": 6}, spent
    assert busy(world.sync()) == []  # the tags are in the listing cache: no Retag planned

    _move_aside(world)
    doc = world.sync()
    assert busy(doc) == [] and len(world.flickr_photos()) == 6
    with sqlite3.connect(world.state / DB) as conn:
        assert conn.execute("SELECT count(*) FROM pairs WHERE remote = 'flickr'"
                            ).fetchone()[0] == 6

