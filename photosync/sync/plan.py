"""Reconciliation: a pure function from (local index, remote view, last-synced pairs) to a plan.

Three-way, per remote, like Unison, rclone bisync and vdirsyncer: a :class:`Pair` remembers a
local photo (by its ImageMagick signature) and a remote item that were in sync after the last run,
with the remote's content version then. Comparing both sides against the pair tells *which* side
changed, so a photo deleted on one side is never mistaken for a new one on the other.

No I/O, no clock, no logging here: the same inputs always give the same plan, whatever order the
listings come in (everything is sorted). ``execute`` applies a plan; ``dry-run`` only reports it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Iterable, Literal, Protocol, Sequence

from photosync.remotes.base import Capabilities, RemoteItem
from photosync.remotes.names import remote_extension, safe_name

ActionKind = Literal["upload", "download", "replace_remote", "replace_local", "conflict",
                     "delete_remote", "delete_local", "move", "retag", "skip",
                     "create_album", "add_to_album", "remove_from_album", "reorder_album",
                     "delete_album"]
TRANSFERS = ("upload", "download", "replace_remote", "replace_local", "conflict")
DELETIONS = ("delete_remote", "delete_local")
PairStatus = Literal["synced", "local_deleted", "remote_deleted"]


class LocalPhoto(Protocol):
    """What the planner needs of an indexed local file (``photosync.state.index.LocalFile``)."""

    path: str
    size: int
    md5: str | None
    signature: str | None
    date_taken: datetime | None
    album: str | None


@dataclass(frozen=True)
class Pair:
    """A local photo and a remote item that were in sync at the end of the last run."""

    remote_id: str
    signature: str  # the local picture's signature then
    path: str  # the local path then (of duplicates, the one it was synced from)
    version: str | None  # the remote's content version then (see :func:`content_version`)
    album: str | None  # the local album then
    status: PairStatus = "synced"  # a deletion on one side that policy told us to keep


@dataclass(frozen=True)
class Policy:
    """The settings that steer one remote's plan."""

    remote: str  # "flickr", "drive", "memory"
    label: str  # "Flickr", "Google Drive": for reasons
    capabilities: Capabilities
    direction: Literal["both", "upload", "download", "none"] = "both"
    on_local_delete: Literal["keep", "delete-remote"] = "keep"
    on_remote_delete: Literal["keep", "delete-local"] = "keep"
    max_delete: int = 50
    max_delete_percent: float = 50.0  # of the photos in sync, per side
    force_deletes: bool = False  # this run only: neither max_delete nor max_delete_percent holds
    max_operations: int = 0  # transfers per remote per run; 0 = unlimited
    transfers_done: int = 0  # already made this run (a second pass has only the rest)
    listing_complete: bool = True  # False: absence from the listing proves nothing
    local_complete: bool = True  # False: the scan had errors, a missing file proves nothing
    download_dir: str = "Downloads"  # for remote items in no album
    download_into_album: bool = True  # False: every remote-only photo goes to download_dir
    album_separator: str = "/"
    extensions: frozenset[str] = frozenset({"jpg", "jpeg", "png", "gif", "tif", "tiff", "heic",
                                            "heif", "webp"})

    @property
    def uploads(self) -> bool:
        return self.direction in ("both", "upload")

    @property
    def downloads(self) -> bool:
        return self.direction in ("both", "download")


@dataclass(frozen=True)
class Action:
    """One thing to do (or deliberately not do), with the reason a human reads."""

    kind: ActionKind
    remote: str
    reason: str
    path: str | None = None  # local path (relative to the root), the source or the target
    remote_id: str | None = None
    signature: str | None = None
    album: str | None = None  # the album the photo belongs in
    size: int | None = 0  # bytes this action transfers; None: not known (a remote without sizes)
    old_album: str | None = None  # for move: the album it leaves
    pair: Pair | None = None  # the pair this action starts from, if any
    name: str | None = None  # upload: the file name to give the remote item
    also_ids: tuple[str, ...] = ()  # download: remote duplicates of the same picture to pair too
    md5: str | None = None  # upload, replace_remote: the MD5 of the bytes indexed (and to send)


@dataclass
class Plan:
    """Everything a run will do for one remote, plus pair updates that need no remote I/O."""

    remote: str
    actions: list[Action] = field(default_factory=list)
    relink: list[Pair] = field(default_factory=list)  # pairs to (re)write as they are
    forget: list[str] = field(default_factory=list)  # remote ids whose pairs are obsolete
    messages: list[str] = field(default_factory=list)  # why something was held back
    notes: list[str] = field(default_factory=list)  # worth telling, but nothing failed
    aborted: str | None = None  # set: nothing at all is done for this remote

    def count(self, *kinds: str) -> int:
        return sum(1 for a in self.actions if a.kind in kinds)


def content_version(item: RemoteItem) -> str | None:
    """What changes when the remote's *content* changes: Drive's MD5, Flickr's original secret."""
    return item.md5 or item.extra.get("content_version") or item.signature


def stem_key(name: str) -> str:
    """File stem / title compared case-insensitively without extension, for matching rule (c)."""
    base = name.rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    if dot and 0 < len(ext) <= 5 and stem:
        base = stem
    return base.strip().casefold()


def name_date_key(name: str, taken: datetime) -> tuple[str, datetime]:
    """Matching rule (c)'s key: the stem as :func:`stem_key` compares it, the date to the second."""
    return stem_key(name), taken.replace(microsecond=0)


def plan(local: Sequence[LocalPhoto], remote: Sequence[RemoteItem], pairs: Sequence[Pair],
         policy: Policy) -> Plan:
    """Decide what makes ``local`` and one remote agree. Pure; order of inputs does not matter."""
    result = Plan(policy.remote)
    view = _View.build(local, remote, pairs)
    abort = _empty_side(view, pairs, policy)
    if abort:
        result.aborted = abort
        return result
    # Pictures that some pair still finds locally are spoken for before any pair is decided, so
    # no pair can take another's picture for its own edit (the plan must not depend on order).
    view.claimed_sigs.update(p.signature for p in pairs if p.signature in view.groups)
    for pair in sorted(pairs, key=lambda p: p.remote_id):
        _plan_pair(view, pair, policy, result)
    for signature in sorted(view.groups):
        if signature not in view.claimed_sigs:
            _plan_new_local(view, signature, policy, result)
    _plan_new_remote(view, policy, result)
    _limit_deletions(result, policy, _in_sync(pairs))
    _limit_operations(result, policy)
    return result


@dataclass
class _View:
    groups: dict[str, list[LocalPhoto]]  # signature -> files with that picture, sorted by path
    by_path: dict[str, LocalPhoto]
    items: dict[str, RemoteItem]
    claimed_sigs: set[str] = field(default_factory=set)
    claimed_ids: set[str] = field(default_factory=set)
    paired: dict[str, int] = field(default_factory=dict)  # signature -> how many pairs show it
    _by_md5: dict[str, LocalPhoto] | None = None
    _by_name: dict[tuple, LocalPhoto] | None = None
    _remote_keys: tuple[dict, dict, dict] | None = None

    @classmethod
    def build(cls, local: Sequence[LocalPhoto], remote: Sequence[RemoteItem],
              pairs: Sequence[Pair]) -> "_View":
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

    def by_name_and_date(self) -> dict[tuple, LocalPhoto]:
        """(stem key, date taken to the second) -> the first local photo (by path)."""
        if self._by_name is None:
            self._by_name = {}
            for photo in sorted(self.by_path.values(), key=lambda p: p.path):
                if photo.date_taken and photo.signature:
                    self._by_name.setdefault(name_date_key(photo.path, photo.date_taken), photo)
        return self._by_name

    def remote_keys(self) -> tuple[dict, dict, dict]:
        """Remote items by signature, by MD5 and (untagged ones with a known date) by name and
        date, each list in id order: matching a new local picture is then a lookup, not a pass
        over every item (a lost database meets 100,000 new pictures and 100,000 items)."""
        if self._remote_keys is None:
            by_sig: dict = defaultdict(list)
            by_md5: dict = defaultdict(list)
            by_name: dict = defaultdict(list)
            for item_id in sorted(self.items):
                item = self.items[item_id]
                if item.signature:
                    by_sig[item.signature].append(item)
                if item.md5:
                    by_md5[item.md5].append(item)
                if item.date_taken_known and item.date_taken and not item.signature:
                    by_name[name_date_key(item.name, item.date_taken)].append(item)
            self._remote_keys = (by_sig, by_md5, by_name)
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


def _in_sync(pairs: Sequence[Pair]) -> int:
    return sum(1 for p in pairs if p.status == "synced")


def _empty_side(view: _View, pairs: Sequence[Pair], policy: Policy) -> str | None:
    """The rclone-bisync safety rail: a side that suddenly lists nothing is a mistake, not news."""
    in_sync = _in_sync(pairs)
    if not in_sync:
        return None
    if not view.by_path:
        return (f"the library lists no photos, but {in_sync} were in sync with {policy.label} at the "
                f"last run: is the share mounted and library.root right? Nothing done for {policy.label}.")
    if not view.items and policy.listing_complete:
        return (f"{policy.label} lists no photos, but {in_sync} were in sync at the last run: is it the "
                f"right account? Nothing done for {policy.label}.")
    return None


def _plan_pair(view: _View, pair: Pair, policy: Policy, out: Plan) -> None:
    item = view.items.get(pair.remote_id)
    view.claim(pair.signature, pair.remote_id)
    if item is None and not policy.listing_complete:
        return  # unknown, not deleted: an incremental listing or a failed page
    local_state, now = _local_state(view, pair)
    remote_state = "missing" if item is None else (
        "same" if pair.version is None or content_version(item) == pair.version else "changed")
    if item is not None and pair.version is None and content_version(item) is not None:
        pair = replace(pair, version=content_version(item))  # learnt now; recorded below
        out.relink.append(pair)
    if now is not None:
        view.claim(now.signature, None)
    _decide(view, pair, item, local_state, remote_state, now, policy, out)


def _local_state(view: _View, pair: Pair) -> tuple[str, LocalPhoto | None]:
    """('same', photo) when the picture is still here (maybe moved); ('changed', photo) when the
    pair's path now holds another picture nobody else claims; ('deleted', None) otherwise.

    The pair's own path wins over its duplicates: a copy elsewhere is no move. Only when that
    path lost the picture does another path holding it (the first) make a move."""
    at_path = view.by_path.get(pair.path)
    if at_path is not None and at_path.signature == pair.signature:
        return "same", at_path
    photo = view.first(pair.signature)
    if photo is not None:
        return "same", photo
    if at_path is not None and at_path.signature and at_path.signature not in view.claimed_sigs:
        return "changed", at_path  # edited in place: its own path, not a duplicate's
    return "deleted", None


def _decide(view: _View, pair: Pair, item: RemoteItem | None, local_state: str, remote_state: str,
            now: LocalPhoto | None, policy: Policy, out: Plan) -> None:
    label = policy.label
    if local_state == "same" and remote_state == "same":
        _plan_in_sync(pair, item, now, policy, out)
    elif local_state == "changed" and remote_state == "same":
        _plan_local_edit(pair, item, now, policy, out)
    elif local_state == "same" and remote_state == "changed":
        if policy.downloads:
            out.actions.append(Action("replace_local", policy.remote, f"changed on {label} since last sync",
                                      now.path, item.id, now.signature, now.album, item.size, pair=pair))
            _keep_duplicate(view, pair, now, policy, out)
    elif local_state == "changed" and remote_state == "changed":
        _plan_both_edited(pair, item, now, policy, out)
    elif local_state == "deleted" and remote_state in ("same", "changed"):
        _plan_local_delete(view, pair, item, remote_state, policy, out)
    elif remote_state == "missing":
        _plan_remote_delete(pair, now, local_state, policy, out)


def _plan_in_sync(pair: Pair, item: RemoteItem, now: LocalPhoto, policy: Policy, out: Plan) -> None:
    if pair.status != "synced" or now.path != pair.path and now.album == pair.album:
        out.relink.append(replace(pair, path=now.path, status="synced"))
    if now.album != pair.album:
        if policy.uploads and policy.capabilities.albums:
            out.actions.append(Action("move", policy.remote,
                                      f"moved locally from album {pair.album or '(none)'} to "
                                      f"{now.album or '(none)'}; no re-upload",
                                      now.path, item.id, now.signature, now.album, 0,
                                      old_album=pair.album, pair=pair))
        else:
            out.relink.append(replace(pair, path=now.path, album=now.album, status="synced"))


def _keep_duplicate(view: _View, pair: Pair, now: LocalPhoto, policy: Policy, out: Plan) -> None:
    """A remote edit replaces one local file; its local duplicates keep the old picture, which
    is then on no remote unless another pair shows it: uploaded as a photo of its own."""
    others = [m for m in view.groups.get(pair.signature, []) if m.path != now.path]
    if others and policy.uploads and view.paired.get(pair.signature, 0) == 1:
        out.actions.append(_upload(others[0], policy, f"a local duplicate of a photo changed on "
                                   f"{policy.label}: it keeps the old picture"))


def _plan_local_edit(pair: Pair, item: RemoteItem, now: LocalPhoto, policy: Policy, out: Plan) -> None:
    if not policy.uploads:
        return
    if policy.capabilities.replace_in_place:
        out.actions.append(Action("replace_remote", policy.remote, "changed locally since last sync",
                                  now.path, item.id, now.signature, now.album, now.size, pair=pair,
                                  md5=now.md5))
    else:
        out.actions.append(_upload(now, policy, f"changed locally since last sync; {policy.label} "
                                   f"cannot replace in place, so the new version is uploaded beside "
                                   f"the old one", pair))


def _plan_both_edited(pair: Pair, item: RemoteItem, now: LocalPhoto, policy: Policy, out: Plan) -> None:
    if item.signature == now.signature:
        out.relink.append(replace(pair, signature=now.signature, path=now.path,
                                  version=content_version(item), album=now.album, status="synced"))
        return
    out.actions.append(Action("conflict", policy.remote,
                              f"changed both locally and on {policy.label} since last sync: both "
                              f"kept, the {policy.label} version is downloaded beside the local one",
                              now.path, item.id, None, now.album, item.size, pair=pair))
    if policy.uploads:
        out.actions.append(_upload(now, policy, "local side of a conflict"))


def _plan_local_delete(view: _View, pair: Pair, item: RemoteItem, remote_state: str, policy: Policy,
                       out: Plan) -> None:
    label = policy.label
    if remote_state == "changed":  # edited remotely after the local delete: the edit wins
        out.forget.append(pair.remote_id)
        view.claimed_ids.discard(pair.remote_id)
        return
    if pair.status == "local_deleted":
        return
    if policy.on_local_delete == "delete-remote" and policy.uploads:
        out.actions.append(Action("delete_remote", policy.remote,
                                  f"deleted locally since last sync (on_local_delete: delete-remote)",
                                  pair.path, item.id, pair.signature, pair.album, pair=pair))
    else:
        out.actions.append(Action("skip", policy.remote,
                                  f"deleted locally since last sync; kept on {label} "
                                  f"(on_local_delete: {policy.on_local_delete})",
                                  pair.path, item.id, pair.signature, pair.album, pair=pair))
        out.relink.append(replace(pair, status="local_deleted"))


def _plan_remote_delete(pair: Pair, now: LocalPhoto | None, local_state: str, policy: Policy,
                        out: Plan) -> None:
    label = policy.label
    if local_state == "deleted":
        out.forget.append(pair.remote_id)
        return
    if local_state == "changed":  # edited locally after the remote delete: the edit wins
        out.forget.append(pair.remote_id)
        if policy.uploads:
            out.actions.append(_upload(now, policy, f"changed locally after it was deleted on {label}"))
        return
    if pair.status == "remote_deleted":
        return
    if policy.on_remote_delete == "delete-local" and policy.downloads:
        out.actions.append(Action("delete_local", policy.remote,
                                  f"deleted on {label} since last sync (on_remote_delete: delete-local); "
                                  f"the file is moved to the library's .photosync-trash folder",
                                  now.path, pair.remote_id, now.signature, now.album, pair=pair))
    else:
        out.actions.append(Action("skip", policy.remote,
                                  f"deleted on {label} since last sync; kept "
                                  f"(on_remote_delete: {policy.on_remote_delete})",
                                  now.path, pair.remote_id, now.signature, now.album, pair=pair))
        out.relink.append(replace(pair, path=now.path, status="remote_deleted"))


def _upload(photo: LocalPhoto, policy: Policy, reason: str, pair: Pair | None = None) -> Action:
    return Action("upload", policy.remote, reason, photo.path, None, photo.signature, photo.album,
                  photo.size, pair=pair, name=photo.path.rsplit("/", 1)[-1], md5=photo.md5)


def _match(view: _View, signature: str, members: list[LocalPhoto], policy: Policy
           ) -> tuple[list[RemoteItem], str]:
    """Unclaimed remote items showing this picture, and the rule that matched them."""
    sig_index, md5_index, name_index = view.remote_keys()
    by_sig = view.unclaimed(sig_index.get(signature, ()))
    if by_sig:
        return by_sig, "signature"
    if "md5" in policy.capabilities.hashes:
        md5s = {m.md5 for m in members if m.md5}
        by_md5 = view.unclaimed(i for md5 in md5s for i in md5_index.get(md5, ()))
        if by_md5:
            return by_md5, "MD5"
    keys = {name_date_key(m.path, m.date_taken) for m in members if m.date_taken}
    return view.unclaimed(i for key in keys for i in name_index.get(key, ())), "file name and date taken"


def _plan_new_local(view: _View, signature: str, policy: Policy, out: Plan) -> None:
    members = view.groups[signature]
    first = members[0]
    view.claim(signature, None)
    matches, rule = _match(view, signature, members, policy)
    dup_note = f" ({len(members) - 1} local duplicate(s) upload once)" if len(members) > 1 else ""
    if matches:
        target = matches[0]
        for item in matches:  # remote duplicates of one picture are all paired with it
            view.claim(None, item.id)
            out.relink.append(Pair(item.id, signature, first.path, content_version(item), first.album))
        if rule != "signature" and policy.uploads:
            out.actions.append(Action("retag", policy.remote,
                                      f"matched by {rule}; our signature tag is added",
                                      first.path, target.id, signature, first.album))
        else:
            out.actions.append(Action("skip", policy.remote, f"matched by {rule}{dup_note}",
                                      first.path, target.id, signature, first.album))
        return
    if policy.uploads:
        out.actions.append(_upload(first, policy, f"new locally{dup_note}"))


def _plan_new_remote(view: _View, policy: Policy, out: Plan) -> None:
    unclaimed = [view.items[i] for i in sorted(view.items) if i not in view.claimed_ids]
    groups: dict[str, list[RemoteItem]] = defaultdict(list)
    for item in unclaimed:  # remote duplicates of one picture: by tag, else by content hash
        groups[_same_picture(item)].append(item)
    for members in groups.values():
        item, dups = members[0], tuple(i.id for i in members[1:])
        present, rule = _present_locally(view, item, policy)
        if present is not None:  # another remote copy of a picture the library already has
            for same in (item.id, *dups):
                out.relink.append(Pair(same, present.signature, present.path,
                                       content_version(view.items[same]), present.album))
                if rule != "signature" and policy.uploads:
                    out.actions.append(Action("retag", policy.remote, f"matched by {rule} (a "
                                              f"duplicate on {policy.label} of a photo already in "
                                              f"sync); our signature tag is added", present.path,
                                              same, present.signature, present.album))
            if rule == "signature" or not policy.uploads:
                out.actions.append(Action("skip", policy.remote, f"matched by {rule} (a duplicate "
                                          f"on {policy.label} of a photo already in sync)",
                                          present.path, item.id, item.signature, present.album))
        elif item.media != "photo" or not _indexable(item, policy):
            out.actions.append(Action("skip", policy.remote,
                                      f"{item.media} on {policy.label} that the library does not index "
                                      f"(library.extensions); not downloaded", None, item.id))
        elif policy.downloads:
            album = item.albums[0] if item.albums and policy.download_into_album else None
            note = f" ({len(dups)} duplicate(s) there download once)" if dups else ""
            out.actions.append(Action("download", policy.remote, f"new on {policy.label}{note}",
                                      download_folder(album, policy), item.id, item.signature,
                                      album, item.size, name=item.name, also_ids=dups))


def _same_picture(item: RemoteItem) -> str:
    """Remote items with one key show one picture: our (or a compatible) tag, else the MD5."""
    if item.signature:
        return f"signature:{item.signature}"
    return f"md5:{item.md5}" if item.md5 else f"id:{item.id}"


def _present_locally(view: _View, item: RemoteItem, policy: Policy
                     ) -> tuple[LocalPhoto | None, str]:
    """The local photo an unpaired remote item shows, by the same rules as :func:`_match`."""
    if item.signature:
        return view.first(item.signature), "signature"
    if item.md5 and "md5" in policy.capabilities.hashes:
        found = view.by_md5().get(item.md5)
        if found is not None:
            return found, "MD5"
    if item.date_taken_known and item.date_taken:
        return view.by_name_and_date().get(name_date_key(item.name, item.date_taken)), \
            "file name and date taken"
    return None, ""


def _indexable(item: RemoteItem, policy: Policy) -> bool:
    return remote_extension(item) in policy.extensions


def download_folder(album: str | None, policy: Policy) -> str:
    """Where a remote-only photo lands: its album's folder, else the remote's download folder."""
    if album:
        parts = [safe_name(p) for p in album.split(policy.album_separator) if p.strip()]
    else:
        parts = [safe_name(p) for p in policy.download_dir.split("/") if p.strip()]
    return "/".join(parts)


def _limit_deletions(out: Plan, policy: Policy, in_sync: int) -> None:
    """rclone's rules: no deletion on a side whose evidence is incomplete; none past max_delete
    deletions or past max_delete_percent of the photos in sync on either side (a share that
    mounts with a few stray photos must not delete the rest everywhere), unless forced."""
    if out.count("delete_local") and not policy.listing_complete:
        out.actions = [a for a in out.actions if a.kind != "delete_local"]
        out.messages.append(f"{policy.label}: a listing was incomplete, so no local file is deleted this run")
    if out.count("delete_remote") and not policy.local_complete:
        out.actions = [a for a in out.actions if a.kind != "delete_remote"]
        out.messages.append(f"{policy.label}: the library scan had errors, so nothing is deleted on "
                            f"{policy.label} this run")
    if policy.force_deletes:
        return
    deletions = out.count(*DELETIONS)
    if deletions > policy.max_delete:
        _hold_deletions(out, f"{policy.label}: {deletions} deletions planned, more than "
                             f"sync.max_delete ({policy.max_delete})")
        return
    for kind, side in (("delete_remote", policy.label), ("delete_local", "the library")):
        count = out.count(kind)
        if count and count * 100 > policy.max_delete_percent * in_sync:
            share = count * 100 / in_sync
            _hold_deletions(out, f"{policy.label}: {count} of the {in_sync} photos in sync would "
                                 f"be deleted from {side} ({share:.0f}%), more than "
                                 f"sync.max_delete_percent ({policy.max_delete_percent:g}%)")
            return


def _hold_deletions(out: Plan, why: str) -> None:
    out.actions = [a for a in out.actions if a.kind not in DELETIONS]
    out.messages.append(f"{why}: none made. Check what happened (is the share mounted with every "
                        f"photo?), then run `photosync sync --force-deletes` once (or raise the "
                        f"limit) if they are intended.")


def _limit_operations(out: Plan, policy: Policy) -> None:
    if not policy.max_operations:
        return
    kept: list[Action] = []
    transfers = policy.transfers_done
    for action in out.actions:
        if action.kind in TRANSFERS:
            transfers += 1
            if transfers > policy.max_operations:
                kept.append(replace(action, kind="skip", reason=f"{action.kind} postponed: over "
                                    f"sync.max_operations ({policy.max_operations}) this run"))
                continue
        kept.append(action)
    out.actions = kept

