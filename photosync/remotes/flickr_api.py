"""The Flickr wire: flickrapi pointed at ``flickr.endpoint``, paced, with timeouts and error
mapping.

flickrapi signs requests (OAuth 1.0a, including the multipart upload trick) and nothing else is
left to it: it is never asked to retry, walk pages, cache tokens or check them (``token_valid``
deletes tokens on a passing 503; see API-NOTES). Each thread gets its own flickrapi instance and
``requests`` sessions, so no client state is shared between workers. Every HTTP request goes
through :meth:`FlickrClient.call`, :meth:`~FlickrClient.send_file` or :meth:`~FlickrClient.open`,
which take a token from the remote's rate limiter first (API calls and uploads: Flickr's quota
counts API queries) or from the files' own pacer (:meth:`~FlickrClient.open`: static photo files
are not API queries, so they never spend that budget and wait only when the file servers answer
429/503) and turn every failure into a ``photosync.errors`` exception:

- HTTP 429/5xx, connection errors, timeouts, cut answers, API error 105/106 -> ``TransientError``
  (``retry_after`` from the Retry-After header);
- API errors 96-100 and OAuth refusals (HTTP 401) -> ``AuthorizationNeeded``, each with its fix
  (98: authorize again; 100: the API key; 99: more permission);
- API error 1 -> ``NotFound`` (callers pass ``not_found``/``ignore`` for methods whose codes
differ);
- upload error 6 -> ``UploadsRefused`` (no more uploads this run); 5 and 8 -> ``ItemError`` naming
  the fix;
- any other API error -> ``ItemError`` carrying Flickr's message.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import flickrapi
import requests
from flickrapi.auth import FlickrAccessToken
from flickrapi.exceptions import FlickrError

from photosync.errors import (
    AuthorizationNeeded,
    ItemError,
    NotFound,
    RemoteUnavailable,
    TransientError,
    UploadsRefused,
)
from photosync.remotes.bandwidth import Bandwidth, paced
from photosync.remotes.files import open_to_send
from photosync.remotes.pace import RateLimiter

log = logging.getLogger("photosync.remotes.flickr")

REAL_ENDPOINT = "https://www.flickr.com"
AUTH_MESSAGE = "Flickr authorization was revoked or expired: run `photosync auth flickr`"
# Flickr's placeholder image (s.yimg.com/.../photo_unavailable.png)
UNAVAILABLE = "photo_unavailable"
TIMEOUT = (15.0, 120.0)  # (connect, read) seconds for every request
UPLOAD_LIMIT = 6  # upload error 6: "User exceeded upload limit" (a free account's 1,000 photos)
FULL = ("Flickr refuses more uploads (error 6: User exceeded upload limit, e.g. a free account's "
        "1,000 photos): no more uploads to Flickr in this run")
# Upload errors that refuse one file for good, each in words that say what to do.
UPLOAD_REFUSALS = {
    5: "Flickr does not take this type of file (upload error 5: Filetype was not recognised): "
       "convert it to JPEG, PNG, GIF or TIFF, or leave its type out of library.extensions",
    8: "too large for this Flickr account (upload error 8: Filesize was too large): the "
       "account's largest upload is in `photosync auth status`; make the file smaller or "
       "upgrade to Flickr Pro",
}
TRANSIENT_CODES = {105, 106}  # service unavailable; write operation failed (temporary)
# Errors no retry can fix, each with the one line that names the fix (the run stops: exit 3).
AUTH_MESSAGES = {
    96: "Flickr rejected the request signature (error 96): check that flickr.api_secret belongs to "
        "flickr.api_key, then run `photosync auth flickr`",
    97: "Flickr saw no request signature (error 97): check flickr.api_secret, then run "
        "`photosync auth flickr`",
    98: AUTH_MESSAGE,
    99: "Flickr refused {method}: the authorization lacks the permission it needs (error 99): run "
        "`photosync auth flickr` again (it asks for delete permission when sync.on_local_delete "
        "is delete-remote)",
    100: "Flickr rejected flickr.api_key (error 100: Invalid API Key): copy the key of your app "
         "from https://www.flickr.com/services/apps/",
}


@dataclass(frozen=True)
class Endpoints:
    """Where each kind of request goes. Real Flickr splits hosts; anything else is one base URL."""

    rest: str
    upload: str
    replace: str
    oauth: str  # prefix of request_token / authorize / access_token
    www: str  # photo pages, and the addresses of videos' files

    @classmethod
    def derive(cls, endpoint: str) -> Endpoints:
        base = endpoint.rstrip("/")
        if base in (REAL_ENDPOINT, "https://flickr.com"):
            return cls("https://api.flickr.com/services/rest/",
                       "https://up.flickr.com/services/upload/",
                       "https://up.flickr.com/services/replace/",
                       f"{REAL_ENDPOINT}/services/oauth/", REAL_ENDPOINT)
        return cls(f"{base}/services/rest/", f"{base}/services/upload/",
                   f"{base}/services/replace/", f"{base}/services/oauth/", base)


def point(flickr: flickrapi.FlickrAPI, endpoints: Endpoints) -> flickrapi.FlickrAPI:
    """Set this instance's URLs (never flickrapi's class attributes: other instances keep
    theirs)."""
    flickr.REST_URL, flickr.UPLOAD_URL, flickr.REPLACE_URL = (endpoints.rest, endpoints.upload,
                                                              endpoints.replace)
    oauth = flickr.flickr_oauth
    oauth.REQUEST_TOKEN_URL = endpoints.oauth + "request_token"
    oauth.AUTHORIZE_URL = endpoints.oauth + "authorize"
    oauth.ACCESS_TOKEN_URL = endpoints.oauth + "access_token"
    return flickr


def retry_after(response: requests.Response) -> float | None:
    """Seconds from a Retry-After header (delta or HTTP date), None when absent or unreadable."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
        server_now = parsedate_to_datetime(response.headers.get("Date", value))
        return max(0.0, (when - server_now).total_seconds())
    except (TypeError, ValueError):
        return None


def status_error(response: requests.Response, what: str) -> Exception:
    """The photosync error for a non-200 answer from Flickr's API or file servers."""
    status = response.status_code
    if status == 429 or status >= 500:
        return TransientError(f"Flickr {what}: HTTP {status}", retry_after(response))
    if status == 401 or (status == 403 and "oauth_problem" in response.text):
        return AuthorizationNeeded(AUTH_MESSAGE)
    if status == 404:
        return NotFound(f"Flickr {what}: HTTP 404")
    return ItemError(f"Flickr {what}: HTTP {status}")


def _raise_for_api_status(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """requests hook on the API session: flickrapi would hide the status and Retry-After."""
    _note_server_time(response)
    if response.status_code != 200:
        error = status_error(response, response.request.url.rsplit("/services/", 1)[-1].strip("/")
                             if response.request and response.request.url else "request")
        response.close()
        raise error


def api_error(code: Any, message: str, method: str, not_found: Iterable[int] = (1,)) -> Exception:
    """The photosync error for a Flickr ``stat="fail"`` answer."""
    try:
        number = int(code)
    except (TypeError, ValueError):
        number = -1
    if number in AUTH_MESSAGES:
        return AuthorizationNeeded(AUTH_MESSAGES[number].format(method=method))
    if number in TRANSIENT_CODES:
        return TransientError(f"{method}: Flickr error {number}: {message}")
    if number in set(not_found):
        return NotFound(f"{method}: {message}")
    return ItemError(f"{method}: Flickr error {number}: {message}")


_clock = threading.local()


def _note_server_time(response: requests.Response) -> None:
    """Remember the server's clock (the Date header) as last seen by this thread."""
    with contextlib.suppress(KeyError, TypeError, ValueError):
        _clock.server_time = parsedate_to_datetime(response.headers["Date"]).timestamp()


def server_time() -> float:
    """The Flickr server's time at this thread's last API answer (our own clock before any)."""
    return getattr(_clock, "server_time", None) or time.time()


class FlickrCallError(Exception):
    """An API answer with stat="fail", before mapping (lets callers treat some codes as no-ops)."""

    def __init__(self, code: int, message: str):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


class FlickrClient:
    """One authorized Flickr account (or none: ``token=""`` signs with the API key alone);
    thread-safe (per-thread flickrapi and sessions)."""

    def __init__(self, api_key: str, api_secret: str, token: str, token_secret: str,
                 endpoint: str, limiter: RateLimiter, *, user_nsid: str = "", username: str = "",
                 fullname: str = "", perms: str = "delete", pool_size: int = 16,
                 files_limiter: RateLimiter | None = None, bandwidth: Bandwidth | None = None):
        self.api_key, self.api_secret = str(api_key), str(api_secret)
        # No token: API-key-only calls (public photos of anyone, e.g. ``photosync mirror``).
        self._token = FlickrAccessToken(str(token), str(token_secret), perms or "delete",
                                        fullname, username, user_nsid) if token else None
        self.endpoints = Endpoints.derive(endpoint)
        self.limiter = limiter
        self.files_limiter = files_limiter or RateLimiter(None)  # held on the file servers' 429/503
        self.pool_size = pool_size
        self.bandwidth = bandwidth  # sync.bwlimit: paces the bytes of uploads and downloads
        self._local = threading.local()

    # -- per-thread clients ------------------------------------------------------------------
    def _session(self, hook: bool) -> requests.Session:
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=self.pool_size,
                                                max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        # requests re-reads the environment (proxies, no_proxy, netrc, CA bundle) on every request
        # while trust_env is on: a fifth of the CPU of a photo download. Read once, per session.
        session.trust_env = False
        session.proxies.update(requests.utils.get_environ_proxies(self.endpoints.www))
        session.verify = (os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
                          or True)
        if hook:
            session.hooks["response"].append(_raise_for_api_status)
        return session

    def flickr(self) -> flickrapi.FlickrAPI:
        """This thread's flickrapi instance (token passed explicitly: no token cache involved)."""
        instance = getattr(self._local, "flickr", None)
        if instance is None:
            instance = point(flickrapi.FlickrAPI(self.api_key, self.api_secret, token=self._token,
                                                 format="parsed-json", store_token=False,
                                                 timeout=TIMEOUT), self.endpoints)
            instance.flickr_oauth.session = self._session(hook=True)  # not the class-wide one
            self._local.flickr = instance
        return instance

    def files(self) -> requests.Session:
        """This thread's session for photo files (statuses handled by the caller)."""
        session = getattr(self._local, "files", None)
        if session is None:
            session = self._local.files = self._session(hook=False)
        return session

    # -- requests ------------------------------------------------------------------------------
    def call(self, method: str, *, not_found: Iterable[int] = (1,), ignore: Iterable[int] = (),
             **args: Any) -> dict[str, Any]:
        """``flickr.<method>`` with ``args``; the parsed JSON answer ({} for an ignored error)."""
        params = {k: str(v) for k, v in args.items() if v is not None}
        try:
            return self.raw_call(method, **params)
        except FlickrCallError as exc:
            if exc.code in set(ignore):
                return {}
            raise api_error(exc.code, exc.message, method, not_found) from None

    def raw_call(self, method: str, **params: str) -> dict[str, Any]:
        """One paced REST request; raises FlickrCallError for stat="fail"."""
        self.limiter.acquire()
        flickr = self.flickr()
        with _mapped(method):
            try:
                text = flickr.do_flickr_call(f"flickr.{method}", format="json", nojsoncallback=1,
                                             **params)
            except FlickrError as exc:  # only non-200 answers, which the hook already raised
                raise TransientError(f"{method}: {exc}") from None
            answer = json.loads(text)
        if not isinstance(answer, dict):
            raise TransientError(f"{method}: unreadable answer from Flickr")
        if answer.get("stat") != "ok":
            raise FlickrCallError(_int(answer.get("code"), -1), str(answer.get("message") or ""))
        return answer

    def send_file(self, path: Path, *, replace_id: str | None = None,
                  not_found: Iterable[int] = (1,), **fields: Any) -> Any:
        """POST ``path`` to /services/upload/ (or /replace/ for ``replace_id``); the ``<rsp>``
        element."""
        what = "replace" if replace_id else "upload"
        params = {k: str(v) for k, v in fields.items() if v is not None}
        self.limiter.acquire()
        flickr = self.flickr()
        with _mapped(what), open_to_send(path) as raw:
            fileobj = paced(raw, self.bandwidth)  # the multipart encoder reads it as it sends
            try:
                if replace_id:
                    return flickr.replace(str(path), replace_id, fileobj=fileobj, format="etree",
                                          timeout=TIMEOUT, **params)
                return flickr.upload(str(path), fileobj=fileobj, format="etree", timeout=TIMEOUT,
                                     **params)
            except FlickrError as exc:
                if exc.code is None:
                    raise TransientError(f"{what}: {exc}") from None
                message = str(exc).split(": ", 2)[-1]
                if int(exc.code) == UPLOAD_LIMIT:
                    raise UploadsRefused(FULL) from None
                if int(exc.code) in UPLOAD_REFUSALS:
                    raise ItemError(UPLOAD_REFUSALS[int(exc.code)]) from None
                raise api_error(exc.code, message, what, not_found) from None

    def open(self, url: str, what: str, max_redirects: int = 5) -> requests.Response:
        """GET a photo file (following redirects by hand); a 200 streaming answer. Paced by the
        files' pacer, never the API limiter; a 429/503 holds that pacer for its Retry-After."""
        session = self.files()
        for _ in range(max_redirects + 1):
            self.files_limiter.acquire()
            with _mapped(what):
                response = session.get(url, stream=True, timeout=TIMEOUT, allow_redirects=False)
            moved = response.status_code in (301, 302, 303, 307, 308)
            if moved and response.headers.get("Location"):
                url = requests.compat.urljoin(url, response.headers["Location"])
                response.close()
                if UNAVAILABLE in requests.compat.urlparse(url).path:
                    # Flickr's "This photo is no longer available" picture: an image that would
                    # pass every check and replace the photo. A stale URL: ask again.
                    raise TransientError(
                        f"Flickr {what}: file moved (photo unavailable); ask again")
                continue
            if response.status_code != 200:
                response.close()
                error = status_error(response, what)
                if isinstance(error, TransientError):
                    error.limiter = self.files_limiter
                # a URL just handed out: the photo changed meanwhile
                if isinstance(error, NotFound):
                    raise TransientError(f"Flickr {what}: file moved (HTTP 404); ask again")
                raise error
            return response
        raise TransientError(f"Flickr {what}: too many redirects")


class _mapped:
    """Context manager: transport failures and unreadable answers become TransientError."""

    def __init__(self, what: str):
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: Any) -> None:
        if exc is None:
            return
        if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                            requests.exceptions.InvalidSchema)):
            raise RemoteUnavailable(f"Flickr endpoint unusable: {exc}") from None
        if isinstance(exc, (requests.RequestException, ConnectionError, TimeoutError,
                            json.JSONDecodeError, SyntaxError)):  # XML: ET or lxml
            raise TransientError(f"Flickr {self.what}: {type(exc).__name__}: {exc}") from None


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
