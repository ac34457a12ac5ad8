"""Unmodified peer tools from PyPI against the Flickr emulator: what they trust, it must serve.

``flickr_download`` (on the ``flickr_api`` package, not flickrapi) runs as a subprocess through
``flickr_download_run.py``, which only points its URL constants at the emulator.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from photosync.emulators import admin

RUNNER = Path(__file__).with_name("flickr_download_run.py")


def flickr_download(url: str, token: dict, work: Path, home: Path, *args: str):
    result = subprocess.run(
        [sys.executable, str(RUNNER), url, "-k", token["api_key"], "-s", token["api_secret"],
         "-t", "-n", "id", *args], cwd=work, env={**os.environ, "HOME": str(home)},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_flickr_download_mirrors_a_seeded_account_and_reruns_without_per_photo_calls(
        flickr_emulator, tmp_path):
    url = flickr_emulator.url
    admin(url, "seed", {"accounts": ["testuser"], "photos": 12, "albums": 1, "video_ratio": 0,
                        "comment_ratio": 0.3, "seed": 4})
    token = admin(url, "token", {"username": "testuser", "perms": "read"})
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    (home / ".flickr_token").write_text(f"{token['oauth_token']}\n{token['oauth_token_secret']}")
    run = ("-p", "testuser", "-j", "--metadata_store")
    flickr_download(url, token, work, home, *run)
    mine = [p for p in admin(url, "state")["photos"] if p["owner"] == token["user_nsid"]]
    assert len(mine) == 12
    for photo in mine:
        file = work / "testuser" / f"{photo['id']}.jpg"
        assert hashlib.sha256(file.read_bytes()).hexdigest() == photo["sha256"], photo["id"]
        assert file.with_name(file.name + ".json").stat().st_size > 0
    before = admin(url, "calls")
    flickr_download(url, token, work, home, *run)
    after = admin(url, "calls")
    spent = {m: n - before["methods"].get(m, 0) for m, n in after["methods"].items()
             if n != before["methods"].get(m, 0)}
    assert spent == {"flickr.people.findByUsername": 1, "flickr.people.getPhotos": 1}, spent
