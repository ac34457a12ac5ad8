"""Scenario tests: the real CLI as a subprocess against both emulators, on a real library."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from photosync.emulators.images import make_image
from photosync.emulators import admin




@dataclass
class World:
    tmp: Path
    root: Path
    state: Path
    config: Path
    flickr_url: str
    drive_url: str
    cli: Any

    def photo(self, rel: str, seed: int | str, taken: datetime | None = None) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        taken = taken or datetime(2022, 3, 1) + timedelta(minutes=abs(hash(str(seed))) % 100000)
        path.write_bytes(make_image(seed, date_taken=taken))
        return path

    def run(self, *args: str, env: dict | None = None):
        return self.cli("--config", str(self.config), *args, env=env)

    def sync(self, *args: str, expect: int | None = 0) -> dict:
        result = self.run("sync", "--json", *args)
        try:
            doc = json.loads(result.stdout)
        except ValueError:
            raise AssertionError((result.returncode, result.stdout, result.stderr)) from None
        assert expect is None or result.returncode == expect, (
            result.returncode, doc["errors"], doc["messages"], result.stderr[-2000:])
        return doc

    def flickr_photos(self) -> list[dict]:
        return admin(self.flickr_url, "state?hashes=0")["photos"]

    def flickr_sets(self) -> list[dict]:
        return admin(self.flickr_url, "state?hashes=0")["photosets"]

    def drive_files(self) -> list[dict]:
        return [f for f in admin(self.drive_url, "state")["files"] if not f["trashed"]]

    def drive_photos(self) -> list[dict]:
        return [f for f in self.drive_files() if f["mimeType"] != "application/vnd.google-apps.folder"]

    def local(self) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*")
                      if p.is_file() and ".photosync-trash" not in p.parts)


def busy(doc: dict) -> list[dict]:
    """The actions of a report that do something (not skips)."""
    return [a for a in doc["actions"] if a["action"] != "skip"]


def count(doc: dict, remote: str, action: str) -> int:
    return doc["summary"].get(remote, {}).get(action, 0)


def authorized_config(tmp_path: Path, root: Path, flickr_url: str, drive_url: str,
                      library_extra: str = "", rest: str = "") -> tuple[Path, Path]:
    """(config file, state_dir) for both emulators, with a Flickr (delete) and a Drive token
    saved: the set-up every end-to-end world shares."""
    from photosync.auth.tokens import TokenStore
    state = tmp_path / "state"
    creds = admin(flickr_url, "credentials")
    secrets = tmp_path / "drive-client.json"
    secrets.write_text(json.dumps(admin(drive_url, "credentials")))
    config = tmp_path / "config.yaml"
    config.write_text(f"""library:
  root: {root}
{library_extra}state_dir: {state}
flickr:
  api_key: {creds['api_key']}
  api_secret: {creds['api_secret']}
  endpoint: {flickr_url}
drive:
  client_secrets: {secrets}
  endpoint: {drive_url}
{rest}""")
    store = TokenStore(state)
    store.save("flickr", admin(flickr_url, "token", {"username": "testuser", "perms": "delete"}))
    store.save("drive", admin(drive_url, "token", {}))
    return config, state


@pytest.fixture
def world(tmp_path: Path, flickr_emulator, drive_emulator, cli) -> World:
    root = tmp_path / "library"
    root.mkdir()
    config, state = authorized_config(
        tmp_path, root, flickr_emulator.url, drive_emulator.url,
        library_extra="  exclude: ['^\\.', '^Private$']\n",
        rest="  folder: Photos\nsync:\n  max_delete: 5\n")
    return World(tmp_path, root, state, config, flickr_emulator.url, drive_emulator.url, cli)
