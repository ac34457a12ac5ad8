"""TokenStore: 0600 files written atomically, refused when others can read them, secrets masked."""

from __future__ import annotations

import os
import stat

import pytest

from photosync.atomic import is_partial
from photosync.auth.tokens import TokenStore
from photosync.errors import UsageError
from photosync.log import redact

FLICKR = {"oauth_token": "72157720000000001-abcdef0123", "oauth_token_secret": "s3cr3t-0123456",
          "user_nsid": "1@N01", "username": "u", "fullname": "U", "perms": "write", "api_key": "k" * 32}


def test_save_then_load_round_trips_with_mode_0600(tmp_path):
    store = TokenStore(tmp_path / "state")
    old = os.umask(0o000)  # even a permissive umask must not widen the file's mode
    try:
        path = store.save("flickr", FLICKR)
    finally:
        os.umask(old)
    assert path == tmp_path / "state" / "tokens" / "flickr.json" == store.path("flickr")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert store.load("flickr") == FLICKR
    assert [p.name for p in path.parent.iterdir()
            if p.name.endswith(".tmp") or is_partial(p.name)] == []  # no temp file left


def test_load_of_a_missing_token_is_none(tmp_path):
    assert TokenStore(tmp_path).load("drive") is None


def test_a_token_others_can_read_is_refused_with_the_chmod_to_run(tmp_path):
    store = TokenStore(tmp_path)
    path = store.save("drive", {"token": "ya29.abcdefgh", "refresh_token": "1//0abcdefgh"})
    path.chmod(0o644)
    with pytest.raises(UsageError) as err:
        store.load("drive")
    assert f"run `chmod 600 {path}`" in str(err.value)
    path.chmod(0o600)
    assert store.load("drive")["token"] == "ya29.abcdefgh"


def test_save_replaces_atomically_and_keeps_0600_after_a_chmod(tmp_path):
    store = TokenStore(tmp_path)
    path = store.save("flickr", FLICKR)
    inode = path.stat().st_ino
    store.save("flickr", {**FLICKR, "perms": "delete"})
    assert path.stat().st_ino != inode  # a new file renamed over the old one, never rewritten in place
    assert store.load("flickr")["perms"] == "delete"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_damaged_token_file_says_to_authorize_again(tmp_path):
    store = TokenStore(tmp_path)
    store.save("drive", {"token": "x"})
    store.path("drive").write_text("{not json")
    with pytest.raises(UsageError, match="damaged: run `photosync auth drive` again"):
        store.load("drive")


def test_delete_forgets_and_says_whether_there_was_one(tmp_path):
    store = TokenStore(tmp_path)
    store.save("flickr", FLICKR)
    assert store.delete("flickr") is True
    assert store.load("flickr") is None
    assert store.delete("flickr") is False


def test_token_values_are_masked_in_messages(tmp_path):
    store = TokenStore(tmp_path)
    store.save("drive", {"token": "ya29.very-secret-access", "refresh_token": "1//0-very-secret-refresh",
                         "client_secret": "GOCSPX-client-secret"})
    TokenStore(tmp_path).load("drive")
    for secret in ("ya29.very-secret-access", "1//0-very-secret-refresh", "GOCSPX-client-secret"):
        assert secret not in redact(f"oops {secret} leaked")
