"""`photosync auth flickr`: OAuth 1.0a through flickrapi against ``flickr.endpoint``, and the
status check (``flickr.test.login``; never flickrapi's ``token_valid()``, which deletes the token
on any passing error).

flickrapi's token caches are never used: the instance gets the token explicitly (or none, with
``store_token=False``), so its class-level RAM cache cannot mix accounts up.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import flickrapi
import requests
from flickrapi.auth import FlickrAccessToken
from flickrapi.exceptions import FlickrError

from photosync.auth.browser import CallbackServer, Prompt, ask_user
from photosync.errors import AuthorizationNeeded, PhotosyncError, RemoteUnavailable, UsageError
from photosync.remotes.flickr_api import Endpoints, point

NAME = "flickr"
LABEL = "Flickr"
KEYS = (
    "oauth_token",
    "oauth_token_secret",
    "user_nsid",
    "username",
    "fullname",
    "perms",
    "api_key",
)
REQUIRED = ("oauth_token", "oauth_token_secret", "user_nsid")
NOT_AUTHORIZED = "Flickr is not authorized yet: run `photosync auth flickr`"
REVOKED = "Flickr authorization was revoked or expired: run `photosync auth flickr`"
TIMEOUT = 30.0
VERIFIER = re.compile(r"^[A-Za-z0-9-]{3,64}$")


def flickr_api(
    config: Any, token: dict[str, Any] | None = None, format: str = "parsed-json"
) -> flickrapi.FlickrAPI:
    """A flickrapi instance on ``flickr.endpoint`` (REST and OAuth URLs), holding ``token`` if
    given."""
    section = config.flickr
    if not section.api_key or not section.api_secret:
        raise UsageError(
            "Flickr is not configured: set flickr.api_key and flickr.api_secret (or "
            "PHOTOSYNC_FLICKR_API_KEY / PHOTOSYNC_FLICKR_API_SECRET)"
        )
    access = None
    if token:
        access = FlickrAccessToken(
            token["oauth_token"],
            token["oauth_token_secret"],
            token.get("perms") or "read",
            token.get("fullname") or "",
            token.get("username") or "",
            token["user_nsid"],
        )
    api = flickrapi.FlickrAPI(
        str(section.api_key),
        str(section.api_secret),
        token=access,
        store_token=False,
        format=format,
        timeout=TIMEOUT,
    )
    return point(api, Endpoints.derive(section.endpoint))  # the same URLs as the sync's client


def wanted_perms(config: Any) -> tuple[str, str]:
    """The permission to ask for, and why."""
    if config.sync.on_local_delete == "delete-remote":
        return "delete", "delete permission, because sync.on_local_delete is delete-remote"
    return "write", "write permission (upload and organize; not delete)"


def authorize(config: Any, prompt: Prompt) -> dict[str, Any]:
    """Run the browser (or paste) flow; return the token dict to store."""
    server = CallbackServer(prompt.port)
    try:
        api, url, request_token = begin(config, server.redirect_uri)
        server.check = lambda url: _problem_of(url, request_token)
        prompt.say(f"Asking Flickr for {wanted_perms(config)[1]}.")
        answer = ask_user(
            url,
            server,
            prompt,
            "the address your browser was sent to (or the verification code Flickr shows)",
        )
    finally:
        server.close()
    return finish(config, api, answer, request_token)


def begin(config: Any, callback: str) -> tuple[flickrapi.FlickrAPI, str, str]:
    """Ask Flickr for a request token that comes back to ``callback``: (the flickrapi holding it,
    the address to send the user to, the request token). The terminal and the dashboard."""
    api = flickr_api(config)
    _request_token(api, config, callback)
    return api, api.auth_url(perms=wanted_perms(config)[0]), api.flickr_oauth.resource_owner_key


def finish(
    config: Any, api: flickrapi.FlickrAPI, answer: str, request_token: str
) -> dict[str, Any]:
    """The token to store, from the address the browser came back to (or the code pasted)."""
    perms = wanted_perms(config)[0]
    oauth = api.flickr_oauth
    oauth.verifier = verifier_from(answer, request_token)
    try:
        with _quiet_flickrapi():
            access = oauth.get_access_token()
    except FlickrError as exc:
        raise AuthorizationNeeded(
            f"Flickr refused to exchange the verifier ({exc}): run `photosync auth flickr` again"
        ) from None
    except requests.RequestException as exc:
        raise _unreachable(config, exc) from None
    return {
        "oauth_token": access.token,
        "oauth_token_secret": access.token_secret,
        "user_nsid": access.user_nsid,
        "username": access.username,
        "fullname": access.fullname,
        "perms": perms,
        "api_key": str(config.flickr.api_key),
    }


@contextlib.contextmanager
def _quiet_flickrapi() -> Iterator[None]:
    """flickrapi logs every refused OAuth request as errors; the exception says it once, better."""
    logger = logging.getLogger("flickrapi.auth")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _request_token(api: flickrapi.FlickrAPI, config: Any, callback: str) -> None:
    try:
        with _quiet_flickrapi():
            api.get_request_token(oauth_callback=callback)
    except requests.RequestException as exc:
        raise _unreachable(config, exc) from None
    except FlickrError as exc:
        raise diagnose_refusal(api, config, exc) from None


def diagnose_refusal(api: flickrapi.FlickrAPI, config: Any, exc: FlickrError) -> PhotosyncError:
    """OAuth endpoints only answer HTTP 401: ask the REST API which part of the app's keys is
    wrong."""
    try:
        api.test.echo()
    except FlickrError as probe:
        if probe.code == 100:
            return UsageError(
                "Flickr rejected flickr.api_key (error 100: Invalid API Key): copy the key of "
                "your app from https://www.flickr.com/services/apps/"
            )
        if probe.code in (96, 97):
            return UsageError(
                "Flickr rejected the signature: flickr.api_secret does not belong to "
                "flickr.api_key (see https://www.flickr.com/services/apps/)"
            )
    except requests.RequestException as probe_exc:
        return _unreachable(config, probe_exc)
    return RemoteUnavailable(f"Flickr refused to start the authorization ({exc})")


def _unreachable(config: Any, exc: Exception) -> RemoteUnavailable:
    return RemoteUnavailable(
        f"Flickr is unreachable at {config.flickr.endpoint}: {type(exc).__name__}"
    )


def verifier_from(answer: str, request_token: str) -> str:
    """The OAuth verifier in a redirect address (checked against our request token) or a bare
    code."""
    if "://" not in answer and "oauth_" not in answer:
        if VERIFIER.match(answer):
            return answer
        raise UsageError(
            "that is neither the address the browser was sent to nor a verification code: "
            "run `photosync auth flickr --no-browser` again"
        )
    query = parse_qs(urlsplit(answer).query or answer.partition("?")[2] or answer)
    token = (query.get("oauth_token") or [""])[0]
    verifier = (query.get("oauth_verifier") or [""])[0]
    if token != request_token:
        raise AuthorizationNeeded(
            "the browser came back with another authorization request than this one "
            "(an old tab?): run `photosync auth flickr` again"
        )
    if not verifier:
        raise AuthorizationNeeded(
            "Flickr access was denied in the browser: run `photosync auth flickr` "
            "again and choose to authorize photosync"
        )
    return verifier


def _problem_of(url: str, request_token: str) -> str | None:
    try:
        verifier_from(url, request_token)
    except PhotosyncError as exc:
        return str(exc)
    return None


def check(config: Any, token: dict[str, Any], store: Any = None) -> dict[str, Any]:
    """Who the stored token belongs to, by ``flickr.test.login``; raises AuthorizationNeeded,
    UsageError (API key) or RemoteUnavailable."""
    api = flickr_api(config, token)
    try:
        answer = api.test.login()
    except requests.RequestException as exc:
        raise _unreachable(config, exc) from None
    except FlickrError as exc:
        if exc.code == 98:
            raise AuthorizationNeeded(REVOKED) from None
        if exc.code == 100:
            raise UsageError(
                "Flickr rejected flickr.api_key (error 100: Invalid API Key)"
            ) from None
        if exc.code is None:
            raise RemoteUnavailable(
                f"Flickr is unreachable at {config.flickr.endpoint}: {exc}"
            ) from None
        raise RemoteUnavailable(f"Flickr: flickr.test.login failed ({exc})") from None
    user = answer.get("user", {})
    username = user.get("username", {})
    return {
        "user": username.get("_content") if isinstance(username, dict) else username,
        "user_id": user.get("id"),
        "access": f"perms {token.get('perms') or 'unknown'}",
        **account_status(config, token),
    }


def account_status(config: Any, token: dict[str, Any]) -> dict[str, Any]:
    """``{"account": FlickrAccount.to_dict(), "warning": ...}``: the kind and limits asked now
    (2 calls), the usage as the last sync counted it, else counted now (5 calls); the warning
    when flickr.privacy and the account's caps cannot both hold (or why Flickr could not say)."""
    import time

    from photosync.remotes.flickr_account import count_usage, read_account
    from photosync.remotes.flickr_api import FlickrClient
    from photosync.remotes.pace import RateLimiter
    from photosync.state.accounts import load_account
    from photosync.state.db import db_path, open_db
    from photosync.sync.caps import AccountCaps, uploads_room_line

    section = config.flickr
    client = FlickrClient(str(section.api_key), str(section.api_secret), token["oauth_token"],
                          token["oauth_token_secret"], section.endpoint, RateLimiter(None),
                          user_nsid=str(token.get("user_nsid") or ""))
    known = None
    if db_path(config.state_dir).exists():
        conn = open_db(config.state_dir)
        try:
            known = load_account(conn, NAME)
        finally:
            conn.close()
    try:
        account = read_account(client, time.time())
        usage = (known.items, known.non_public) if known and known.items is not None \
            and known.non_public is not None else count_usage(client)
    except PhotosyncError as exc:
        return {"warning": f"could not read the account's kind and limits: {exc}"}
    account = account.with_usage(*usage)
    caps = AccountCaps(LABEL, account, section.privacy, section.cap_order,
                       tuple(section.cap_albums))
    return {"account": account.to_dict(), "warning": uploads_room_line(caps)}


def validate(token: dict[str, Any], config: Any | None) -> None:
    """Refuse an imported token that lacks keys or was made for another API key."""
    missing = [k for k in REQUIRED if not token.get(k)]
    if missing:
        raise UsageError(f"the Flickr token lacks {', '.join(missing)}")
    key = getattr(getattr(config, "flickr", None), "api_key", None)
    if key and token.get("api_key") and token["api_key"] != str(key):
        raise UsageError(
            "the Flickr token was made for another API key than flickr.api_key: export it from a "
            "photosync that uses the same key"
        )


def describe(token: dict[str, Any]) -> str:
    return f"{token.get('username') or '?'} ({token.get('user_nsid')})"
