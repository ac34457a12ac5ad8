"""The emulated Google Drive v3: routes, bearer checks, partial responses, admin routes.

Built to the client's own API description (``drive.v3.json``, served back at
``/discovery/v1/apis/drive/v3/rest`` with ``rootUrl`` pointing here): method ids, scopes and
response schemas come from it. The rules of the data live in :mod:`drive_store`, the ``q``
language in :mod:`drive_query`, ``fields`` in :mod:`drive_fields`, OAuth in :mod:`drive_oauth`,
uploads in :mod:`drive_upload`.

Admin routes (bodies are JSON; not part of the real API):

- ``GET /_admin/state`` -> ``{"accounts": [email...], "files": [{id, name, parents, mimeType,
  md5Checksum, appProperties, trashed, owner}...]}`` (root folders left out; a seeded photo's
  checksum makes its image once, ~0.7 ms each, so the first state of 50,000 takes ~30 s).
- ``POST /_admin/seed`` ``{"account": "tester@example.com", "count": 100, "albums": 5, "seed": 0,
  "parent": "Photos" (null: albums in My Drive), "width": 64, "height": 48,
  "start": "2015-01-01T09:00:00"}`` -> ``{"account", "root", "parent", "albums": [ids], "files":
  N}``.
- ``POST /_admin/import`` ``{"account": email (default: the sign-in account), "folder":
  "Photos", "photos": [{"name", "album" (or null), "taken" ("YYYY-MM-DDTHH:MM:SS" or null),
  "signature", "md5", "size"}...]}`` -> ``{"imported": N, "albums": M}``: files exactly as
  photosync's uploads leave them (see ``drive_import``), ``md5Checksum`` and ``size`` as given,
  bytes a generated stand-in: for benchmarks of listings and change feeds, not transfers.
- ``POST /_admin/reset`` -> files, accounts, changes, tokens and call counts cleared (the OAuth
  client stays, so a secrets file already handed out keeps working).
- ``GET /_admin/credentials`` -> ``{"installed": {client_id, client_secret, project_id, auth_uri,
  token_uri, auth_provider_x509_cert_url, redirect_uris}}``.
- ``POST /_admin/token`` ``{"account": "tester@example.com", "scopes": [".../auth/drive"]}`` ->
  ``{token, refresh_token, token_uri, client_id, client_secret, scopes, expiry, account}``
  (``Credentials.from_authorized_user_info(doc).with_token_uri(doc["token_uri"])``: that
  constructor silently replaces ``token_uri`` with Google's; ``drive_client.mint_credentials``).
- ``POST /_admin/revoke`` ``{"refresh_token": ..}`` or ``{"account": ..}`` -> ``{"revoked": N}``.
- ``POST /_admin/expire`` ``{"token": ..}`` (omitted: every access token) -> ``{"expired": N}``.
- ``POST /_admin/token_lifetime`` ``{"seconds": 3599}``: lifetime of access tokens issued next.
- ``POST /_admin/account`` ``{"account": email}``: who signs in on the consent page.
- ``POST /_admin/quota`` ``{"limit": bytes}`` (``null``: the default 15 GiB): each account's
storage;
  content that would not fit is refused with 403 ``storageQuotaExceeded`` (a resumable upload at
  its start, from ``X-Upload-Content-Length``), and ``about.get`` reports the limit.
- ``POST /_admin/upload_limit`` ``{"bytes": N, "used": M}`` -> ``{"bytes": N, "used": {email:
  bytes}}``: the daily upload limit per account (``bytes``; ``null``: the default 750 GB) and,
  when given, the bytes every account has uploaded today (``used``; ``0``: a new day). Once an
  account's uploads of the UTC day reach the limit, every new upload (media, multipart, or the
  start of a resumable session) is refused with 403 ``userRateLimitExceeded`` and the bare
  message "User rate limit exceeded." (the shape rclone's ``--drive-stop-on-upload-limit`` keys
  on; Google documents neither the limit nor the error). Assumed from Google Drive Help ("users
  who reach the 750-GB limit ... cannot upload additional files that day. Uploads that are in
  progress will complete"): resumable sessions opened before are finished and counted, so the
  upload that crosses the limit is stored whole; the day is the UTC day (Google does not say
  when its day turns). The ordinary per-user rate limit answers the same reason with Google's
  long message ("User Rate Limit Exceeded. Rate of requests for user exceed ...") and a
  Retry-After.
"""

from __future__ import annotations

import copy
import json
import re
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from photosync.emulators import drive_fields, drive_query
from photosync.emulators import drive_thumbnails as thumbnails
from photosync.emulators.drive_changes import ChangeLog
from photosync.emulators.drive_errors import (
    DriveError,
    invalid_parameter,
    invalid_query,
    not_found,
    rate_limited,
)
from photosync.emulators.drive_feeds import FeedsApi
from photosync.emulators.drive_files import CONTENT_FIELDS, ContentFacts, DriveFile, resource
from photosync.emulators.drive_oauth import OAuthServer
from photosync.emulators.drive_params import (
    decode_page_token,
    encode_page_token,
    id_list,
    int_param,
    json_body,
    order_by,
    sub_selection,
)
from photosync.emulators.drive_store import DriveStore
from photosync.emulators.drive_upload import ResumableSessions, Session, media_body, multipart_body
from photosync.emulators.server import EmulatorApp, Faults, Request, Response

DISCOVERY = (
    Path(str(__import__("googleapiclient").__file__)).parent
    / "discovery_cache/documents/drive.v3.json"
)
FULL_SCOPES = {
    "drive",
    "drive.readonly",
    "drive.metadata",
    "drive.metadata.readonly",
    "drive.photos.readonly",
}
CONTENT_SCOPES = ["drive", "drive.readonly", "drive.file", "drive.appdata", "drive.photos.readonly"]

# (HTTP method, path pattern) -> method id; the first match wins.
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(p), name)
    for m, p, name in [
        ("GET", r"/drive/v3/files/generateIds", "drive.files.generateIds"),
        ("GET", r"/drive/v3/files", "drive.files.list"),
        ("POST", r"/drive/v3/files", "drive.files.create"),
        ("GET", r"/drive/v3/files/(?P<id>[^/]+)", "drive.files.get"),
        ("PATCH", r"/drive/v3/files/(?P<id>[^/]+)", "drive.files.update"),
        ("DELETE", r"/drive/v3/files/(?P<id>[^/]+)", "drive.files.delete"),
        ("GET", r"/drive/v3/changes/startPageToken", "drive.changes.getStartPageToken"),
        ("GET", r"/drive/v3/changes", "drive.changes.list"),
        ("GET", r"/drive/v3/about", "drive.about.get"),
        ("POST", r"(?:/resumable)?/upload/drive/v3/files", "drive.files.create"),
        ("PUT", r"(?:/resumable)?/upload/drive/v3/files", "drive.files.create"),
        ("PATCH", r"(?:/resumable)?/upload/drive/v3/files/(?P<id>[^/]+)", "drive.files.update"),
        ("PUT", r"(?:/resumable)?/upload/drive/v3/files/(?P<id>[^/]+)", "drive.files.update"),
        ("GET", r"/discovery/v1/apis/drive/v3/rest|/\$discovery/rest", "discovery.apis.getRest"),
        ("GET", r"/drive-storage/(?P<link>[A-Za-z0-9_-]+)=s(?P<size>\d+)", "thumbnail"),
        ("GET", r"/o/oauth2(?:/v2)?/auth", "oauth2.authorize"),
        ("POST", r"/o/oauth2/approve", "oauth2.approve"),
        ("POST", r"/token|/o/oauth2/token", "oauth2.token"),
        ("POST", r"/revoke|/o/oauth2/revoke", "oauth2.revoke"),
    ]
]


class DriveEmulator(FeedsApi, EmulatorApp):
    name = "drive"

    def __init__(
        self,
        data_dir: Path | None = None,
        rate_limit: int | None = None,
        auto_approve: bool = False,
        faults: Faults | None = None,
    ):
        super().__init__(data_dir, rate_limit, auto_approve, faults)
        self.discovery = json.loads(DISCOVERY.read_text())
        self.schemas = self.discovery["schemas"]
        scopes = set(self.discovery["auth"]["oauth2"]["scopes"])
        self.oauth = OAuthServer(scopes)
        self.facts = ContentFacts(self.blobs.get)
        self.store = DriveStore(self.facts)
        self.uploads = ResumableSessions()
        self._method_scopes = {
            m["id"]: m.get("scopes", [])
            for r in self.discovery["resources"].values()
            for m in r.get("methods", {}).values()
        }
        self._discovery_cache: dict[str, bytes] = {}
        self.thumbnails = thumbnails.Thumbnails()

    # --- EmulatorApp hooks -----------------------------------------------------------------
    def method_name(self, request: Request) -> str:
        return self._route(request)[0]

    def rate_limit_key(self, request: Request) -> str | None:
        name = self._route(request)[0]
        return self.oauth.account_of(request) if name.startswith("drive.") else None

    def rate_limited(self, retry_after: float) -> Response:
        # The configured per-user limit answers 403 userRateLimitExceeded (its retry_after is a
        # float); an injected rate-limit fault (retry_after 30, an int) answers 429
        # rateLimitExceeded.
        return rate_limited(isinstance(retry_after, float), retry_after).response()

    def server_error(self, status: int) -> Response:
        if status == 502:  # Google's front end answers 502 with an HTML page, not JSON
            return Response.html(
                "<!DOCTYPE html><title>Error 502 (Server Error)!!1</title>"
                "<p><b>502.</b> That's an error.",
                502,
            )
        reason, message = (
            ("backendError", "Internal Error")
            if status == 500
            else ("backendError", "Service Unavailable" if status == 503 else "Bad Gateway")
        )
        return DriveError(status, reason, message).response()

    def handle(self, request: Request) -> Response:
        name, args = self._route(request)
        handler = self._handlers().get(name)
        if handler is None:
            return DriveError(
                404, "notFound", f"Not Found: {request.method} {request.path}"
            ).response()
        try:
            return handler(request, **args)
        except DriveError as error:
            return error.response()
        except drive_fields.FieldsError as error:
            return invalid_parameter("fields", str(error)).response()

    # --- routing ---------------------------------------------------------------------------
    def _route(self, request: Request) -> tuple[str, dict[str, str]]:
        cached = getattr(request, "_drive_route", None)
        if cached:
            return cached
        override = request.headers.get("X-HTTP-Method-Override")
        if override and request.method == "POST":  # googleapiclient's long GETs: query in the body
            request.method = override.upper()
            if "application/x-www-form-urlencoded" in request.headers.get("Content-Type", ""):
                request.query = {**request.query, **request.form()}
                request.body = b""
        route: tuple[str, dict[str, str]] = (f"{request.method} {request.path}", {})
        for method, pattern, name in ROUTES:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                route = (name, match.groupdict())
                break
        request._drive_route = route  # type: ignore[attr-defined]
        return route

    def _handlers(self) -> dict[str, Callable[..., Response]]:
        return {
            "drive.files.list": self.files_list,
            "drive.files.get": self.files_get,
            "drive.files.create": self.files_create,
            "drive.files.update": self.files_update,
            "drive.files.delete": self.files_delete,
            "drive.files.generateIds": self.generate_ids,
            "drive.changes.getStartPageToken": self.start_token,
            "drive.changes.list": self.changes_list,
            "drive.about.get": self.about_get,
            "discovery.apis.getRest": self.discovery_doc,
            "thumbnail": self.thumbnail,
            "oauth2.authorize": lambda r: self.oauth.authorize_page(r, self.auto_approve),
            "oauth2.approve": self._locked(self.oauth.decide),
            "oauth2.token": self._locked(self.oauth.token),
            "oauth2.revoke": self.revoke,
        }

    def _locked(self, fn: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def run(request: Request) -> Response:
            with self.lock:
                response = fn(request)
                self.mark_dirty()
                return response

        return run

    def _grant(self, request: Request, method: str, content: bool = False) -> dict[str, Any]:
        scopes = self._method_scopes.get(method, [])
        if content:  # metadata scopes may not read bytes
            scopes = [s for s in scopes if s.rsplit("/", 1)[-1] in CONTENT_SCOPES]
        with self.lock:
            return self.oauth.authorize(request, scopes)

    def _visible(self, grant: dict[str, Any]) -> Callable[[DriveFile], bool]:
        """drive.file / drive.appdata tokens see only the files their app created."""
        client = self._viewer(grant)
        if client is None:
            return lambda f: True
        return lambda f: f.app == client or not f.parents

    def _viewer(self, grant: dict[str, Any]) -> str | None:
        """Whose files a grant sees: every file (None) or its app's own (its client id)."""
        if any(s.rsplit("/", 1)[-1] in FULL_SCOPES for s in grant["scopes"]):
            return None
        return str(grant["client_id"])

    def _file(self, grant: dict[str, Any], file_id: str) -> DriveFile:
        f = self.store.get(grant["email"], file_id)
        if not self._visible(grant)(f):
            raise not_found(file_id)
        return f

    # --- responses -------------------------------------------------------------------------
    def _fields(self, request: Request, schema: str) -> drive_fields.Selection | None:
        text = request.query.get("fields")
        if not text:
            return None
        selection = drive_fields.parse(text)
        drive_fields.validate(selection, schema, self.schemas)
        return selection

    def _file_json(self, f: DriveFile, selection: drive_fields.Selection | None) -> dict[str, Any]:
        keys = None if selection is None else set(selection)
        out = resource(f, keys, self.facts.get, self.store.owner_resource(f.owner))
        if keys and ({"thumbnailLink", "hasThumbnail", "*"} & keys):
            out.update(thumbnails.fields(f, self.base_url))
        return drive_fields.apply(out, selection)

    def thumbnail(self, request: Request, link: str, size: str) -> Response:
        """A ``thumbnailLink``: no bearer needed, the link itself is the credential (see
        :mod:`drive_thumbnails`)."""
        with self.lock:
            f = thumbnails.file_of(link, self.store.files)
            blob = f.blob if f else None
        if f is None or blob is None:
            return Response(404, b"Not Found")
        data = self.thumbnails.get(blob, min(int(size), thumbnails.MAX_EDGE), self.blobs.get)
        if data is None:
            return Response(404, b"Not Found")
        return Response(200, data, content_type="image/jpeg")

    def _warm(self, files: list[DriveFile], selection: drive_fields.Selection | None) -> None:
        """Compute content facts (generating seeded images) outside the lock, so a first listing
        of a large seeded account does not stall every other client."""
        content = {*CONTENT_FIELDS, "*"}
        if selection is not None and content & set(selection):
            for f in files:
                if f.blob:
                    self.facts.get(f.blob)

    def _file_answer(self, request: Request, f: DriveFile) -> Response:
        return Response.json(self._file_json(f, self._fields(request, "File")))

    # --- files -----------------------------------------------------------------------------
    def files_list(self, request: Request) -> Response:
        grant = self._grant(request, "drive.files.list")
        selection = self._fields(request, "FileList")
        size = int_param(request, "pageSize", 100, 1, 1000)
        try:
            with self.lock:
                root = self.store.account(grant["email"])["root"]
            predicate, bound = drive_query.parse_bounded(request.query.get("q", ""),
                                                         {"root": root})
        except drive_query.QueryError:
            raise invalid_query() from None
        order = order_by(
            request.query.get("orderBy", ""),
            lambda f: self.facts.size_or_estimate(f.blob) if f.blob else 0,
        )
        fingerprint = zlib.crc32(
            f"{request.query.get('q', '')}|{request.query.get('orderBy', '')}".encode()
        )
        offset = decode_page_token(request.query.get("pageToken"), fingerprint)
        email, visible = grant["email"], self._visible(grant)
        inner = sub_selection(selection, "files")

        def matching() -> list[DriveFile]:
            candidates = self.store.files.values() if bound is None else \
                self.store.in_folders(bound)
            found = [f for f in candidates
                     if f.owner == email and f.parents and visible(f) and predicate(f, email)]
            for key, reverse in reversed(order):
                found.sort(key=key, reverse=reverse)
            return found

        with self.lock:
            matches = self.store.listing(
                (email, self._viewer(grant), request.query.get("q", ""),
                 request.query.get("orderBy", "")), matching)
            page = matches[offset : offset + size]
        self._warm(page, inner)
        with self.lock:
            files = [self._file_json(f, inner) for f in page]
        body: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False, "files": files}
        if offset + size < len(matches):
            body["nextPageToken"] = encode_page_token(offset + size, fingerprint)
        if selection is not None:
            body = drive_fields.apply(
                body, {k: None if k == "files" else v for k, v in selection.items()}
            )
        return Response.json(body)

    def files_get(self, request: Request, id: str) -> Response:  # noqa: A002 - Drive's path name
        media = request.query.get("alt") == "media"
        grant = self._grant(request, "drive.files.get", content=media)
        with self.lock:
            f = self._file(grant, id)
            if not media:
                return self._file_answer(request, f)
            if not f.blob:
                raise DriveError(
                    403,
                    "fileNotDownloadable",
                    "Only files with binary content can be "
                    "downloaded. Use Export with Docs Editors files.",
                    location="alt",
                )
            blob, mime = f.blob, f.mimeType
        return Response.file(self.blobs.get(blob), request, mime)

    def files_create(self, request: Request) -> Response:
        if "upload_id" in request.query:  # the session URI is the credential, as on Google
            return self.uploads.put(request, self._finish_resumable)
        grant = self._grant(request, "drive.files.create")
        if request.path.endswith("/drive/v3/files") and request.path.startswith("/drive"):
            self._fields(request, "File")
            return self._write(request, grant, json_body(request), None, None)
        return self._upload(request, grant, None)

    def files_update(self, request: Request, id: str) -> Response:  # noqa: A002
        if "upload_id" in request.query:
            return self.uploads.put(request, self._finish_resumable)
        grant = self._grant(request, "drive.files.update")
        if request.path.startswith("/drive/"):
            self._fields(request, "File")
            return self._write(request, grant, json_body(request), None, None, id)
        return self._upload(request, grant, id)

    def _upload(self, request: Request, grant: dict[str, Any], file_id: str | None) -> Response:
        self._fields(request, "File")
        kind = request.query.get("uploadType")
        if kind in ("media", "multipart", "resumable"):  # a session under way is not refused
            with self.lock:
                self.store.check_upload_limit(grant["email"])
        if kind == "media":
            data, ctype = media_body(request)
            return self._write(request, grant, {}, data, ctype, file_id)
        if kind == "multipart":
            meta, data, ctype = multipart_body(request)
            return self._write(request, grant, meta, data, ctype, file_id)
        if kind == "resumable":
            meta = json_body(request)
            if file_id:
                with self.lock:
                    self._file(grant, file_id)
            url = f"{self.base_url}/upload/drive/v3/files" + (f"/{file_id}" if file_id else "")
            with self.lock:
                self.store.check_quota(
                    grant["email"], int(request.headers.get("X-Upload-Content-Length") or 0)
                )
                return self.uploads.start(
                    request, grant["email"], grant["client_id"], {**meta, "__file_id": file_id}, url
                )
        raise invalid_parameter("uploadType", "Invalid value for: uploadType is not a valid value")

    def _finish_resumable(self, session: Session, data: bytes) -> Response:
        meta = dict(session.meta)
        file_id = meta.pop("__file_id", None)
        grant = {"email": session.account, "client_id": session.client, "scopes": ["drive"]}
        fake = Request("PUT", "", session.params, {}, b"", "")
        try:
            return self._write(fake, grant, meta, data, session.content_type, file_id)
        except DriveError as error:
            return error.response()

    def _write(
        self,
        request: Request,
        grant: dict[str, Any],
        meta: dict[str, Any],
        data: bytes | None,
        ctype: str | None,
        file_id: str | None = None,
    ) -> Response:
        blob = None
        if data is not None:
            with self.lock:
                self.store.check_quota(grant["email"], len(data))
                self.store.count_upload(grant["email"], len(data))
            blob = self.blobs.put(data)
            self.facts.learn(blob, data)
        q = request.query
        with self.lock:
            if file_id is None:
                f = self.store.create(grant["email"], grant["client_id"], meta, blob, ctype)
            else:
                self._file(grant, file_id)
                f = self.store.update(
                    grant["email"],
                    file_id,
                    meta,
                    id_list(q.get("addParents")),
                    id_list(q.get("removeParents")),
                    blob,
                    ctype,
                )
            self.mark_dirty()
            return self._file_answer(request, f)

    def files_delete(self, request: Request, id: str) -> Response:  # noqa: A002
        grant = self._grant(request, "drive.files.delete")
        with self.lock:
            self._file(grant, id)
            self.store.delete(grant["email"], id)
            self.mark_dirty()
        return Response(204, b"", {}, "text/html")

    # --- discovery and oauth ---------------------------------------------------------------
    def discovery_doc(self, request: Request) -> Response:
        base = self.base_url.rstrip("/") + "/"
        if base not in self._discovery_cache:
            doc = copy.deepcopy(self.discovery)
            doc.update(rootUrl=base, baseUrl=base + doc["servicePath"], mtlsRootUrl=base)
            self._discovery_cache[base] = json.dumps(doc).encode()
        return Response(200, self._discovery_cache[base], {}, "application/json; charset=UTF-8")

    def revoke(self, request: Request) -> Response:
        token = request.query.get("token") or request.form().get("token", "")
        with self.lock:
            grant = self.oauth.access.get(token)
            found = self.oauth.revoke(refresh_token=grant["refresh"] if grant else token)
            self.mark_dirty()
        if not found:
            return Response.json(
                {"error": "invalid_token", "error_description": "Token expired or revoked"}, 400
            )
        return Response.json({})

    # --- admin -----------------------------------------------------------------------------
    def admin(self, name: str, request: Request) -> Response | None:
        from photosync.emulators.drive_admin import admin_route

        return admin_route(self, name, request)

    def snapshot(self) -> dict[str, Any]:
        return {
            "accounts": self.store.accounts,
            "files": [f.to_json() for f in self.store.files.values()],
            "changes": self.store.changes.snapshot(),
            "issued_ids": sorted(self.store.issued_ids),
            "oauth": self.oauth.snapshot(),
            "uploads": self.uploads.snapshot(),
            "default_account": self.oauth.default_account,
        }

    def restore(self, state: dict[str, Any]) -> None:
        with self.lock:
            self.store.accounts = state["accounts"]
            self.store.files = {row["id"]: DriveFile(**row) for row in state["files"]}
            self.store.changes = ChangeLog.restore(state["changes"])
            self.store.issued_ids = set(state["issued_ids"])
            self.store.forget_listings()
            self.oauth.restore(state["oauth"])
            self.oauth.default_account = state.get("default_account", self.oauth.default_account)
            self.uploads.restore(state.get("uploads", []))

    def reset(self) -> None:
        self.store = DriveStore(self.facts)
        self.uploads = ResumableSessions()
        client = self.oauth.client
        self.oauth = OAuthServer(self.oauth.known_scopes)
        self.oauth.client = client
