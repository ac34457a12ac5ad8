"""No token, refresh token or secret in any output, even with ``-vv`` (libraries' debug logs too)."""

from __future__ import annotations

import json

from photosync.emulators.images import make_image
from tests.auth.conftest import admin

SECRET_KEYS = ("token", "refresh_token", "client_secret", "oauth_token", "oauth_token_secret")


def leaked(text: str, *tokens: dict) -> list[str]:
    return [f"{key}={value[:6]}..." for token in tokens for key, value in token.items()
            if key in SECRET_KEYS and isinstance(value, str) and value and value in text]


def test_vv_authorize_refresh_and_sync_never_show_a_secret(world):
    out = []
    for remote in ("drive", "flickr"):
        result = world.run("-vv", "auth", remote)
        assert result.returncode == 0, result.stderr
        out.append(result.stdout + result.stderr)
    assert "DEBUG" in out[0]  # -vv really shows the libraries' debug lines
    first_drive = world.store.load("drive")
    admin(world.drive.url, "expire", {})  # the next call refreshes the access token
    (world.tmp / "library" / "a.jpg").write_bytes(make_image("vv-secret"))
    for args in (("auth", "status"), ("sync",)):
        result = world.run("-vv", *args)
        assert result.returncode == 0, result.stdout + result.stderr
        out.append(result.stdout + result.stderr)
    drive, flickr = world.store.load("drive"), world.store.load("flickr")
    assert drive["token"] != first_drive["token"]  # refreshed during the runs above
    client = json.loads(world.secrets.read_text())["installed"]
    everything = "\n".join(out)
    assert leaked(everything, first_drive, drive, flickr, {"client_secret": client["client_secret"]}) == []
