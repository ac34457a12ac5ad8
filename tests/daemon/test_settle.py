"""Settle and batch rules with a fake clock and a fake stat: every case is deterministic."""

from __future__ import annotations

import os

import pytest

from photosync.daemon.settle import Settler


class Files:
    """A fake filesystem of (size, mtime) per path, and a clock."""

    def __init__(self):
        self.now = 1000.0
        self.files: dict[str, tuple[int, int]] = {}

    def write(self, path: str, size: int) -> None:
        self.files[path] = (size, int(self.now * 1e9))

    def stat(self, path: str) -> os.stat_result:
        if path not in self.files:
            raise FileNotFoundError(path)
        size, mtime = self.files[path]
        return os.stat_result((0o100644, 0, 0, 1, 0, 0, size, 0, 0, 0, 0, 0, mtime, mtime, mtime, mtime))


@pytest.fixture
def fs() -> Files:
    return Files()


def settler(fs: Files, settle: float = 10, max_delay: float = 60) -> Settler:
    return Settler(settle, max_delay, clock=lambda: fs.now, stat=fs.stat)


def test_a_file_settles_after_settle_seconds_unchanged(fs):
    s = settler(fs)
    fs.write("a.jpg", 100)
    s.touch("a.jpg")
    fs.now += 9.9
    s.tick()
    assert not s.batch_due() and s.unsettled("a.jpg")
    assert s.next_deadline() == pytest.approx(1010.0)
    fs.now += 0.1
    s.tick()
    assert s.batch_due() and s.take_batch() == ["a.jpg"]
    assert s.next_deadline() is None


def test_a_growing_file_never_settles_while_it_grows(fs):
    s = settler(fs)
    for step in range(10):  # a chunk every 8 s, no events seen (e.g. a network filesystem)
        fs.write("slow.jpg", 100 * (step + 1))
        if step == 0:
            s.touch("slow.jpg")
        fs.now += 8
        s.tick()
        assert not s.batch_due(), step
    fs.now += 10
    s.tick()
    assert s.take_batch() == ["slow.jpg"]


def test_a_file_held_open_by_its_writer_waits_for_the_close(fs):
    s = settler(fs)
    fs.write("smb.jpg", 10)
    s.touch("smb.jpg", writing=True)
    fs.now += 30  # a long pause between two chunks: still open
    s.tick()
    assert not s.batch_due()
    fs.write("smb.jpg", 20)
    s.touch("smb.jpg", writing=True)
    fs.now += 1
    s.touch("smb.jpg", writing=False)  # closed: now the normal settle time counts from the last write
    fs.now += 9
    s.tick()
    assert s.take_batch() == ["smb.jpg"]


def test_a_writer_that_vanished_without_closing_times_out(fs):
    s = Settler(10, 60, clock=lambda: fs.now, stat=fs.stat, open_timeout=100)
    fs.write("x.jpg", 10)
    s.touch("x.jpg", writing=True)
    fs.now += 99
    s.tick()
    assert not s.batch_due()
    fs.now += 1
    s.tick()
    assert s.take_batch() == ["x.jpg"]


def test_a_burst_becomes_one_batch_once_everything_settled(fs):
    s = settler(fs)
    for i in range(500):
        fs.write(f"f/{i}.jpg", 10)
        s.touch(f"f/{i}.jpg")
        fs.now += 0.01  # 5 s of copying
    fs.now += 9.5
    s.tick()
    assert not s.batch_due()  # the early ones settled, the last ones not yet: wait for them
    fs.now += 0.6
    s.tick()
    assert s.batch_due()
    assert len(s.take_batch()) == 500 and not s.batch_due()


def test_a_long_copy_still_syncs_what_settled_every_max_delay(fs):
    s = settler(fs, settle=10, max_delay=60)
    batches = []
    for i in range(200):  # a new file every 2 s for 400 s: never a quiet moment
        fs.write(f"{i}.jpg", 10)
        s.touch(f"{i}.jpg")
        fs.now += 2
        s.tick()
        if s.batch_due():
            batches.append(s.take_batch())
    assert 5 <= len(batches) <= 8, [len(b) for b in batches]


def test_a_deletion_settles_like_any_change(fs):
    s = settler(fs)
    s.touch("gone.jpg")  # the delete event: nothing there
    fs.now += 10
    s.tick()
    assert s.take_batch() == ["gone.jpg"]


def test_a_new_event_during_settling_restarts_the_wait(fs):
    s = settler(fs)
    fs.write("a.jpg", 1)
    s.touch("a.jpg")
    fs.now += 8
    fs.write("a.jpg", 2)
    s.touch("a.jpg", writing=True)
    s.touch("a.jpg", writing=False)
    fs.now += 8
    s.tick()
    assert not s.batch_due()
    fs.now += 2
    s.tick()
    assert s.batch_due()
