"""The Drive v3 client plumbing: services built from the bundled API description, one per
thread, every request paced and its failures mapped onto ``photosync.errors``.

Traps this module works around (found against the real client libraries):

- ``client_options={"api_endpoint": ...}`` is not enough to point the client elsewhere (uploads
  keep Google's host and https, batches go to Google): we load the bundled ``drive.v3.json`` and
  set ``rootUrl`` (and ``baseUrl``) to ``drive.endpoint`` before ``build_from_document``.
- A plain ``httplib2.Http()`` follows 308 as a redirect and so breaks resumable uploads; use
  ``googleapiclient.http.build_http()`` (which drops 308 from the redirect codes) and authorize it
  with ``google_auth_httplib2.AuthorizedHttp``.
- ``Credentials.from_authorized_user_info`` replaces ``token_uri`` with Google's whatever the
  token says: the auth module puts it back with ``.with_token_uri(...)``.
- httplib2 objects are not thread-safe: one service per worker thread (``threading.local``).
- When a connection drops mid-request httplib2 silently sends the request once more, and a
  resent chunk without its body waits for the socket timeout: keep the timeout short.
- ``execute(num_retries=...)`` retries with uncapped sleeps and ignores Retry-After: never used;
  :class:`photosync.remotes.retry.RetryingRemote` retries instead.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import google_auth_httplib2
import googleapiclient
import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError, ResumableUploadError
from googleapiclient.http import build_http

from photosync.errors import (
    AuthorizationNeeded,
    Conflict,
    ItemError,
    NotFound,
    PhotosyncError,
    TransientError,
    UploadsRefused,
)
from photosync.remotes.bandwidth import Bandwidth
from photosync.remotes.pace import RateLimiter

log = logging.getLogger("photosync.remotes.drive")
T = TypeVar("T")

DISCOVERY = Path(googleapiclient.__file__).parent / "discovery_cache/documents/drive.v3.json"
REVOKED = "Google Drive authorization was revoked or expired: run `photosync auth drive`"
RATE_REASONS = {"userRateLimitExceeded", "rateLimitExceeded", "sharingRateLimitExceeded"}
FULL_REASONS = {"storageQuotaExceeded", "quotaExceeded"}  # the second: as service accounts see it
FULL = (
    "Google Drive storage is full (storageQuotaExceeded): no more uploads to Drive in this run; "
    "free space or add storage at https://one.google.com/storage"
)
# Drive's daily upload limit (about 750 GB a user; undocumented). rclone's
# --drive-stop-on-upload-limit knows it as 403 userRateLimitExceeded whose message is exactly
# "User rate limit exceeded." (a rate limit proper says more); uploadLimitExceeded is accepted too.
DAILY_LIMIT_MESSAGE = "User rate limit exceeded."
DAILY_LIMIT = (
    "Google Drive's daily upload limit is reached (about 750 GB a day per user): no more uploads "
    "to Drive in this run; they go on by themselves once Google counts a new day"
)
_documents: dict[str, str] = {}
_documents_lock = threading.Lock()


def discovery_document(endpoint: str) -> str:
    """The bundled Drive v3 description with every root pointing at ``endpoint``."""
    root = endpoint.rstrip("/") + "/"
    with _documents_lock:
        if root not in _documents:
            doc = json.loads(DISCOVERY.read_text())
            doc.update(
                rootUrl=root,
                mtlsRootUrl=root,
                baseUrl=root + doc["servicePath"],
                batchPath="batch/drive/v3",
            )
            _documents[root] = json.dumps(doc)
        return _documents[root]


class Services:
    """One authorized Drive service per thread, all sharing the credentials, the limiter and
    the bandwidth."""

    def __init__(self, credentials: Any, endpoint: str, limiter: RateLimiter, timeout: float,
                 bandwidth: Bandwidth | None = None):
        self.credentials = credentials
        self.endpoint = endpoint
        self.limiter = limiter
        self.bandwidth = bandwidth  # sync.bwlimit, for the bytes of uploads and downloads
        self.timeout = timeout
        self._local = threading.local()

    def get(self) -> Any:
        service = getattr(self._local, "service", None)
        if service is None:
            raw = build_http()
            raw.timeout = self.timeout
            self._local.http = google_auth_httplib2.AuthorizedHttp(self.credentials, http=raw)
            service = build_from_document(discovery_document(self.endpoint), http=self._local.http)
            self._local.service = service
        return service

    @property
    def http(self) -> Any:
        self.get()
        return self._local.http

    def call(self, make: Callable[[Any], Any], what: str, uploading: bool = False) -> Any:
        """Build one request with this thread's service, pace it, execute it, map its errors."""
        request = make(self.get())
        self.limiter.acquire()
        return guarded(request.execute, what, uploading)


def guarded(fn: Callable[[], T], what: str, uploading: bool = False) -> T:
    """``fn()`` with Google's and the network's failures turned into ``photosync.errors``;
    ``uploading``: ``fn`` sends content, which the daily upload limit may refuse."""
    try:
        return fn()
    except PhotosyncError:
        raise
    except HttpError as exc:
        raise http_error(exc, what, uploading) from None
    except RefreshError as exc:
        if getattr(exc, "retryable", False):
            raise TransientError(f"{what}: token refresh failed: {exc}") from None
        raise AuthorizationNeeded(REVOKED) from None
    except (
        TimeoutError,
        TransportError,
        httplib2.HttpLib2Error,
        http.client.HTTPException,
        ConnectionError,
        OSError,
    ) as exc:
        raise TransientError(f"{what}: connection problem: {exc or type(exc).__name__}") from None


def http_error(exc: HttpError, what: str, uploading: bool = False) -> PhotosyncError:
    """The photosync error for one Google API error answer (to an upload: ``uploading``)."""
    status = int(getattr(exc, "status_code", None) or exc.resp.status)
    reason, message = error_reason(exc)
    text = f"{what}: {message}" if message else f"{what}: HTTP {status}"
    retry_after = _retry_after(exc)
    if isinstance(exc, ResumableUploadError) and status in (404, 410):
        return TransientError(f"{what}: upload session expired; starting again")
    if uploading and status == 403 and daily_limit(exc, reason):
        return UploadsRefused(DAILY_LIMIT, daily=True)
    if status >= 500 or status == 429 or (status == 403 and reason in RATE_REASONS):
        return TransientError(text, retry_after)
    if status == 401:
        return AuthorizationNeeded(REVOKED)
    if status == 403 and reason in FULL_REASONS:
        return UploadsRefused(FULL)
    if status == 404:
        return NotFound(text)
    if status == 409:
        return Conflict(text)
    return ItemError(text)


def daily_limit(exc: HttpError, reason: str | None) -> bool:
    """The answer is Drive's daily upload limit, as rclone recognises it (see DAILY_LIMIT)."""
    if reason == "uploadLimitExceeded":
        return True
    details = getattr(exc, "error_details", None)
    first = details[0] if isinstance(details, list) and details else {}
    message = first.get("message") if isinstance(first, dict) else None
    return reason == "userRateLimitExceeded" and message == DAILY_LIMIT_MESSAGE


def error_reason(exc: HttpError) -> tuple[str | None, str]:
    """(reason code, Google's message) of an error answer; HTML error pages give (None, "")."""
    details = getattr(exc, "error_details", None)
    reason = None
    if isinstance(details, list) and details and isinstance(details[0], dict):
        reason = details[0].get("reason")
    message = exc.reason if isinstance(exc.reason, str) else ""
    if message.lstrip().startswith("<"):
        message = ""
    return reason, message


def _retry_after(exc: HttpError) -> float | None:
    value = exc.resp.get("retry-after") if exc.resp is not None else None
    try:
        return float(value) if value else None
    except ValueError:
        return None
