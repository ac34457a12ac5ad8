"""What `photosync scan` shows while it works: a bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import fcntl
import io
import logging
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

from photosync.cli.progress import ScanProgressDisplay
from photosync.emulators.images import make_image
from photosync.library.scan import ScanProgress


def library(tmp_path: Path, count: int) -> Path:
    root = tmp_path / "photos"
    for i in range(count):
        folder = root / f"album {i % 2}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"p{i}.jpg").write_bytes(make_image(f"progress-{i}", 320, 240))
    config = tmp_path / "config.yaml"
    config.write_text(f"library:\n  root: {root}\nstate_dir: {tmp_path / 'state'}\n")
    return config


def on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run photosync with a 100-column pseudo-terminal as stdin, stdout and stderr."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "photosync", *args], stdin=slave, stdout=slave,
                            stderr=slave, env=env, close_fds=True)
    os.close(slave)
    out = b""
    while select.select([master], [], [], 60)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=60), out.decode("utf-8", "replace")


def test_terminal_shows_a_bar_with_files_rate_and_eta(tmp_path, isolated_env):
    config = library(tmp_path, 24)
    code, screen = on_a_terminal(["--config", str(config), "scan"], isolated_env)
    assert code == 0, screen
    frames = screen.split("\r")
    final = [f for f in frames if "24/24" in f]
    assert final and "100%|" in final[-1] and "file/s" in final[-1] and "24 found" in final[-1]
    assert "<00:00" in final[-1]  # elapsed<remaining: the ETA once the total is known
    # a listed folder's files count as found before they are read (never "9 file ... 0 found")
    assert not [f for f in frames if re.search(r"\b[1-9]\d*file .* 0 found", f)], frames
    assert "scan: 24 new, 0 changed, 0 moved, 0 gone, 0 failed" in screen


def test_no_bar_when_not_a_terminal(cli, tmp_path):
    config = library(tmp_path, 4)
    result = cli("--config", str(config), "scan")
    assert result.returncode == 0
    assert "\r" not in result.stderr and "file/s" not in result.stderr and "\x1b[" not in result.stderr


def test_plain_lines_say_how_far_it_is(caplog):
    stream = io.StringIO()  # not a terminal
    display = ScanProgressDisplay(stream=stream, interval=0)
    with caplog.at_level(logging.INFO, logger="photosync.scan"):
        display(ScanProgress(found=120, to_read=40, read=10, walking=True))
        display(ScanProgress(found=300, to_read=90, read=90, walking=False))
    assert [r.getMessage() for r in caplog.records] == [
        "scan: 120 files found+, 10 of 40+ to read done", "scan: 300 files found, 90 of 90 to read done"]
    assert stream.getvalue() == ""
