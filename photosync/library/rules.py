"""Which folders and files are part of the library, and which album a file belongs to.

Pure functions over names and folder paths (no I/O), so every rule is a table-driven test.

Album rule: a file's album folder is the nearest folder, from its own upwards, whose name does
not match ``library.exclude_in_title``. The album name is that folder's path relative to the root
with the parts that match ``exclude_in_title`` left out, joined with ``library.album_separator``.
Files whose album folder is the root belong to ``library.root_album`` (None: no album).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from photosync.config import DEFAULT_RAW_EXTENSIONS, DEFAULT_VIDEO_EXTENSIONS, LibraryConfig

Media = Literal["photo", "video"]

# Where sync keeps previews (flickr.download_previews) below library.root: never library photos.
PREVIEWS_DIR = "Flickr previews (not originals)"
# Folders that NAS tools and OSes create, ignored whatever library.exclude says.
IGNORED_DIRS = frozenset({"@eaDir", "@Recycle", "#recycle", "#snapshot", "@SynoResource",
                          "lost+found", "$RECYCLE.BIN", "System Volume Information",
                          ".photosync-trash",  # where sync keeps replaced/deleted local photos
                          PREVIEWS_DIR})
# Files that are never photos, whatever their extension.
IGNORED_FILES = frozenset({"thumbs.db", "desktop.ini", ".ds_store", "icon\r"})
# Endings of files still being written or left behind by editors, browsers, sync tools.
TEMP_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".temp", ".swp",
                 ".filepart", ".!sync", ".~tmp", "~")
TEMP_PREFIXES = (".", "~$", "._")
VIDEO_EXTENSIONS = frozenset(DEFAULT_VIDEO_EXTENSIONS)
# Camera RAW files: indexed by their bytes (SHA-256), never decoded (a RAW pixel signature would
# be slow and depend on the RAW decoder's version); their date comes from their EXIF.
RAW_EXTENSIONS = frozenset(DEFAULT_RAW_EXTENSIONS)


# The only extensions is_temporary() can say yes to without a "." or "~" prefix: a quick
# pre-check for the common case.
_SUSPECT_EXTENSIONS = frozenset(n.rpartition(".")[2] for n in IGNORED_FILES) | frozenset(
    s.rpartition(".")[2] for s in TEMP_SUFFIXES)


@dataclass(frozen=True)
class Rules:
    """``library.*`` settings, compiled once per scan."""

    exclude: tuple[re.Pattern[str], ...]
    exclude_in_title: tuple[re.Pattern[str], ...]
    extensions: frozenset[str]
    album_separator: str = "/"
    root_album: str | None = None
    # Extensions as written (lower or upper case) that make a file this media whatever the rest
    # of its name, unless it starts with "." or "~": see classify_fast.
    plain: dict[str, Media] = field(default_factory=dict)


def compile_rules(library: LibraryConfig) -> Rules:
    extensions = normalise_extensions(library.extensions)
    return Rules(
        exclude=tuple(re.compile(p) for p in library.exclude),
        exclude_in_title=tuple(re.compile(p) for p in library.exclude_in_title),
        extensions=extensions,
        album_separator=library.album_separator,
        root_album=library.root_album,
        plain={case: "video" if e in VIDEO_EXTENSIONS else "photo"
               for e in extensions if e not in _SUSPECT_EXTENSIONS and e[-1] != "~"
               for case in (e, e.upper())},
    )


def normalise_extensions(extensions: Iterable[str]) -> frozenset[str]:
    """``[".JPG", "jpeg"]`` -> ``{"jpg", "jpeg"}``."""
    return frozenset(e.strip().lstrip(".").lower() for e in extensions if e.strip().lstrip("."))


def _matches(patterns: tuple[re.Pattern[str], ...], name: str) -> bool:
    return any(p.search(name) for p in patterns)


def is_excluded_dir(rules: Rules, name: str) -> bool:
    """A folder skipped with everything below it."""
    return name in IGNORED_DIRS or _matches(rules.exclude, name)


def is_temporary(name: str) -> bool:
    """Hidden, temporary or partial files, and OS/NAS droppings."""
    lower = name.lower()
    return (lower in IGNORED_FILES or lower.startswith(TEMP_PREFIXES)
            or lower.endswith(TEMP_SUFFIXES))


def extension(name: str) -> str:
    """Lower-case extension without the dot; '' when there is none."""
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def classify(rules: Rules, name: str) -> Media | None:
    """The media type of a file the index records, None for a file it ignores.

    Runs once per file of the library on every scan: kept to a few string operations.
    """
    dot = name.rfind(".")
    if dot <= 0:
        return None
    ext = name[dot + 1:].lower()
    if ext not in rules.extensions:
        return None
    if (name[0] in ".~" or ext in _SUSPECT_EXTENSIONS or ext[-1] == "~") and is_temporary(name):
        return None
    return "video" if ext in VIDEO_EXTENSIONS else "photo"


def classify_fast(rules: Rules, name: str) -> Media | None:
    """:func:`classify`, from one dict look-up for the usual name (the walk runs it per file)."""
    dot = name.rfind(".")
    if dot > 0 and name[0] not in ".~":
        media = rules.plain.get(name[dot + 1:])
        if media is not None:
            return media
    return classify(rules, name)


def is_wanted_file(rules: Rules, name: str) -> bool:
    """A file the index records: an allowed extension and not temporary/hidden."""
    return classify(rules, name) is not None


def media_for(name: str) -> Media:
    return "video" if extension(name) in VIDEO_EXTENSIONS else "photo"


def is_raw(name: str) -> bool:
    """A camera RAW file: a photo the index identifies by its bytes, not its pixels."""
    return extension(name) in RAW_EXTENSIONS


def album_for(rules: Rules, folder: tuple[str, ...]) -> str | None:
    """The album of files directly in ``folder`` (its parts relative to the root)."""
    # Dropping every matching part gives both the nearest non-matching folder and its name.
    parts = [p for p in folder if not _matches(rules.exclude_in_title, p)]
    if not parts:
        return rules.root_album
    return rules.album_separator.join(parts)
