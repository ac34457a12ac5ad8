"""The emulated Flickr's admin routes (for tests and the demo; not part of Flickr's API).

``GET /_admin/state`` (``?hashes=0`` skips hashing generated photos) ->
  ``{"accounts": [{"user_nsid", "username", "fullname", "kind", "items", "non_public",
                   "over_limits": ["items"|"non_public"...]}],
     "photos": [{"id", "owner", "title", "description", "tags": [raw...], "machine_tags": [...],
                 "dates": {"posted", "taken", "takengranularity", "takenunknown", "lastupdate"},
                 "privacy": {"ispublic", "isfriend", "isfamily"}, "media", "originalformat",
                 "secret", "originalsecret", "server",
                 "comments": [{"id", "author", "text", "date"}], "sha256"}],
     "photosets": [{"id", "title", "description", "owner", "primary", "photos": [ids in order]}],
     "collections": [{"id", "owner", "title", "description", "collections": [ids], "sets":
     [ids]}]}``
``POST /_admin/seed`` with ``{"seed": 0, "accounts": ["alice", {"username", "fullname"}] (default
  ["testuser"]), "photos": 100 (per account), "albums": 5, "video_ratio": 0.05,
  "comment_ratio": 0.1, "public_ratio": 0.5, "unknown_date_ratio": 0.05, "collections": true,
  "width": 3000, "height": 2000}`` -> ``{"accounts": [...], "photos": N, "photosets": M}``. Image
  bytes are recipes, made on download: 50,000 photos take about a second and little memory.
  Photos are camera-sized (larger than every generated size but the X-Large ones, as a client
  asking for the largest size must get the Original): solid-colour JPEGs, each of its own colour,
  made in constant time from one cached encode (``images.make_seeded_photo``).
``POST /_admin/import`` with ``{"account": USERNAME (default "testuser"), "privacy": "private",
  "photos": [{"name", "album" (or null), "taken" ("YYYY-MM-DDTHH:MM:SS" or null), "signature",
  "md5", "size"}...]}`` -> ``{"imported": N, "albums": M}``: photos exactly as photosync's uploads
  and album phase leave them (see ``flickr_import``), about 30,000 a second; their bytes are
  stand-ins, for benchmarks of listings and change feeds.
``POST /_admin/reset`` -> ``{"ok": true}`` (everything gone; the app's key stays the same).
``GET /_admin/credentials`` -> ``{"api_key", "api_secret"}`` of the registered app.
``POST /_admin/quota`` with ``{"max_photos": N}`` (0: no limit) -> the same: an account holding N
  photos gets upload error 6 ("User exceeded upload limit"), like a full free account.
``POST /_admin/account`` with ``{"username": NAME, "kind": "free"|"pro"}`` (the account is created
  if new; accounts are Pro unless set) -> ``{"user_nsid", "username", "kind"}``. A free account
  holds 1,000 items at most (upload error 6) and is "over its limits" past 50 non-public ones;
  its limits differ (see ``flickr_account``, which also says what is assumed).
``POST /_admin/limits`` with ``{"photo_bytes": N, "video_bytes": N, "video_seconds": N}`` (0 or
  missing: the kind's own) -> the same: every account's upload limits, as ``people.getLimits``
  reports them and uploads meet them (error 8; a video's length is not checked on upload).
``POST /_admin/video`` with ``{"photo_id": ID, "state": "pending"|"failed"|"ready"}`` (a video's
  processing state from now on, as photos.getInfo's ``video`` element and the listings'
  ``media_status`` (``media`` extra) say it, its lastupdate now; only a ready video
  offers the transcoded "Site MP4" in getSizes, the owner's "Video Original" is there from the
  upload on) and/or ``{"processing_seconds": N}`` (videos uploaded next stay pending N seconds;
  default 0) -> ``{"photo_id", "state", "processing_seconds"}``.
``POST /_admin/token`` with ``{"username": "testuser", "perms": "read|write|delete"}`` (the
  account is created if new) -> ``{"oauth_token", "oauth_token_secret", "perms", "user_nsid",
  "username", "fullname", "api_key", "api_secret"}``.
"""

from __future__ import annotations

import hashlib
import random
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from photosync.emulators import flickr_account
from photosync.emulators.flickr_import import import_photos
from photosync.emulators.flickr_oauth import mint_access_token
from photosync.emulators.flickr_state import (
    Account,
    Collection,
    Comment,
    FlickrState,
    Photo,
    token_hex,
)
from photosync.emulators.server import BlobStore, Request, Response

if TYPE_CHECKING:
    from photosync.emulators.flickr import FlickrEmulator

SEED_START = int(datetime(2005, 1, 1, tzinfo=UTC).timestamp())
SEED_END = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
WORDS = (
    "beach",
    "family",
    "holiday",
    "snow",
    "city",
    "birthday",
    "garden",
    "mountain",
    "river",
    "friends",
    "dog",
    "cat",
    "sunset",
    "market",
    "museum",
    "concert",
)


def route(app: FlickrEmulator, name: str, request: Request) -> Response | None:
    if name == "state" and request.method == "GET":
        with app.lock:
            return Response.json(state_document(app, hashes=request.query.get("hashes") != "0"))
    if name == "credentials" and request.method == "GET":
        with app.lock:
            key = app.state.app_key()
            return Response.json({"api_key": key, "api_secret": app.state.apps[key]})
    if name == "token" and request.method == "POST":
        body = request.json() or {}
        with app.lock:
            account = app.state.account(body.get("username") or "testuser", body.get("fullname"))
            key = app.state.app_key()
            token = mint_access_token(app.state, account, body.get("perms") or "delete", key)
            app.mark_dirty()
            return Response.json(
                {
                    "oauth_token": token.token,
                    "oauth_token_secret": token.secret,
                    "perms": token.perms,
                    "user_nsid": account.nsid,
                    "username": account.username,
                    "fullname": account.fullname,
                    "api_key": key,
                    "api_secret": app.state.apps[key],
                }
            )
    if name == "account" and request.method == "POST":
        return set_account_kind(app, request.json() or {})
    if name == "limits" and request.method == "POST":
        body = request.json() or {}
        with app.lock:
            app.state.limit_override = {
                k: int(body.get(k) or 0) for k in ("photo_bytes", "video_bytes", "video_seconds")
            }
            return Response.json(app.state.limit_override)
    if name == "video" and request.method == "POST":
        return set_video_state(app, request.json() or {})
    if name == "quota" and request.method == "POST":
        with app.lock:
            app.max_photos = int((request.json() or {}).get("max_photos") or 0)
            return Response.json({"max_photos": app.max_photos})
    if name == "import" and request.method == "POST":
        with app.lock:
            result = import_photos(app.state, request.json() or {})
            app.mark_dirty()
            return Response.json(result)
    if name == "seed" and request.method == "POST":
        with app.lock:
            result = seed(app.state, request.json() or {})
            app.mark_dirty()
            return Response.json(result)
    return None


ACCOUNT_KINDS = ("free", "pro")


def set_account_kind(app: FlickrEmulator, body: dict[str, Any]) -> Response:
    """Make an account free or Pro (the contract route ``POST /_admin/account``)."""
    kind = body.get("kind")
    if not body.get("username") or kind not in ACCOUNT_KINDS:
        return Response.json(
            {"error": 'send {"username": NAME, "kind": "free"|"pro"}'}, status=400
        )
    with app.lock:
        account = app.state.account(body["username"])
        account.kind = kind
        app.state.touch()
        app.mark_dirty()
        return Response.json(
            {"user_nsid": account.nsid, "username": account.username, "kind": account.kind}
        )


VIDEO_STATES = ("pending", "failed", "ready")


def set_video_state(app: FlickrEmulator, body: dict[str, Any]) -> Response:
    """Steer video processing (the contract route ``POST /_admin/video``)."""
    photo_id, state = str(body.get("photo_id") or ""), body.get("state")
    with app.lock:
        if "processing_seconds" in body:
            app.video_processing_seconds = float(body["processing_seconds"])
        if photo_id or state:
            photo = app.state.photos.get(photo_id)
            if photo is None or photo.media != "video" or state not in VIDEO_STATES:
                return Response.json({"error": 'send {"photo_id": ID of a video, "state": '
                                               '"pending"|"failed"|"ready"}'}, status=400)
            app.state.processing[photo_id] = ("" if state == "ready" else str(state), 0.0)
            photo.lastupdate = int(time.time())  # the change feed (recentlyUpdated) shows it
            app.state.touch()
        return Response.json({"photo_id": photo_id or None, "state": state,
                              "processing_seconds": app.video_processing_seconds})


def state_document(app: FlickrEmulator, hashes: bool = True) -> dict[str, Any]:
    state = app.state
    return {
        "accounts": [_account_document(state, a) for a in state.accounts.values()],
        "photos": [_photo_document(app, p, hashes) for p in state.photos.values()],
        "photosets": [
            {
                "id": s.id,
                "title": s.title,
                "description": s.description,
                "owner": s.owner,
                "primary": s.primary,
                "photos": list(s.photos),
            }
            for owner in state.set_order
            for s in (state.photosets[i] for i in state.set_order[owner])
        ],
        "collections": [
            {
                "id": c.id,
                "owner": c.owner,
                "title": c.title,
                "description": c.description,
                "collections": list(c.children),
                "sets": list(c.sets),
            }
            for c in state.collections.values()
        ],
    }


def _account_document(state: FlickrState, account: Account) -> dict[str, Any]:
    items, non_public = flickr_account.usage(state, account.nsid)
    return {
        "user_nsid": account.nsid,
        "username": account.username,
        "fullname": account.fullname,
        "kind": account.kind,
        "items": items,
        "non_public": non_public,
        "over_limits": flickr_account.over_limits(state, account),
    }


def _photo_document(app: FlickrEmulator, p: Photo, hashes: bool) -> dict[str, Any]:
    return {
        "id": p.id,
        "owner": p.owner,
        "title": p.title,
        "description": p.description,
        "tags": [t.raw for t in p.tags],
        "machine_tags": p.machine_tags(),
        "dates": {
            "posted": p.dateupload,
            "taken": p.datetaken,
            "takengranularity": p.granularity,
            "takenunknown": p.takenunknown,
            "lastupdate": p.lastupdate,
        },
        "privacy": {"ispublic": p.ispublic, "isfriend": p.isfriend, "isfamily": p.isfamily},
        "media": p.media,
        "originalformat": p.originalformat,
        "secret": p.secret,
        "originalsecret": p.originalsecret,
        "server": p.server,
        "comments": [
            {"id": c.id, "author": c.author, "text": c.text, "date": c.date} for c in p.comments
        ],
        "sha256": sha256_of(app, p.blob) if hashes or not p.blob.startswith("gen:") else None,
    }


def sha256_of(app: FlickrEmulator, key: str) -> str:
    """Stored blobs are named by their sha256; generated ones are made once and remembered."""
    if not key.startswith("gen:"):
        return key
    if key not in app.hashes:
        app.hashes[key] = hashlib.sha256(app.blobs.get(key)).hexdigest()
    return app.hashes[key]


def fake_video(seed: Any) -> bytes:
    """A small MP4-shaped file (ftyp + mdat boxes) unique to ``seed``: enough for sniffing,
    hashing and byte-exact download tests; no player will show it."""
    payload = hashlib.sha256(f"video:{seed}".encode()).digest() * 64
    ftyp = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    return ftyp + (8 + len(payload)).to_bytes(4, "big") + b"mdat" + payload


def seed(state: FlickrState, body: dict[str, Any]) -> dict[str, Any]:
    """Add accounts with generated photos, albums, comments and collections (deterministic)."""
    seed_value = int(body.get("seed", 0))
    names = body.get("accounts") or ["testuser"]
    made_photos = made_sets = 0
    accounts = []
    for entry in names:
        entry = {"username": entry} if isinstance(entry, str) else dict(entry)
        account = state.account(entry["username"], entry.get("fullname"))
        accounts.append(
            {"user_nsid": account.nsid, "username": account.username, "fullname": account.fullname}
        )
        rng = random.Random(f"{seed_value}:{account.username}")
        photos = _seed_photos(state, account.nsid, rng, body, seed_value)
        made_photos += len(photos)
        made_sets += _seed_albums(state, account.nsid, rng, photos, body)
    state.touch()
    return {"accounts": accounts, "photos": made_photos, "photosets": made_sets}


def _seed_photos(
    state: FlickrState, nsid: str, rng: random.Random, body: dict[str, Any], seed_value: int
) -> list[Photo]:
    count = int(body.get("photos", 100))
    ratios = {
        k: float(body.get(k, d))
        for k, d in (
            ("video_ratio", 0.05),
            ("comment_ratio", 0.1),
            ("public_ratio", 0.5),
            ("unknown_date_ratio", 0.05),
        )
    }
    width, height = int(body.get("width", 3000)), int(body.get("height", 2000))
    step = max(1, min(3 * 3600, (SEED_END - SEED_START) // max(count, 1)))
    photos = []
    for i in range(count):
        taken_ts = SEED_START + i * step + rng.randrange(step)
        taken = datetime.fromtimestamp(taken_ts, UTC).replace(tzinfo=None)
        upload_ts = taken_ts + rng.randrange(600, 86400)
        photo_id = state.new_photo_id()
        unique = f"{seed_value}:{nsid}:{i}"
        video = rng.random() < ratios["video_ratio"]
        unknown = not video and rng.random() < ratios["unknown_date_ratio"]
        if video:
            blob, fmt, media = BlobStore.recipe({"kind": "video", "seed": unique}), "mp4", "video"
        else:
            blob = BlobStore.recipe(
                {
                    "kind": "solid",
                    "variant": int(photo_id),
                    "seed": unique,
                    "width": width,
                    "height": height,
                    "date_taken": None if unknown else taken.isoformat(),
                }
            )
            fmt, media = "jpg", "photo"
        if unknown:
            taken = datetime.fromtimestamp(upload_ts, UTC).replace(tzinfo=None)
        word = WORDS[rng.randrange(len(WORDS))]
        photo = Photo(
            photo_id,
            nsid,
            token_hex("secret", photo_id),
            "65535",
            token_hex("osecret", photo_id),
            fmt,
            blob,
            media,
            640 if video else width,
            360 if video else height,
            f"{word.title()} {i + 1}",
            f"A {word} picture" if rng.random() < 0.3 else "",
            upload_ts,
            upload_ts,
            taken.strftime("%Y-%m-%d %H:%M:%S"),
            0,
            int(unknown),
            int(rng.random() < ratios["public_ratio"]),
        )
        photo.tags = [state.new_tag(photo, word, nsid)]
        if rng.random() < ratios["comment_ratio"]:
            photo.comments = [
                Comment(
                    f"{photo_id}-{state.next()}", nsid, f"Lovely {word}!", upload_ts + 60 * (k + 1)
                )
                for k in range(rng.randrange(1, 4))
            ]
        state.photos[photo_id] = photo
        photos.append(photo)
    return photos


def _seed_albums(
    state: FlickrState, nsid: str, rng: random.Random, photos: list[Photo], body: dict[str, Any]
) -> int:
    albums = int(body.get("albums", 5)) if photos else 0
    members: list[list[str]] = [[] for _ in range(albums)]
    for i, photo in enumerate(photos):
        if albums and rng.random() < 0.6:
            members[i * albums // len(photos)].append(photo.id)
    sets = []
    for k, ids in enumerate(members):
        if not ids:
            continue
        first = state.photos[ids[0]]
        pset = state.create_set(
            nsid, f"Album {k + 1}: {WORDS[k % len(WORDS)]}", "", ids[0], first.dateupload
        )
        state.set_photos(pset, ids)
        sets.append(pset.id)
    if body.get("collections", True) and len(sets) >= 2:
        _seed_collections(state, nsid, sets)
    return len(sets)


def _seed_collections(state: FlickrState, nsid: str, sets: list[str]) -> None:
    """A root collection holding two sub-collections that split the albums: a nested tree."""

    def new(title: str, children: list[str], set_ids: list[str]) -> Collection:
        coll = Collection(
            f"{nsid.split('@')[0]}-72157{state.next():012d}", nsid, title, "", children, set_ids
        )
        state.collections[coll.id] = coll
        return coll

    half = len(sets) // 2
    early, late = new("Early years", [], sets[:half]), new("Later years", [], sets[half:])
    root = new("All albums", [early.id, late.id], [])
    state.collection_roots.setdefault(nsid, []).append(root.id)
