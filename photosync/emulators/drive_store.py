"""The emulated Drive's state and the rules of its write operations (no HTTP here).

Accounts each have a root folder (alias ``root``); files belong to one account. Every write
records a change. Rules follow Drive v3: parents must be folders the caller owns; duplicate names
are allowed; ``parents`` is not writable in an update (``addParents``/``removeParents`` are);
trashing a folder trashes what it holds; ``appProperties`` are limited to 124 bytes per key+value
and 30 per app; a create with an id from ``files.generateIds`` that is already used answers 409.
Callers hold ``DriveEmulator.lock`` around every call.

Listings read derived data kept per change sequence number (every write records a change): the
files of each folder (an index, so ``'A' in parents`` reads A's children, not every file) and the
sorted matches of recent queries (so page 2,000 of a query costs what page 1 did after the first).
"""

from __future__ import annotations

import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from photosync.emulators.drive_changes import ChangeLog
from photosync.emulators.drive_errors import (
    DriveError,
    bad_request,
    not_found,
    upload_limit_exceeded,
)
from photosync.emulators.drive_files import FOLDER, ContentFacts, DriveFile, new_id, seeded_id
from photosync.emulators.drive_query import parse_time

WRITABLE_ON_CREATE = {
    "id",
    "name",
    "mimeType",
    "parents",
    "appProperties",
    "properties",
    "description",
    "createdTime",
    "modifiedTime",
    "starred",
    "originalFilename",
    "trashed",
}
WRITABLE_ON_UPDATE = {
    "name",
    "mimeType",
    "appProperties",
    "properties",
    "description",
    "modifiedTime",
    "starred",
    "trashed",
    "originalFilename",
}
PROPERTY_BYTES = 124
PROPERTIES_PER_APP = 30
QUOTA_LIMIT = 15 * 1024**3
UPLOAD_LIMIT = 750 * 1000**3  # bytes a user may upload a day ("750 GB", Google Drive Help)
LISTINGS_KEPT = 16  # sorted query answers kept for paging


class DriveStore:
    def __init__(self, facts: ContentFacts, clock: Callable[[], float] = time.time):
        self.facts = facts
        self.clock = clock
        self.quota_limit = QUOTA_LIMIT  # bytes per account; POST /_admin/quota lowers it for tests
        self.upload_limit = UPLOAD_LIMIT  # bytes per account and UTC day; POST /_admin/upload_limit
        self.uploaded: dict[str, tuple[str, int]] = {}  # email -> (UTC day, bytes that day)
        self.accounts: dict[str, dict[str, Any]] = {}
        self.files: dict[str, DriveFile] = {}
        self.changes = ChangeLog()
        self.issued_ids: set[str] = set()
        self.forget_listings()

    # --- derived data for listings ---------------------------------------------------------
    def forget_listings(self) -> None:
        """Drop the derived listing data (after files were replaced without changes recorded)."""
        self._indexed_at = -1
        self._in_order: list[DriveFile] = []
        self._children: dict[str, array[int]] = {}
        self._listings: OrderedDict[tuple[Any, ...], list[DriveFile]] = OrderedDict()

    def in_folders(self, parent_ids: Iterable[str]) -> list[DriveFile]:
        """The files directly in these folders, in the store's order, from an index made once
        per change."""
        if self._indexed_at != self.changes.next_seq:
            self._in_order = list(self.files.values())
            children: dict[str, array[int]] = {}
            for position, f in enumerate(self._in_order):
                for parent in f.parents:
                    children.setdefault(parent, array("l")).append(position)
            self._children, self._indexed_at = children, self.changes.next_seq
        positions = [p for pid in set(parent_ids) for p in self._children.get(pid, ())]
        positions.sort()
        return [self._in_order[p] for p in positions]

    def listing(self, key: tuple[Any, ...], build: Callable[[], list[DriveFile]]
                ) -> list[DriveFile]:
        """``build()``'s answer for query ``key``, kept until the next change."""
        key = (*key, self.changes.next_seq)
        found = self._listings.get(key)
        if found is None:
            found = self._listings[key] = build()
            for old in [k for k in self._listings if k[-1] != self.changes.next_seq]:
                del self._listings[old]
            while len(self._listings) > LISTINGS_KEPT:
                self._listings.popitem(last=False)
        self._listings.move_to_end(key)
        return found

    # --- accounts --------------------------------------------------------------------------
    def account(self, email: str) -> dict[str, Any]:
        """The account for ``email``, created (with its root folder) on first use."""
        found = self.accounts.get(email)
        if found:
            return found
        root_id = "0A" + seeded_id("root", email)[1:20] + "Uk9PVA"
        found = {
            "email": email,
            "displayName": email.split("@")[0].title(),
            "permissionId": seeded_id("perm", email)[1:21],
            "root": root_id,
        }
        self.accounts[email] = found
        now = self.clock()
        self.files[root_id] = DriveFile(root_id, "My Drive", FOLDER, email, [], now, now)
        return found

    def owner_resource(self, email: str) -> dict[str, Any]:
        acct = self.account(email)
        return {
            "kind": "drive#user",
            "displayName": acct["displayName"],
            "emailAddress": email,
            "me": True,
            "permissionId": acct["permissionId"],
        }

    # --- reading ---------------------------------------------------------------------------
    def get(self, email: str, file_id: str) -> DriveFile:
        if file_id == "root":
            file_id = self.account(email)["root"]
        found = self.files.get(file_id)
        if found is None or found.owner != email:
            raise not_found(file_id)
        return found

    def is_root(self, f: DriveFile) -> bool:
        return not f.parents and f.is_folder and f.id == self.accounts[f.owner]["root"]

    def usage(self, email: str) -> int:
        """Bytes stored. Seeded photos never downloaded yet count with an estimate instead of
        being generated (50,000 of them would take half a minute); Drive's own figure lags too."""
        return sum(
            self.facts.size_or_estimate(f.blob)
            for f in self.files.values()
            if f.owner == email and f.blob
        )

    def check_quota(self, email: str, adding: int) -> None:
        """Refuse content that would not fit, as Drive does (403 storageQuotaExceeded). Summed
        only under a lowered limit: no test stores 15 GiB."""
        if self.quota_limit < QUOTA_LIMIT and self.usage(email) + adding > self.quota_limit:
            raise DriveError(
                403,
                "storageQuotaExceeded",
                "The user's Drive storage quota has been exceeded.",
                domain="usageLimits",
            )

    def uploaded_today(self, email: str) -> int:
        """Bytes ``email`` uploaded this UTC day (the count starts again at 00:00 UTC)."""
        day, count = self.uploaded.get(email, ("", 0))
        return count if day == self._day() else 0

    def check_upload_limit(self, email: str) -> None:
        """Refuse a new upload once the day's uploads reached the limit. Google Drive Help: users
        who reach it "cannot upload additional files that day. Uploads that are in progress will
        complete": so only the start of an upload is refused, and the file that crosses the
        limit is stored whole."""
        if self.uploaded_today(email) >= self.upload_limit:
            raise upload_limit_exceeded()

    def count_upload(self, email: str, size: int) -> None:
        self.uploaded[email] = (self._day(), self.uploaded_today(email) + size)

    def _day(self) -> str:
        return time.strftime("%Y-%m-%d", time.gmtime(self.clock()))

    # --- writing ---------------------------------------------------------------------------
    def create(
        self,
        email: str,
        client: str,
        meta: dict[str, Any],
        blob: str | None,
        content_type: str | None,
    ) -> DriveFile:
        _check_keys(meta, WRITABLE_ON_CREATE)
        acct = self.account(email)
        file_id = self._claim_id(meta.get("id"))
        parents = [self._parent(email, p).id for p in (meta.get("parents") or ["root"])]
        if len(parents) > 1:
            raise bad_request(
                "A shared drive item must have exactly one parent.", "invalidParameter"
            )
        now = self.clock()
        mime = meta.get("mimeType") or content_type or "application/octet-stream"
        if mime == FOLDER and blob:
            raise bad_request("Folders cannot have content.", "invalidParameter")
        f = DriveFile(
            file_id,
            meta.get("name") or "Untitled",
            mime,
            email,
            parents or [acct["root"]],
            _time(meta.get("createdTime"), now),
            _time(meta.get("modifiedTime"), now),
            blob=blob if mime != FOLDER else None,
            description=meta.get("description"),
            originalFilename=meta.get("originalFilename"),
            starred=bool(meta.get("starred")),
            trashed=bool(meta.get("trashed")),
            explicitlyTrashed=bool(meta.get("trashed")),
            app=client,
        )
        f.appProperties = _merged({}, meta.get("appProperties"))
        f.properties = _merged({}, meta.get("properties"))
        self.files[file_id] = f
        self.changes.record(file_id, email, now)
        return f

    def update(
        self,
        email: str,
        file_id: str,
        meta: dict[str, Any],
        add_parents: Iterable[str],
        remove_parents: Iterable[str],
        blob: str | None,
        content_type: str | None,
    ) -> DriveFile:
        if "parents" in meta:
            raise DriveError(
                403,
                "fieldNotWritable",
                "The parents field is not directly writable in update "
                "requests. Use the addParents and removeParents parameters instead.",
            )
        _check_keys(meta, WRITABLE_ON_UPDATE)
        f = self.get(email, file_id)
        if self.is_root(f) and (meta or blob):
            raise DriveError(
                403,
                "insufficientFilePermissions",
                "The user does not have sufficient permissions for this file.",
            )
        new_parents = self._moved_parents(email, f, add_parents, remove_parents)
        app_props = _merged(f.appProperties, meta.get("appProperties"))
        props = _merged(f.properties, meta.get("properties"))
        now = self.clock()
        f.parents = new_parents
        f.appProperties, f.properties = app_props, props
        for key in ("name", "description", "originalFilename"):
            if key in meta:
                setattr(f, key, meta[key])
        if meta.get("mimeType"):
            f.mimeType = meta["mimeType"]
        if "starred" in meta:
            f.starred = bool(meta["starred"])
        if blob is not None:
            f.blob = blob
            if content_type and "mimeType" not in meta:
                f.mimeType = content_type
        f.modifiedTime = _time(meta.get("modifiedTime"), now)
        f.version += 1
        self.changes.record(f.id, email, now)
        if "trashed" in meta and bool(meta["trashed"]) != f.trashed:
            self._set_trashed(f, bool(meta["trashed"]), now)
        return f

    def delete(self, email: str, file_id: str) -> None:
        f = self.get(email, file_id)
        if self.is_root(f):
            raise DriveError(
                403,
                "insufficientFilePermissions",
                "The user does not have sufficient permissions for this file.",
            )
        now = self.clock()
        for victim in [f, *self._descendants(f)]:
            del self.files[victim.id]
            self.changes.record(victim.id, email, now, removed=True)

    def generate_ids(self, count: int) -> list[str]:
        ids = [new_id() for _ in range(count)]
        self.issued_ids.update(ids)
        return ids

    # --- helpers ---------------------------------------------------------------------------
    def _claim_id(self, wanted: str | None) -> str:
        if not wanted:
            return new_id()
        if wanted in self.files:
            raise DriveError(
                409, "duplicate", "A file already exists with the provided ID.", location="file.id"
            )
        if wanted not in self.issued_ids:
            raise DriveError(
                400, "fileIdNotUsable", "The provided file ID is not usable.", location="file.id"
            )
        return wanted

    def _parent(self, email: str, parent_id: str) -> DriveFile:
        parent = self.get(email, parent_id)
        if not parent.is_folder:
            raise DriveError(403, "cannotAddParent", "The specified parent is not a folder.")
        return parent

    def _moved_parents(
        self, email: str, f: DriveFile, add: Iterable[str], remove: Iterable[str]
    ) -> list[str]:
        parents = list(f.parents)
        for pid in remove:
            real = self.get(email, pid).id
            if real in parents:
                parents.remove(real)
        for pid in add:
            parent = self._parent(email, pid)
            if parent.id == f.id or f.id in self._ancestors(parent):
                raise DriveError(
                    400, "invalidParent", "A folder cannot be moved into itself or its descendants."
                )
            if parent.id not in parents:
                parents.append(parent.id)
        if len(parents) > 1:
            raise DriveError(
                403,
                "cannotAddParent",
                "Increasing the number of parents is not allowed. A file can only have one parent.",
            )
        if not parents and not self.is_root(f):
            parents = [self.accounts[email]["root"]]
        return parents

    def _ancestors(self, f: DriveFile) -> set[str]:
        seen: set[str] = set()
        current = f
        while current.parents and current.parents[0] not in seen:
            seen.add(current.parents[0])
            nxt = self.files.get(current.parents[0])
            if nxt is None:
                break
            current = nxt
        return seen

    def _descendants(self, folder: DriveFile) -> list[DriveFile]:
        if not folder.is_folder:
            return []
        found: list[DriveFile] = []
        frontier = {folder.id}
        while frontier:
            children = [
                f
                for f in self.files.values()
                if f.owner == folder.owner and any(p in frontier for p in f.parents)
            ]
            found.extend(children)
            frontier = {c.id for c in children if c.is_folder}
        return found

    def _set_trashed(self, f: DriveFile, trashed: bool, now: float) -> None:
        f.trashed, f.explicitlyTrashed = trashed, trashed
        for child in self._descendants(f):
            if trashed and not child.trashed:
                child.trashed = True
            elif not trashed and child.trashed and not child.explicitlyTrashed:
                child.trashed = False
            else:
                continue
            self.changes.record(child.id, child.owner, now)


def _check_keys(meta: dict[str, Any], writable: set[str]) -> None:
    for key in meta:
        if key not in writable and key != "kind":
            raise DriveError(
                403,
                "fieldNotWritable",
                f"The resource body includes fields which are not directly writable: {key}",
                location=key,
            )


def _merged(current: dict[str, str], patch: dict[str, Any] | None) -> dict[str, str]:
    """Apply a properties patch (a null value deletes a key) and enforce Drive's limits."""
    out = dict(current)
    for key, value in (patch or {}).items():
        if value is None:
            out.pop(key, None)
            continue
        if len(key.encode()) + len(str(value).encode()) > PROPERTY_BYTES:
            raise bad_request(
                f"The property '{key}' is too large: key and value together are limited "
                f"to {PROPERTY_BYTES} bytes.",
                "invalidParameter",
            )
        out[key] = str(value)
    if len(out) > PROPERTIES_PER_APP:
        raise bad_request(
            f"Too many properties: at most {PROPERTIES_PER_APP} per app.", "invalidParameter"
        )
    return out


def _time(text: str | None, default: float) -> float:
    if not text:
        return default
    try:
        return parse_time(text)
    except ValueError as exc:
        raise bad_request(f"Invalid value for modifiedTime: {text}", "invalid") from exc
