"""`photosync auth status|export|import|revoke` through the CLI."""

from __future__ import annotations

import json
import socket
import stat

from tests.auth.conftest import admin

REVOKED = "Google Drive authorization was revoked or expired: run `photosync auth drive`"


def minted(world) -> dict:
    """Store a Flickr and a Drive token as `photosync auth` would have."""
    flickr = admin(world.flickr.url, "token", {"username": "alice", "perms": "write"})
    flickr = {k: flickr[k] for k in ("oauth_token", "oauth_token_secret", "user_nsid", "username", "fullname",
                                     "perms", "api_key")}
    world.store.save("flickr", flickr)
    world.store.save("drive", admin(world.drive.url, "token", {"account": "bob@example.com"}))
    return flickr


def test_status_names_who_with_which_access(world):
    flickr = minted(world)
    result = world.run("auth", "status")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"Flickr: authorized as alice ({flickr['user_nsid']}), perms write",
        "Flickr: Pro account, 0 items, 0 non-public",
        "Google Drive: authorized as bob@example.com, scope https://www.googleapis.com/auth/drive"]
    assert world.calls(world.flickr, "flickr.test.login") == 1
    assert world.calls(world.drive, "drive.about.get") == 1


def test_status_shows_a_free_accounts_usage_and_warns_when_private_uploads_cannot_fit(world):
    """Issue 17: the kind and limits asked (getUploadStatus + getLimits), the usage counted with
    one-photo pages before any sync (5 calls); flickr.privacy private meets the 50 non-public."""
    flickr = minted(world)
    admin(world.flickr.url, "seed", {"accounts": ["alice"], "photos": 812, "albums": 0,
                                     "width": 40, "height": 30, "video_ratio": 0,
                                     "public_ratio": 0.94})
    admin(world.flickr.url, "account", {"username": "alice", "kind": "free"})
    state = admin(world.flickr.url, "state?hashes=0")
    private = sum(1 for p in state["photos"] if not p["privacy"]["ispublic"])
    result = world.run("auth", "status")
    lines = result.stdout.splitlines()
    assert lines[:2] == [f"Flickr: authorized as alice ({flickr['user_nsid']}), perms write",
                         f"Flickr: free account, 812 of 1,000 items, {private} of 50 non-public"]
    assert lines[2].startswith("  warning: flickr.privacy is private, but a free Flickr account "
                               "keeps at most 50 non-public photos")
    for method in ("flickr.people.getUploadStatus", "flickr.people.getLimits"):
        assert world.calls(world.flickr, method) == 1
    assert world.calls(world.flickr, "flickr.people.getPhotos") == 5
    doc = json.loads(world.run("auth", "status", "--json").stdout)["flickr"]
    assert doc["account"]["kind"] == "free" and doc["account"]["items"] == 812
    assert doc["account"]["limits"] == {"photo_bytes": 200 * 1024 * 1024,
                                        "video_bytes": 1024 * 1024 * 1024, "video_seconds": 180}
    assert doc["warning"].startswith("warning: flickr.privacy is private")


def test_status_json(world):
    minted(world)
    doc = json.loads(world.run("auth", "status", "--json").stdout)
    assert doc["flickr"]["state"] == doc["drive"]["state"] == "authorized"
    assert doc["flickr"]["user"] == "alice" and doc["drive"]["access"].endswith("/auth/drive")


def test_status_when_nothing_is_authorized(world):
    result = world.run("auth", "status")
    assert result.returncode == 0
    assert result.stdout.splitlines() == ["Flickr is not authorized yet: run `photosync auth flickr`",
                                          "Google Drive is not authorized yet: run `photosync auth drive`"]


def test_status_after_revocation_says_what_to_do(world):
    minted(world)
    admin(world.drive.url, "revoke", {"account": "bob@example.com"})
    admin(world.drive.url, "expire", {})
    world.flickr.app.state.access_tokens.clear()  # the user removed photosync on flickr.com
    result = world.run("auth", "status", "--json")
    doc = json.loads(result.stdout)
    assert doc["drive"]["state"] == "revoked" and doc["drive"]["message"] == REVOKED
    assert doc["flickr"]["message"] == "Flickr authorization was revoked or expired: run `photosync auth flickr`"
    assert "Traceback" not in result.stderr


def test_status_refreshes_an_expired_drive_token_and_saves_it(world):
    minted(world)
    old = world.store.load("drive")["token"]
    admin(world.drive.url, "expire", {})
    result = world.run("auth", "status")
    assert result.returncode == 0 and "authorized as bob@example.com" in result.stdout
    assert world.store.load("drive")["token"] != old


def test_status_unreachable_remote_is_exit_3(world):
    minted(world)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    world.write_config(endpoint=f"http://127.0.0.1:{port}")
    result = world.run("auth", "status")
    assert result.returncode == 3
    assert result.stdout.splitlines()[0].startswith(f"Flickr: unreachable: Flickr is unreachable at http://127.0.0.1:{port}")
    assert "Google Drive: authorized as bob@example.com" in result.stdout


def test_world_readable_token_is_refused_with_the_chmod(world):
    minted(world)
    path = world.store.path("drive")
    path.chmod(0o644)
    result = world.run("auth", "status")
    assert result.returncode == 2
    assert f"run `chmod 600 {path}`" in result.stdout


def test_revoke_forgets_the_local_token(world):
    minted(world)
    result = world.run("auth", "revoke", "drive")
    assert result.returncode == 0 and "https://myaccount.google.com/permissions" in result.stdout
    assert world.store.load("drive") is None and world.store.load("flickr") is not None
    assert "no Google Drive token to forget" in world.run("auth", "revoke", "drive").stdout


def test_export_then_import_on_another_machine(world, tmp_path):
    flickr = minted(world)
    exported = tmp_path / "flickr-token.json"
    result = world.run("auth", "export", "flickr", str(exported))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    assert flickr["oauth_token"] not in result.stdout
    doc = json.loads(exported.read_text())
    assert doc["kind"] == "flickr" and doc["token"] == flickr
    nas = world.write_config(state=tmp_path / "nas-state", config=tmp_path / "nas.yaml")
    result = world.cli("--config", str(nas), "auth", "import", str(exported), env=world.env)
    assert result.returncode == 0, result.stderr
    assert "Flickr: imported the token of alice" in result.stdout
    status = world.cli("--config", str(nas), "auth", "status", "--json", env=world.env)
    assert json.loads(status.stdout)["flickr"]["user"] == "alice"


def test_export_without_a_stored_token_runs_the_flow_and_stores_nothing(world, tmp_path):
    exported = tmp_path / "drive-token.json"
    result = world.run("auth", "export", "drive", str(exported))
    assert result.returncode == 0, result.stderr
    assert json.loads(exported.read_text())["token"]["account"] == "tester@example.com"
    assert world.store.load("drive") is None
    assert world.run("auth", "import", str(exported)).returncode == 0
    assert "authorized as tester@example.com" in world.run("auth", "status").stdout


def test_import_refuses_other_files(world, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    result = world.run("auth", "import", str(bad))
    assert result.returncode == 2 and "is not a token file made by `photosync auth export`" in result.stderr
    result = world.run("auth", "import", str(tmp_path / "missing.json"))
    assert result.returncode == 2 and "no such file" in result.stderr


def test_import_refuses_a_flickr_token_for_another_api_key(world, tmp_path):
    flickr = minted(world)
    exported = tmp_path / "t.json"
    exported.write_text(json.dumps({"format": "photosync-token", "version": 1, "kind": "flickr",
                                    "token": {**flickr, "api_key": "f" * 32}}))
    result = world.run("auth", "import", str(exported))
    assert result.returncode == 2 and "made for another API key" in result.stderr


def test_status_of_a_remote_that_is_not_configured(world):
    minted(world)
    text = world.config.read_text()
    world.config.write_text(text[:text.index("drive:")])
    result = world.run("auth", "status")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == ("Google Drive: not-configured: a token for bob@example.com is "
                                              "stored, but drive is not enabled in the config")
    world.store.delete("drive")
    assert world.run("auth", "status").stdout.splitlines()[-1] == "Google Drive: not-configured: no drive: section in the config"


def test_flickr_revoked_mid_sync_is_exit_3_and_drive_still_syncs(world):
    """The user removes photosync on flickr.com while a sync runs (Flickr error 98 from then on)."""
    import subprocess
    import sys
    import time

    from photosync.emulators.images import make_image

    minted(world)
    for n in range(8):
        (world.tmp / "library" / f"p{n}.jpg").write_bytes(make_image(f"revoked-mid-sync-{n}"))
    admin(world.flickr.url, "faults", {"latency_ms": 150})
    proc = subprocess.Popen([sys.executable, "-m", "photosync", "--config", str(world.config), "sync"],
                            env=world.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not world.flickr.app.state.photos and time.monotonic() < deadline:
        time.sleep(0.05)
    world.flickr.app.state.access_tokens.clear()
    out, err = proc.communicate(timeout=120)
    admin(world.flickr.url, "faults", {"latency_ms": 0})
    assert proc.returncode == 3, out + err
    revoked = "Flickr authorization was revoked or expired: run `photosync auth flickr`"
    assert revoked in out + err
    # said once in the report's errors and at most once in the log, not once per queued photo
    assert out.count(revoked) == 1 and err.count(revoked) <= 1, out + err
    assert "flickr: : " not in out
    assert "Traceback" not in err
    assert 0 < len(world.flickr.app.state.photos) < 8
    drive_names = {f["name"] for f in admin(world.drive.url, "state?hashes=0")["files"]
                   if f.get("mimeType", "").startswith("image/")}
    assert drive_names == {f"p{n}.jpg" for n in range(8)}
