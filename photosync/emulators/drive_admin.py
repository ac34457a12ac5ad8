"""Drive's own admin routes (documented in :mod:`photosync.emulators.drive`'s docstring)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from photosync.emulators.drive_import import import_photos
from photosync.emulators.drive_seed import seed
from photosync.emulators.drive_store import QUOTA_LIMIT, UPLOAD_LIMIT
from photosync.emulators.server import Request, Response

if TYPE_CHECKING:
    from photosync.emulators.drive import DriveEmulator

DRIVE_SCOPE = "https://www.googleapis.com/auth/drive"


def admin_route(app: DriveEmulator, name: str, request: Request) -> Response | None:
    route = ROUTES.get((request.method, name))
    if route is None:
        return None
    body = request.json() if request.method == "POST" and request.body.strip() else {}
    if route is state:  # may generate seeded images for their checksums: not under the lock
        return state(app, body)
    with app.lock:
        response = route(app, body or {})
        if request.method == "POST":
            app.mark_dirty()
        return response


def state(app: DriveEmulator, body: dict[str, Any]) -> Response:
    with app.lock:
        accounts = sorted(app.store.accounts)
        rows = [
            (
                {
                    "id": f.id,
                    "name": f.name,
                    "parents": list(f.parents),
                    "mimeType": f.mimeType,
                    "appProperties": dict(f.appProperties),
                    "trashed": f.trashed,
                    "owner": f.owner,
                },
                f.blob,
            )
            for f in app.store.files.values()
            if f.parents
        ]
    for row, blob in rows:
        row["md5Checksum"] = app.facts.get(blob).md5 if blob else None
    return Response.json({"accounts": accounts, "files": [row for row, _ in rows]})


def seed_route(app: DriveEmulator, body: dict[str, Any]) -> Response:
    return Response.json(seed(app.store, body))


def import_route(app: DriveEmulator, body: dict[str, Any]) -> Response:
    email = body.get("account") or app.oauth.default_account
    return Response.json(import_photos(app.store, body, email, app.oauth.client["client_id"]))


def credentials(app: DriveEmulator, body: dict[str, Any]) -> Response:
    return Response.json(app.oauth.client_secrets(app.base_url))


def token(app: DriveEmulator, body: dict[str, Any]) -> Response:
    email = body.get("account") or app.oauth.default_account
    app.store.account(email)
    return Response.json(
        app.oauth.mint(email, list(body.get("scopes") or [DRIVE_SCOPE]), app.base_url)
    )


def revoke(app: DriveEmulator, body: dict[str, Any]) -> Response:
    if not body.get("refresh_token") and not body.get("account"):
        raise ValueError("give refresh_token or account")
    return Response.json(
        {"revoked": app.oauth.revoke(body.get("refresh_token"), body.get("account"))}
    )


def expire(app: DriveEmulator, body: dict[str, Any]) -> Response:
    return Response.json({"expired": app.oauth.expire(body.get("token"))})


def token_lifetime(app: DriveEmulator, body: dict[str, Any]) -> Response:
    app.oauth.lifetime = float(body["seconds"])
    return Response.json({"seconds": app.oauth.lifetime})


def account(app: DriveEmulator, body: dict[str, Any]) -> Response:
    app.oauth.default_account = body["account"]
    app.store.account(body["account"])
    return Response.json({"account": body["account"]})


def quota(app: DriveEmulator, body: dict[str, Any]) -> Response:
    limit = body.get("limit")
    app.store.quota_limit = QUOTA_LIMIT if limit is None else int(limit)
    return Response.json({"limit": app.store.quota_limit})


def upload_limit(app: DriveEmulator, body: dict[str, Any]) -> Response:
    if "bytes" in body:
        limit = body["bytes"]
        app.store.upload_limit = UPLOAD_LIMIT if limit is None else int(limit)
    if "used" in body:
        app.store.uploaded = {}
        for email in app.store.accounts:
            app.store.count_upload(email, int(body["used"]))
    used = {email: app.store.uploaded_today(email) for email in app.store.accounts}
    return Response.json({"bytes": app.store.upload_limit, "used": used})


ROUTES = {
    ("GET", "state"): state,
    ("POST", "seed"): seed_route,
    ("POST", "import"): import_route,
    ("GET", "credentials"): credentials,
    ("POST", "token"): token,
    ("POST", "revoke"): revoke,
    ("POST", "expire"): expire,
    ("POST", "token_lifetime"): token_lifetime,
    ("POST", "account"): account,
    ("POST", "quota"): quota,
    ("POST", "upload_limit"): upload_limit,
}
