"""OAuth 1.0a as Flickr runs it: signature checks and the three-legged dance.

Every signed request is verified with oauthlib's RFC 5849 primitives (HMAC-SHA1 over the
normalised query, Authorization header and form body; for uploads, every multipart field except
``photo``), then its consumer key, token, timestamp window and nonce. The dance lives at
``/services/oauth/request_token``, ``/authorize`` (an approval page with Allow/Deny, or an
immediate redirect with ``--auto-approve``) and ``/access_token``. OAuth endpoints answer
problems as Flickr does: HTTP 401 with an ``oauth_problem=...`` form body.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode

from oauthlib.oauth1.rfc5849 import signature, utils

from photosync.emulators.flickr_state import AccessToken, Account, FlickrState, RequestToken
from photosync.emulators.server import Request, Response

TIMESTAMP_WINDOW = 600  # seconds a signed request's timestamp may be off the server's clock
REQUEST_TOKEN_TTL = 3600
PERMS = ("read", "write", "delete")


class OAuthProblem(Exception):
    """A refused signature: ``code`` for REST answers (96-100), ``problem`` for OAuth endpoints."""

    def __init__(self, code: int, problem: str, message: str | None = None):
        super().__init__(problem)
        self.code, self.problem, self.message = code, problem, message


@dataclass
class Caller:
    """Who is calling: the app's key, whether the call was signed, and the user if any."""

    api_key: str | None
    signed: bool
    token: AccessToken | None = None


class NonceLog:
    """Nonces seen within the timestamp window; a repeat is a replayed request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: set[tuple[str, ...]] = set()
        self._order: deque[tuple[float, tuple[str, ...]]] = deque()

    def add(self, key: tuple[str, ...], now: float) -> bool:
        with self._lock:
            while self._order and self._order[0][0] < now - 2 * TIMESTAMP_WINDOW:
                self._seen.discard(self._order.popleft()[1])
            if key in self._seen:
                return False
            self._seen.add(key)
            self._order.append((now, key))
            return True


def oauth_header_params(request: Request) -> dict[str, str]:
    header = request.headers.get("Authorization") or ""
    if not header.lower().startswith("oauth "):
        return {}
    try:
        return {k: utils.unescape(v) for k, v in utils.parse_authorization_header(header)}
    except ValueError:
        raise OAuthProblem(
            96, "signature_invalid", "Invalid signature (malformed Authorization header)"
        ) from None


def consumer_key(request: Request, params: dict[str, str]) -> str | None:
    """The API key a request claims, from its OAuth header or ``api_key`` (for rate limits)."""
    try:
        header = oauth_header_params(request)
    except OAuthProblem:
        header = {}
    return (
        header.get("oauth_consumer_key")
        or params.get("oauth_consumer_key")
        or params.get("api_key")
    )


class OAuthVerifier:
    """Checks signed requests against the state's apps and tokens."""

    def __init__(self, state: FlickrState, clock=time.time):
        self.state = state
        self.nonces = NonceLog()
        self.clock = clock

    def caller(
        self,
        request: Request,
        params: dict[str, str],
        body_pairs: list[tuple[str, str]],
        token_kind: str = "access",
    ) -> Caller:
        """Verify the request; ``params`` holds all arguments (query, body, header excluded)."""
        oauth = oauth_header_params(request) or {
            k: v for k, v in params.items() if k.startswith("oauth_")
        }
        if "oauth_signature" not in oauth:
            key = params.get("api_key")
            if not key or key not in self.state.apps:
                raise OAuthProblem(100, "consumer_key_unknown", "Invalid API Key (Key not found)")
            return Caller(key, False)
        key = oauth.get("oauth_consumer_key", "")
        app_secret = self.state.apps.get(key)
        if app_secret is None or params.get("api_key", key) != key:
            raise OAuthProblem(100, "consumer_key_unknown", "Invalid API Key (Key not found)")
        token, token_secret = self._token(oauth.get("oauth_token"), key, token_kind)
        if oauth.get("oauth_signature_method") != "HMAC-SHA1":
            raise OAuthProblem(
                96, "signature_method_rejected", "Invalid signature (HMAC-SHA1 only)"
            )
        self._check_signature(
            request, body_pairs, app_secret, token_secret, oauth["oauth_signature"]
        )
        self._check_fresh(oauth, key)
        return Caller(key, True, token if isinstance(token, AccessToken) else None)

    def _token(self, token_id: str | None, key: str, kind: str) -> tuple[object, str]:
        if not token_id:
            if kind == "request":
                raise OAuthProblem(98, "parameter_absent", "Invalid auth token")
            return None, ""
        table = self.state.request_tokens if kind == "request" else self.state.access_tokens
        token = table.get(token_id)
        if token is None or token.api_key != key:
            raise OAuthProblem(98, "token_rejected", "Invalid auth token")
        return token, token.secret

    @staticmethod
    def _check_signature(
        request: Request,
        body_pairs: list[tuple[str, str]],
        app_secret: str,
        token_secret: str,
        sent: str,
    ) -> None:
        query = request.url.partition("?")[2]
        header = request.headers.get("Authorization") or ""
        # OAuth parameters may come in the header, the query string or the form body (RFC 5849
        # 3.5; Flickr takes all three): only an OAuth header is a source of signed parameters
        headers = {"Authorization": header} if header.lower().startswith("oauth ") else None
        params = signature.collect_parameters(uri_query=query, body=body_pairs, headers=headers)
        base = signature.signature_base_string(
            request.method,
            signature.base_string_uri(request.url),
            signature.normalize_parameters(params),
        )
        expected = signature.sign_hmac_sha1_with_client(
            base, SimpleNamespace(client_secret=app_secret, resource_owner_secret=token_secret)
        )
        if not secrets.compare_digest(expected, sent):
            raise OAuthProblem(96, "signature_invalid", "Invalid signature")

    def _check_fresh(self, oauth: dict[str, str], key: str) -> None:
        now = self.clock()
        try:
            stamp = int(oauth.get("oauth_timestamp", ""))
        except ValueError:
            raise OAuthProblem(
                96, "timestamp_refused", "Invalid signature (bad timestamp)") from None
        if abs(now - stamp) > TIMESTAMP_WINDOW:
            raise OAuthProblem(
                96, "timestamp_refused", "Invalid signature (timestamp out of window)"
            )
        nonce = oauth.get("oauth_nonce", "")
        if not nonce or not self.nonces.add(
            (key, oauth.get("oauth_token", ""), nonce, str(stamp)), now
        ):
            raise OAuthProblem(96, "nonce_used", "Invalid signature (nonce already used)")


# --- the three-legged dance -----------------------------------------------------------------
def problem_response(exc: OAuthProblem) -> Response:
    return Response(
        401, urlencode({"oauth_problem": exc.problem}).encode(), {}, "text/plain; charset=utf-8"
    )


def _form(values: dict[str, str]) -> Response:
    return Response(200, urlencode(values).encode(), {}, "text/plain; charset=utf-8")


def request_token(state: FlickrState, verifier: OAuthVerifier, request: Request) -> Response:
    params = request.params()
    try:
        caller = verifier.caller(request, params, body_pairs_of(request), token_kind="none")
        if not caller.signed:
            raise OAuthProblem(97, "parameter_absent")
        callback = {**params, **oauth_header_params(request)}.get("oauth_callback")
        if not callback:
            raise OAuthProblem(97, "parameter_absent")
    except OAuthProblem as exc:
        return problem_response(exc)
    token = RequestToken(
        f"{72157720000000000 + state.next()}-{secrets.token_hex(8)}",
        secrets.token_hex(8),
        caller.api_key or "",
        callback,
        created=time.time(),
    )
    state.request_tokens[token.token] = token
    return _form(
        {
            "oauth_callback_confirmed": "true",
            "oauth_token": token.token,
            "oauth_token_secret": token.secret,
        }
    )


def authorize_page(token: RequestToken, perms: str, username: str) -> Response:
    """What a user sees on Flickr: who asks for which permission, and Allow / Deny."""
    t, p, u = (html.escape(x, quote=True) for x in (token.token, perms, username))
    return Response.html(f"""<!DOCTYPE html><html><head><title>Flickr (emulated):
    authorize</title></head>
<body><h1>An application wants {p} access to your Flickr account</h1>
<form method="post" action="/services/oauth/authorize">
<input type="hidden" name="oauth_token" value="{t}"><input type="hidden" name="perms" value="{p}">
<label>Signed in as <input name="username" value="{u}"></label>
<button type="submit" name="decision" value="allow">OK, I'll authorize it</button></form>
<form method="post" action="/services/oauth/authorize">
<input type="hidden" name="oauth_token" value="{t}"><input type="hidden" name="perms" value="{p}">
<button type="submit" name="decision" value="deny">No thanks</button></form></body></html>""")


def authorize(
    state: FlickrState, request: Request, auto_approve: bool, default_user: str
) -> Response:
    params = request.params()
    token = state.request_tokens.get(params.get("oauth_token", ""))
    if token is None or time.time() - token.created > REQUEST_TOKEN_TTL:
        return Response.html(
            "<h1>Oops! This authorization request is invalid or has expired.</h1>", 400
        )
    perms = params.get("perms") or "read"
    if perms not in PERMS:
        return Response.html(f"<h1>Invalid perms {html.escape(perms)!s}</h1>", 400)
    username = params.get("username") or default_user
    decision = (
        params.get("decision") if request.method == "POST" else ("allow" if auto_approve else None)
    )
    if decision is None:
        return authorize_page(token, perms, username)
    if decision != "allow":
        del state.request_tokens[token.token]
        return _to_callback(token, {"oauth_token": token.token})
    account = state.account(username)
    token.perms, token.nsid, token.verifier = perms, account.nsid, secrets.token_hex(8)
    return _to_callback(token, {"oauth_token": token.token, "oauth_verifier": token.verifier})


def _to_callback(token: RequestToken, values: dict[str, str]) -> Response:
    if token.callback == "oob":
        code = values.get("oauth_verifier", "(denied)")
        return Response.html(
            f"<h1>Your verification code</h1><p id='verifier'>{html.escape(code)}</p>"
        )
    joiner = "&" if "?" in token.callback else "?"
    return Response.redirect(token.callback + joiner + urlencode(values))


def access_token(state: FlickrState, verifier: OAuthVerifier, request: Request) -> Response:
    params = request.params()
    try:
        verifier.caller(request, params, body_pairs_of(request), token_kind="request")
        oauth = {**params, **oauth_header_params(request)}
        token = state.request_tokens[oauth["oauth_token"]]
        if not token.verifier or oauth.get("oauth_verifier") != token.verifier:
            raise OAuthProblem(98, "verifier_invalid")
    except OAuthProblem as exc:
        return problem_response(exc)
    del state.request_tokens[token.token]
    account = state.accounts[token.nsid]
    access = mint_access_token(state, account, token.perms, token.api_key)
    return _form(
        {
            "fullname": account.fullname,
            "oauth_token": access.token,
            "oauth_token_secret": access.secret,
            "user_nsid": account.nsid,
            "username": account.username,
        }
    )


def mint_access_token(
    state: FlickrState, account: Account, perms: str, api_key: str
) -> AccessToken:
    if perms not in PERMS:
        raise ValueError(f"perms must be one of {', '.join(PERMS)}")
    token = AccessToken(
        f"{72157720000000000 + state.next()}-{secrets.token_hex(8)}",
        secrets.token_hex(8),
        account.nsid,
        perms,
        api_key,
    )
    state.access_tokens[token.token] = token
    state.touch()
    return token


def body_pairs_of(request: Request) -> list[tuple[str, str]]:
    """The urlencoded form body as pairs (what OAuth signs); empty for other content types."""
    if "application/x-www-form-urlencoded" not in request.headers.get("Content-Type", ""):
        return []
    return parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
