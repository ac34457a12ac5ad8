"""`photosync auth drive` through the CLI against the Drive emulator, with a scripted browser."""

from __future__ import annotations

import json
import socket
from urllib.parse import parse_qs, urlsplit

from tests.auth.conftest import admin, location_of


def test_browser_flow_stores_an_offline_token(world):
    result = world.run("-v", "auth", "drive")
    assert result.returncode == 0, result.stderr
    token = world.store.load("drive")
    assert set(token) == {"token", "refresh_token", "token_uri", "client_id", "client_secret", "scopes",
                          "expiry", "account", "authorized_at"}
    assert token["refresh_token"] and token["token_uri"] == f"{world.drive.url}/token"
    assert token["account"] == "tester@example.com" and token["scopes"] == ["https://www.googleapis.com/auth/drive"]
    assert "Google Drive: authorized as tester@example.com" in result.stdout
    for secret in (token["token"], token["refresh_token"], token["client_secret"]):
        assert secret not in result.stdout + result.stderr
    assert oct(world.store.path("drive").stat().st_mode & 0o777) == "0o600"


def test_configured_scope_and_consent_page(world):
    world.drive.app.auto_approve = False
    admin(world.drive.url, "account", {"account": "nas-owner@example.com"})
    world.write_config("  scope: https://www.googleapis.com/auth/drive.file\n")  # inside drive:
    result = world.run("auth", "drive")
    assert result.returncode == 0, result.stderr
    token = world.store.load("drive")
    assert token["scopes"] == ["https://www.googleapis.com/auth/drive.file"]
    assert token["account"] == "nas-owner@example.com"


def test_denied_in_the_browser_is_one_line_exit_3(world):
    world.drive.app.auto_approve = False
    result = world.run("auth", "drive", env={"FAKE_BROWSER_DECISION": "deny"})
    assert result.returncode == 3
    assert result.stderr.strip() == ("photosync: Google Drive access was denied in the browser: run `photosync "
                                     "auth drive` again and choose Allow")
    assert world.store.load("drive") is None


def test_callback_with_a_wrong_state_is_refused_before_any_exchange(world):
    result = world.run("auth", "drive", env={"FAKE_BROWSER_TAMPER": "state"})
    assert result.returncode == 3
    assert "wrong state" in result.stderr and "Traceback" not in result.stderr
    assert world.calls(world.drive, "oauth2.token") == 0
    assert world.store.load("drive") is None


def test_missing_client_secrets_file(world):
    world.secrets.unlink()
    result = world.run("auth", "drive")
    assert result.returncode == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert line.startswith(f"photosync: drive.client_secrets: {world.secrets} does not exist: download the JSON")


def test_invalid_client_secrets_files(world):
    world.secrets.write_text("{oops")
    result = world.run("auth", "drive")
    assert result.returncode == 2 and f"{world.secrets} is not JSON" in result.stderr
    world.secrets.write_text(json.dumps({"installed": {"client_id": "x"}}))
    result = world.run("auth", "drive")
    assert result.returncode == 2
    assert "is not an OAuth client secrets file (no client_secret, auth_uri, token_uri)" in result.stderr


def test_config_check_reports_a_missing_or_wrong_client_secrets_file(world):
    assert world.run("config", "check").returncode == 0
    world.secrets.write_text(json.dumps({"api_key": "x"}))
    result = world.run("config", "check")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (f"photosync: config error: {world.config}: drive.client_secrets: {world.secrets} "
            "is not an OAuth client secrets file") in result.stderr
    world.secrets.unlink()
    result = world.run("config", "check")
    assert result.returncode == 2
    assert (f"drive.client_secrets: {world.secrets} does not exist: download the JSON"
            in result.stderr)
    world.write_config("  enabled: false\n")  # not used: not checked
    assert world.run("config", "check").returncode == 0


def test_auth_drive_with_drive_disabled_says_so(world):
    world.write_config("  enabled: false\n")
    for command in (("auth", "drive"), ("auth", "export", "drive")):
        result = world.run(*command)
        assert result.returncode == 2
        assert result.stderr.strip() == (
            f"photosync: Google Drive is disabled in {world.config}: add a drive: section (or set "
            "drive.enabled: true) first")
    assert world.calls(world.drive, "oauth2.token") == 0


def test_client_secrets_of_another_client_is_named_at_the_exchange(world):
    doc = json.loads(world.secrets.read_text())
    doc["installed"]["client_secret"] = "not-the-secret-of-this-client"
    world.secrets.write_text(json.dumps(doc))
    result = world.run("auth", "drive")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"drive.client_secrets: Google does not know the OAuth client in {world.secrets} " \
           "(invalid_client)" in result.stderr
    assert world.store.load("drive") is None


def test_port_in_use_is_exit_2(world):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = world.run("auth", "drive", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"photosync: port {port} on 127.0.0.1 is in use: pick another with --port, "
                                     f"or leave --port out to use a free one")


def test_fixed_port_is_used_for_the_redirect(world):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = world.run("auth", "drive", "--port", str(port), env={"FAKE_BROWSER_LOG": str(world.tmp / "v")})
    assert result.returncode == 0, result.stderr
    assert (world.tmp / "v").read_text().splitlines()[-1].startswith(f"http://127.0.0.1:{port}/?")


def test_timeout_waiting_for_the_browser(world):
    result = world.run("auth", "drive", "--timeout", "1", env={"BROWSER": "true"})  # opens nothing
    assert result.returncode == 3
    assert result.stderr.strip() == ("photosync: no answer from the browser within 1 s: run the command again "
                                     "(--timeout SECONDS waits longer)")


def test_headless_paste_of_the_redirect_address(world):
    code, out, err = world.paste_flow("drive", lambda redirect: redirect)
    assert code == 0, err
    assert "Then paste here the address your browser was sent to" in out
    assert world.store.load("drive")["account"] == "tester@example.com"


def test_headless_paste_with_a_forged_state(world):
    def forge(redirect: str) -> str:
        query = parse_qs(urlsplit(redirect).query)
        return redirect.replace(query["state"][0], "forged")
    code, out, err = world.paste_flow("drive", forge)
    assert code == 3 and "wrong state" in err
    assert world.store.load("drive") is None


def test_no_usable_browser_falls_back_to_paste(world):
    world.env["BROWSER"] = "false"  # a browser command that fails, as on a machine without one
    proc = world.popen("auth", "drive", "--timeout", "60")
    printed = []
    for line in proc.stdout:
        printed.append(line)
        if line.startswith("Open this address"):
            break
    url = next(proc.stdout).strip()
    proc.stdin.write(location_of(url) + "\n")
    proc.stdin.close()
    out, err = proc.stdout.read(), proc.stderr.read()
    assert proc.wait(timeout=60) == 0, err
    assert "Could not start a browser on this machine." in "".join(printed)
    assert world.store.load("drive")["refresh_token"]
