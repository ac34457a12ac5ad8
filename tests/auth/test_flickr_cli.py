"""`photosync auth flickr` through the CLI against the Flickr emulator, with a scripted browser."""

from __future__ import annotations

import os
import socket
import urllib.request
from urllib.parse import parse_qs, urlsplit


def access_token_perms(world, token: str) -> str:
    return world.flickr.app.state.access_tokens[token].perms


def test_browser_flow_stores_a_write_token(world):
    result = world.run("-v", "auth", "flickr")
    assert result.returncode == 0, result.stderr
    assert "write permission" in result.stdout
    token = world.store.load("flickr")
    assert set(token) == {"oauth_token", "oauth_token_secret", "user_nsid", "username", "fullname", "perms", "api_key"}
    assert token["username"] == "testuser" and token["perms"] == "write"
    assert access_token_perms(world, token["oauth_token"]) == "write"
    assert f"authorized as testuser ({token['user_nsid']})" in result.stdout
    for secret in (token["oauth_token"], token["oauth_token_secret"]):
        assert secret not in result.stdout + result.stderr
    assert oct(world.store.path("flickr").stat().st_mode & 0o777) == "0o600"


def test_delete_policy_asks_for_delete_and_says_why(world):
    world.write_config("sync:\n  on_local_delete: delete-remote\n")
    result = world.run("auth", "flickr")
    assert result.returncode == 0, result.stderr
    assert "delete permission, because sync.on_local_delete is delete-remote" in result.stdout
    token = world.store.load("flickr")
    assert token["perms"] == "delete" == access_token_perms(world, token["oauth_token"])


def test_approval_page_allow_is_clicked(world):
    world.flickr.app.auto_approve = False
    result = world.run("auth", "flickr", env={"FAKE_BROWSER_LOG": str(world.tmp / "visited")})
    assert result.returncode == 0, result.stderr
    visited = (world.tmp / "visited").read_text().splitlines()
    assert visited[-1].startswith("http://127.0.0.1:") and "oauth_verifier=" in visited[-1]
    assert world.store.load("flickr")["username"] == "testuser"


def test_denied_in_the_browser_is_one_line_exit_3(world):
    world.flickr.app.auto_approve = False
    result = world.run("auth", "flickr", env={"FAKE_BROWSER_DECISION": "deny"})
    assert result.returncode == 3
    assert result.stderr.strip() == ("photosync: Flickr access was denied in the browser: run `photosync auth "
                                     "flickr` again and choose to authorize photosync")
    assert world.store.load("flickr") is None


def test_callback_with_another_request_token_is_refused(world):
    result = world.run("auth", "flickr", env={"FAKE_BROWSER_TAMPER": "oauth_token"})
    assert result.returncode == 3
    assert "another authorization request than this one" in result.stderr and "Traceback" not in result.stderr
    assert world.store.load("flickr") is None


def test_api_key_rejected_is_error_100_exit_2(world):
    world.write_config(api_key="0" * 32)
    result = world.run("auth", "flickr")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("photosync: Flickr rejected flickr.api_key (error 100")
    assert len(result.stderr.strip().splitlines()) == 1


def test_wrong_api_secret_is_named(world):
    world.write_config(api_secret="0123456789abcdef")
    result = world.run("auth", "flickr")
    assert result.returncode == 2
    assert "flickr.api_secret does not belong to flickr.api_key" in result.stderr


def test_unreachable_flickr_is_exit_3(world):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    world.write_config(endpoint=f"http://127.0.0.1:{port}")
    result = world.run("auth", "flickr")
    assert result.returncode == 3 and "Flickr is unreachable" in result.stderr
    assert "Traceback" not in result.stderr


def test_headless_paste_of_the_redirect_address(world):
    code, out, err = world.paste_flow("flickr", lambda redirect: redirect)
    assert code == 0, err
    assert "Open this address in a browser on any computer" in out
    assert world.store.load("flickr")["username"] == "testuser"


def test_headless_paste_of_the_verifier_code_alone(world):
    code, out, err = world.paste_flow("flickr", lambda redirect: parse_qs(urlsplit(redirect).query)["oauth_verifier"][0])
    assert code == 0, err
    assert world.store.load("flickr")["user_nsid"]


def test_headless_paste_of_garbage_is_exit_2(world):
    code, out, err = world.paste_flow("flickr", lambda redirect: "what is this?")
    assert code == 2 and "neither the address the browser was sent to nor a verification code" in err


def test_headless_through_an_ssh_tunnel_needs_no_paste(world):
    """With `ssh -L PORT:127.0.0.1:PORT nas`, the desktop browser's redirect reaches the NAS's server."""
    proc = world.popen("auth", "flickr", "--no-browser", "--timeout", "60")
    for line in proc.stdout:
        if line.strip().startswith("http"):
            break
    with urllib.request.urlopen(line.strip(), timeout=30) as answer:  # follows the redirect to the callback
        assert b"You can close this tab" in answer.read()
    proc.stdin.close()
    out, err = proc.stdout.read(), proc.stderr.read()
    assert proc.wait(timeout=60) == 0, err
    assert world.store.load("flickr")["username"] == "testuser"


def test_auth_talks_to_the_same_flickr_hosts_as_the_sync():
    from types import SimpleNamespace

    from photosync.auth.flickr_auth import flickr_api
    from photosync.remotes.flickr_api import Endpoints

    for endpoint in ("https://www.flickr.com", "http://127.0.0.1:8123/"):
        api = flickr_api(SimpleNamespace(flickr=SimpleNamespace(api_key="k", api_secret="s", endpoint=endpoint)))
        urls = Endpoints.derive(endpoint)
        assert api.REST_URL == urls.rest
        assert api.flickr_oauth.AUTHORIZE_URL == urls.oauth + "authorize"
        assert api.flickr_oauth.ACCESS_TOKEN_URL == urls.oauth + "access_token"


def _modes(folder) -> dict[str, str]:
    return {str(p.relative_to(folder.parent)): oct(p.stat().st_mode & 0o777)
            for p in [folder, *folder.rglob("*")]}


def test_the_state_folder_is_private_when_auth_runs_first(world):
    """The README's order (auth, then sync) under the usual umask: the state folder holds the
    tokens and the original secrets of private photos, so 0700 folders and 0600 files."""
    from photosync.emulators.images import make_image
    (world.tmp / "library" / "a.jpg").write_bytes(make_image(1))
    umask = os.umask(0o022)
    try:
        assert world.run("auth", "flickr").returncode == 0
        result = world.run("sync", "--remote", "flickr")
    finally:
        os.umask(umask)
    assert result.returncode == 0, result.stderr
    modes = _modes(world.state)
    written = {"state/photosync.db", "state/flickr-albums.json", "state/tokens/flickr.json"}
    assert written <= set(modes)
    assert modes == {path: "0o700" if (world.tmp / path).is_dir() else "0o600" for path in modes}
    assert "made private" not in result.stderr  # nothing was ever loose


def test_an_existing_readable_state_folder_is_tightened_and_said_once(world):
    assert world.run("auth", "flickr").returncode == 0
    os.chmod(world.state, 0o755)
    os.chmod(world.state / "tokens", 0o755)
    (world.state / "photosync.db").write_bytes(b"")
    os.chmod(world.state / "photosync.db", 0o644)
    (world.state / "notes.txt").write_text("the user's own file: left alone")
    os.chmod(world.state / "notes.txt", 0o644)
    result = world.run("status")
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if "made private" in line] == [
        f"photosync: state_dir {world.state}: 3 item(s) were readable by other users; made "
        "private (folders 0700, files 0600)"]
    modes = _modes(world.state)
    assert modes.pop("state/notes.txt") == "0o644"
    assert set(modes.values()) <= {"0o700", "0o600"}, modes
    assert "made private" not in world.run("status").stderr
