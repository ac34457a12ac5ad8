"""``/services/upload/`` and ``/services/replace/``: signed multipart in, XML out, async tickets.

The original is stored byte for byte (content-addressed), except TIFF and HEIC: Flickr keeps
those as JPEG originals (``originalformat`` "jpg", other bytes and pixels; API-NOTES), so the
emulator converts them with ImageMagick and stores the JPEG. Its format comes from the bytes, the
date taken from EXIF DateTimeOriginal (read with a Wand ``ping``: no pixel decoding), otherwise
the upload time with ``datetakenunknown=1``, as Flickr does. With ``async=1`` the answer is a
ticket: the photo exists at once (an upload either happened or not), the ticket reports
``complete=0`` for ``ASYNC_DELAY`` seconds, then ``1``; a file Flickr would refuse gives ``2``.
Refused with error 5: what is no photo or video, and camera RAW files (CR2, DNG, CR3).
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from photosync.emulators.flickr_calls import format_taken
from photosync.emulators.flickr_spec import ApiError
from photosync.emulators.flickr_state import Photo, Ticket, token_hex
from photosync.emulators.flickr_write import add_tags

if TYPE_CHECKING:
    from photosync.emulators.flickr_account import Limits
    from photosync.emulators.flickr_state import FlickrState
    from photosync.emulators.server import BlobStore

ASYNC_DELAY = 0.3
AS_JPEG = ("tiff", "heic")  # formats Flickr stores as JPEG originals
UPLOAD_ERRORS = {
    1: "Photo not found",
    2: "No photo specified",
    3: "General upload failure",
    4: "Filesize was zero",
    5: "Filetype was not recognised",
    6: "User exceeded upload limit",
    8: "Filesize was too large",
}
VIDEO_BRANDS = {b"qt  ": "mov"}
RAW_BRANDS = (b"crx ",)  # Canon CR3: ISO-BMFF like a video, refused like every RAW
DNG_VERSION = 0xC612
HEIF_BRANDS = (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis")


@dataclass
class Media:
    format: str  # Flickr's originalformat: jpg, png, gif, tiff, heic, mp4, mov, avi
    media: str  # photo | video
    width: int
    height: int
    taken: str | None  # "YYYY-MM-DD HH:MM:SS" from EXIF, if any


def sniff(data: bytes) -> tuple[str, str] | None:
    """(originalformat, media) from the file's magic bytes; None when Flickr would refuse it."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpg", "photo"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png", "photo"
    if data[:4] in (b"GIF8",):
        return "gif", "photo"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return None if _is_raw_tiff(data) else ("tiff", "photo")
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in HEIF_BRANDS:
            return "heic", "photo"
        if brand in RAW_BRANDS:
            return None
        return VIDEO_BRANDS.get(brand, "mp4"), "video"
    if data[:4] == b"RIFF" and data[8:12] == b"AVI ":
        return "avi", "video"
    return None


def _is_raw_tiff(data: bytes) -> bool:
    """A camera RAW that is TIFF inside: Canon's CR2 (``CR`` after the header) or a DNG (the
    DNGVersion tag in IFD0). Flickr refuses them (error 5) instead of taking them for TIFFs."""
    if data[8:10] == b"CR":
        return True
    order = "<" if data[:2] == b"II" else ">"
    try:
        (ifd0,) = struct.unpack_from(order + "I", data, 4)
        (count,) = struct.unpack_from(order + "H", data, ifd0)
        return any(struct.unpack_from(order + "H", data, ifd0 + 2 + 12 * i)[0] == DNG_VERSION
                   for i in range(min(count, 1000)))
    except struct.error:
        return False


def inspect(data: bytes, limits: Limits) -> Media:
    """What Flickr learns from a file; raises ApiError 4/5/8 for what it refuses (8: past the
    account's ``people.getLimits`` size)."""
    if not data:
        raise ApiError(4, UPLOAD_ERRORS[4])
    kind = sniff(data)
    if kind is None:
        raise ApiError(5, UPLOAD_ERRORS[5])
    fmt, media = kind
    if len(data) > (limits.video_bytes if media == "video" else limits.photo_bytes):
        raise ApiError(8, UPLOAD_ERRORS[8])
    if media == "video":
        return Media(fmt, media, 640, 360, None)
    from wand.image import Image

    try:
        with Image.ping(blob=data) as img:
            width, height = img.width, img.height
            exif = img.metadata.get("exif:DateTimeOriginal")
    except Exception:  # a file ImageMagick cannot read: Flickr would refuse it as well
        raise ApiError(5, UPLOAD_ERRORS[5]) from None
    return Media(fmt, media, width, height, _exif_date(exif))


def as_stored(data: bytes, media: Media) -> tuple[bytes, Media]:
    """The original Flickr keeps: a TIFF or HEIC becomes a JPEG (first frame, same size, EXIF
    kept), as Flickr does; anything else is kept byte for byte."""
    if media.format not in AS_JPEG:
        return data, media
    from wand.image import Image

    try:
        with Image(blob=data) as img:
            first = img.sequence[0] if len(img.sequence) > 1 else img
            with Image(image=first) as page:
                page.format = "jpeg"
                page.compression_quality = 92
                jpeg = page.make_blob()
    except Exception:  # a file ImageMagick cannot decode: Flickr would refuse it as well
        raise ApiError(5, UPLOAD_ERRORS[5]) from None
    return jpeg, Media("jpg", "photo", media.width, media.height, media.taken)


def _exif_date(value: str | None) -> str | None:
    try:
        return format_taken(datetime.strptime((value or "").strip()[:19], "%Y:%m:%d %H:%M:%S"))
    except ValueError:
        return None


def _flag(fields: dict[str, str], name: str, default: int) -> int:
    value = fields.get(name, "")
    return int(value) if value.isdigit() else default


def store_upload(
    state: FlickrState,
    blobs: BlobStore,
    owner: str,
    data: bytes,
    fields: dict[str, str],
    now: int,
    limits: Limits,
) -> Photo:
    """Create the photo for an accepted upload (the caller holds the lock)."""
    data, media = as_stored(data, inspect(data, limits))
    key = blobs.put(data)
    photo_id = state.new_photo_id()
    taken = media.taken or format_taken(datetime.fromtimestamp(now, UTC))
    photo = Photo(
        photo_id,
        owner,
        token_hex("secret", photo_id),
        "65535",
        token_hex("osecret", photo_id),
        media.format,
        key,
        media.media,
        media.width,
        media.height,
        fields.get("title", ""),
        fields.get("description", ""),
        now,
        now,
        taken,
        0,
        0 if media.taken else 1,
        _flag(fields, "is_public", 1),
        _flag(fields, "is_friend", 0),
        _flag(fields, "is_family", 0),
        _flag(fields, "safety_level", 1),
        _flag(fields, "hidden", 1),
    )
    add_tags(state, photo, fields.get("tags", ""), owner)
    return state.add_photo(photo)


def store_replace(
    state: FlickrState, blobs: BlobStore, photo: Photo, data: bytes, now: int, limits: Limits
) -> Photo:
    """Swap a photo's original; new secrets (old URLs stop working), metadata kept."""
    data, media = as_stored(data, inspect(data, limits))
    photo.blob = blobs.put(data)
    generation = state.next()
    photo.secret = token_hex("secret", photo.id, generation)
    photo.originalsecret = token_hex("osecret", photo.id, generation)
    photo.originalformat, photo.media, photo.width, photo.height = (
        media.format,
        media.media,
        media.width,
        media.height,
    )
    if media.taken:
        photo.datetaken, photo.takenunknown = media.taken, 0
    photo.lastupdate = max(now, photo.lastupdate)
    state.touch()
    return photo


def new_ticket(state: FlickrState, owner: str, photo_id: str | None) -> Ticket:
    ticket = Ticket(f"{state.next()}-72157", owner, photo_id, time.time() + ASYNC_DELAY)
    state.tickets[ticket.id] = ticket
    return ticket
