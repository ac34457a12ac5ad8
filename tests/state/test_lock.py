"""One process per state dir."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from photosync.errors import LockedError
from photosync.state.lock import StateLock

HOLDER = """
import sys, time
from photosync.state.lock import StateLock
with StateLock(sys.argv[1]):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_lock_writes_pid_and_releases(tmp_path: Path):
    import os
    with StateLock(tmp_path / "state") as lock:
        assert lock.held
        assert (tmp_path / "state" / "lock").read_text().strip() == str(os.getpid())
    assert not lock.held
    with StateLock(tmp_path / "state"):
        pass  # free again


def test_second_holder_is_refused_with_the_holders_pid(tmp_path: Path):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(LockedError, match=f"process {proc.pid} is already using"):
            with StateLock(tmp_path):
                pass
    finally:
        proc.kill()
        proc.wait()
    with StateLock(tmp_path):  # the kernel dropped the dead holder's lock
        pass


def test_same_process_second_lock_is_refused(tmp_path: Path):
    with StateLock(tmp_path):
        with pytest.raises(LockedError):
            StateLock(tmp_path).acquire()
