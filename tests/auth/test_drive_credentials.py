"""load_credentials: refresh through the token file (re-read first, saved after), revocation."""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace

import google.auth.transport.requests
import pytest

from photosync.auth.drive_credentials import allow_loopback_http, load_credentials
from photosync.auth.tokens import TokenStore
from photosync.emulators.drive_client import admin
from photosync.errors import EXIT_REMOTE, AuthorizationNeeded

REVOKED = "Google Drive authorization was revoked or expired: run `photosync auth drive`"


@pytest.fixture
def drive(drive_emulator, tmp_path):
    store = TokenStore(tmp_path / "state")
    store.save("drive", admin(drive_emulator.url, "token", {}))
    config = SimpleNamespace(drive=SimpleNamespace(endpoint=drive_emulator.url))
    return SimpleNamespace(url=drive_emulator.url, store=store, config=config, state=tmp_path / "state")


def token_calls(url: str) -> int:
    return admin(url, "calls")["methods"].get("oauth2.token", 0)


def refresh(creds) -> None:
    creds.refresh(google.auth.transport.requests.Request())


def test_no_token_means_authorization_needed(tmp_path, drive_emulator):
    config = SimpleNamespace(drive=SimpleNamespace(endpoint=drive_emulator.url))
    with pytest.raises(AuthorizationNeeded) as err:
        load_credentials(config, tmp_path)
    assert str(err.value) == "Google Drive is not authorized yet: run `photosync auth drive`"
    assert err.value.exit_code == EXIT_REMOTE


def test_stored_token_keeps_its_token_uri_and_expiry(drive):
    creds = load_credentials(drive.config, drive.state)
    assert creds.token_uri == f"{drive.url}/token"
    assert creds.valid and creds.expiry is not None
    assert creds.refresh_token == drive.store.load("drive")["refresh_token"]


def test_refresh_saves_the_new_token_atomically(drive):
    creds = load_credentials(drive.config, drive.state)
    old = creds.token
    admin(drive.url, "expire", {})
    refresh(creds)
    stored = drive.store.load("drive")
    assert creds.token != old and stored["token"] == creds.token
    assert stored["account"] == "tester@example.com" and stored["expiry"].endswith("Z")
    assert oct(drive.store.path("drive").stat().st_mode & 0o777) == "0o600"


def test_revoked_refresh_token_is_the_one_line_with_exit_3(drive):
    creds = load_credentials(drive.config, drive.state)
    admin(drive.url, "revoke", {"account": "tester@example.com"})
    with pytest.raises(AuthorizationNeeded) as err:
        refresh(creds)
    assert str(err.value) == REVOKED and err.value.exit_code == EXIT_REMOTE


def test_a_second_process_adopts_the_token_the_first_one_refreshed(drive):
    daemon = load_credentials(drive.config, drive.state)
    one_shot = load_credentials(drive.config, drive.state)
    admin(drive.url, "expire", {})
    before = token_calls(drive.url)
    refresh(one_shot)
    refresh(daemon)  # re-reads the file: a newer valid token is there, no second refresh
    assert daemon.token == one_shot.token
    assert token_calls(drive.url) == before + 1


def test_concurrent_refreshes_ask_google_once(drive):
    creds = [load_credentials(drive.config, drive.state) for _ in range(4)]
    admin(drive.url, "expire", {})
    before = token_calls(drive.url)
    threads = [threading.Thread(target=refresh, args=(c,)) for c in creds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert token_calls(drive.url) == before + 1
    assert len({c.token for c in creds}) == 1 and creds[0].token == drive.store.load("drive")["token"]


def test_a_reauthorization_meanwhile_is_picked_up(drive):
    daemon = load_credentials(drive.config, drive.state)
    admin(drive.url, "revoke", {"account": "tester@example.com"})
    fresh = admin(drive.url, "token", {})  # `photosync auth drive` ran in another terminal
    drive.store.save("drive", fresh)
    refresh(daemon)  # adopts the new, valid token from the file
    assert (daemon.token, daemon.refresh_token) == (fresh["token"], fresh["refresh_token"])


def test_a_newer_refresh_token_in_the_file_is_used_to_refresh(drive):
    daemon = load_credentials(drive.config, drive.state)
    admin(drive.url, "revoke", {"account": "tester@example.com"})
    fresh = admin(drive.url, "token", {})
    drive.store.save("drive", {**fresh, "expiry": "2000-01-01T00:00:00Z"})  # its access token is stale
    refresh(daemon)  # the daemon's own refresh token is revoked; the file's works
    assert daemon.refresh_token == fresh["refresh_token"] and daemon.token != fresh["token"]
    assert drive.store.load("drive")["token"] == daemon.token


def test_a_token_forgotten_meanwhile_stops_the_refresh(drive):
    creds = load_credentials(drive.config, drive.state)
    drive.store.delete("drive")
    with pytest.raises(AuthorizationNeeded, match="not authorized yet"):
        refresh(creds)


def test_insecure_transport_only_for_loopback_http(monkeypatch):
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    allow_loopback_http("https://www.googleapis.com", "https://oauth2.googleapis.com/token")
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ
    allow_loopback_http("http://192.168.1.5:8080", "http://127.0.0.1:9/token")
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ
    allow_loopback_http("http://127.0.0.1:8080", "http://localhost:9/token", "http://[::1]:7/x")
    assert os.environ["OAUTHLIB_INSECURE_TRANSPORT"] == "1"
