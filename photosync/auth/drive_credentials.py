"""Google Drive credentials from the stored token, refreshed without fighting other processes.

A daemon and a one-shot run may hold credentials from the same token file. Before refreshing,
the file is re-read under a lock: when another process already stored a newer valid access token,
it is adopted instead of asking Google again; a refresh token renewed by `photosync auth drive`
is picked up too. A refreshed token is saved atomically. A revoked or expired refresh token
becomes :class:`AuthorizationNeeded` with the one line that says what to do.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from typing import Any
from urllib.parse import urlsplit

from google.auth import _helpers
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials

from photosync.auth.tokens import TokenStore
from photosync.errors import AuthorizationNeeded

NAME = "drive"
NOT_AUTHORIZED = "Google Drive is not authorized yet: run `photosync auth drive`"
REVOKED = "Google Drive authorization was revoked or expired: run `photosync auth drive`"
BAD_CLIENT = (
    "Google Drive refused the OAuth client (invalid_client): check drive.client_secrets, "
    "then run `photosync auth drive`"
)
EXPIRY_FORMAT = "%Y-%m-%dT%H:%M:%S"


def load_credentials(config: Any, state_dir: Any) -> Credentials:
    """Credentials for the stored Drive token; AuthorizationNeeded when there is none."""
    store = TokenStore(state_dir)
    info = store.load(NAME)
    if not info or not info.get("refresh_token"):
        raise AuthorizationNeeded(NOT_AUTHORIZED)
    allow_loopback_http(config.drive.endpoint, info.get("token_uri"))
    return credentials_from(info, store)


def credentials_from(info: dict[str, Any], store: TokenStore | None = None) -> StoredCredentials:
    """Credentials from a token dict; with a store, refreshes coordinate through its file."""
    scopes = info.get("scopes")
    if isinstance(scopes, str):
        scopes = scopes.split()
    # from_authorized_user_info points token_uri at Google whatever the dict says: put it back.
    original = StoredCredentials.from_authorized_user_info({**info, "scopes": scopes}, scopes)
    creds = original.with_token_uri(info.get("token_uri") or original.token_uri)
    creds.expiry = original.expiry  # the copy made by with_token_uri drops it
    creds.attach(store, info.get("account") or "")
    return creds


def token_info(creds: Credentials, account: str = "") -> dict[str, Any]:
    """The token dict stored in ``drive.json`` (the keys the contract names)."""
    expiry = creds.expiry.strftime(EXPIRY_FORMAT) + "Z" if creds.expiry else None
    return {
        "token": creds.token,
        "refresh_token": creds.refresh_token,
        "token_uri": creds.token_uri,
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "scopes": list(creds.scopes or []),
        "expiry": expiry,
        "account": account,
    }


def parse_expiry(value: str | None) -> dt.datetime | None:
    """``2024-01-01T10:00:00[.ffffff]Z`` -> naive UTC datetime (google-auth's convention)."""
    if not value:
        return None
    return dt.datetime.strptime(value.rstrip("Z").split(".")[0], EXPIRY_FORMAT)


def is_fresh(info: dict[str, Any]) -> bool:
    """True when the stored access token is still good for a while (google-auth's threshold)."""
    expiry = parse_expiry(info.get("expiry"))
    return (
        bool(info.get("token"))
        and expiry is not None
        and _helpers.utcnow() < expiry - _helpers.REFRESH_THRESHOLD
    )


class StoredCredentials(Credentials):
    """google-auth user credentials whose refresh goes through the token file."""

    _store: TokenStore | None = None
    _account_email: str = ""

    def attach(self, store: TokenStore | None, account: str) -> None:
        self._store, self._account_email = store, account

    def refresh(self, request: Any) -> None:
        if self._store is None:
            return self._refresh_from_google(request)
        with self._store.lock(NAME):
            stored = self._store.load(NAME)
            if not stored or not stored.get("refresh_token"):
                raise AuthorizationNeeded(NOT_AUTHORIZED)  # `photosync auth revoke drive` meanwhile
            if self._adopt(stored):
                return None
            self._refresh_from_google(request)
            # keys token_info does not know (authorized_at) are kept
            self._store.save(NAME, {**stored, **token_info(self, self._account_email)})
        return None

    def _adopt(self, stored: dict[str, Any]) -> bool:
        """Take the file's refresh token; take its access token too when it is newer and valid."""
        self._refresh_token = stored["refresh_token"]
        self._client_id = stored.get("client_id") or self._client_id
        self._client_secret = stored.get("client_secret") or self._client_secret
        self._account_email = stored.get("account") or self._account_email
        if stored.get("token") != self.token and is_fresh(stored):
            self.token = stored["token"]
            self.expiry = parse_expiry(stored.get("expiry"))
            return True
        return False

    def _refresh_from_google(self, request: Any) -> None:
        try:
            super().refresh(request)
        except RefreshError as exc:
            reason = refresh_error_reason(exc)
            if reason == "invalid_grant":
                raise AuthorizationNeeded(REVOKED) from None
            if reason == "invalid_client":
                raise AuthorizationNeeded(BAD_CLIENT) from None
            raise


def refresh_error_reason(exc: RefreshError) -> str | None:
    """The OAuth ``error`` code of a failed refresh (``invalid_grant``, ...), if it has one."""
    for arg in exc.args:
        if isinstance(arg, dict) and isinstance(arg.get("error"), str):
            return arg["error"]
    text = str(exc)
    for code in ("invalid_grant", "invalid_client"):
        if code in text:
            return code
    return None


def is_loopback_http(url: str | None) -> bool:
    """True for ``http://127.0.0.1:...``, ``http://localhost...``, ``http://[::1]...``."""
    if not url:
        return False
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "http":
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allow_loopback_http(*urls: str | None) -> None:
    """Let oauthlib use plain http, but only when every http URL involved is on this machine."""
    plain = [u for u in urls if u and urlsplit(u).scheme == "http"]
    if plain and all(is_loopback_http(u) for u in plain):
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
