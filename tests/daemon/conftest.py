"""The daemon in-process against MemoryRemotes (fast), and helpers to wait for what it does."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

import pytest

from photosync.config import Config, parse
from photosync.daemon.service import Service
from photosync.emulators.images import make_image
from photosync.remotes.base import list_all
from photosync.remotes.memory import MemoryRemote


def picture(seed: int | str, size: int = 48) -> bytes:
    taken = datetime(2021, 5, 1) + timedelta(minutes=abs(hash(str(seed))) % 50000)
    return make_image(seed, width=size, height=size * 3 // 4, date_taken=taken)


def put(root: Path, rel: str, seed: int | str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(picture(seed))
    return path


def wait_for(what: Callable[[], object], timeout: float = 20.0, message: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {message or what}")


def names(remote: MemoryRemote) -> list[str]:
    return sorted(i.name for i in list_all(remote).items)


def signatures(remote: MemoryRemote) -> list[str]:
    return sorted(i.signature or "" for i in list_all(remote).items)


DAEMON_YAML = """daemon:
  settle_seconds: {settle}
  poll_minutes: {poll}
  max_batch_delay_seconds: 5
  rescan_seconds: 0.5
  retry_seconds: 0.2
  max_attempts: 3
  web:
    listen: 127.0.0.1:0
"""


class Harness:
    """A Service on a background thread; ``status()`` reads its status file."""

    def __init__(self, tmp: Path, remotes: dict[str, MemoryRemote], settle: float = 0.3,
                 poll: float = 10, extra: str = ""):
        self.tmp = tmp
        self.root = tmp / "photos"
        self.root.mkdir(exist_ok=True)
        self.remotes = remotes
        self.settle, self.poll, self.extra = settle, poll, extra
        self.service: Service | None = None
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def config_text(self) -> str:
        sections = {"flickr": "flickr:\n  api_key: k\n  api_secret: s\n", "drive": "drive: {}\n"}
        return (f"library:\n  root: {self.root}\nstate_dir: {self.tmp / 'state'}\n"
                + "".join(sections[n] for n in self.remotes)
                + DAEMON_YAML.format(settle=self.settle, poll=self.poll) + self.extra)

    def config(self) -> Config:
        return parse(self.config_text(), self.tmp / "config.yaml")

    def start(self, **kwargs) -> Service:
        self.service = Service(self.config(), factory=lambda name, _cfg: self.remotes[name], **kwargs)
        self.error = None

        def run() -> None:
            try:
                self.service.run(install_signals=False)
            except BaseException as exc:  # noqa: BLE001 - reported by stop()
                self.error = exc
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        return self.service

    def stop(self) -> None:
        if self.service is not None and self.thread is not None:
            self.service.request_stop()
            self.thread.join(30)
            assert not self.thread.is_alive(), "the service did not stop"
            self.service, self.thread = None, None
        if self.error:
            raise self.error

    def status(self) -> dict:
        try:
            return json.loads((self.tmp / "state" / "daemon.json").read_text())
        except (OSError, ValueError):
            return {}

    def remote(self, name: str) -> dict:
        return self.status().get("remotes", {}).get(name, {})

    def idle(self) -> bool:
        """Nothing settling, scanning or syncing, and every remote synced at least once."""
        s = self.status()
        remotes = s.get("remotes", {}).values()
        return bool(s) and not s["pending"] and not s["scanning"] and all(
            r["state"] != "syncing" and r["last_finished"] for r in remotes)

    def wait_idle(self, timeout: float = 30) -> dict:
        time.sleep(self.settle / 2)
        wait_for(self.idle, timeout, "the daemon to be idle")
        return self.status()


@pytest.fixture
def harness(tmp_path: Path):
    made: list[Harness] = []

    def make(remotes: dict[str, MemoryRemote], **kwargs) -> Harness:
        h = Harness(tmp_path, remotes, **kwargs)
        made.append(h)
        return h
    yield make
    for h in made:
        h.stop()


@pytest.fixture
def world(tmp_path: Path, flickr_emulator, drive_emulator, isolated_env):
    """``photosync watch`` as a subprocess (not started yet) on a config for both emulators."""
    from tests.daemon.process import Daemon  # it imports this module
    from tests.scenarios.conftest import authorized_config
    root = tmp_path / "photos"
    root.mkdir()
    config, state = authorized_config(
        tmp_path, root, flickr_emulator.url, drive_emulator.url,
        rest="daemon:\n  settle_seconds: 0.5\n  poll_minutes: 0.05\n  max_backoff_minutes: 0.2\n"
             "  web:\n    listen: 127.0.0.1:0\n")
    d = Daemon(config, state, isolated_env, tmp_path / "watch.log")
    d.root, d.flickr, d.drive = root, flickr_emulator.url, drive_emulator.url
    yield d
    d.kill()
