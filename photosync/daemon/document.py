"""The daemon's status document, ``state_dir/daemon.json``: written by ``photosync watch``, read
by ``photosync status`` (and anything else that shows the daemon, e.g. a dashboard).

One dataclass per part, so each key of the file is named once, here: the writer builds a
:class:`DaemonStatus` and :func:`write_status` stores ``to_dict()``; readers get one back from
:func:`read_status`. Fields marked ``SHOWN`` are the ones ``photosync status`` repeats.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from photosync.atomic import write_atomic
from photosync.state.private import FILE_MODE

STATUS_FILE = "daemon.json"
SHOWN = {"shown": True}  # field metadata: ``photosync status`` shows this field


@dataclass(frozen=True)
class Batch:
    """The last batch of settled changes the daemon scanned."""

    files: int
    at: float

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "at": self.at}


@dataclass(frozen=True)
class ScanRecord:
    """The last scan: its summary and how many files it held back, or its error."""

    at: float
    summary: str | None = None
    held: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.error is not None:
            return {"at": self.at, "error": self.error}
        return {"at": self.at, "summary": self.summary, "held": self.held}


@dataclass(frozen=True)
class RemoteStatus:
    """One remote as the daemon sees it: what it does now, how its last sync went."""

    label: str
    state: str = field(default="idle", metadata=SHOWN)
    last_started: float | None = field(default=None, metadata=SHOWN)
    last_finished: float | None = field(default=None, metadata=SHOWN)
    last_result: str | None = field(default=None, metadata=SHOWN)
    last_error: str | None = field(default=None, metadata=SHOWN)
    last_summary: dict[str, int] = field(default_factory=dict, metadata=SHOWN)
    next_sync: float | None = field(default=None, metadata=SHOWN)
    # The account's kind, limits and usage (FlickrAccount.to_dict()), and the line saying that
    # a cap of the account left photos out at the last sync (its "over an account cap" state).
    account: dict[str, Any] | None = field(default=None, metadata=SHOWN)
    account_cap: str | None = field(default=None, metadata=SHOWN)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def shown(self) -> dict[str, Any]:
        """The fields ``photosync status`` repeats for this remote."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.metadata.get("shown")}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> RemoteStatus:
        return cls(**_known(cls, doc))


@dataclass(frozen=True)
class DaemonStatus:
    """The whole document. ``stopped`` is written only once the daemon has stopped."""

    pid: int
    started: float = field(metadata=SHOWN)
    state: str = "running"  # "running", "stopping", "stopped"
    mode: str = field(default="starting", metadata=SHOWN)  # "inotify" or "polling" once started
    root: str = ""
    pending: int = field(default=0, metadata=SHOWN)  # files settling
    scanning: bool = field(default=False, metadata=SHOWN)
    batches: int = field(default=0, metadata=SHOWN)
    last_batch: Batch | None = field(default=None, metadata=SHOWN)
    last_scan: ScanRecord | None = None
    config_error: str | None = field(default=None, metadata=SHOWN)
    warning: str | None = field(default=None, metadata=SHOWN)
    parked: int = 0
    remotes: dict[str, RemoteStatus] = field(default_factory=dict)
    web: str | None = None  # the dashboard's address, when it is served (issue 21)
    stopped: float | None = None

    def to_dict(self) -> dict[str, Any]:
        doc = {f.name: _plain(getattr(self, f.name)) for f in fields(self)}
        if self.stopped is None:
            del doc["stopped"]
        return doc

    def shown(self) -> dict[str, Any]:
        """The fields ``photosync status`` repeats about the daemon."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)
                if f.metadata.get("shown")}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> DaemonStatus:
        known = _known(cls, doc)
        batch, scan = known.get("last_batch"), known.get("last_scan")
        known["last_batch"] = Batch(**_known(Batch, batch)) if batch else None
        known["last_scan"] = ScanRecord(**_known(ScanRecord, scan)) if scan else None
        known["remotes"] = {name: RemoteStatus.from_dict(r)
                            for name, r in (known.get("remotes") or {}).items()}
        return cls(**known)

    def one_line(self) -> str:
        """What the service manager shows (``systemctl status``): busy, settling, each remote."""
        parts = ["scanning"] if self.scanning else []
        if self.pending:
            parts.append(f"{self.pending} file(s) settling")
        for r in self.remotes.values():
            text = r.state
            if r.state == "idle" and r.last_result:
                text = {"ok": "ok", "items_failed": "some items failed"}.get(r.last_result,
                                                                              r.last_result)
            if r.account_cap:
                text += ", over an account cap"
            parts.append(f"{r.label}: {text}")
        if self.parked:
            parts.append(f"{self.parked} parked")
        if self.mode == "polling":
            parts.append("polling (no inotify)")
        if self.config_error:
            parts.append("config reload failed")
        return "; ".join(parts) or "idle"


def _plain(value: Any) -> Any:
    """A field's JSON form: nested records as dicts."""
    if isinstance(value, Batch | ScanRecord | RemoteStatus):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _known(cls: type, doc: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``doc`` that ``cls`` has fields for (a newer writer may add keys)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in doc.items() if k in names}


def write_status(state_dir: Path, status: DaemonStatus) -> None:
    """Replace the status file atomically (readers never see half a document)."""
    write_atomic(Path(state_dir) / STATUS_FILE,
                 json.dumps(status.to_dict(), indent=1, sort_keys=True).encode("utf-8"),
                 mode=FILE_MODE)


def read_status(state_dir: Path) -> DaemonStatus | None:
    """The last document the daemon wrote, or None (none yet, unreadable, not ours)."""
    try:
        doc = json.loads((Path(state_dir) / STATUS_FILE).read_text(encoding="utf-8"))
        return DaemonStatus.from_dict(doc)
    except (OSError, ValueError, TypeError, AttributeError):
        return None
