"""Who may use the dashboard: the login token, one-time login links, the configured password.

The token is created at the first start (random, ``state_dir/web-token``, mode 0600). ``photosync
web url`` signs a one-time link with it (HMAC over a nonce and an expiry), so the CLI and the
daemon share nothing but the token file; the daemon remembers the nonces already used.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from pathlib import Path

from photosync.atomic import write_atomic
from photosync.log import register_secret
from photosync.state.private import FILE_MODE

TOKEN_FILE = "web-token"
LINK_SECONDS = 600  # a one-time login link works this long


def token(state_dir: Path) -> str:
    """The login token, created on first use (0600); registered as a secret for the log."""
    path = Path(state_dir) / TOKEN_FILE
    try:
        value = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        value = ""
    if not value:
        Path(state_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
        value = secrets.token_urlsafe(32)
        write_atomic(path, value.encode("ascii") + b"\n", mode=FILE_MODE)
    register_secret(value)
    return value


def _sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def one_time_code(secret: str, now: float | None = None) -> str:
    """``nonce.expiry.signature`` for a login link."""
    expiry = int((time.time() if now is None else now) + LINK_SECONDS)
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{expiry}.{_sign(secret, f'login:{nonce}.{expiry}')}"


class Gate:
    """Checks logins; remembers used one-time codes (until they expire)."""

    def __init__(self, secret: str, password: str | None):
        self.secret = secret
        self.password = password
        self._used: dict[str, float] = {}
        self._lock = threading.Lock()

    def session_key(self) -> bytes:
        """The key that signs session cookies: derived from the token, never the token itself."""
        return hmac.new(self.secret.encode(), b"photosync-session", hashlib.sha256).digest()

    def check_secret(self, given: str) -> bool:
        """The login form: the token, or the configured password."""
        given = given.strip()
        ok = hmac.compare_digest(given.encode(), self.secret.encode())
        if self.password:
            ok = ok or hmac.compare_digest(given.encode(), self.password.encode())
        return bool(given) and ok

    def check_bearer(self, header: str | None) -> bool:
        scheme, _, value = (header or "").partition(" ")
        return scheme.lower() == "bearer" and \
            hmac.compare_digest(value.strip().encode(), self.secret.encode())

    def use_code(self, code: str, now: float | None = None) -> bool:
        """A one-time link's code: valid, unexpired and never used before."""
        now = time.time() if now is None else now
        parts = code.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            return False
        nonce, expiry, signature = parts
        expected = _sign(self.secret, f"login:{nonce}.{expiry}")
        if not hmac.compare_digest(signature.encode(), expected.encode()) or int(expiry) < now:
            return False
        with self._lock:
            self._used = {n: t for n, t in self._used.items() if t >= now}
            if nonce in self._used:
                return False
            self._used[nonce] = float(expiry)
        return True
