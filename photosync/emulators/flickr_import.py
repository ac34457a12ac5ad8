"""``POST /_admin/import`` for Flickr: many photos at once, as photosync's uploads leave them.

For benchmarks of listings and change feeds at a million photos, where uploading each through
the API would take hours. Each photo becomes what ``FlickrRemote.upload`` and the sync's album
phase make: title = the name without its extension, our machine tag ``photosync:signature=<hex>``,
the date taken as given (none: the upload time, ``takenunknown=1``, as Flickr does without EXIF),
privacy ``privacy`` (default "private", photosync's default), an upload's safety level and
``hidden`` flags; then, per album, the photoset of that title (ours: made with photosync's marker
in its description, or an existing one of that title), its photos ordered as photosync orders
them (date taken, then name) with the first as primary. Uploads are one second apart, the last
now. Originals are recipes (``make_seeded_photo``, camera-sized, made on download) with secrets
generated as for seeded photos; a photo's bytes are a stand-in, not the original: imported
photos are for listings, not transfers. The ``md5`` and ``size`` of the shared body are unused
(Flickr keeps no MD5).
"""

from __future__ import annotations

import mimetypes
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from photosync.emulators.flickr_state import Account, FlickrState, Photo, Photoset, token_hex
from photosync.emulators.flickr_write import add_tags
from photosync.emulators.server import BlobStore
from photosync.remotes import names  # noqa: F401  (registers photosync's media types)
from photosync.remotes.flickr_items import MARKER, PRIVACY, signature_tag, title_for

WIDTH, HEIGHT = 3000, 2000  # camera-sized, as seeded photos are
BODY = ('send {"account": USERNAME (optional), "privacy": "private" (optional), "photos": '
        '[{"name", "album" (or null), "taken" ("YYYY-MM-DDTHH:MM:SS" or null), "signature"}...]}')


@dataclass(frozen=True)
class Imported:
    """One photo of an import body, checked."""

    name: str
    album: str | None
    taken: datetime | None
    signature: str


def import_photos(state: FlickrState, body: dict[str, Any]) -> dict[str, Any]:
    """Create the photos and albums of ``body`` (the caller holds the lock)."""
    photos = [_checked(p, n) for n, p in enumerate(body.get("photos") or [])]
    privacy = PRIVACY.get(str(body.get("privacy") or "private"))
    if privacy is None:
        raise ValueError(f"privacy must be one of {', '.join(PRIVACY)}")
    account = state.account(str(body.get("account") or "testuser"))
    now = int(time.time())
    albums: dict[str, list[Photo]] = {}
    for n, imported in enumerate(photos):
        photo = _photo(state, account, imported, now - len(photos) + 1 + n, privacy)
        state.photos[photo.id] = photo
        if imported.album:
            albums.setdefault(imported.album, []).append(photo)
    sets = _sets_by_title(state, account)
    for title, members in albums.items():
        _fill_album(state, account, sets.get(title), title, members, now)
    state.touch()
    return {"imported": len(photos), "albums": len(albums)}


def _checked(photo: Any, n: int) -> Imported:
    """A photo of the body, or ValueError naming what is wrong."""
    try:
        taken = photo.get("taken")
        signature = str(photo["signature"]).lower()
        if not signature:
            raise ValueError(signature)
        return Imported(str(photo["name"]), photo.get("album") or None,
                        datetime.fromisoformat(str(taken)).replace(tzinfo=None) if taken else None,
                        signature)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ValueError(f"photos[{n}]: {BODY}") from None


def _photo(state: FlickrState, account: Account, imported: Imported, uploaded: int,
           privacy: tuple[int, int, int]) -> Photo:
    """The photo an upload of ``imported`` would have made (upload defaults as in
    ``flickr_upload.store_upload``)."""
    photo_id = state.new_photo_id()
    guessed = mimetypes.guess_type(imported.name)[0] or ""
    video = guessed.startswith("video/")
    seed = f"import:{photo_id}"  # the photo's own bytes (short: a million of them are kept)
    if video:
        blob, fmt = BlobStore.recipe({"kind": "video", "seed": seed}), "mp4"
    else:
        blob, fmt = BlobStore.recipe({
            "kind": "solid", "variant": int(photo_id), "seed": seed, "width": WIDTH,
            "height": HEIGHT, "date_taken": imported.taken.isoformat() if imported.taken else None,
        }), "jpg"
    taken = imported.taken or datetime.fromtimestamp(uploaded, UTC).replace(tzinfo=None)
    photo = Photo(
        photo_id, account.nsid, token_hex("secret", photo_id), "65535",
        token_hex("osecret", photo_id), fmt, blob, "video" if video else "photo",
        640 if video else WIDTH, 360 if video else HEIGHT, title_for(imported.name), "",
        uploaded, uploaded, taken.strftime("%Y-%m-%d %H:%M:%S"), 0,
        0 if imported.taken else 1, *privacy, 1, 1,
    )
    add_tags(state, photo, signature_tag(imported.signature), account.nsid)
    return photo


def _fill_album(state: FlickrState, account: Account, pset: Photoset | None, title: str,
                members: list[Photo], now: int) -> None:
    """Put ``members`` in photoset ``pset`` (None: make one called ``title``, ours), the whole
    set in photosync's order."""
    if pset is None:
        pset = state.create_set(account.nsid, title, MARKER, members[0].id, now)
    known = [state.photos[i] for i in pset.photos if i in state.photos]
    ordered = sorted({p.id: p for p in known + members}.values(), key=_album_order)
    state.set_photos(pset, [p.id for p in ordered])
    pset.primary, pset.updated = ordered[0].id, now


def _sets_by_title(state: FlickrState, account: Account) -> dict[str, Photoset]:
    """The account's photosets by title; of several with one title, one of ours."""
    found: dict[str, Photoset] = {}
    for pset in (state.photosets[i] for i in state.set_order.get(account.nsid, [])):
        if pset.title not in found or MARKER not in found[pset.title].description:
            found[pset.title] = pset
    return found


def _album_order(photo: Photo) -> tuple[int, str, str, int]:
    """photosync's album order: date taken (unknown last), then name."""
    return (photo.takenunknown, photo.datetaken if not photo.takenunknown else "",
            photo.title.casefold(), int(photo.id))
