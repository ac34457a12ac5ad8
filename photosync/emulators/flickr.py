"""The emulated Flickr: REST API, OAuth 1.0a, uploads, and the photo files themselves.

Routes (all on the emulator's own host and port):

- ``/services/rest/``: every method in ``flickr_reflection/``, XML (default) or JSON.
- ``/services/oauth/request_token``, ``/authorize``, ``/access_token``: see ``flickr_oauth``.
- ``/services/upload/``, ``/services/replace/``: see ``flickr_upload``.
- ``/{server}/{id}_{secret}[_{suffix}].jpg`` and ``/{server}/{id}_{originalsecret}_o.{format}``:
  the photo files, with Range. Flickr serves these from ``live.staticflickr.com``; the emulator
  serves them from itself (``base_url``) so one loopback port is all a test needs.
- ``/photos/{user}/{id}/play/{orig|site|player}/{secret}/``: a video's file: ``orig`` 302 to the
  original (to ``photo_unavailable.png`` when withheld), ``site`` the transcoded stream (once the
  video is processed, else 404).
- ``/pw/images/en-us/photo_unavailable.png``: Flickr's "This photo is no longer available"
  picture (on Flickr it is on ``s.yimg.com``), where file servers send what is not available.
- ``/_admin/...``: see ``flickr_admin``.

Free and Pro accounts (``POST /_admin/account``; Pro unless set). Since 2025-05-15 nobody, the
owner included, may download the Original or any size larger than 1024 px of a free account's
photos (blog.flickr.net, 2025-04-15, "Service Update: Original & Large Size Download Limitations
on Free Accounts"; gallery-dl #7381/#8591 and DAKboard #2368 met it as "only 1024 px comes").
Flickr documents no API change, so the emulator assumes the least a client may count on:

- ``photos.getSizes`` lists the generated sizes up to "Large" (1024) and no "Original" (no
  "Video Original" for videos), with ``candownload="0"``; the ``url_o``/``url_h``/``url_k``/
  ``url_3k``..``url_6k`` extras are absent, as are ``originalsecret``/``originalformat`` and
  ``o_dims`` (Flickr's URL docs: they come "only when the caller has permission to view the
  original size"), in listings and in ``photos.getInfo`` (``usage.candownload="0"``).
- The file servers answer those sizes' URLs, even ones handed out while the account was Pro,
  as they answer any file not available: a 302 to ``photo_unavailable.png`` (a picture served
  with 200, which scrapers have long detected by its URL). Large 1024 and smaller are served.
- Creative Commons / public-domain photos and Flickr Commons are exempt on Flickr; the emulator
  has no licences (every photo is "All rights reserved"), so every free account's photo is
  restricted. The account going Pro gives everything back at once, with the same secrets.

Each request is checked in Flickr's order: format (111), method (112), API key (100), token (98),
signature/timestamp/nonce (96), permissions (99: also a needslogin method called with an API key
alone, as Flickr answers it), signing required (97, for a method that signs without a login), then
the method's own
required arguments and errors, with the codes and messages of Flickr's reflection files.
"""

from __future__ import annotations

import copy
import hashlib
import re
import subprocess
import tempfile
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from photosync.emulators import (
    flickr_account,
    flickr_admin,
    flickr_oauth,
    flickr_read,
    flickr_sets,
    flickr_upload,
    flickr_write,
)
from photosync.emulators import flickr_format as fmt
from photosync.emulators.flickr_calls import METHODS, Call
from photosync.emulators.flickr_oauth import OAuthProblem, OAuthVerifier
from photosync.emulators.flickr_spec import (
    COMMON_ERRORS,
    PERM_LEVELS,
    PERM_NAMES,
    ApiError,
    load_specs,
)
from photosync.emulators.flickr_state import FlickrState, Photo
from photosync.emulators.server import EmulatorApp, Faults, Request, Response

assert flickr_read and flickr_sets and flickr_write  # imported for their @method registrations

REST = "/services/rest/"
UPLOAD, REPLACE = "/services/upload/", "/services/replace/"
OAUTH = "/services/oauth/"
STATIC = re.compile(
    r"^/(?P<server>\d+)/(?P<id>\d+)_(?P<secret>[0-9a-f]+)(?:_(?P<suffix>[a-z0-9]{1,2}))?\.(?P<ext>[a-z0-9]+)$"
)
PLAY = re.compile(
    r"^/photos/(?P<user>[^/]+)/(?P<id>\d+)/play/(?P<kind>orig|site|player)/(?P<secret>[0-9a-f]+)/?$"
)
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "tiff": "image/tiff",
    "heic": "image/heic",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "avi": "video/x-msvideo",
}


def endpoint(path: str) -> str:
    """The API path a request is for: ``/services/rest``, ``/services/upload`` and
    ``/services/replace`` are answered with or without their trailing slash, as Flickr does."""
    return path + "/" if path + "/" in (REST, UPLOAD, REPLACE) else path


class FlickrEmulator(EmulatorApp):
    name = "flickr"

    def __init__(
        self,
        data_dir: Path | None = None,
        rate_limit: int | None = 3600,
        auto_approve: bool = False,
        faults: Faults | None = None,
    ):
        super().__init__(data_dir, rate_limit, auto_approve, faults)
        self.state = FlickrState()
        self.oauth = OAuthVerifier(self.state)
        self.specs = load_specs()
        self.hashes: dict[str, str] = {}  # generated blob recipe -> sha256 of its bytes
        self.max_photos = 0  # POST /_admin/quota: every account's cap (upload error 6), 0: none
        self._derived: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._unavailable: bytes | None = None
        self.video_processing_seconds = 0.0  # a new video is "pending" this long (transcoding)

    # --- EmulatorApp hooks ----------------------------------------------------------------
    def method_name(self, request: Request) -> str:
        path = endpoint(request.path)
        if path == REST:
            return request.params().get("method") or "(no method)"
        if path in (UPLOAD, REPLACE):
            return path.strip("/").rsplit("/", 1)[-1]
        if path.startswith(OAUTH):
            return "oauth." + path[len(OAUTH) :].strip("/")
        return "static"

    def rate_limit_key(self, request: Request) -> str | None:
        path = endpoint(request.path)
        if path != REST and path not in (UPLOAD, REPLACE):
            return None
        header = flickr_oauth.consumer_key(request, {})
        if header or path != REST:
            return header
        return request.params().get("api_key")

    def handle(self, request: Request) -> Response:
        path = endpoint(request.path)
        if path == REST:
            return self.rest(request)
        if path in (UPLOAD, REPLACE):
            return self.upload(request, replace=path == REPLACE)
        if path.startswith(OAUTH):
            return self.oauth_route(request, path[len(OAUTH) :].strip("/"))
        match = STATIC.match(path)
        if match:
            return self.static(request, match)
        match = PLAY.match(path)
        if match:
            return self.play(request, match)
        if path == fmt.UNAVAILABLE_PATH:
            return self.unavailable_picture()
        return Response.html("<h1>Page not found</h1>", 404)

    def admin(self, name: str, request: Request) -> Response | None:
        return flickr_admin.route(self, name, request)

    def snapshot(self) -> dict[str, Any]:
        return {"state": self.state.snapshot(), "hashes": self.hashes}

    def restore(self, data: dict[str, Any]) -> None:
        self.state.restore(data.get("state", {}))
        self.hashes = dict(data.get("hashes", {}))

    def reset(self) -> None:
        self.state.restore({})

    def generate_blob(self, spec: dict[str, Any]) -> bytes:
        if spec.get("kind") == "video":
            return flickr_admin.fake_video(spec["seed"])
        if spec.get("kind") == "solid":
            from datetime import datetime

            from photosync.emulators.images import make_seeded_photo

            taken = spec.get("date_taken")
            return make_seeded_photo(
                spec["variant"],
                spec["seed"],
                spec["width"],
                spec["height"],
                datetime.fromisoformat(taken) if taken else None,
            )
        return super().generate_blob(spec)

    # --- REST -----------------------------------------------------------------------------
    def rest(self, request: Request) -> Response:
        params = request.params()
        form = params.get("format") or "rest"
        if form not in ("rest", "json"):
            return fmt.render_error(111, f'Format "{form}" not found', "rest", params)
        name = params.get("method", "")
        spec = self.specs.get(name)
        if spec is None or name not in METHODS:
            return fmt.render_error(112, f'Method "{name}" not found', form, params)
        with self.lock:
            version = self.state.version
            try:
                call = self._authorized_call(request, params, spec)
                payload = METHODS[name](call)
            except ApiError as exc:
                return fmt.render_error(
                    exc.code, exc.message or spec.message(exc.code), form, params
                )
            finally:
                if self.state.version != version:
                    self.mark_dirty()
        return fmt.render(payload, form, params)

    def _authorized_call(self, request: Request, params: dict[str, str], spec) -> Call:
        try:
            caller = self.oauth.caller(request, params, flickr_oauth.body_pairs_of(request))
        except OAuthProblem as exc:
            raise ApiError(exc.code, exc.message) from None
        granted = caller.token.perms if caller.token else "none"
        if spec.needssigning and not caller.signed and not spec.needslogin:
            raise ApiError(97)
        if spec.requiredperms > PERM_LEVELS[granted] or (spec.needslogin and caller.token is None):
            need = PERM_NAMES[max(spec.requiredperms, 1)]
            raise ApiError(
                99,
                f"Insufficient permissions. Method requires {need} privileges; {granted} granted.",
            )
        if caller.token is not None:  # OAuth parameters count as arguments wherever they were sent
            params = {**params, "oauth_token": params.get("oauth_token") or caller.token.token}
        for argument in spec.required:
            if not params.get(argument):
                raise spec.missing_argument_error(argument)
        return Call(
            self.state,
            spec,
            params,
            caller.token.nsid if caller.token else None,
            int(time.time()),
            self.base_url,
            caller.api_key or "",
            self.blobs,
        )

    # --- OAuth ----------------------------------------------------------------------------
    def oauth_route(self, request: Request, step: str) -> Response:
        with self.lock:
            self.mark_dirty()
            if step == "request_token":
                return flickr_oauth.request_token(self.state, self.oauth, request)
            if step == "authorize":
                default = next(iter(self.state.accounts.values()), None)
                return flickr_oauth.authorize(
                    self.state,
                    request,
                    self.auto_approve,
                    default.username if default else "testuser",
                )
            if step == "access_token":
                return flickr_oauth.access_token(self.state, self.oauth, request)
        return Response.html("<h1>Page not found</h1>", 404)

    # --- upload / replace -----------------------------------------------------------------
    def upload(self, request: Request, replace: bool) -> Response:
        try:
            fields, files = (
                request.multipart()
                if "multipart/" in request.headers.get("Content-Type", "")
                else (request.form(), {})
            )
            data = files["photo"][2] if "photo" in files else None
            with self.lock:
                return self._upload_locked(request, fields, data, replace)
        except ApiError as exc:
            message = (
                exc.message
                or flickr_upload.UPLOAD_ERRORS.get(exc.code)
                or COMMON_ERRORS.get(exc.code, "")
            )
            return fmt.render_error(exc.code, message, "rest", {})

    def _upload_locked(
        self, request: Request, fields: dict[str, str], data: bytes | None, replace: bool
    ) -> Response:
        try:
            caller = self.oauth.caller(request, {**request.query, **fields}, list(fields.items()))
        except OAuthProblem as exc:
            raise ApiError(exc.code, exc.message) from None
        if not caller.signed:
            raise ApiError(97)
        granted = caller.token.perms if caller.token else "none"
        if PERM_LEVELS[granted] < PERM_LEVELS["write"]:
            raise ApiError(
                99,
                f"Insufficient permissions. Method requires write privileges; {granted} granted.",
            )
        assert caller.token is not None  # write permission was checked above: a token holds it
        owner, now = caller.token.nsid, int(time.time())
        target = self.state.photos.get(fields.get("photo_id", "")) if replace else None
        if replace and (target is None or target.owner != owner):
            raise ApiError(1)
        if data is None:
            raise ApiError(2)
        if not replace:
            flickr_account.refuse_when_full(self.state, owner, self.max_photos)
        is_async = fields.get("async") == "1"
        account = self.state.accounts[owner]
        limits = flickr_account.limits_of(self.state, account)
        try:
            photo = (
                flickr_upload.store_replace(self.state, self.blobs, target, data, now, limits)
                if target
                else flickr_upload.store_upload(
                    self.state, self.blobs, owner, data, fields, now, limits
                )
            )
            flickr_account.count_upload(account, len(data), now)
        except ApiError:
            if not is_async:
                raise
            photo = None
        if photo is not None and photo.media == "video":
            self.state.processing[photo.id] = ("", now + self.video_processing_seconds)
        self.mark_dirty()
        if is_async:
            ticket = flickr_upload.new_ticket(self.state, owner, photo.id if photo else None)
            return fmt.render({"ticketid": fmt.content(ticket.id)}, "rest", {})
        assert photo is not None  # stored (an async failure returned a ticket above)
        if replace:
            return fmt.render(
                {
                    "photoid": {
                        "secret": photo.secret,
                        "originalsecret": photo.originalsecret,
                        "_content": photo.id,
                    }
                },
                "rest",
                {},
            )
        return fmt.render({"photoid": fmt.content(photo.id)}, "rest", {})

    # --- files ----------------------------------------------------------------------------
    def static(self, request: Request, match: re.Match) -> Response:
        with self.lock:
            photo = self.state.photos.get(match["id"])
            if photo is None or photo.server != match["server"]:
                return Response(404, b"Not Found")
            suffix = match["suffix"] or ""
            if self._withheld(photo, suffix):
                return Response.redirect(self.base_url + fmt.UNAVAILABLE_PATH)
            if suffix == "o":
                if match["secret"] != photo.originalsecret or match["ext"] != photo.originalformat:
                    return Response(404, b"Not Found")
                blob, ctype = (
                    photo.blob,
                    CONTENT_TYPES.get(photo.originalformat, "application/octet-stream"),
                )
            elif (
                match["secret"] != photo.secret
                or match["ext"] != "jpg"
                or suffix not in fmt.SUFFIX_EDGE
            ):
                return Response(404, b"Not Found")
            else:
                blob = None
            snapshot = copy.copy(photo)
        if blob is not None:
            return Response.file(self.blobs.get(blob), request, ctype)
        data = self._derived_image(snapshot, suffix)
        if data is None:
            return Response(404, b"Not Found")
        return Response.file(data, request, "image/jpeg")

    def _withheld(self, photo: Photo, suffix: str) -> bool:
        """A free account's Original or size above 1024 px: its file server answers as for a
        file that is not available (whatever the secret: a URL kept from the Pro days too)."""
        if not fmt.restricted(photo, self.state.accounts):
            return False
        return suffix == "o" or fmt.SUFFIX_EDGE.get(suffix, (0, False))[0] > fmt.FREE_MAX_EDGE

    def unavailable_picture(self) -> Response:
        """Flickr's "This photo is no longer available" picture (a PNG, served with 200)."""
        if self._unavailable is None:
            from photosync.emulators.images import make_image

            self._unavailable = make_image("flickr photo_unavailable", 500, 374, fmt="png")
        return Response(200, self._unavailable, content_type="image/png", media=True)

    def _derived_image(self, photo: Photo, suffix: str) -> bytes | None:
        """A smaller JPEG of the photo (a poster frame for videos), made on demand and cached."""
        edge, square = fmt.SUFFIX_EDGE[suffix]
        dims = fmt.scaled(photo, edge, square)
        if dims is None:
            return None
        key = (photo.blob, suffix)
        if key in self._derived:
            return self._derived[key]
        from wand.image import Image

        from photosync.emulators.images import make_image

        if photo.media == "video":
            data = make_image(photo.id, *dims)
        else:
            with Image(blob=self.blobs.get(photo.blob)) as img:
                if square:
                    side = min(img.width, img.height)
                    img.crop(width=side, height=side, gravity="center")
                img.resize(*dims)
                img.format = "jpeg"
                data = img.make_blob()
        self._derived[key] = data
        while len(self._derived) > 256:
            self._derived.popitem(last=False)
        return data

    def play(self, request: Request, match: re.Match) -> Response:
        with self.lock:
            photo = self.state.photos.get(match["id"])
            secret = (
                None
                if photo is None
                else photo.originalsecret
                if match["kind"] == "orig"
                else photo.secret
            )
            if photo is None or photo.media != "video" or match["secret"] != secret:
                return Response(404, b"Not Found")
            if match["kind"] != "site":
                if self._withheld(photo, "o"):
                    return Response.redirect(self.base_url + fmt.UNAVAILABLE_PATH)
                return Response.redirect(fmt.static_url(self.base_url, photo, "o"))
            # a free account's "Site MP4" still plays: Flickr's transcode, not the original
            if self.state.video_state(photo.id, time.time()) != "ready":
                return Response(404, b"Not Found")  # not transcoded yet (or never)
            blob = photo.blob
        return Response.file(self._transcoded(blob), request, "video/mp4")

    def _transcoded(self, blob: str) -> bytes:
        """The "Site MP4": Flickr's own transcode, not the uploaded file. A real video is
        re-encoded by ffmpeg (at most 640 px wide); bytes ffmpeg cannot read (the seeded stand-ins)
        get a small stand-in of their own. Made on demand, cached like the smaller photo sizes."""
        key = (blob, "site")
        if key not in self._derived:
            self._derived[key] = transcode(self.blobs.get(blob))
            while len(self._derived) > 256:
                self._derived.popitem(last=False)
        return self._derived[key]


def transcode(original: bytes) -> bytes:
    """What Flickr's transcoder makes of ``original``: an MP4 by ffmpeg, at most 640 px wide;
    for bytes ffmpeg cannot read, a small MP4-shaped stand-in unique to them."""
    with tempfile.TemporaryDirectory(prefix="flickr-transcode-") as folder:
        source, target = Path(folder, "in"), Path(folder, "out.mp4")
        source.write_bytes(original)
        try:
            done = subprocess.run(
                ["ffmpeg", "-v", "error", "-y", "-i", str(source), "-vf",
                 "scale='min(640,iw)':-2", "-c:v", "mpeg4", "-an", str(target)],
                capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired):
            done = None
        if done is not None and done.returncode == 0 and target.stat().st_size:
            return target.read_bytes()
    digest = hashlib.sha256(original).digest()
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"site transcode of " + digest
