"""Google's OAuth 2.0 for installed apps, emulated: consent page, codes, tokens, refresh, revoke.

``GET /o/oauth2/auth`` shows an Allow/Deny page (or, auto-approving, redirects at once) and sends
the browser to the app's loopback ``redirect_uri`` with ``code`` and the app's ``state``, or
``error=access_denied``. ``POST /token`` swaps a code for tokens (client id and secret checked,
``redirect_uri`` must equal the one of the authorization request, PKCE verified when a
``code_challenge`` was sent) or refreshes (``invalid_grant`` for an unknown or revoked refresh
token). Access tokens expire after ``lifetime`` seconds. Answers follow Google's token endpoint:
``{"error": "invalid_grant", "error_description": ...}``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from photosync.emulators.drive_errors import insufficient_scopes, unauthenticated
from photosync.emulators.server import Request, Response

SCOPE_ROOT = "https://www.googleapis.com/auth/"
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
CODE_LIFETIME = 600.0
DEFAULT_ACCOUNT = "tester@example.com"


class OAuthServer:
    """Clients, authorization codes, access and refresh tokens of the emulated Google."""

    def __init__(self, known_scopes: set[str], clock: Callable[[], float] = time.time):
        self.known_scopes = known_scopes
        self.clock = clock
        self.lifetime = 3599.0
        self.client = {
            "client_id": f"{secrets.token_hex(6)}-emulated.apps.googleusercontent.com",
            "client_secret": "GOCSPX-" + secrets.token_urlsafe(21),
        }
        self.codes: dict[str, dict[str, Any]] = {}
        self.access: dict[str, dict[str, Any]] = {}
        self.refresh: dict[str, dict[str, Any]] = {}
        self.default_account = DEFAULT_ACCOUNT

    # --- documents for the admin routes ----------------------------------------------------
    def client_secrets(self, base_url: str) -> dict[str, Any]:
        return {
            "installed": {
                **self.client,
                "project_id": "photosync-emulated",
                "auth_uri": f"{base_url}/o/oauth2/auth",
                "token_uri": f"{base_url}/token",
                "auth_provider_x509_cert_url": f"{base_url}/oauth2/v1/certs",
                "redirect_uris": ["http://localhost"],
            }
        }

    def mint(self, email: str, scopes: list[str], base_url: str) -> dict[str, Any]:
        """An authorized-user document ``Credentials.from_authorized_user_info`` accepts."""
        grant = self._issue(email, self.client["client_id"], scopes)
        expiry = datetime.fromtimestamp(self.access[grant["access_token"]]["expires"], UTC)
        return {
            "token": grant["access_token"],
            "refresh_token": grant["refresh_token"],
            "token_uri": f"{base_url}/token",
            **self.client,
            "scopes": scopes,
            "account": email,
            "expiry": expiry.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z",
        }

    def revoke(self, refresh_token: str | None = None, account: str | None = None) -> int:
        """Revoke refresh tokens (one, or all of an account) and their access tokens."""
        count = 0
        for token, grant in self.refresh.items():
            if token == refresh_token or (account and grant["email"] == account):
                grant["revoked"] = True
                count += 1
        revoked = {t for t, g in self.refresh.items() if g["revoked"]}
        for grant in self.access.values():
            if grant.get("refresh") in revoked:
                grant["expires"] = 0.0
        return count

    def expire(self, access_token: str | None = None) -> int:
        targets = [access_token] if access_token else list(self.access)
        for token in targets:
            if token in self.access:
                self.access[token]["expires"] = 0.0
        return len(targets)

    # --- checking API calls ----------------------------------------------------------------
    def authorize(self, request: Request, allowed_scopes: list[str]) -> dict[str, Any]:
        """The grant behind the request's bearer token, or DriveError 401/403."""
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        token = token or request.query.get("access_token") or request.query.get("oauth_token", "")
        if not token:
            raise unauthenticated(missing=True)
        grant = self.access.get(token)
        if grant is None or grant["expires"] <= self.clock():
            raise unauthenticated(missing=False)
        if allowed_scopes and not set(grant["scopes"]) & set(allowed_scopes):
            raise insufficient_scopes()
        return grant

    def account_of(self, request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        grant = self.access.get(header[7:].strip()) if header[:7].lower() == "bearer " else None
        return grant["email"] if grant else None

    # --- the browser part ------------------------------------------------------------------
    def authorize_page(self, request: Request, auto_approve: bool) -> Response:
        params = dict(request.query)
        problem = self._check_auth_request(params)
        if problem:
            return Response.html(f"<h1>Error 400: {html.escape(problem)}</h1>", 400)
        scopes = params.get("scope", "").split()
        unknown = [s for s in scopes if s not in self.known_scopes]
        if not scopes or unknown:
            return self._back(params, {"error": "invalid_scope"})
        if auto_approve:
            return self._approved(params)
        return Response.html(consent_html(params, self.default_account))

    def decide(self, request: Request) -> Response:
        params = request.form()
        problem = self._check_auth_request(params)
        if problem:
            return Response.html(f"<h1>Error 400: {html.escape(problem)}</h1>", 400)
        if params.get("decision") != "allow":
            return self._back(params, {"error": "access_denied"})
        return self._approved(params)

    def _check_auth_request(self, params: dict[str, str]) -> str | None:
        if params.get("client_id") != self.client["client_id"]:
            return "invalid_client: The OAuth client was not found."
        if params.get("response_type") != "code":
            return "unsupported_response_type"
        if not redirect_allowed(params.get("redirect_uri", "")):
            return "redirect_uri_mismatch"
        return None

    def _approved(self, params: dict[str, str]) -> Response:
        code = "4/0A" + secrets.token_urlsafe(30)
        self.codes[code] = {
            "client_id": params["client_id"],
            "redirect_uri": params["redirect_uri"],
            "scopes": params["scope"].split(),
            "email": params.get("login_hint") or self.default_account,
            "challenge": params.get("code_challenge"),
            "method": params.get("code_challenge_method", "plain"),
            "expires": self.clock() + CODE_LIFETIME,
        }
        return self._back(params, {"code": code, "scope": params["scope"]})

    @staticmethod
    def _back(params: dict[str, str], answer: dict[str, str]) -> Response:
        if "state" in params:
            answer = {"state": params["state"], **answer}
        sep = "&" if "?" in params["redirect_uri"] else "?"
        return Response.redirect(params["redirect_uri"] + sep + urlencode(answer))

    # --- the token endpoint ----------------------------------------------------------------
    def token(self, request: Request) -> Response:
        form = request.form()
        client_id, secret = _client_credentials(request, form)
        if client_id != self.client["client_id"]:
            return _token_error("invalid_client", "The OAuth client was not found.", 401)
        if secret != self.client["client_secret"]:
            return _token_error("invalid_client", "Unauthorized", 401)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(form, client_id)
        if grant_type == "refresh_token":
            return self._refresh(form, client_id)
        return _token_error("unsupported_grant_type", "Invalid grant_type: " + (grant_type or ""))

    def _exchange_code(self, form: dict[str, str], client_id: str) -> Response:
        pending = self.codes.pop(form.get("code", ""), None)
        if (
            pending is None
            or pending["expires"] <= self.clock()
            or pending["client_id"] != client_id
        ):
            return _token_error("invalid_grant", "Malformed auth code.")
        if form.get("redirect_uri") != pending["redirect_uri"]:
            return _token_error("redirect_uri_mismatch", "Bad Request")
        if pending["challenge"]:
            verifier = form.get("code_verifier")
            if not verifier:
                return _token_error("invalid_grant", "Missing code verifier.")
            if pkce(verifier, pending["method"]) != pending["challenge"]:
                return _token_error("invalid_grant", "Invalid code verifier.")
        grant = self._issue(pending["email"], client_id, pending["scopes"])
        return Response.json(grant, headers={"Cache-Control": "no-store"})

    def _refresh(self, form: dict[str, str], client_id: str) -> Response:
        stored = self.refresh.get(form.get("refresh_token", ""))
        if stored is None or stored["revoked"] or stored["client_id"] != client_id:
            return _token_error("invalid_grant", "Token has been expired or revoked.")
        scopes = form.get("scope", "").split() or stored["scopes"]
        if not set(scopes) <= set(stored["scopes"]):
            return _token_error("invalid_scope", "Some requested scopes were invalid.")
        token = "ya29." + secrets.token_urlsafe(40)
        self.access[token] = {
            "email": stored["email"],
            "client_id": client_id,
            "scopes": scopes,
            "expires": self.clock() + self.lifetime,
            "refresh": form["refresh_token"],
        }
        return Response.json(
            {
                "access_token": token,
                "expires_in": int(self.lifetime),
                "scope": " ".join(scopes),
                "token_type": "Bearer",
            },
            headers={"Cache-Control": "no-store"},
        )

    def _issue(self, email: str, client_id: str, scopes: list[str]) -> dict[str, Any]:
        access, refresh = "ya29." + secrets.token_urlsafe(40), "1//0" + secrets.token_urlsafe(40)
        self.refresh[refresh] = {
            "email": email,
            "client_id": client_id,
            "scopes": scopes,
            "revoked": False,
        }
        self.access[access] = {
            "email": email,
            "client_id": client_id,
            "scopes": scopes,
            "expires": self.clock() + self.lifetime,
            "refresh": refresh,
        }
        return {
            "access_token": access,
            "expires_in": int(self.lifetime),
            "refresh_token": refresh,
            "scope": " ".join(scopes),
            "token_type": "Bearer",
        }

    # --- persistence -----------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "lifetime": self.lifetime,
            "access": self.access,
            "refresh": self.refresh,
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.client = state["client"]
        self.lifetime = state["lifetime"]
        self.access, self.refresh = state["access"], state["refresh"]


def redirect_allowed(uri: str) -> bool:
    """Installed apps registered with ``http://localhost`` may use any loopback port and path."""
    parts = urlsplit(uri)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


def pkce(verifier: str, method: str) -> str:
    if method == "S256":
        return (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
    return verifier


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """Client id/secret from the form or from HTTP Basic auth (both are allowed)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        from urllib.parse import unquote

        raw = base64.b64decode(header[6:]).decode()
        user, _, password = raw.partition(":")
        return unquote(user), unquote(password)
    return form.get("client_id", ""), form.get("client_secret", "")


def _token_error(error: str, description: str, status: int = 400) -> Response:
    return Response.json({"error": error, "error_description": description}, status)


def consent_html(params: dict[str, str], account: str) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
    )
    scopes = "".join(f"<li>{html.escape(s)}</li>" for s in params.get("scope", "").split())
    return (
        f"<!doctype html><title>Sign in - Google Accounts (emulated)</title>"
        f"<h1>photosync wants to access your Google Account</h1><p>{html.escape(account)}</p>"
        f"<ul>{scopes}</ul><form method=post action=/o/oauth2/approve>{hidden}"
        f"<button name=decision value=allow>Allow</button> "
        f"<button name=decision value=deny>Deny</button></form>"
    )
