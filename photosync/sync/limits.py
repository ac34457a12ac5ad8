"""The planner's brakes: deletions held back when the evidence is thin or they are too many
(rclone bisync's rules), transfers past ``sync.max_operations`` postponed. Pure, like the plan."""

from __future__ import annotations

from photosync.sync.actions import (
    DELETIONS,
    TRANSFERS,
    Action,
    DeleteLocal,
    DeleteRemote,
    Plan,
    Skip,
)
from photosync.sync.policy import Evidence, Policy


def limit_deletions(out: Plan, policy: Policy, evidence: Evidence, in_sync: int) -> None:
    """rclone's rules: no deletion on a side whose evidence is incomplete; none past max_delete
    deletions or past max_delete_percent of the photos in sync on either side (a share that
    mounts with a few stray photos must not delete the rest everywhere), unless forced."""
    label = policy.label
    if out.count(DeleteLocal.kind) and not evidence.listing_complete:
        out.actions = [a for a in out.actions if not isinstance(a, DeleteLocal)]
        out.messages.append(f"{label}: a listing was incomplete, so no local file is deleted "
                            f"this run")
    if out.count(DeleteRemote.kind) and not evidence.local_complete:
        out.actions = [a for a in out.actions if not isinstance(a, DeleteRemote)]
        out.messages.append(f"{label}: the library scan had errors, so nothing is deleted on "
                            f"{label} this run")
    if evidence.force_deletes:
        return
    deletions = out.count(*DELETIONS)
    if deletions > policy.max_delete:
        _hold_deletions(out, f"{label}: {deletions} deletions planned, more than "
                             f"sync.max_delete ({policy.max_delete})")
        return
    for kind, side in ((DeleteRemote.kind, label), (DeleteLocal.kind, "the library")):
        count = out.count(kind)
        if count and count * 100 > policy.max_delete_percent * in_sync:
            share = count * 100 / in_sync
            _hold_deletions(out, f"{label}: {count} of the {in_sync} photos in sync would "
                                 f"be deleted from {side} ({share:.0f}%), more than "
                                 f"sync.max_delete_percent ({policy.max_delete_percent:g}%)")
            return


def _hold_deletions(out: Plan, why: str) -> None:
    out.actions = [a for a in out.actions if a.kind not in DELETIONS]
    out.messages.append(f"{why}: none made. Check what happened (is the share mounted with every "
                        f"photo?), then run `photosync sync --force-deletes` once (or raise the "
                        f"limit) if they are intended.")


def limit_operations(out: Plan, policy: Policy, transfers_done: int) -> None:
    if not policy.max_operations:
        return
    kept: list[Action] = []
    transfers = transfers_done
    for action in out.actions:
        if action.kind in TRANSFERS:
            transfers += 1
            if transfers > policy.max_operations:
                out.postponed += 1
                kept.append(Skip.of(action, f"{action.kind} postponed: over "
                                            f"sync.max_operations ({policy.max_operations}) "
                                            f"this run"))
                continue
        kept.append(action)
    out.actions = kept
