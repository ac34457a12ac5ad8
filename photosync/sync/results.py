"""What a sync run did: the reports the text/JSON report, `photosync status` and the daemon read.

Kept apart from the run (``sync/run.py``) so that the report and its readers do not import the
orchestrator they report on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from photosync.errors import EXIT_OK, EXIT_PARTIAL, EXIT_REMOTE, LocalDiskError, UploadsRefused
from photosync.library.scan import ScanResult
from photosync.remotes.base import RemoteItem
from photosync.remotes.flickr_account import FlickrAccount
from photosync.sync.actions import Plan
from photosync.sync.done import Outcome


@dataclass
class RemoteReport:
    name: str
    label: str
    plan: Plan | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None  # the remote could not be used
    auth_needed: bool = False  # ... because its authorization is missing, revoked or expired
    refused: UploadsRefused | None = None  # the remote refused uploads (storage full, limit)
    disk: LocalDiskError | None = None  # the library's disk refused a download: no more this run
    listed_in_full: bool = False  # this run listed the remote in full (not only its changes)
    account: FlickrAccount | None = None  # the account's kind, limits and usage (Flickr)
    account_cap: str | None = None  # photos a cap of the account left out: the first cause
    # id(action) -> the file a download created (or in a dry run would create), from the root
    files: dict[int, str] = field(default_factory=dict)
    # dry runs: the remote items the plan's actions name, by id (what shows a plan draws them by)
    items: dict[str, RemoteItem] = field(default_factory=dict)

    @property
    def uploads_refused(self) -> str | None:
        """Why the remote refused uploads this run (storage full, a limit), or None."""
        return str(self.refused) if self.refused is not None else None
    to_go: int | None = None  # photos left for later runs (see sync/eta.py); None: unknown
    calls_per_hour: float | None = None  # the quota in force, for the ETA


@dataclass
class SyncReport:
    dry_run: bool
    scan: ScanResult | None = None
    remotes: list[RemoteReport] = field(default_factory=list)
    # path -> its shot, for the files that are one shot with another (RAW + JPEG, Live Photo)
    shots: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        if any(r.error for r in self.remotes):
            return EXIT_REMOTE
        failed = any(o.error for r in self.remotes for o in r.outcomes)
        held = any(r.plan and (r.plan.aborted or r.plan.messages) for r in self.remotes)
        if failed or held or (self.scan and self.scan.failed):
            return EXIT_PARTIAL
        return EXIT_OK


def summary(report: SyncReport) -> dict[str, dict[str, int]]:
    """{remote: {action: count}} over planned actions (the JSON report's ``summary``)."""
    out: dict[str, dict[str, int]] = {}
    for r in report.remotes:
        counts: dict[str, int] = {}
        for action in r.plan.actions if r.plan else []:
            counts[action.kind] = counts.get(action.kind, 0) + 1
        out[r.name] = counts
    return out


def failed(report: SyncReport) -> dict[str, dict[str, int]]:
    """{remote: {action: count}} of the actions that failed or were not done (``failed``)."""
    out: dict[str, dict[str, int]] = {}
    for r in report.remotes:
        counts: dict[str, int] = {}
        for o in r.outcomes:
            if o.error:
                counts[o.action.kind] = counts.get(o.action.kind, 0) + 1
        out[r.name] = counts
    return out


def errors(report: SyncReport) -> list[dict[str, str | None]]:
    """What went wrong, one entry per failed item (``{remote, path, error}``), then each remote
    that could not be used, then unreadable local files: the JSON report's ``errors``."""
    out: list[dict[str, str | None]] = []
    for r in report.remotes:
        items = [{"path": o.action.path or o.action.remote_id, "remote": r.name, "error": o.error}
                 for o in r.outcomes if o.error and o.error != r.error]  # r.error: once, below
        out += sorted(items, key=lambda e: e["path"] or "")
        if r.error:
            out.append({"path": None, "remote": r.name, "error": r.error})
    for failure in report.scan.failed if report.scan else []:
        out.append({"path": failure.path, "remote": None, "error": failure.reason})
    return out

