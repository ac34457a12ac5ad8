"""Previews (``flickr.download_previews``): a look at the photos whose original a remote withholds.

Flickr gives nobody, the owner included, the original of a free account's photo (2025-05-15):
sync never downloads such a photo (see ``remotes.base.withheld``). With the switch on, the largest
size Flickr allows (1024 px) is kept as a *preview* in ``<library.root>/Flickr previews (not
originals)/<album folder>/<title> (preview).jpg``: a folder the scan and the watcher ignore, so a
preview is never indexed, matched, paired or uploaded, and the state records it as a preview.
Once the original is in the library (the account went Pro) or the photo left the remote, the
preview goes: it is photosync's, not the user's photo.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Protocol, runtime_checkable

from photosync.errors import ItemError, RemoteUnavailable, TransientError
from photosync.library.rules import PREVIEWS_DIR
from photosync.remotes.base import RemoteItem
from photosync.remotes.files import ensure_inside, safe_destination
from photosync.remotes.retry import RetryingRemote
from photosync.state import previews
from photosync.state.listings import cached_items_by_id
from photosync.state.pairs import load_pairs
from photosync.sync.match import download_folder
from photosync.sync.plan import Plan
from photosync.sync.policy import Policy

log = logging.getLogger("photosync.sync")


@runtime_checkable
class PreviewSource(Protocol):
    """A remote that can fetch the largest size it allows of a withheld original."""

    def download_preview(self, item_id: str, dest: Path) -> previews.SizeLike: ...


def update_previews(conn: sqlite3.Connection, root: Path, remote: RetryingRemote, plan: Plan,
                    policy: Policy, keep: bool) -> list[str]:
    """Remove the previews whose originals arrived (or whose photos left), then, when ``keep``,
    fetch the missing previews of ``plan.withheld``; the notes to report."""
    notes = _remove_replaced(conn, root, remote.name)
    source = remote.inner
    if keep and plan.withheld and isinstance(source, PreviewSource):
        notes += _fetch_missing(conn, root, remote, source, plan.withheld, policy)
    return notes


def _remove_replaced(conn: sqlite3.Connection, root: Path, name: str) -> list[str]:
    kept = previews.recorded(conn, name)
    if not kept:
        return []
    paired = {p.remote_id for p in load_pairs(conn, name)}
    listed = {i.id for i in cached_items_by_id(conn, name, kept)}
    gone = [p for rid, p in kept.items() if rid in paired or rid not in listed]
    for preview in gone:
        _delete(root, preview.path)
        previews.forget(conn, name, preview.remote_id)
    if not gone:
        return []
    return [f"{len(gone)} preview(s) removed from '{PREVIEWS_DIR}/': their originals are in the "
            f"library now, or the photos left {name}"]


def _delete(root: Path, relative: str) -> None:
    """Remove one preview file, then its folders while empty, never outside the previews root."""
    top = root / PREVIEWS_DIR
    path = ensure_inside(top, root / relative)
    path.unlink(missing_ok=True)
    folder = path.parent
    while folder != top.parent and folder.is_dir() and not os.listdir(folder):
        folder.rmdir()
        folder = folder.parent


def _fetch_missing(conn: sqlite3.Connection, root: Path, remote: RetryingRemote,
                   source: PreviewSource, ids: list[str], policy: Policy) -> list[str]:
    kept = previews.recorded(conn, remote.name)
    missing = [i for i in cached_items_by_id(conn, remote.name, ids)
               if i.id not in kept or not (root / kept[i.id].path).is_file()]
    made, failed = 0, []
    for item in missing:
        try:
            _fetch(conn, root, remote, source, item, policy)
            made += 1
        except RemoteUnavailable as exc:
            failed.append(f"{item.name or item.id}: {exc}")
            break
        except (ItemError, TransientError, OSError) as exc:
            failed.append(f"{item.name or item.id}: {exc}")
    notes = [f"kept {made} preview(s) in '{PREVIEWS_DIR}/': the largest size {policy.label} "
             f"allows, not the originals; never uploaded"] if made else []
    if failed:
        notes.append(f"{len(failed)} preview(s) not kept: " + "; ".join(failed[:5]))
        log.warning("%s: %d preview(s) not kept: %s", policy.label, len(failed), failed[0])
    return notes


def _fetch(conn: sqlite3.Connection, root: Path, remote: RetryingRemote, source: PreviewSource,
           item: RemoteItem, policy: Policy) -> None:
    album = item.albums[0] if item.albums and policy.download_into_album else None
    folders = [PREVIEWS_DIR, *download_folder(album, policy).split("/")]
    dest = safe_destination(root, folders, f"{item.name or item.id} (preview)", "jpg")
    size = remote.call("download_preview", lambda: source.download_preview(item.id, dest))
    previews.record(conn, remote.name, previews.Preview(
        item.id, dest.relative_to(root).as_posix(), size.label, size.width, size.height))
