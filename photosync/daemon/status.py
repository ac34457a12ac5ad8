"""The daemon's status file, and ``photosync status``: what runs, how the last syncs went, what fails.

The running daemon rewrites ``state_dir/daemon.json`` atomically whenever its state changes
(pid, start time, watch mode, pending files, each remote's last sync and next one). ``photosync
status`` reads that file, checks the pid is alive and is the one holding the state lock, and
adds what the database knows (failed and parked items, unreadable files, the last one-shot
run), so it works the same while the daemon runs (SQLite WAL: readers never wait) and after.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from photosync.atomic import write_atomic
from photosync.auth.tokens import TokenStore
from photosync.config import Config
from photosync.daemon import failures
from photosync.errors import EXIT_INTERRUPTED, LockedError
from photosync.remotes import registry
from photosync.state import index
from photosync.state.db import open_db
from photosync.state.private import FILE_MODE
from photosync.state.runs import Run, last_run

STATUS_FILE = "daemon.json"


def write_status(state_dir: Path, doc: dict[str, Any]) -> None:
    """Replace the status file atomically (readers never see half a document)."""
    write_atomic(Path(state_dir) / STATUS_FILE,
                 json.dumps(doc, indent=1, sort_keys=True).encode("utf-8"), mode=FILE_MODE)


def read_status(state_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((Path(state_dir) / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


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
    if doc and holder and doc.get("pid") == holder and doc.get("state") != "stopped":
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


def collect(config: Config, now: float | None = None) -> dict[str, Any]:
    """Everything ``photosync status`` shows, as one JSON-able document."""
    now = time.time() if now is None else now
    state_dir = config.state_dir
    doc = read_status(state_dir) or {}
    pid = running_daemon(state_dir)
    daemon: dict[str, Any] = {"running": pid is not None, "pid": pid}
    if pid is not None:
        daemon.update({k: doc.get(k) for k in ("started", "mode", "pending", "scanning", "batches",
                                               "last_batch", "config_error", "warning")})
        daemon["uptime_seconds"] = round(now - doc["started"]) if doc.get("started") else None
    else:
        other = lock_holder(state_dir)
        daemon["other_process"] = other  # a one-shot sync holding the lock, for instance
        daemon["stopped"] = doc.get("stopped")
    conn = open_db(state_dir)
    try:
        failing = failures.listing(conn)
        unreadable = [{"path": f.path, "error": f.error} for f in index.failed_files(conn)]
        last = last_run(conn, unfinished=pid is None and lock_holder(state_dir) is None)
    finally:
        conn.close()
    remotes = {name: _remote(config, name, (doc.get("remotes") or {}).get(name) if pid else None)
               for name in registry.REMOTES if registry.section(config, name).enabled}
    return {"daemon": daemon, "remotes": remotes, "failed": failing, "unreadable": unreadable,
            "last_run": _run(last)}


def _remote(config: Config, name: str, live: dict[str, Any] | None) -> dict[str, Any]:
    has_token = TokenStore(config.state_dir).path(name).exists()
    authorization = "authorized" if has_token else f"not authorized: run `photosync auth {name}`"
    out: dict[str, Any] = {"label": registry.label(name), "authorization": authorization}
    if live:
        if live.get("last_result") == "auth":
            out["authorization"] = f"refused: {live.get('last_error')}; run `photosync auth {name}`"
        out.update({k: live.get(k) for k in ("state", "last_started", "last_finished", "last_result",
                                             "last_error", "last_summary", "next_sync")})
    return out


def _run(run: Run | None) -> dict[str, Any] | None:
    """The last sync run; ``interrupted`` when Ctrl-C stopped it (exit 130) or it never finished
    (killed, the machine stopped) while nothing holds the state directory."""
    if run is None:
        return None
    return {"id": run.id, "started": run.started, "finished": run.finished,
            "exit_code": run.exit_code, "summary": run.summary, "errors": run.errors,
            "interrupted": run.finished is None or run.exit_code == EXIT_INTERRUPTED}


def render(doc: dict[str, Any], now: float | None = None) -> str:
    """The text form of :func:`collect`."""
    now = time.time() if now is None else now
    lines: list[str] = []
    d = doc["daemon"]
    if d["running"]:
        lines.append(f"photosync watch: running (pid {d['pid']}, up {_ago(d.get('uptime_seconds'))}, "
                     f"{d.get('mode') or '?'}; {d.get('pending') or 0} file(s) settling"
                     f"{', scanning' if d.get('scanning') else ''})")
        for key in ("config_error", "warning"):
            if d.get(key):
                lines.append(f"  {d[key]}")
    else:
        other = f"; pid {d['other_process']} holds the state directory" if d.get("other_process") else ""
        lines.append(f"photosync watch: not running{other}")
    for name, r in doc["remotes"].items():
        lines.append(f"{r['label']}: {r['authorization']}")
        if r.get("last_finished"):
            lines.append(f"  last sync {_when(r['last_finished'], now)}: {_result(r)}")
        if r.get("state"):
            nxt = f", next {_when(r['next_sync'], now)}" if r.get("next_sync") else ""
            lines.append(f"  {r['state']}{nxt}")
    if doc.get("last_run") and not d["running"]:
        lines += _last_run_lines(doc["last_run"], now)
    failing = doc["failed"]
    if failing:
        lines.append(f"failed items ({sum(f['parked'] for f in failing)} parked):")
        for f in failing:
            what = "parked" if f["parked"] else f"retry {_when(f['next_retry'], now)}"
            lines.append(f"  {f['remote']} {f['action']} {f['path'] or f['remote_id']}: {f['error']} "
                         f"({f['attempts']} attempt(s), {what})")
    if doc["unreadable"]:
        lines.append(f"unreadable local files: {len(doc['unreadable'])}")
        lines += [f"  {u['path']}: {u['error']}" for u in doc["unreadable"][:20]]
    return "\n".join(lines)


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


def _result(r: dict[str, Any]) -> str:
    summary = ", ".join(f"{n} {k}" for k, n in sorted((r.get("last_summary") or {}).items()) if k != "skip")
    text = {"ok": "ok", "items_failed": "some items failed", "unavailable": "remote unavailable",
            "auth": "authorization refused", "crashed": "failed"}.get(r.get("last_result") or "", "?")
    if r.get("last_error"):
        text += f" ({r['last_error']})"
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
                      f"itself{asked}. Follow it with `photosync status` or `journalctl -u photosync`; "
                      f"stop it first to run a one-shot sync")
