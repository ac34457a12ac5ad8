"""``photosync history [--json] [RUN]``: past sync runs, and what one run did (errors first)."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from photosync.cli.app import App
from photosync.errors import UsageError
from photosync.state import history
from photosync.state.db import open_db


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("history", help="past sync runs and the actions of one run")
    parser.add_argument("run", nargs="?", type=int, metavar="RUN",
                        help="a run number: list its actions, errors first")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--remote", help="only this remote's actions (flickr, drive)")
    parser.add_argument("--action", help="only this kind of action (upload, download, ...)")
    parser.add_argument("--path", help="only actions whose path contains this text")
    parser.add_argument("--limit", type=int,
                        help="how many runs (default 20), or actions of a run (default 1000)")
    parser.set_defaults(func=run_history)


def run_history(app: App) -> int:
    args = app.args
    if args.limit is not None and args.limit <= 0:
        raise UsageError("--limit must be 1 or more")
    conn = open_db(app.config.state_dir)
    try:
        if args.run is None:
            doc: dict[str, Any] = {"runs": history.runs(conn, limit=args.limit or 20)}
        else:
            found = history.run(conn, args.run)
            if found is None:
                raise UsageError(f"no sync run #{args.run}; `photosync history` lists the runs")
            doc = {"run": found, "actions": history.actions(
                conn, run_id=args.run, remote=args.remote, action=args.action, path=args.path,
                limit=args.limit or 1000)}
    finally:
        conn.close()
    print(json.dumps(doc, indent=2) if args.json else _text(doc))
    return 0


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


def _result(run: dict[str, Any]) -> str:
    if run["finished"] is None:
        return "running or interrupted"
    text = {0: "ok", 1: "some items failed", 3: "a remote could not be used"}.get(
        run["exit_code"], f"exit code {run['exit_code']}")
    return text + (f", {run['failed']} failed" if run["failed"] else "")


def _summary(run: dict[str, Any]) -> str:
    parts = []
    for remote, counts in sorted(run["summary"].items()):
        busy = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()) if k != "skip")
        parts.append(f"{remote}: {busy or 'nothing to do'}")
    return "; ".join(parts)


def _text(doc: dict[str, Any]) -> str:
    if "runs" in doc:
        if not doc["runs"]:
            return "no sync run yet"
        return "\n".join(f"#{r['id']:<6} {_when(r['started'])}  {_result(r)}  {_summary(r)}"
                         for r in doc["runs"])
    r = doc["run"]
    lines = [f"run #{r['id']}: started {_when(r['started'])}, finished {_when(r['finished'])}, "
             f"{_result(r)}", f"  {_summary(r)}"]
    if not doc["actions"]:
        lines.append("  no action")
    for a in doc["actions"]:
        state = "FAILED: " + (a["error"] or "") if a["state"] == "failed" else a["state"]
        why = f"  ({a['reason']})" if a["reason"] else ""
        lines.append(f"  {a['remote']:<7} {a['action']:<15} {a['path'] or a['remote_id'] or '-'}"
                     f"  {a['bytes'] or 0} B  {state}{why}")
    return "\n".join(lines)
