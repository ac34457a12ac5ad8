"""Reconciliation: a pure function from (local index, remote view, last-synced pairs) to a plan.

Three-way, per remote, like Unison, rclone bisync and vdirsyncer: a :class:`Pair` remembers a
local photo (by its ImageMagick signature) and a remote item that were in sync after the last run,
with the remote's content version then. Comparing both sides against the pair tells *which* side
changed, so a photo deleted on one side is never mistaken for a new one on the other.

No I/O, no clock, no logging here: the same inputs always give the same plan, whatever order the
listings come in (everything is sorted). ``execute`` applies a plan, for real or as a dry run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from photosync.remotes.base import RemoteItem, withheld
from photosync.sync.actions import (
    Action,
    Conflict,
    DeleteLocal,
    DeleteRemote,
    Download,
    Move,
    Pair,
    Plan,
    ReplaceLocal,
    ReplaceRemote,
    Retag,
    Skip,
    Upload,
)
from photosync.sync.limits import limit_deletions, limit_operations
from photosync.sync.match import (
    LocalPhoto,
    View,
    content_version,
    download_folder,
    indexable,
    match_remote,
    present_locally,
    same_picture,
)
from photosync.sync.media import VIDEOS, kind_of, remote_kind
from photosync.sync.policy import Evidence, Policy

__all__ = ["Action", "Pair", "Plan", "plan"]  # Action, Pair, Plan: other modules' imports

NOTHING_AMISS = Evidence()  # a complete listing and scan, nothing done yet, no forced deletes
Side = Literal["same", "changed", "deleted", "missing"]


def plan(local: Sequence[LocalPhoto], remote: Sequence[RemoteItem], pairs: Sequence[Pair],
         policy: Policy, evidence: Evidence = NOTHING_AMISS) -> Plan:
    """Decide what makes ``local`` and one remote agree. Pure; order of inputs does not matter."""
    result = Plan(policy.remote)
    view = View.build(local, remote, pairs)
    abort = _empty_side(view, pairs, policy, evidence)
    if abort:
        result.aborted = abort
        return result
    # Pictures that some pair still finds locally are spoken for before any pair is decided, so
    # no pair can take another's picture for its own edit (the plan must not depend on order).
    view.claimed_sigs.update(p.signature for p in pairs if p.signature in view.groups)
    planner = _Planner(view, policy, result, evidence.live_clips)
    for pair in sorted(pairs, key=lambda p: p.remote_id):
        planner.pair(pair, evidence.listing_complete)
    for signature in sorted(view.groups):
        if signature not in view.claimed_sigs:
            planner.new_local(signature)
    planner.new_remote()
    planner.media_notes(pairs, evidence.videos_sent)
    planner.processing_notes(pairs)
    order_uploads(result, view, policy.upload_order)
    limit_deletions(result, policy, evidence, _in_sync(pairs) + evidence.settled)
    limit_operations(result, policy, evidence.transfers_done)
    return result


def order_uploads(out: Plan, view: View, order: str) -> None:
    """Uploads in ``sync.upload_order``: ``newest`` date taken first (the photos people care
    about arrive first on a first sync that takes days), ``oldest`` first, or by ``path``; photos
    with no date go last. The plan is pure, so a run cut short by the quota or
    ``sync.max_operations`` is followed by one that goes on exactly where it stopped."""
    uploads = [a for a in out.actions if isinstance(a, Upload)]

    def key(a: Upload) -> tuple[bool, float, str]:
        photo = view.by_path.get(a.path)
        taken = photo.date_taken if photo is not None else None
        stamp = (taken.replace(tzinfo=None) - datetime.min).total_seconds() if taken else 0.0
        return taken is None, -stamp if order == "newest" else stamp, a.path

    ordered = iter(sorted(uploads, key=(lambda a: a.path) if order == "path" else key))
    out.actions = [next(ordered) if isinstance(a, Upload) else a for a in out.actions]


def _in_sync(pairs: Sequence[Pair]) -> int:
    return sum(1 for p in pairs if p.status == "synced")


def _empty_side(view: View, pairs: Sequence[Pair], policy: Policy, evidence: Evidence
                ) -> str | None:
    """The rclone-bisync safety rail: a side that suddenly lists nothing is a mistake, not news."""
    in_sync = _in_sync(pairs) + evidence.settled
    if not in_sync:
        return None
    label = policy.label
    if not view.by_path and not evidence.settled:
        return (f"the library lists no photos, but {in_sync} were in sync with {label} at the "
                f"last run: is the share mounted and library.root right? Nothing done for "
                f"{label}.")
    if not view.items and not evidence.settled and evidence.listing_complete:
        return (f"{label} lists no photos, but {in_sync} were in sync at the last run: is it the "
                f"right account? Nothing done for {label}.")
    return None


def _local_state(view: View, pair: Pair) -> tuple[Side, LocalPhoto | None]:
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


def _remote_state(pair: Pair, item: RemoteItem | None) -> Side:
    if item is None:
        return "missing"
    if pair.version is None or withheld(item):  # a withheld original: nothing to fetch anyway
        return "same"
    return "same" if content_version(item) == pair.version else "changed"


def _upload(photo: LocalPhoto, policy: Policy, reason: str, pair: Pair | None = None) -> Upload:
    return Upload(remote=policy.remote, reason=reason, path=photo.path,
                  signature=photo.signature or "", album=photo.album, size=photo.size, pair=pair,
                  name=photo.path.rsplit("/", 1)[-1], md5=photo.md5)


@dataclass
class _Planner:
    """The decisions for one remote, each adding to ``out``."""

    view: View
    policy: Policy
    out: Plan
    live_clips: frozenset[str] = frozenset()
    held: dict[str, int] = field(default_factory=dict)  # kind -> new local files not sent

    def add(self, action: Action) -> None:
        self.out.actions.append(action)

    # -- a pair: which side changed since the last run -------------------------------------
    def pair(self, pair: Pair, listing_complete: bool) -> None:
        view = self.view
        item = view.items.get(pair.remote_id)
        view.claim(pair.signature, pair.remote_id)
        if item is None and not listing_complete:
            return  # unknown, not deleted: an incremental listing or a failed page
        local_state, now = _local_state(view, pair)
        remote_state = _remote_state(pair, item)
        if item is not None and pair.version is None and content_version(item) is not None:
            pair = replace(pair, version=content_version(item))  # learnt now; recorded below
            self.out.relink.append(pair)
        if now is not None:
            view.claim(now.signature, None)
        if item is None:
            self.remote_deleted(pair, now, local_state)
        elif now is None:
            self.local_deleted(pair, item, remote_state)
        else:
            self.both_present(pair, item, now, local_state, remote_state)

    def both_present(self, pair: Pair, item: RemoteItem, now: LocalPhoto, local_state: Side,
                     remote_state: Side) -> None:
        if local_state == "same" and remote_state == "same":
            self.in_sync(pair, item, now)
        elif local_state == "changed" and remote_state == "same":
            self.local_edit(pair, item, now)
        elif local_state == "same":
            if self.policy.downloads:
                self.add(ReplaceLocal(remote=self.policy.remote,
                                      reason=f"changed on {self.policy.label} since last sync",
                                      path=now.path, remote_id=item.id, signature=now.signature,
                                      album=now.album, size=item.size, pair=pair))
                self.keep_duplicate(pair, now)
        else:
            self.both_edited(pair, item, now)

    def in_sync(self, pair: Pair, item: RemoteItem, now: LocalPhoto) -> None:
        self.retag_untagged(pair, item, now)
        if pair.status != "synced" or now.path != pair.path and now.album == pair.album:
            self.out.relink.append(replace(pair, path=now.path, status="synced"))
        if now.album == pair.album:
            return
        if self.policy.uploads and self.policy.capabilities.albums:
            self.add(Move(remote=self.policy.remote,
                          reason=f"moved locally from album {pair.album or '(none)'} to "
                                 f"{now.album or '(none)'}; no re-upload",
                          path=now.path, remote_id=item.id, signature=now.signature,
                          album=now.album, old_album=pair.album, pair=pair))
        else:
            self.out.relink.append(replace(pair, path=now.path, album=now.album, status="synced"))

    def retag_untagged(self, pair: Pair, item: RemoteItem, now: LocalPhoto) -> None:
        """A paired remote photo without our tag (a tag write that failed after its download)
        gets it now, once: without it a lost database would not re-link the photo by tag."""
        if self.policy.uploads and pair.signature and item.signature != pair.signature:
            self.add(Retag(remote=self.policy.remote, reason=f"paired, but its signature tag on "
                           f"{self.policy.label} is missing; added", path=now.path,
                           remote_id=item.id, signature=pair.signature, album=now.album))

    def keep_duplicate(self, pair: Pair, now: LocalPhoto) -> None:
        """A remote edit replaces one local file; its local duplicates keep the old picture,
        which is then on no remote unless another pair shows it: uploaded as a photo of its own."""
        others = [m for m in self.view.groups.get(pair.signature, []) if m.path != now.path]
        if others and self.policy.uploads and self.view.paired.get(pair.signature, 0) == 1:
            self.add(_upload(others[0], self.policy, f"a local duplicate of a photo changed on "
                             f"{self.policy.label}: it keeps the old picture"))

    def local_edit(self, pair: Pair, item: RemoteItem, now: LocalPhoto) -> None:
        policy = self.policy
        if not policy.uploads:
            return
        if policy.capabilities.replace_in_place:
            self.add(ReplaceRemote(remote=policy.remote, reason="changed locally since last sync",
                                   path=now.path, remote_id=item.id,
                                   signature=now.signature or "", album=now.album,
                                   size=now.size, pair=pair, md5=now.md5))
        else:
            self.add(_upload(now, policy, f"changed locally since last sync; {policy.label} "
                             f"cannot replace in place, so the new version is uploaded beside "
                             f"the old one", pair))

    def both_edited(self, pair: Pair, item: RemoteItem, now: LocalPhoto) -> None:
        label = self.policy.label
        if now.signature is not None and item.signature == now.signature:
            self.out.relink.append(replace(pair, signature=now.signature, path=now.path,
                                           version=content_version(item), album=now.album,
                                           status="synced"))
            return
        self.add(Conflict(remote=self.policy.remote,
                          reason=f"changed both locally and on {label} since last sync: both "
                                 f"kept, the {label} version is downloaded beside the local one",
                          path=now.path, remote_id=item.id, album=now.album, size=item.size,
                          pair=pair))
        if self.policy.uploads:
            self.add(_upload(now, self.policy, "local side of a conflict"))

    def local_deleted(self, pair: Pair, item: RemoteItem, remote_state: Side) -> None:
        policy = self.policy
        if remote_state == "changed":  # edited remotely after the local delete: the edit wins
            self.out.forget.append(pair.remote_id)
            self.view.claimed_ids.discard(pair.remote_id)
            return
        if pair.status == "local_deleted":
            return
        if policy.on_local_delete == "delete-remote" and policy.uploads:
            self.add(DeleteRemote(remote=policy.remote, reason="deleted locally since last sync "
                                  "(on_local_delete: delete-remote)", path=pair.path,
                                  remote_id=item.id, signature=pair.signature, album=pair.album,
                                  pair=pair))
        else:
            self.add(Skip(remote=policy.remote, reason=f"deleted locally since last sync; kept "
                          f"on {policy.label} (on_local_delete: {policy.on_local_delete})",
                          path=pair.path, remote_id=item.id, signature=pair.signature,
                          album=pair.album))
            self.out.relink.append(replace(pair, status="local_deleted"))

    def remote_deleted(self, pair: Pair, now: LocalPhoto | None, local_state: Side) -> None:
        policy, label = self.policy, self.policy.label
        if now is None:
            self.out.forget.append(pair.remote_id)
            return
        if local_state == "changed":  # edited locally after the remote delete: the edit wins
            self.out.forget.append(pair.remote_id)
            if policy.uploads:
                self.add(_upload(now, policy, f"changed locally after it was deleted on {label}"))
            return
        if pair.status == "remote_deleted":
            return
        if policy.on_remote_delete == "delete-local" and policy.downloads:
            self.add(DeleteLocal(remote=policy.remote, reason=f"deleted on {label} since last "
                                 f"sync (on_remote_delete: delete-local); the file is moved to "
                                 f"the library's .photosync-trash folder", path=now.path,
                                 remote_id=pair.remote_id, signature=now.signature,
                                 album=now.album, pair=pair))
        else:
            self.add(Skip(remote=policy.remote, reason=f"deleted on {label} since last sync; "
                          f"kept (on_remote_delete: {policy.on_remote_delete})", path=now.path,
                          remote_id=pair.remote_id, signature=now.signature, album=now.album))
            self.out.relink.append(replace(pair, path=now.path, status="remote_deleted"))

    # -- a local picture no pair shows ---------------------------------------------------
    def new_local(self, signature: str) -> None:
        view, policy = self.view, self.policy
        members = view.groups[signature]
        first = members[0]
        view.claim(signature, None)
        matches, rule = match_remote(view, signature, members, policy)
        dup_note = f" ({len(members) - 1} local duplicate(s) upload once)" \
            if len(members) > 1 else ""
        if not matches:
            kind = kind_of(first.path, self.live_clips)
            if policy.uploads and kind not in policy.media:
                self.held[kind] = self.held.get(kind, 0) + 1
            elif policy.uploads:
                self.add(_upload(first, policy, f"new locally{dup_note}"))
            return
        for item in matches:  # remote duplicates of one picture are all paired with it
            view.claim(None, item.id)
            self.out.relink.append(Pair(item.id, signature, first.path, content_version(item),
                                        first.album))
        target = matches[0].id
        if rule != "signature" and policy.uploads:
            self.add(Retag(remote=policy.remote, reason=f"matched by {rule}; our signature tag "
                           f"is added", path=first.path, remote_id=target, signature=signature,
                           album=first.album))
        else:
            self.add(Skip(remote=policy.remote, reason=f"matched by {rule}{dup_note}",
                          path=first.path, remote_id=target, signature=signature,
                          album=first.album))

    # -- remote items nobody claimed -------------------------------------------------------
    def new_remote(self) -> None:
        view = self.view
        unclaimed = [view.items[i] for i in sorted(view.items) if i not in view.claimed_ids]
        groups: dict[str, list[RemoteItem]] = defaultdict(list)
        for item in unclaimed:  # remote duplicates of one picture: by tag, else by content hash
            groups[same_picture(item)].append(item)
        for members in groups.values():
            item, dups = members[0], tuple(i.id for i in members[1:])
            present, rule = present_locally(view, item, self.policy)
            if present is not None:  # another remote copy of a picture the library already has
                self.known_elsewhere(item, dups, present, rule)
            elif not indexable(item, self.policy):
                self.add(Skip(remote=self.policy.remote, reason=f"{item.media} on "
                              f"{self.policy.label} that the library does not index "
                              f"(library.extensions); not downloaded", remote_id=item.id))
            elif remote_kind(item) not in self.policy.media:
                self.add(Skip(remote=self.policy.remote, reason=f"{remote_kind(item)} on "
                              f"{self.policy.label}; not downloaded ({self.policy.remote}.media "
                              f"does not list it)", remote_id=item.id))
            elif self.policy.downloads and withheld(item):
                self.keep_remote_only(item, dups)
            elif self.policy.downloads:
                self.download(item, dups)
        if self.out.withheld:
            self.out.notes.append(f"{len(self.out.withheld)} photo(s) on {self.policy.label} not "
                                  f"downloaded: {withheld(view.items[self.out.withheld[0]])}")

    def keep_remote_only(self, item: RemoteItem, dups: tuple[str, ...]) -> None:
        """A photo whose original the remote withholds: said (a skip and one note for all),
        never downloaded in a smaller size, so never in the library nor on other remotes."""
        for same in (item.id, *dups):
            self.out.withheld.append(same)
            self.add(Skip(remote=self.policy.remote, reason=str(withheld(item)), remote_id=same,
                          album=item.albums[0] if item.albums else None, size=None))

    def media_notes(self, pairs: Sequence[Pair], videos_sent: bool) -> None:
        """What the media rules held back, and the first videos a remote receives: said once,
        before they go (a library's videos are most of its bytes)."""
        policy = self.policy
        for kind, count in sorted(self.held.items()):
            self.out.notes.append(f"{count} new {kind} file(s) not sent to {policy.label} "
                                  f"({policy.remote}.media does not list {kind})")
        clips = self.live_clips
        video_keys = {p.signature for members in self.view.groups.values() for p in members
                      if kind_of(p.path, clips) in VIDEOS}
        if videos_sent or any(p.signature in video_keys for p in pairs):
            return  # videos went there before
        videos = [a for a in self.out.actions
                  if isinstance(a, Upload) and kind_of(a.path or "", clips) in VIDEOS]
        if videos:
            size = sum(a.size or 0 for a in videos)
            self.out.notes.append(
                f"{policy.label} starts receiving videos: {len(videos)} video(s), "
                f"{size / 1e6:.1f} MB, uploaded from this run on ({policy.remote}.media lists "
                f"them; remove video to keep them local)")

    def processing_notes(self, pairs: Sequence[Pair]) -> None:
        """Videos the remote has not processed (Flickr transcodes them after the upload): a
        pending one is not missing, a failed one is named with its id; neither is sent again."""
        label, paths = self.policy.label, {p.remote_id: p.path for p in pairs}
        states = {i: self.view.items[i].extra.get("video_state") for i in sorted(self.view.items)}
        pending = [i for i, state in states.items() if state == "pending"]
        if pending:
            self.out.notes.append(f"{len(pending)} video(s) still being processed by {label} "
                                  f"(not missing; not uploaded again): {', '.join(pending[:20])}")
        for item_id in (i for i, state in states.items() if state == "failed"):
            where = f" ({paths[item_id]})" if item_id in paths else ""
            self.out.notes.append(f"{label} failed to process video {item_id}{where}: it stays "
                                  f"there and is not uploaded again; replace or delete it on "
                                  f"{label}")

    def known_elsewhere(self, item: RemoteItem, dups: tuple[str, ...], present: LocalPhoto,
                        rule: str) -> None:
        policy = self.policy
        what = f"a duplicate on {policy.label} of a photo already in sync"
        for same in (item.id, *dups):
            self.out.relink.append(Pair(same, present.signature or "", present.path,
                                        content_version(self.view.items[same]), present.album))
            if rule != "signature" and policy.uploads:
                self.add(Retag(remote=policy.remote, reason=f"matched by {rule} ({what}); our "
                               f"signature tag is added", path=present.path, remote_id=same,
                               signature=present.signature or "", album=present.album))
        if rule == "signature" or not policy.uploads:
            self.add(Skip(remote=policy.remote, reason=f"matched by {rule} ({what})",
                          path=present.path, remote_id=item.id, signature=item.signature,
                          album=present.album))

    def download(self, item: RemoteItem, dups: tuple[str, ...]) -> None:
        policy = self.policy
        album = item.albums[0] if item.albums and policy.download_into_album else None
        note = f" ({len(dups)} duplicate(s) there download once)" if dups else ""
        self.add(Download(remote=policy.remote, reason=f"new on {policy.label}{note}",
                          path=download_folder(album, policy), remote_id=item.id,
                          signature=item.signature, album=album, size=item.size, name=item.name,
                          duplicates=dups))
