"""Mirror tests: the real CLI as a subprocess against the Flickr emulator."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from photosync.emulators import admin


@dataclass
class Mirror:
    tmp: Path
    dest: Path
    config: Path
    url: str
    cli: Any
    nsid: str

    def run(self, *args: str, dest: Path | None = None, expect: int | None = 0):
        result = self.cli("--config", str(self.config), "mirror", "flickr", *args,
                          str(dest or self.dest), "--statistics")
        assert expect is None or result.returncode == expect, (result.returncode, result.stdout,
                                                               result.stderr[-3000:])
        return result

    def stats(self, result) -> dict[str, str]:
        """The --statistics block as {name: value}."""
        lines = result.stdout.split("statistics:", 1)[1].splitlines()
        return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in lines) if v}

    def state(self) -> dict:
        return admin(self.url, "state?hashes=0")

    def mine(self) -> list[dict]:
        return [p for p in self.state()["photos"] if p["owner"] == self.nsid]

    def files(self, dest: Path | None = None) -> list[str]:
        folder = (dest or self.dest) / "photostream"
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []

    def calls(self) -> dict:
        return admin(self.url, "calls")


def make_mirror(tmp_path: Path, url: str, cli: Any, seed: dict, page_size: int = 500,
                workers: int = 4) -> Mirror:
    from photosync.auth.tokens import TokenStore
    admin(url, "seed", seed)
    token = admin(url, "token", {"username": "testuser", "perms": "read"})
    state = tmp_path / "state"
    TokenStore(state).save("flickr", token)
    library = tmp_path / "library"
    library.mkdir(exist_ok=True)
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({
        "library": {"root": str(library)}, "state_dir": str(state),
        "flickr": {"api_key": token["api_key"], "api_secret": token["api_secret"], "endpoint": url,
                   "mirror_page_size": page_size},
        "sync": {"workers": workers}}))
    return Mirror(tmp_path, tmp_path / "mirror", config, url, cli, token["user_nsid"])


@pytest.fixture
def small(tmp_path: Path, flickr_emulator, cli) -> Mirror:
    """30 photos of testuser (some videos, albums, nested collections), pages of 7."""
    return make_mirror(tmp_path, flickr_emulator.url, cli,
                       {"accounts": ["testuser"], "photos": 30, "albums": 4, "video_ratio": 0.15,
                        "comment_ratio": 0.3, "public_ratio": 0.5, "seed": 3}, page_size=7)
