"""`photosync scan` and `photosync duplicates` end to end, as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from photosync.emulators.images import make_image, with_exif_date


@pytest.fixture
def setup(tmp_path: Path):
    root = tmp_path / "photos"
    root.mkdir()
    state = tmp_path / "state"
    config = tmp_path / "config.yaml"
    config.write_text(f"library:\n  root: {root}\nstate_dir: {state}\n")
    return root, state, config


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_scan_then_duplicates(cli, setup):
    root, state, config = setup
    photo = make_image("dup", 80, 60)
    write(root / "2024" / "a.jpg", photo)
    write(root / "2024" / "copy of a.jpg", photo)
    write(root / "old" / "a-with-date.jpg", with_exif_date(photo, datetime(2020, 1, 1)))
    write(root / "pair" / "b.png", make_image("b", fmt="png"))
    write(root / "pair" / "b2.png", make_image("b", fmt="png"))
    write(root / "single.jpg", make_image("single"))
    result = cli("--config", str(config), "scan")
    assert result.returncode == 0, result.stderr
    assert "scan: 6 new, 0 changed, 0 moved, 0 gone, 0 failed" in result.stdout

    text = cli("--config", str(config), "duplicates")
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert lines[0].startswith("3 files, signature ")  # biggest group first
    assert lines[1:3] == [f"  2024/a.jpg  ({len(photo):,} bytes)",
                          f"  2024/copy of a.jpg  ({len(photo):,} bytes)"]
    assert lines[3].startswith("  old/a-with-date.jpg  (")  # same picture, other metadata
    assert lines[4].startswith("2 files") and lines[-1] == "2 group(s) of duplicates"

    as_json = json.loads(cli("--config", str(config), "duplicates", "--json").stdout)
    assert [[f["path"] for f in g["files"]] for g in as_json] == [
        ["2024/a.jpg", "2024/copy of a.jpg", "old/a-with-date.jpg"], ["pair/b.png", "pair/b2.png"]]
    assert all(len(g["signature"]) == 64 for g in as_json)
    # the text shows the signature the JSON has, in the same form
    assert [line for line in lines if not line.startswith(" ")][:2] == [
        f"{len(g['files'])} files, signature {g['signature']}" for g in as_json]

    again = cli("--config", str(config), "scan")
    assert "6 unchanged; 0 files read" in again.stdout


def test_failures_exit_1_and_are_listed_on_stderr(cli, setup):
    root, _, config = setup
    write(root / "good.jpg", make_image("good"))
    write(root / "bad.jpg", b"")
    write(root / "sub" / "text.jpg", b"not a photo at all")
    result = cli("--config", str(config), "scan")
    assert result.returncode == 1
    assert "2 failed" in result.stdout
    errors = [line for line in result.stderr.splitlines() if ": " in line]
    assert "bad.jpg: empty file (0 bytes)" in errors
    assert any(line.startswith("sub/text.jpg: not an image") for line in errors)


def test_scan_refuses_when_the_state_dir_is_locked(cli, setup):
    root, state, config = setup
    holder = subprocess.Popen([sys.executable, "-c", "import sys; from photosync.state.lock import "
                               "StateLock\nwith StateLock(sys.argv[1]):\n print('ok', flush=True)\n "
                               "sys.stdin.readline()", str(state)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        result = cli("--config", str(config), "scan")
        assert result.returncode == 2
        assert f"process {holder.pid} is already using the state directory" in result.stderr
    finally:
        holder.kill()
        holder.wait()


def run_unprivileged(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """The CLI without root's power to read anything (root in CI: drop the DAC capabilities)."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if not setpriv:
            pytest.skip("running as root without setpriv: cannot make a file unreadable")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    return subprocess.run([*prefix, sys.executable, "-m", "photosync", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_unreadable_file_and_folder(isolated_env, setup):
    root, state, config = setup
    write(root / "a.jpg", make_image("a"))
    write(root / "locked" / "b.jpg", make_image("b"))
    first = run_unprivileged(isolated_env, "--config", str(config), "scan")
    assert first.returncode == 0, first.stderr
    write(root / "c.jpg", make_image("c"))  # new, so it must be read (an unchanged one is not)
    os.chmod(root / "locked", 0)
    os.chmod(root / "c.jpg", 0)
    try:
        second = run_unprivileged(isolated_env, "--config", str(config), "scan")
    finally:
        os.chmod(root / "locked", 0o755)
        os.chmod(root / "c.jpg", 0o644)
    assert second.returncode == 1
    assert "locked: folder not scanned: permission denied" in second.stderr
    assert "c.jpg: permission denied" in second.stderr
    db = sqlite3.connect(state / "photosync.db")
    status = dict(db.execute("SELECT path, status FROM files"))
    # an unreadable folder is not an empty one: its photos are not taken for deleted
    assert status == {"a.jpg": "present", "locked/b.jpg": "present", "c.jpg": "failed"}
    third = run_unprivileged(isolated_env, "--config", str(config), "scan")
    assert third.returncode == 0, third.stderr  # a transient failure is retried
    assert dict(db.execute("SELECT path, status FROM files"))["c.jpg"] == "present"
