"""The auth tests' world: both emulators, a config pointing at them, the scripted browser."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

from photosync.auth.tokens import TokenStore
from photosync.emulators import admin

FAKE_BROWSER = str(Path(__file__).with_name("fake_browser.py"))




@dataclass
class AuthWorld:
    tmp: Path
    state: Path
    config: Path
    secrets: Path
    flickr: Any  # the emulator server (.url, .app)
    drive: Any
    cli: Any
    env: dict[str, str]

    @property
    def store(self) -> TokenStore:
        return TokenStore(self.state)

    def run(self, *args: str, env: dict | None = None, **kwargs):
        return self.cli("--config", str(self.config), *args, env={**self.env, **(env or {})}, **kwargs)

    def write_config(self, extra: str = "", state: Path | None = None, config: Path | None = None,
                     **flickr: str) -> Path:
        """Write the config (or another one); ``flickr`` overrides api_key, api_secret, endpoint."""
        values = {**admin(self.flickr.url, "credentials"), "endpoint": self.flickr.url, **flickr}
        config = config or self.config
        config.write_text(f"""library:
  root: {self.tmp / 'library'}
state_dir: {state or self.state}
flickr:
  api_key: {values['api_key']}
  api_secret: {values['api_secret']}
  endpoint: {values['endpoint']}
drive:
  client_secrets: {self.secrets}
  endpoint: {self.drive.url}
{extra}""")
        return config

    def popen(self, *args: str) -> subprocess.Popen:
        """The CLI as a live process, for the paste flow (stdin/stdout pipes)."""
        return subprocess.Popen([sys.executable, "-m", "photosync", "--config", str(self.config), *args],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=self.env)

    def paste_flow(self, remote: str, answer: Callable[[str], str], *args: str) -> tuple[int, str, str]:
        """`auth REMOTE --no-browser`: open the printed address elsewhere (redirects not followed:
        nothing listens there), then paste ``answer(redirect address)`` on stdin."""
        proc = self.popen("auth", remote, "--no-browser", "--timeout", "60", *args)
        try:
            printed = []
            for line in proc.stdout:
                printed.append(line)
                if line.strip().startswith("http"):
                    break
            redirect = location_of(printed[-1].strip())
            proc.stdin.write(answer(redirect) + "\n")
            proc.stdin.close()
            out, err = proc.stdout.read(), proc.stderr.read()  # communicate() would skip read-ahead text
            proc.wait(timeout=60)
        finally:
            proc.kill()
        return proc.returncode, "".join(printed) + out, err

    def calls(self, emulator: Any, method: str) -> int:
        return admin(emulator.url, "calls")["methods"].get(method, 0)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def location_of(url: str) -> str:
    """Where the (auto-approving) authorization page sends the browser, without going there."""
    try:
        urllib.request.build_opener(_NoRedirect).open(url, timeout=30)
    except urllib.error.HTTPError as exc:
        if exc.code in (301, 302, 303):
            return exc.headers["Location"]
        raise
    raise AssertionError(f"{url} did not redirect")


@pytest.fixture
def world(tmp_path: Path, flickr_emulator, drive_emulator, cli, isolated_env) -> AuthWorld:
    (tmp_path / "library").mkdir()
    secrets = tmp_path / "drive-client.json"
    secrets.write_text(json.dumps(admin(drive_emulator.url, "credentials")))
    env = {**isolated_env, "BROWSER": FAKE_BROWSER}
    env.pop("OAUTHLIB_INSECURE_TRANSPORT", None)
    w = AuthWorld(tmp_path, tmp_path / "state", tmp_path / "config.yaml", secrets, flickr_emulator,
                  drive_emulator, cli, env)
    w.write_config()
    return w


@pytest.fixture(autouse=True)
def _no_insecure_transport_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process tests may set OAUTHLIB_INSECURE_TRANSPORT: restore it after each test."""
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
