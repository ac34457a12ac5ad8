"""What a plan asks for: one frozen record per action kind, holding only that kind's fields.

A photo action (:class:`PhotoAction`) is about one photo: its local path (a download's is the
folder it goes to), the remote item, the picture's signature, its album and the bytes it moves.
An album action (:class:`AlbumAction`) is about one album: its title, its id on the remote and
the photos it concerns. :data:`Action` is the union of every kind; the executor dispatches on it
with a ``match``, so ``grep ReorderAlbum`` finds who plans and who handles a kind.

The report reads every kind through the same five names (``path``, ``remote_id``, ``signature``,
``album``, ``size``): an album action answers them with its title and album id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

PairStatus = Literal["synced", "local_deleted", "remote_deleted"]


@dataclass(frozen=True)
class Pair:
    """A local photo and a remote item that were in sync at the end of the last run."""

    remote_id: str
    signature: str  # the local picture's signature then
    path: str  # the local path then (of duplicates, the one it was synced from)
    version: str | None  # the remote's content version then (see ``plan.content_version``)
    album: str | None  # the local album then
    status: PairStatus = "synced"  # a deletion on one side that policy told us to keep


@dataclass(frozen=True, kw_only=True)
class PhotoAction:
    """One thing to do (or deliberately not do) about one photo, with the reason a human reads."""

    kind: ClassVar[str]
    remote: str
    reason: str
    path: str | None = None  # local path (relative to the root), the source or the target
    remote_id: str | None = None  # the remote item
    signature: str | None = None
    album: str | None = None  # the album the photo belongs in
    size: int | None = 0  # bytes this action transfers; None: not known (a remote without sizes)


@dataclass(frozen=True, kw_only=True)
class Upload(PhotoAction):
    kind: ClassVar[str] = "upload"
    path: str
    signature: str
    name: str  # the file name to give the remote item
    md5: str | None = None  # the MD5 of the bytes indexed (and to send)
    pair: Pair | None = None  # the pair of the old version, when one is uploaded beside it


@dataclass(frozen=True, kw_only=True)
class Download(PhotoAction):
    kind: ClassVar[str] = "download"
    path: str  # the folder it goes to
    remote_id: str
    name: str
    duplicates: tuple[str, ...] = ()  # remote duplicates of the same picture, paired too


@dataclass(frozen=True, kw_only=True)
class ReplaceRemote(PhotoAction):
    kind: ClassVar[str] = "replace_remote"
    path: str
    remote_id: str
    signature: str
    pair: Pair
    md5: str | None = None  # the MD5 of the bytes indexed (and to send)


@dataclass(frozen=True, kw_only=True)
class ReplaceLocal(PhotoAction):
    kind: ClassVar[str] = "replace_local"
    path: str
    remote_id: str
    pair: Pair


@dataclass(frozen=True, kw_only=True)
class Conflict(PhotoAction):
    """Both sides changed: the remote version is downloaded beside the local one."""

    kind: ClassVar[str] = "conflict"
    path: str
    remote_id: str
    pair: Pair


@dataclass(frozen=True, kw_only=True)
class DeleteRemote(PhotoAction):
    kind: ClassVar[str] = "delete_remote"
    remote_id: str
    pair: Pair


@dataclass(frozen=True, kw_only=True)
class DeleteLocal(PhotoAction):
    kind: ClassVar[str] = "delete_local"
    path: str
    remote_id: str
    pair: Pair


@dataclass(frozen=True, kw_only=True)
class Move(PhotoAction):
    """Moved between album folders: only the pair changes; the album phase moves the photo."""

    kind: ClassVar[str] = "move"
    path: str
    old_album: str | None
    pair: Pair


@dataclass(frozen=True, kw_only=True)
class Retag(PhotoAction):
    kind: ClassVar[str] = "retag"
    remote_id: str
    signature: str


@dataclass(frozen=True, kw_only=True)
class Skip(PhotoAction):
    """Deliberately not done (kept by policy, matched already, postponed, parked)."""

    kind: ClassVar[str] = "skip"

    @classmethod
    def of(cls, action: Action, reason: str) -> Skip:
        """``action`` not done this run, for ``reason``."""
        return cls(remote=action.remote, reason=reason, path=action.path,
                   remote_id=action.remote_id, signature=action.signature, album=action.album,
                   size=action.size)


@dataclass(frozen=True, kw_only=True)
class AlbumAction:
    """One change to one album: its title, its id on the remote (None before it exists) and the
    photos (remote ids) it concerns."""

    kind: ClassVar[str]
    remote: str
    reason: str
    title: str
    album_id: str | None = None
    members: tuple[str, ...] = ()

    # The report's view, shared with photo actions: an album has no path, signature or bytes.
    @property
    def path(self) -> str | None:
        return None

    @property
    def remote_id(self) -> str | None:
        return self.album_id

    @property
    def signature(self) -> str | None:
        return None

    @property
    def album(self) -> str | None:
        return self.title

    @property
    def size(self) -> int | None:
        return 0


@dataclass(frozen=True, kw_only=True)
class CreateAlbum(AlbumAction):
    kind: ClassVar[str] = "create_album"


@dataclass(frozen=True, kw_only=True)
class AddToAlbum(AlbumAction):
    """``members``: the photos that join. ``order``: where the remote orders albums, the album's
    whole order of our photos, so joining and ordering are one edit (Flickr: one editPhotos)."""

    kind: ClassVar[str] = "add_to_album"
    album_id: str
    order: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RemoveFromAlbum(AlbumAction):
    kind: ClassVar[str] = "remove_from_album"
    album_id: str


@dataclass(frozen=True, kw_only=True)
class ReorderAlbum(AlbumAction):
    kind: ClassVar[str] = "reorder_album"
    album_id: str


@dataclass(frozen=True, kw_only=True)
class DeleteAlbum(AlbumAction):
    kind: ClassVar[str] = "delete_album"
    album_id: str


Transfer = Upload | Download | ReplaceRemote | ReplaceLocal | Conflict
PhotoKind = Transfer | DeleteRemote | DeleteLocal | Move | Retag | Skip
AlbumKind = CreateAlbum | AddToAlbum | RemoveFromAlbum | ReorderAlbum | DeleteAlbum
Action = PhotoKind | AlbumKind

TRANSFERS = tuple(k.kind for k in (Upload, Download, ReplaceRemote, ReplaceLocal, Conflict))
DELETIONS = (DeleteRemote.kind, DeleteLocal.kind)


@dataclass
class Plan:
    """Everything a run will do for one remote, plus pair updates that need no remote I/O."""

    remote: str
    actions: list[Action] = field(default_factory=list)
    relink: list[Pair] = field(default_factory=list)  # pairs to (re)write as they are
    forget: list[str] = field(default_factory=list)  # remote ids whose pairs are obsolete
    messages: list[str] = field(default_factory=list)  # why something was held back
    notes: list[str] = field(default_factory=list)  # worth telling, but nothing failed
    withheld: list[str] = field(default_factory=list)  # remote-only ids whose original is withheld
    aborted: str | None = None  # set: nothing at all is done for this remote
    postponed: int = 0  # transfers left for later runs by sync.max_operations

    def count(self, *kinds: str) -> int:
        return sum(1 for a in self.actions if a.kind in kinds)
