"""What executing an action gives back: the changes for the main thread to record
(:class:`Done`), the outcome the report shows (:class:`Outcome`), and the words for an error."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from photosync.errors import AuthorizationNeeded, PhotosyncError
from photosync.remotes.base import RemoteItem
from photosync.remotes.files import safe_destination
from photosync.remotes.names import remote_extension
from photosync.sync.actions import Action, Download, Pair


@dataclass
class Done:
    """What one action changed, for the main thread to record."""

    pairs: list[Pair] = field(default_factory=list)
    forget: list[str] = field(default_factory=list)
    items: list[RemoteItem] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # Listed items to tag with a signature once the transfers are done (a download's pairs).
    tags: list[tuple[RemoteItem, str]] = field(default_factory=list)
    fetched: int = 0  # bytes a download wrote (sync.max_transfer, where sizes are not listed)


@dataclass
class Outcome:
    action: Action
    error: str | None = None
    file: str | None = None  # download, conflict: the file it created, relative to the root


def download_destination(root: Path, a: Download, item: RemoteItem, taken: set[Path]) -> Path:
    """The free file name a download gets in its folder (``a.path``), not one of ``taken``."""
    return safe_destination(root, a.path.split("/") if a.path else [], a.name or item.name,
                            remote_extension(item), taken)


def describe(error: Exception | None) -> str:
    if error is None:
        return "unknown error"
    if isinstance(error, AuthorizationNeeded | PhotosyncError):
        return str(error)
    if isinstance(error, OSError):
        return f"{error.strerror or error}" + (f": {error.filename}" if error.filename else "")
    return f"{type(error).__name__}: {error}"
