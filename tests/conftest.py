"""Fixtures shared by the whole suite: the CLI as a subprocess, isolated XDG dirs."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """XDG dirs inside tmp_path so no test touches the real user's config or state."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOSYNC_")}
    for name in ("CONFIG", "STATE", "DATA", "CACHE"):
        folder = tmp_path / "xdg" / name.lower()
        folder.mkdir(parents=True)
        env[f"XDG_{name}_HOME"] = str(folder)
        monkeypatch.setenv(f"XDG_{name}_HOME", str(folder))
    env["HOME"] = str(tmp_path / "home")
    (tmp_path / "home").mkdir()
    return env


@pytest.fixture
def cli(isolated_env: dict[str, str]):
    """Run ``photosync ARGS`` as a subprocess; returns exit code, stdout, stderr."""
    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
            input: str | None = None) -> Result:
        full_env = dict(isolated_env)
        full_env.update(env or {})
        proc = subprocess.run([sys.executable, "-m", "photosync", *args], capture_output=True,
                              text=True, env=full_env, timeout=timeout, input=input)
        return Result(proc.returncode, proc.stdout, proc.stderr)
    return run


@pytest.fixture
def drive_emulator():
    """A fresh in-process Google Drive emulator (OAuth auto-approves): ``.url``, ``.app``, faults via
    ``POST {url}/_admin/faults``. See ``photosync/emulators/drive.py`` for its admin routes."""
    from photosync.emulators import start
    server = start("drive", auto_approve=True)
    yield server
    server.stop()


@pytest.fixture
def drive_service(drive_emulator):
    """``drive_service(account="tester@example.com", scopes=None)`` -> a real googleapiclient Drive
    v3 service authorized on ``drive_emulator`` (one per thread: httplib2 is not thread-safe)."""
    from photosync.emulators.drive_client import service_for

    def make(**account):
        return service_for(drive_emulator.url, **account)
    return make


@pytest.fixture
def flickr_emulator():
    """A fresh in-process Flickr emulator (OAuth auto-approves, no rate limit): ``.url``, ``.app``
    (``.app.state`` is the data), admin routes as documented in ``photosync/emulators/flickr_admin.py``."""
    from photosync.emulators import start
    server = start("flickr", auto_approve=True, rate_limit=0)
    yield server
    server.stop()


@pytest.fixture
def flickr_client(flickr_emulator):
    """``flickr_client(perms="delete", username="testuser", format="parsed-json")`` -> a real
    flickrapi.FlickrAPI pointed at ``flickr_emulator`` holding a minted access token."""
    from photosync.emulators.flickr_testing import authorized_flickrapi

    def make(perms: str = "delete", username: str = "testuser", format: str = "parsed-json"):
        return authorized_flickrapi(flickr_emulator.url, perms=perms, username=username, format=format)
    return make
