"""`photosync auth drive`: Google's installed-app OAuth (google-auth-oauthlib) with the user's
client secrets file, a loopback redirect, ``state`` checked, offline access (a refresh token);
and the status check (Drive ``about.get``).
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google_auth_oauthlib.flow import InstalledAppFlow
from oauthlib.oauth2.rfc6749.errors import InsecureTransportError, OAuth2Error

from photosync.auth.browser import CallbackServer, Prompt, ask_user
from photosync.auth.drive_credentials import (
    NOT_AUTHORIZED,  # noqa: F401 (read by auth.service)
    REVOKED,
    allow_loopback_http,
    credentials_from,
    token_info,
)
from photosync.errors import AuthorizationNeeded, PhotosyncError, RemoteUnavailable, UsageError

NAME = "drive"
LABEL = "Google Drive"
KEYS = (
    "token",
    "refresh_token",
    "token_uri",
    "client_id",
    "client_secret",
    "scopes",
    "expiry",
    "account",
    "authorized_at",
)
REQUIRED = ("refresh_token", "token_uri", "client_id", "client_secret")
CLIENT_KEYS = ("client_id", "client_secret", "auth_uri", "token_uri")
TIMEOUT = 30.0


def read_client_secrets(path: Path) -> dict[str, Any]:
    """The client secrets JSON of a "Desktop app" OAuth client, or one line saying what to fix."""
    fix = (
        'download the JSON of an OAuth client of type "Desktop app" from the Google Cloud console '
        "(APIs & Services > Credentials) to that path, or point drive.client_secrets at it"
    )
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"drive.client_secrets: {path} does not exist: {fix}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"drive.client_secrets: cannot read {path}: {exc}") from None
    except ValueError:
        raise UsageError(f"drive.client_secrets: {path} is not JSON: {fix}") from None
    client = (data.get("installed") or data.get("web")) if isinstance(data, dict) else None
    missing = [k for k in CLIENT_KEYS if not isinstance(client, dict) or not client.get(k)]
    if missing:
        raise UsageError(
            f"drive.client_secrets: {path} is not an OAuth client secrets file (no "
            f"{', '.join(missing)}): {fix}"
        )
    return {"installed": client}


def authorize(config: Any, prompt: Prompt) -> dict[str, Any]:
    """Run the browser (or paste) flow; return the token dict to store."""
    with CallbackServer(prompt.port) as server:
        flow, url, state = begin(config, server.redirect_uri)
        server.check = lambda answer: _problem_of(answer, state, config)
        answer = ask_user(
            url,
            server,
            prompt,
            f"the address your browser was sent to (it starts with "
            f"{server.redirect_uri}; the page itself may not load)",
        )
    return finish(config, flow, answer, state)


def begin(config: Any, redirect_uri: str) -> tuple[InstalledAppFlow, str, str]:
    """Start a flow that comes back to ``redirect_uri`` (a loopback address): (flow, the address
    to send the user to, the state the answer must carry). The terminal and the dashboard."""
    path = Path(config.drive.client_secrets)
    client = read_client_secrets(path)
    allow_loopback_http(
        client["installed"]["auth_uri"], client["installed"]["token_uri"], config.drive.endpoint
    )
    flow = InstalledAppFlow.from_client_config(client, scopes=[config.drive.scope])
    flow.redirect_uri = redirect_uri
    state = secrets.token_urlsafe(24)
    try:
        url, _ = flow.authorization_url(access_type="offline", prompt="consent", state=state)
    except InsecureTransportError:
        raise _insecure(path) from None
    return flow, url, state


def finish(config: Any, flow: InstalledAppFlow, answer: str, state: str) -> dict[str, Any]:
    """The token to store, from the address the browser came back to (or was pasted)."""
    code = code_from(answer, state, config)
    creds = _exchange(flow, code, Path(config.drive.client_secrets), config)
    # authorized_at: a "Testing" app's refresh token dies 7 days later (the daemon warns).
    return {**token_info(creds, _account_of(config, creds)), "authorized_at": time.time()}


def code_from(answer: str, state: str, config: Any) -> str:
    """The authorization code in the redirect address, after checking its ``state``."""
    query = parse_qs(urlsplit(answer).query) if "://" in answer else parse_qs(answer.lstrip("?"))
    if not query:
        raise UsageError(
            "that is not the address the browser was sent to: run `photosync auth drive "
            "--no-browser` again and paste the whole address"
        )
    if not secrets.compare_digest((query.get("state") or [""])[0], state):
        raise AuthorizationNeeded(
            "the browser came back with another authorization request than this one "
            "(wrong state; an old tab?): run `photosync auth drive` again"
        )
    error = (query.get("error") or [""])[0]
    if error == "access_denied":
        raise AuthorizationNeeded(
            "Google Drive access was denied in the browser: run `photosync auth drive` "
            "again and choose Allow"
        )
    if error == "invalid_scope":
        raise UsageError(
            f"Google refused the scope drive.scope={config.drive.scope!r}: check drive.scope"
        )
    if error or not query.get("code"):
        raise AuthorizationNeeded(
            f"Google Drive authorization failed ({error or 'no code'}): run "
            f"`photosync auth drive` again"
        )
    return query["code"][0]


def _problem_of(answer: str, state: str, config: Any) -> str | None:
    try:
        code_from(answer, state, config)
    except PhotosyncError as exc:
        return str(exc)
    return None


def _exchange(flow: InstalledAppFlow, code: str, path: Path, config: Any) -> Any:
    try:
        flow.fetch_token(code=code, timeout=TIMEOUT)
    except InsecureTransportError:
        raise _insecure(path) from None
    except OAuth2Error as exc:
        if exc.error == "invalid_client":
            raise UsageError(
                f"drive.client_secrets: Google does not know the OAuth client in {path} "
                f"(invalid_client): download it again from the Google Cloud console"
            ) from None
        raise AuthorizationNeeded(
            f"Google refused the authorization code ({exc.error}): run `photosync auth drive` again"
        ) from None
    except requests.RequestException as exc:
        raise RemoteUnavailable(
            f"Google's token endpoint is unreachable: {type(exc).__name__}"
        ) from None
    except Warning as exc:  # oauthlib: "Scope has changed" when the user unticked Drive access
        raise AuthorizationNeeded(
            f"Google granted other access than drive.scope asks for ({exc}): run "
            f"`photosync auth drive` again and allow every permission"
        ) from None
    creds = flow.credentials
    if not creds.refresh_token:
        raise AuthorizationNeeded(
            "Google returned no refresh token: remove photosync at "
            "https://myaccount.google.com/permissions, then run `photosync auth drive`"
        )
    return creds


def _insecure(path: Path) -> UsageError:
    return UsageError(
        f"drive.client_secrets: {path} points at a plain http:// address that is not on this "
        f"machine: use the https addresses Google gives"
    )


def _account_of(config: Any, creds: Any) -> str:
    """The signed-in user's email, for `auth status` and the token file (empty when unknown)."""
    try:
        return about(config, creds).get("emailAddress") or ""
    except PhotosyncError:
        return ""


def about(config: Any, creds: Any) -> dict[str, Any]:
    """Drive ``about.get`` -> the ``user`` resource (emailAddress, displayName)."""
    session = AuthorizedSession(creds)
    url = config.drive.endpoint.rstrip("/") + "/drive/v3/about"
    try:
        answer = session.get(
            url, params={"fields": "user(emailAddress,displayName)"}, timeout=TIMEOUT
        )
    except requests.RequestException as exc:
        raise RemoteUnavailable(
            f"Google Drive is unreachable at {config.drive.endpoint}: {type(exc).__name__}"
        ) from None
    except GoogleAuthError as exc:
        raise RemoteUnavailable(
            f"Google Drive token refresh failed: {type(exc).__name__}"
        ) from None
    if answer.status_code == 401:
        raise AuthorizationNeeded(REVOKED)
    if answer.status_code != 200:
        raise RemoteUnavailable(f"Google Drive answered HTTP {answer.status_code} to about.get")
    return answer.json().get("user", {})


def check(config: Any, token: dict[str, Any], store: Any = None) -> dict[str, Any]:
    """Who the stored token belongs to, by ``about.get``; refreshes (and saves) it when needed."""
    allow_loopback_http(config.drive.endpoint, token.get("token_uri"))
    user = about(config, credentials_from(token, store))
    scopes = token.get("scopes") or []
    return {
        "user": user.get("emailAddress") or token.get("account"),
        "user_id": None,
        "access": "scope " + " ".join(scopes if isinstance(scopes, list) else [scopes]),
    }


def validate(token: dict[str, Any], config: Any | None) -> None:
    missing = [k for k in REQUIRED if not token.get(k)]
    if missing:
        raise UsageError(f"the Google Drive token lacks {', '.join(missing)}")


def describe(token: dict[str, Any]) -> str:
    return token.get("account") or "unknown account"
