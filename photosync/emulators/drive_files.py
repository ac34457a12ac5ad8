"""Drive's file model: what the emulator stores per file, and the File resource it answers.

A file keeps only small fields and a blob key; what is derived from the bytes (size, md5, sha256,
image width/height/EXIF time) is computed once per blob by :class:`ContentFacts` and cached, so a
seeded file costs nothing until something asks for its checksum or its bytes. A file made by
``POST /_admin/import`` *declares* its size and md5 in its recipe (``declared``): they are
answered as given, never computed, and its bytes are a generated stand-in of other size and hash.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

FOLDER = "application/vnd.google-apps.folder"
DEFAULT_KEYS = ("kind", "id", "name", "mimeType")
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"II*\x00", b"MM\x00*", b"RIFF", b"BM")


@dataclass(slots=True)
class DriveFile:
    id: str
    name: str
    mimeType: str
    owner: str  # the account's email
    parents: list[str]
    createdTime: float  # epoch seconds; rendered as RFC 3339 with millis
    modifiedTime: float
    blob: str | None = None  # BlobStore key; None for folders
    appProperties: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    originalFilename: str | None = None
    trashed: bool = False
    explicitlyTrashed: bool = False
    starred: bool = False
    app: str = ""  # client id that created it (what the drive.file scope may see)
    version: int = 1

    @property
    def is_folder(self) -> bool:
        return self.mimeType == FOLDER

    def to_json(self) -> dict[str, Any]:
        """For the state file; cheaper than ``dataclasses.asdict`` on 50,000 files."""
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(slots=True)
class Facts:
    size: int
    md5: str
    sha256: str
    sha1: str
    width: int | None = None
    height: int | None = None
    time: str | None = None  # EXIF DateTimeOriginal, "YYYY:MM:DD HH:MM:SS"


class ContentFacts:
    """Size, hashes and image metadata per blob key, computed on first use."""

    def __init__(self, fetch: Callable[[str], bytes]):
        self._fetch = fetch
        self._cache: dict[str, Facts] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Facts:
        facts = self._cache.get(key) or declared(key)
        if facts is None:
            facts = self.learn(key, self._fetch(key))
        return facts

    def size_or_estimate(self, key: str) -> int:
        """The size if known; for a generated blob not made yet, a rough JPEG size estimate."""
        facts = self._cache.get(key) or declared(key)
        if facts is not None:
            return facts.size
        if not key.startswith("gen:"):
            return self.get(key).size
        spec = json.loads(key[4:])
        return 800 + spec.get("width", 64) * spec.get("height", 48) // 10

    def learn(self, key: str, data: bytes) -> Facts:
        facts = Facts(
            len(data),
            hashlib.md5(data).hexdigest(),
            hashlib.sha256(data).hexdigest(),
            hashlib.sha1(data).hexdigest(),
            *image_facts(data),
        )
        with self._lock:
            self._cache[key] = facts
        return facts

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


def declared(key: str) -> Facts | None:
    """The facts an imported file's recipe states: size and md5 as given, its image size and EXIF
    time; no sha1/sha256 (unknown: left out of the File resource). Not cached: a million imported
    files would cost a Facts each."""
    if not key.startswith("gen:") or '"md5"' not in key:
        return None
    spec = json.loads(key[4:])
    taken = spec.get("date_taken")
    return Facts(int(spec["size"]), spec["md5"], "", "", spec.get("width"), spec.get("height"),
                 taken.replace("-", ":").replace("T", " ")[:19] if taken else None)


def image_facts(data: bytes) -> tuple[int | None, int | None, str | None]:
    """(width, height, EXIF DateTimeOriginal) read with Wand ``ping`` (no pixel decoding)."""
    if not data.startswith(IMAGE_MAGIC) and data[4:12] not in (
        b"ftypheic",
        b"ftypheix",
        b"ftypmif1",
    ):
        return None, None, None  # only hand ImageMagick what is plainly a picture
    from wand.image import Image

    try:
        with Image.ping(blob=data) as img:
            meta = img.metadata
            taken = meta.get("exif:DateTimeOriginal") or meta.get("exif:DateTime")
            return img.width, img.height, taken or None
    except Exception:  # not an image ImageMagick knows: Drive then has no imageMediaMetadata
        return None, None, None


def rfc3339(epoch: float) -> str:
    """Drive's timestamps: ``2020-01-02T03:04:05.678Z``."""
    when = datetime.fromtimestamp(epoch, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def new_id(rng: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A 33-character id shaped like Drive's (``1`` + 32 URL-safe base64 characters)."""
    return "1" + base64.urlsafe_b64encode(rng(24)).decode()


def seeded_id(*parts: object) -> str:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return "1" + base64.urlsafe_b64encode(digest[:24]).decode()


def extension(name: str) -> tuple[str, str]:
    """(fileExtension, fullFileExtension) as Drive derives them from the name."""
    if "." not in name.strip("."):
        return "", ""
    return name.rsplit(".", 1)[1], name.split(".", 1)[1]


# Fields computed from a file's bytes (hashes, size, EXIF): asking for any of them reads the blob.
CONTENT_FIELDS = ("size", "md5Checksum", "sha256Checksum", "sha1Checksum", "quotaBytesUsed",
                  "imageMediaMetadata")


def resource(
    f: DriveFile, keys: set[str] | None, facts: Callable[[str], Facts], owner: dict[str, Any]
) -> dict[str, Any]:
    """The File resource with only ``keys`` (None: Drive's default kind,id,name,mimeType)."""
    wanted = set(DEFAULT_KEYS) if keys is None else keys
    everything = "*" in wanted
    out: dict[str, Any] = {}

    def want(name: str) -> bool:
        return everything or name in wanted

    for name, value in (
        ("kind", "drive#file"),
        ("id", f.id),
        ("name", f.name),
        ("mimeType", f.mimeType),
    ):
        if want(name):
            out[name] = value
    _add_plain(out, f, want, owner)
    if f.blob and any(want(n) for n in CONTENT_FIELDS):
        _add_content(out, f, facts(f.blob), want)
    elif want("quotaBytesUsed"):
        out["quotaBytesUsed"] = "0"
    return out


def _add_plain(
    out: dict[str, Any], f: DriveFile, want: Callable[[str], bool], owner: dict[str, Any]
) -> None:
    root = not f.parents
    simple: dict[str, Any] = {
        "parents": list(f.parents) if f.parents else None,
        "createdTime": rfc3339(f.createdTime),
        "modifiedTime": rfc3339(f.modifiedTime),
        "appProperties": dict(f.appProperties) if f.appProperties else None,
        "properties": dict(f.properties) if f.properties else None,
        "description": f.description,
        "trashed": f.trashed,
        "explicitlyTrashed": f.explicitlyTrashed,
        "starred": f.starred,
        "version": str(f.version),
        "ownedByMe": True,
        "owners": [owner],
        "spaces": ["drive"],
        "originalFilename": (f.originalFilename or f.name) if f.blob else None,
        "headRevisionId": f.blob[:40] if f.blob and not f.blob.startswith("gen:") else None,
        "shared": False,
        "viewedByMe": True,
        "modifiedByMe": True,
    }
    if f.blob:
        simple["fileExtension"], simple["fullFileExtension"] = extension(f.name)
    if root:
        simple["parents"] = None
    for name, value in simple.items():
        if value is not None and value != "" and want(name):
            out[name] = value


def _add_content(
    out: dict[str, Any], f: DriveFile, facts: Facts, want: Callable[[str], bool]
) -> None:
    content = {
        "size": str(facts.size),
        "quotaBytesUsed": str(facts.size),
        "md5Checksum": facts.md5,
        "sha256Checksum": facts.sha256,
        "sha1Checksum": facts.sha1,
    }
    for name, value in content.items():
        if want(name) and value:
            out[name] = value
    if want("imageMediaMetadata") and facts.width and f.mimeType.startswith("image/"):
        meta: dict[str, Any] = {"width": facts.width, "height": facts.height, "rotation": 0}
        if facts.time:
            meta["time"] = facts.time
        out["imageMediaMetadata"] = meta
