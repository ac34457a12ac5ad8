"""How the planner recognises one picture on both sides: keys, lookups, and the remote's names.

Pure, like :mod:`photosync.sync.plan`: matching rules (a) signature tag, (b) MD5, (c) file name
and date taken, each a lookup in an index built once (a lost database meets 100,000 new pictures
and 100,000 items), and the file names and folders a remote item gets locally.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from photosync.remotes.base import UNLISTED, RemoteItem, withheld
from photosync.remotes.names import remote_extension, safe_name
from photosync.sync.actions import Pair
from photosync.sync.policy import Policy

NameKey = tuple[str, datetime]


class LocalPhoto(Protocol):
    """What the planner needs of an indexed local file (``photosync.library.index.LocalFile``)."""

    @property
    def path(self) -> str: ...
    @property
    def size(self) -> int | None: ...
    @property
    def md5(self) -> str | None: ...
    @property
    def signature(self) -> str | None: ...
    @property
    def date_taken(self) -> datetime | None: ...
    @property
    def album(self) -> str | None: ...


def content_version(item: RemoteItem) -> str | None:
    """What changes when the remote's *content* changes: Drive's MD5, Flickr's original secret.
    None while the original is withheld: the version is learnt once it can be downloaded; None
    for an item known from its upload's answer only: its pair learns it at the next listing
    (the planner's "learnt now"), instead of taking the signature for a version."""
    if withheld(item):
        return None
    version = item.md5 or item.extra.get("content_version")
    if version is None and not item.extra.get(UNLISTED):
        version = item.signature
    return str(version) if version is not None else None


def stem_key(name: str) -> str:
    """File stem / title compared case-insensitively without extension, for matching rule (c)."""
    base = name.rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    if dot and 0 < len(ext) <= 5 and stem:
        base = stem
    return base.strip().casefold()


def name_date_key(name: str, taken: datetime) -> NameKey:
    """Matching rule (c)'s key: the stem as :func:`stem_key` compares it, the date to the second."""
    return stem_key(name), taken.replace(microsecond=0)


@dataclass
class RemoteKeys:
    """Remote items by signature, by MD5 and (untagged ones with a known date) by name and date,
    each list in id order."""

    by_signature: dict[str, list[RemoteItem]]
    by_md5: dict[str, list[RemoteItem]]
    by_name: dict[NameKey, list[RemoteItem]]


@dataclass
class View:
    """Both sides indexed for the planner, and what earlier decisions already claimed."""

    groups: dict[str, list[LocalPhoto]]  # signature -> files with that picture, sorted by path
    by_path: dict[str, LocalPhoto]
    items: dict[str, RemoteItem]
    claimed_sigs: set[str] = field(default_factory=set)
    claimed_ids: set[str] = field(default_factory=set)
    paired: dict[str, int] = field(default_factory=dict)  # signature -> how many pairs show it
    _by_md5: dict[str, LocalPhoto] | None = None
    _by_name: dict[NameKey, LocalPhoto] | None = None
    _remote_keys: RemoteKeys | None = None

    @classmethod
    def build(cls, local: Sequence[LocalPhoto], remote: Sequence[RemoteItem],
              pairs: Sequence[Pair]) -> View:
        groups: dict[str, list[LocalPhoto]] = defaultdict(list)
        for photo in local:
            if photo.signature:
                groups[photo.signature].append(photo)
        for members in groups.values():
            members.sort(key=lambda p: p.path)
        paired: dict[str, int] = defaultdict(int)
        for pair in pairs:
            paired[pair.signature] += 1
        return cls(dict(groups), {p.path: p for p in local}, {i.id: i for i in remote},
                   paired=dict(paired))

    def by_md5(self) -> dict[str, LocalPhoto]:
        """MD5 -> the first local photo (by path) with those bytes."""
        if self._by_md5 is None:
            self._by_md5 = {}
            for photo in sorted(self.by_path.values(), key=lambda p: p.path):
                if photo.md5 and photo.signature:
                    self._by_md5.setdefault(photo.md5, photo)
        return self._by_md5

    def by_name_and_date(self) -> dict[NameKey, LocalPhoto]:
        """(stem key, date taken to the second) -> the first local photo (by path)."""
        if self._by_name is None:
            self._by_name = {}
            for photo in sorted(self.by_path.values(), key=lambda p: p.path):
                if photo.date_taken and photo.signature:
                    self._by_name.setdefault(name_date_key(photo.path, photo.date_taken), photo)
        return self._by_name

    def remote_keys(self) -> RemoteKeys:
        """The remote items indexed once: matching a new local picture is then a lookup, not a
        pass over every item."""
        if self._remote_keys is None:
            keys = RemoteKeys(defaultdict(list), defaultdict(list), defaultdict(list))
            for item_id in sorted(self.items):
                item = self.items[item_id]
                if item.signature:
                    keys.by_signature[item.signature].append(item)
                if item.md5:
                    keys.by_md5[item.md5].append(item)
                if item.date_taken_known and item.date_taken and not item.signature:
                    keys.by_name[name_date_key(item.name, item.date_taken)].append(item)
            self._remote_keys = keys
        return self._remote_keys

    def unclaimed(self, items: Iterable[RemoteItem]) -> list[RemoteItem]:
        """``items`` no pair or earlier match has taken, once each, in id order."""
        free = {i.id: i for i in items if i.id not in self.claimed_ids}
        return [free[i] for i in sorted(free)]

    def first(self, signature: str) -> LocalPhoto | None:
        members = self.groups.get(signature)
        return members[0] if members else None

    def claim(self, signature: str | None, item_id: str | None) -> None:
        if signature:
            self.claimed_sigs.add(signature)
        if item_id:
            self.claimed_ids.add(item_id)


def match_remote(view: View, signature: str, members: list[LocalPhoto], policy: Policy
                 ) -> tuple[list[RemoteItem], str]:
    """Unclaimed remote items showing this local picture, and the rule that matched them."""
    keys = view.remote_keys()
    by_sig = view.unclaimed(keys.by_signature.get(signature, ()))
    if by_sig:
        return by_sig, "signature"
    if "md5" in policy.capabilities.hashes:
        md5s = {m.md5 for m in members if m.md5}
        by_md5 = view.unclaimed(i for md5 in md5s for i in keys.by_md5.get(md5, ()))
        if by_md5:
            return by_md5, "MD5"
    names = {name_date_key(m.path, m.date_taken) for m in members if m.date_taken}
    return (view.unclaimed(i for key in names for i in keys.by_name.get(key, ())),
            "file name and date taken")


def present_locally(view: View, item: RemoteItem, policy: Policy
                    ) -> tuple[LocalPhoto | None, str]:
    """The local photo an unpaired remote item shows, by the same rules as :func:`match_remote`."""
    if item.signature:
        return view.first(item.signature), "signature"
    if item.md5 and "md5" in policy.capabilities.hashes:
        found = view.by_md5().get(item.md5)
        if found is not None:
            return found, "MD5"
    if item.date_taken_known and item.date_taken:
        return (view.by_name_and_date().get(name_date_key(item.name, item.date_taken)),
                "file name and date taken")
    return None, ""


def same_picture(item: RemoteItem) -> str:
    """Remote items with one key show one picture: our (or a compatible) tag, else the MD5."""
    if item.signature:
        return f"signature:{item.signature}"
    return f"md5:{item.md5}" if item.md5 else f"id:{item.id}"


def indexable(item: RemoteItem, policy: Policy) -> bool:
    return remote_extension(item) in policy.extensions


def download_folder(album: str | None, policy: Policy) -> str:
    """Where a remote-only photo lands: its album's folder, else the remote's download folder."""
    if album:
        parts = [safe_name(p) for p in album.split(policy.album_separator) if p.strip()]
    else:
        parts = [safe_name(p) for p in policy.download_dir.split("/") if p.strip()]
    return "/".join(parts)
