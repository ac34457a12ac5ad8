"""``photosync status``: what runs, how the last syncs went, what fails.

The running daemon rewrites ``state_dir/daemon.json`` (:mod:`document`) atomically whenever its
state changes (pid, start time, watch mode, pending files, each remote's last sync and next
one). ``photosync status`` reads that file, checks the pid is alive and is the one holding the
state lock, and adds what the database knows (failed and parked items, unreadable files, the
last one-shot run), so it works the same while the daemon runs (SQLite WAL: readers never wait)
and after.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from photosync.auth.tokens import TokenStore
from photosync.config import Config
from photosync.daemon import failures
from photosync.daemon.document import DaemonStatus, RemoteStatus, read_status
from photosync.errors import EXIT_INTERRUPTED, LockedError
from photosync.library.rules import PREVIEWS_DIR
from photosync.remotes import registry
from photosync.remotes.base import WITHHELD
from photosync.remotes.flickr_account import FlickrAccount
from photosync.state import index, previews
from photosync.state.accounts import load_account
from photosync.state.db import open_db
from photosync.state.listings import withheld_counts
from photosync.state.progress import load_to_go
from photosync.state.runs import Run, last_run
from photosync.sync.eta import calls_per_hour, describe, eta_seconds


def lock_holder(state_dir: Path) -> int | None:
    """The pid written in the state lock file by the process holding it, if it is alive."""
    try:
        text = (Path(state_dir) / "lock").read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() and _alive(int(text)) else None


def running_daemon(state_dir: Path) -> int | None:
    """The pid of the ``photosync watch`` holding this state dir, or None."""
    doc = read_status(state_dir)
    holder = lock_holder(state_dir)
    if doc and holder and doc.pid == holder and doc.state != "stopped":
        return holder
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class RemoteView:
    """One enabled remote in ``photosync status``: its authorization, and what the running
    daemon says of it (None when no daemon runs)."""

    label: str
    authorization: str
    live: RemoteStatus | None = None
    account: FlickrAccount | None = None  # as the last sync learnt it (Flickr)
    notes: tuple[str, ...] = ()  # worth knowing, nothing failed (photos kept on the remote only)
    to_go: int | None = None  # photos the last run left for later ones (sync/eta.py)
    calls_per_hour: float | None = None  # the quota in force

    def to_dict(self) -> dict[str, Any]:
        account = {"account": self.account.to_dict()} if self.account else {}
        eta = eta_seconds(self.to_go, self.calls_per_hour) \
            if self.to_go is not None and self.calls_per_hour else None
        return {"label": self.label, "authorization": self.authorization,
                "notes": list(self.notes),
                "to_go": None if self.to_go is None else {
                    "photos": self.to_go, "calls_per_hour": self.calls_per_hour,
                    "eta_seconds": None if eta is None else round(eta)},
                **(self.live.shown() if self.live else {}), **account}


@dataclass(frozen=True)
class StatusReport:
    """Everything ``photosync status`` shows; ``to_dict`` is its ``--json`` document."""

    pid: int | None  # the running daemon's
    live: DaemonStatus | None  # its status document, while it runs
    other_process: int | None  # not running: who holds the state directory instead
    remotes: dict[str, RemoteView]
    failed: list[dict[str, Any]]
    unreadable: list[dict[str, Any]]
    last_run: dict[str, Any] | None
    uptime_seconds: int | None = None
    stopped: float | None = None  # not running: when it stopped

    def to_dict(self) -> dict[str, Any]:
        daemon: dict[str, Any] = {"running": self.live is not None, "pid": self.pid}
        if self.live is not None:
            daemon.update(self.live.shown(), uptime_seconds=self.uptime_seconds)
        else:
            daemon.update(other_process=self.other_process, stopped=self.stopped)
        return {"daemon": daemon, "remotes": {n: r.to_dict() for n, r in self.remotes.items()},
                "failed": self.failed, "unreadable": self.unreadable, "last_run": self.last_run}


def collect(config: Config, now: float | None = None) -> StatusReport:
    """Everything ``photosync status`` shows."""
    now = time.time() if now is None else now
    state_dir = config.state_dir
    doc = read_status(state_dir)
    pid = running_daemon(state_dir)
    live = doc if pid is not None else None
    other = lock_holder(state_dir) if live is None else None
    conn = open_db(state_dir)
    try:
        failing = failures.listing(conn)
        unreadable = [{"path": f.path, "error": f.error} for f in index.failed_files(conn)]
        last = last_run(conn, unfinished=live is None and other is None)
        enabled = [name for name in registry.REMOTES if registry.section(config, name).enabled]
        notes = {name: _notes(conn, name) for name in enabled}
        accounts = {name: load_account(conn, name) for name in enabled}
    finally:
        conn.close()
    to_go = load_to_go(state_dir)
    remotes = {name: _remote(config, name, live.remotes.get(name) if live else None,
                             accounts[name], notes[name], to_go.get(name, {}).get("photos"))
               for name in enabled}
    return StatusReport(
        pid=pid, live=live, other_process=other, remotes=remotes, failed=failing,
        unreadable=unreadable, last_run=_run(last),
        uptime_seconds=round(now - live.started) if live and live.started else None,
        stopped=doc.stopped if doc and live is None else None)



def _remote(config: Config, name: str, live: RemoteStatus | None,
            account: FlickrAccount | None, notes: tuple[str, ...] = (),
            to_go: int | None = None) -> RemoteView:
    has_token = TokenStore(config.state_dir).path(name).exists()
    authorization = "authorized" if has_token else f"not authorized: run `photosync auth {name}`"
    if live and live.last_result == "auth":
        authorization = f"refused: {live.last_error}; run `photosync auth {name}`"
    return RemoteView(registry.label(name), authorization, live, account, notes, to_go,
                      calls_per_hour(config, name))


def _notes(conn: sqlite3.Connection, name: str) -> tuple[str, ...]:
    """Photos the remote keeps to itself (a free Flickr account's originals), from the state."""
    kept = previews.count(conn, name)
    shown = f" ({kept} preview(s) in '{PREVIEWS_DIR}/')" if kept else ""
    return tuple(f"{n} photo(s) kept on {registry.label(name)} only: {WITHHELD.get(why, why)}"
                 f"{shown}" for why, n in sorted(withheld_counts(conn, name).items()))


def _run(run: Run | None) -> dict[str, Any] | None:
    """The last sync run; ``interrupted`` when Ctrl-C stopped it (exit 130) or it never finished
    (killed, the machine stopped) while nothing holds the state directory."""
    if run is None:
        return None
    return {"id": run.id, "started": run.started, "finished": run.finished,
            "exit_code": run.exit_code, "summary": run.summary, "errors": run.errors,
            "interrupted": run.finished is None or run.exit_code == EXIT_INTERRUPTED}


def render(report: StatusReport, now: float | None = None) -> str:
    """The text form of :func:`collect`."""
    now = time.time() if now is None else now
    lines = _daemon_lines(report)
    for view in report.remotes.values():
        lines += _remote_lines(view, now)
    if report.last_run and report.live is None:
        lines += _last_run_lines(report.last_run, now)
    lines += _failed_lines(report.failed, now)
    if report.unreadable:
        lines.append(f"unreadable local files: {len(report.unreadable)}")
        lines += [f"  {u['path']}: {u['error']}" for u in report.unreadable[:20]]
    return "\n".join(lines)


def _daemon_lines(report: StatusReport) -> list[str]:
    live = report.live
    if live is None:
        other = (f"; pid {report.other_process} holds the state directory"
                 if report.other_process else "")
        return [f"photosync watch: not running{other}"]
    scanning = ", scanning" if live.scanning else ""
    return [f"photosync watch: running (pid {report.pid}, up {_ago(report.uptime_seconds)}, "
            f"{live.mode or '?'}; {live.pending or 0} file(s) settling{scanning})"] + [
        f"  {problem}" for problem in (live.config_error, live.warning) if problem]


def _remote_lines(view: RemoteView, now: float) -> list[str]:
    lines = [f"{view.label}: {view.authorization}"]
    if view.account is not None:
        lines.append(f"{view.label}: {view.account.summary()}")
    lines += [f"  {note}" for note in view.notes]
    if view.to_go:
        lines.append("  " + describe(view.label, view.to_go, view.calls_per_hour))
    live = view.live
    if live is None:
        return lines
    if live.account_cap:
        lines.append(f"  held by an account cap: {live.account_cap}")
    if live.last_finished:
        lines.append(f"  last sync {_when(live.last_finished, now)}: {_result(live)}")
    if live.state:
        nxt = f", next {_when(live.next_sync, now)}" if live.next_sync else ""
        lines.append(f"  {live.state}{nxt}")
    return lines


def _failed_lines(failing: list[dict[str, Any]], now: float) -> list[str]:
    if not failing:
        return []
    lines = [f"failed items ({sum(f['parked'] for f in failing)} parked):"]
    for f in failing:
        what = "parked" if f["parked"] else f"retry {_when(f['next_retry'], now)}"
        lines.append(f"  {f['remote']} {f['action']} {f['path'] or f['remote_id']}: "
                     f"{f['error']} ({f['attempts']} attempt(s), {what})")
    return lines


def _last_run_lines(run: dict[str, Any], now: float) -> list[str]:
    """The last one-shot sync, and why it failed: each error as ``remote: path: error``."""
    if run["finished"] is None:
        head = (f"last sync run: #{run['id']} started {_when(run['started'], now)} never "
                f"finished (killed, or the machine stopped)")
    else:
        how = "interrupted (Ctrl-C), " if run["interrupted"] else ""
        head = (f"last sync run: #{run['id']} {_when(run['finished'], now)}, {how}"
                f"exit code {run['exit_code']}")
    errors = [e for e in run["errors"] if e["remote"] or e["path"] or not run["interrupted"]]
    lines = [head] + ([f"  {len(errors)} error(s):"] if errors else [])  # Ctrl-C: said above
    for e in errors[:20]:
        where = e["remote"] or ("library" if e["path"] else "run")
        lines.append(f"    {where}: " + (f"{e['path']}: " if e["path"] else "") + e["error"])
    if len(errors) > 20:
        lines.append(f"    ... and {len(errors) - 20} more (`photosync status --json` lists all)")
    return lines


def _result(r: RemoteStatus) -> str:
    counts = sorted((r.last_summary or {}).items())
    summary = ", ".join(f"{n} {k}" for k, n in counts if k != "skip")
    text = {"ok": "ok", "items_failed": "some items failed", "unavailable": "remote unavailable",
            "auth": "authorization refused", "crashed": "failed"}.get(r.last_result or "", "?")
    if r.last_error:
        text += f" ({r.last_error})"
    return text + (f"; {summary}" if summary else "")


def _when(ts: float | None, now: float) -> str:
    if ts is None:
        return "never"
    delta = ts - now
    return f"in {_ago(delta)}" if delta > 0 else f"{_ago(-delta)} ago"


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def refuse_while_watching(state_dir: Path, nudge: bool) -> None:
    """For ``photosync sync``: when ``photosync watch`` runs here, raise LockedError saying so,
    after asking the daemon (SIGUSR1) to sync now unless ``nudge`` is False (a dry run)."""
    pid = running_daemon(state_dir)
    if pid is None:
        return
    asked = ""
    if nudge:
        try:
            os.kill(pid, signal.SIGUSR1)
            asked = "; it has been asked to sync now"
        except OSError:
            pass
    raise LockedError(f"photosync watch (pid {pid}) is running for {state_dir} and syncs by "
                      f"itself{asked}. Follow it with `photosync status` or "
                      f"`journalctl -u photosync`; stop it first to run a one-shot sync")
