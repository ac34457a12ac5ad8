"""Read one file once: its hashes, and for photos one ImageMagick decode for everything else.

Loads ImageMagick: import it through :mod:`photosync.library.decode`, which does so only when a
file is actually decoded. Runs in worker processes (Wand holds the GIL; see
:mod:`photosync.library.pool`). One read of the
bytes gives MD5 (comparable with Drive's md5Checksum) and SHA-256; one decode of those bytes gives
the pixel signature, the dimensions and the EXIF date.

Signature: ``image.signature`` from ImageMagick, which for a single-frame image equals
``identify -format '%#' FILE``. For a multi-frame image (animated GIF/WebP, multi-page TIFF) it is
the SHA-256 of every frame's signature, each followed by a newline, i.e. exactly
``identify -format '%#\\n' FILE | sha256sum``: every frame counts, so two animations that share a
first frame stay distinct. Signatures are only comparable between equal ImageMagick major
versions and quantum depths (IM6 and IM7 hash pixels differently), so both are recorded.
Videos and camera RAW files are not decoded: they have hashes (read in chunks, so memory stays
flat whatever their size) but no signature; their SHA-256 is what identifies them, their date
comes from the container (videos, :mod:`photosync.library.video`) or the RAW's EXIF.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import re
from typing import Any

from wand import exceptions as wand_exc
from wand import resource as wand_resource
from wand import version as wand_version
from wand.api import libmagick, library
from wand.image import Image

from photosync.library import exif
from photosync.library.exif import exif_date
from photosync.library.outcome import Decoded, FileProblem, os_reason
from photosync.library.rules import is_raw
from photosync.library.video import video_facts

IM_VERSION = int(wand_version.MAGICK_VERSION_INFO[0])
IM_QUANTUM = int(wand_version.QUANTUM_DEPTH)
MiB = 1024 * 1024
# Per worker process. ImageMagick keeps up to `memory` of pixel cache on the heap, then maps
# a disk file; a 50 MP image is 400 MB at Q16, so two concurrent decodes stay bounded.
IM_LIMITS = {"thread": 1, "memory": 256 * MiB, "map": 512 * MiB, "disk": 4096 * MiB}
# Formats ImageMagick could read a file as that are not photos (it must never render these).
NOT_PHOTOS = frozenset({"TXT", "TEXT", "MVG", "SVG", "MSVG", "RSVG", "HTML", "XML", "PS", "EPS",
                        "PDF", "XPS", "CAPTION", "LABEL", "MSL", "URL", "EPHEMERAL", "SCREENSHOT"})
# ImageMagick warnings that mean the pixels are incomplete: the photo is damaged.
DAMAGE = re.compile(r"premature end|truncat|unexpected end|huffman|incomplete|insufficient",
                    re.IGNORECASE)
CHUNK = 4 * MiB


def init_worker() -> None:
    """Pool initializer: ImageMagick limits for this process."""
    for name, value in IM_LIMITS.items():
        # a policy may forbid raising a limit; its own value then stands
        with contextlib.suppress(KeyError, ValueError, wand_exc.WandException):
            wand_resource.limits[name] = value


def decode_file(path: str, media: str = "photo") -> Decoded:
    """Hash (and for photos decode) ``path``; never raises for a bad file."""
    try:
        if media == "video" or is_raw(path):
            return _by_bytes(path, media)
        data, st = _read(path, media)
        hashes = _hashes(data, path, media)
        info = _decode(data)
        return Decoded(path, st.st_size, st.st_mtime_ns, st.st_dev, st.st_ino, *hashes, **info)
    except FileProblem as exc:
        return Decoded(path, error=str(exc))
    except OSError as exc:
        return Decoded(path, error=os_reason(exc))
    except MemoryError:
        return Decoded(path, error="out of memory while decoding it")


def _by_bytes(path: str, media: str) -> Decoded:
    """A video or RAW file: its hashes, streamed, and its date taken."""
    _, st = _read(path, "video")
    hashes = _hashes(b"", path, "video")
    duration = None
    if media == "video":
        (date, subsec, offset), duration = video_facts(path)
    else:
        tags = exif.raw_date_tags(path)
        date, subsec, offset = exif_date(tags.get(exif.DATE_TIME_ORIGINAL),
                                         tags.get(exif.SUBSEC_TIME_ORIGINAL),
                                         tags.get(exif.OFFSET_TIME_ORIGINAL))
    return Decoded(path, st.st_size, st.st_mtime_ns, st.st_dev, st.st_ino, *hashes,
                   date_taken=date, date_subsec=subsec, date_offset=offset, media=media,
                   duration=duration)


def _read(path: str, media: str) -> tuple[bytes, os.stat_result]:
    """All the bytes (photos) or nothing (videos: hashed in chunks); the stat taken while open."""
    with open(path, "rb") as handle:
        before = os.fstat(handle.fileno())
        if before.st_size == 0:
            raise FileProblem("empty file (0 bytes)")
        data = handle.read() if media == "photo" else b""
        after = os.fstat(handle.fileno())
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or \
            (media == "photo" and len(data) != before.st_size):
        raise FileProblem("changed while being read (still being copied?)")
    return data, before


def _hashes(data: bytes, path: str, media: str) -> tuple[str, str]:
    md5, sha = hashlib.md5(), hashlib.sha256()
    if media == "photo":
        md5.update(data)
        sha.update(data)
    else:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                md5.update(chunk)
                sha.update(chunk)
    return md5.hexdigest(), sha.hexdigest()


def _decode(data: bytes) -> dict[str, Any]:
    try:
        with Image(blob=data) as img:
            damage = image_warning(img)
            if damage and DAMAGE.search(damage):
                raise FileProblem(f"damaged image (truncated or corrupt): {_clean(damage)}")
            if (img.format or "").upper() in NOT_PHOTOS:
                raise FileProblem(f"not a photo (ImageMagick reads it as {img.format})")
            if not img.width or not img.height:
                raise FileProblem("damaged image (truncated or corrupt): it has no pixels")
            return _describe(img, data)
    except wand_exc.WandException as exc:
        raise FileProblem(_wand_reason(exc)) from None


def _describe(img: Image, data: bytes) -> dict[str, object]:
    frames = len(img.sequence)
    if frames > 1:
        lines = "".join(img.sequence[i].signature + "\n" for i in range(frames))
        signature = hashlib.sha256(lines.encode("ascii")).hexdigest()
        width, height = img.sequence[0].width, img.sequence[0].height
    else:
        signature, width, height = img.signature, img.width, img.height
    date, subsec, offset = _date_taken(img, data)
    return {"signature": signature, "signature_im_version": IM_VERSION,
            "signature_quantum": IM_QUANTUM, "date_taken": date, "date_subsec": subsec,
            "date_offset": offset, "width": width, "height": height, "media": "photo"}


def _date_taken(img: Image, data: bytes) -> tuple[str | None, str | None, str | None]:
    """EXIF DateTimeOriginal (+ sub-seconds, offset): ImageMagick's reading, its gaps (WebP, PNG
    eXIf, TIFF offsets) filled from the EXIF block by :mod:`photosync.library.exif`."""
    meta = img.metadata
    original = meta.get("exif:DateTimeOriginal")
    subsec = meta.get("exif:SubSecTimeOriginal")
    offset = meta.get("exif:OffsetTimeOriginal")
    if original is None or offset is None:
        try:
            profile = img.profiles["exif"]
        except (KeyError, wand_exc.WandException):
            profile = None
        tags = exif.date_tags(data, profile)
        original = original or tags.get(exif.DATE_TIME_ORIGINAL)
        subsec = subsec or tags.get(exif.SUBSEC_TIME_ORIGINAL)
        offset = offset or tags.get(exif.OFFSET_TIME_ORIGINAL)
    return exif_date(original, subsec, offset)


def _wand_reason(exc: Exception) -> str:
    message = _clean(str(exc))
    if isinstance(exc, wand_exc.BlobError) and "zero-length" in message:
        return "empty file (0 bytes)"
    if isinstance(exc, wand_exc.MissingDelegateError) or "decode delegate" in message:
        return "not an image ImageMagick can read (wrong extension, or an unsupported format)"
    if isinstance(exc, wand_exc.ResourceLimitError) or "resources exhausted" in message or \
            "exceeds limit" in message:
        return f"too large for ImageMagick's resource limits: {message}"
    if isinstance(exc, wand_exc.WandRuntimeError):
        return "ImageMagick could not decode it (truncated, corrupt or unsupported)"
    return f"damaged image (truncated or corrupt): {message}"


def _clean(message: str) -> str:
    """Drop ImageMagick's ``@ error/file.c/Function/123`` tail and the empty blob name."""
    message = re.sub(r"\s*@ \S+/\S+\.c/\S+/\d+\.?", "", message)
    return message.replace(" `'", "").strip()


class _ExceptionInfo(ctypes.Structure):
    """The leading fields of MagickCore's ExceptionInfo (same in IM6 and IM7)."""

    _fields_ = [("severity", ctypes.c_int), ("error_number", ctypes.c_int),
                ("reason", ctypes.c_char_p), ("description", ctypes.c_char_p)]


def _bind_image_exception() -> bool:
    try:
        libmagick.AcquireExceptionInfo.restype = ctypes.c_void_p
        libmagick.AcquireExceptionInfo.argtypes = []
        libmagick.GetImageException.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        libmagick.GetImageException.restype = None
        libmagick.DestroyExceptionInfo.argtypes = [ctypes.c_void_p]
        libmagick.DestroyExceptionInfo.restype = ctypes.c_void_p
        libmagick.GetFirstImageInList.argtypes = [ctypes.c_void_p]
        libmagick.GetFirstImageInList.restype = ctypes.c_void_p
        library.GetImageFromMagickWand.argtypes = [ctypes.c_void_p]
        library.GetImageFromMagickWand.restype = ctypes.c_void_p
        return True
    except AttributeError:
        return False


_HAS_IMAGE_EXCEPTION = _bind_image_exception()


def image_warning(img: Image) -> str | None:
    """The warning ImageMagick attached to the decoded image (e.g. "Premature end of JPEG file").

    Wand only reports errors of the wand; a truncated JPEG decodes "successfully" with grey
    pixels and its warning sits on the image, which only MagickCore exposes.
    """
    if not _HAS_IMAGE_EXCEPTION:
        return None
    image = library.GetImageFromMagickWand(img.wand)
    image = libmagick.GetFirstImageInList(image) if image else None
    if not image:
        return None
    info = libmagick.AcquireExceptionInfo()
    try:
        libmagick.GetImageException(image, info)
        record = _ExceptionInfo.from_address(info)
        if record.severity == 0 or not record.reason:
            return None
        return record.reason.decode("utf-8", "replace")
    finally:
        libmagick.DestroyExceptionInfo(info)
