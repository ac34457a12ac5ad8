"""Real googleapiclient Drive services pointed at an emulator: for tests, benchmarks and the demo.

Nothing here is emulated: it builds the genuine client from the discovery document the emulator
serves (``rootUrl`` = the emulator), with genuine google-auth credentials minted through
``POST /_admin/token`` (so refreshing goes to the emulator's ``/token``).
"""

from __future__ import annotations

import threading
import urllib.request
from typing import Any

import google_auth_httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document
from googleapiclient.http import build_http

from photosync.emulators import admin  # noqa: F401 (re-exported for tests)

DRIVE_SCOPE = "https://www.googleapis.com/auth/drive"
_documents: dict[str, str] = {}
_lock = threading.Lock()


def discovery_url(base_url: str) -> str:
    """A ``discoveryServiceUrl`` for ``googleapiclient.discovery.build(...,
    static_discovery=False)``."""
    return base_url.rstrip("/") + "/discovery/v1/apis/{api}/{apiVersion}/rest"


def mint_credentials(
    base_url: str, account: str = "tester@example.com", scopes: list[str] | None = None
) -> Credentials:
    """Credentials for ``account`` (access + refresh token) without the browser dance.

    Trap: ``Credentials.from_authorized_user_info`` ignores the document's ``token_uri`` and always
    uses Google's, so refreshing would leave loopback; ``with_token_uri`` puts the emulator back.
    """
    info = admin(base_url, "token", {"account": account, "scopes": scopes or [DRIVE_SCOPE]})
    return Credentials.from_authorized_user_info(info, info["scopes"]).with_token_uri(
        info["token_uri"]
    )


def service_for(
    base_url: str, credentials: Credentials | None = None, timeout: float = 10.0, **account: Any
) -> Any:
    """A Drive v3 service on the emulator; one per thread (httplib2 is not thread-safe)."""
    with _lock:
        if base_url not in _documents:
            with urllib.request.urlopen(
                discovery_url(base_url).format(api="drive", apiVersion="v3"), timeout=30
            ) as answer:
                _documents[base_url] = answer.read().decode()
        document = _documents[base_url]
    credentials = credentials or mint_credentials(base_url, **account)
    # Trap: a bare httplib2.Http follows 308 as a redirect and breaks resumable uploads;
    # googleapiclient's build_http() removes 308 from its redirect codes.
    raw = build_http()
    raw.timeout = timeout
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=raw)
    return build_from_document(document, http=http)
