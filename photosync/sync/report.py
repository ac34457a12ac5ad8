"""The sync report: a text summary table with one line per action, or one JSON document.

The JSON field names (``dry_run``, ``actions[].remote/action/path/remote_id/reason``,
``summary``, ``errors[].path/remote/error``) are a contract other tools rely on: extend, never
rename.
"""

from __future__ import annotations

import json
from typing import Any

from photosync.sync.run import SyncReport, summary


def to_json(report: SyncReport) -> dict[str, Any]:
    actions, errors, messages = [], [], []
    for r in report.remotes:
        failed = {id(o.action): o.error for o in r.outcomes if o.error}
        for a in r.plan.actions if r.plan else []:
            entry = {"remote": r.name, "action": a.kind, "path": a.path, "remote_id": a.remote_id,
                     "reason": a.reason, "album": a.album, "bytes": a.size}
            if id(a) in failed:
                entry["error"] = failed[id(a)]
                if failed[id(a)] != r.error:  # the remote's own error is listed once, below
                    errors.append({"path": a.path or a.remote_id, "remote": r.name, "error": failed[id(a)]})
            actions.append(entry)
        if r.error:
            errors.append({"path": None, "remote": r.name, "error": r.error})
        if r.plan and r.plan.aborted:
            messages.append({"remote": r.name, "message": r.plan.aborted})
        messages.extend({"remote": r.name, "message": m}
                        for m in (r.plan.messages + r.plan.notes if r.plan else []))
    for failure in report.scan.failed if report.scan else []:
        errors.append({"path": failure.path, "remote": None, "error": failure.reason})
    return {"dry_run": report.dry_run, "actions": actions, "summary": summary(report),
            "errors": errors, "messages": messages,
            "scan": report.scan.summary() if report.scan else None, "exit_code": report.exit_code}


def to_text(report: SyncReport) -> str:
    doc = to_json(report)
    lines = [("Dry run: nothing was changed. " if report.dry_run else "") +
             (f"Library: {doc['scan']}" if doc["scan"] else "")]
    lines += _table(report)
    stopped = {r.name: r.error for r in report.remotes if r.error}
    said: set[tuple[str, str]] = set()
    for a in doc["actions"]:
        where = a["path"] or (f"album {a['album']!r}" if a.get("album") else "-")
        failed = ""
        if a.get("error"):
            failed = "  NOT DONE (see the error below)" if a["error"] == stopped.get(a["remote"]) \
                else "  FAILED (the same error as above)" if (a["remote"], a["error"]) in said \
                else f"  FAILED: {a['error']}"
            said.add((a["remote"], a["error"]))
        lines.append(f"{a['remote']:<7} {a['action']:<15} {where}  [{a['remote_id'] or 'new'}]  {a['reason']}"
                     + failed)
    for m in doc["messages"]:
        lines.append(f"NOTE {m['remote']}: {m['message']}")
    if doc["errors"]:
        lines.append(f"{len(doc['errors'])} error(s):")
        lines += _error_lines(doc["errors"])
    return "\n".join(line for line in lines if line)


def _error_lines(errors: list[dict[str, Any]]) -> list[str]:
    """One line per error; an error many items share (a full remote) once, with their count."""
    groups: dict[tuple[Any, str], list[dict[str, Any]]] = {}
    for e in errors:
        groups.setdefault((e["remote"], e["error"]), []).append(e)
    lines = []
    for (remote, error), group in groups.items():
        path = group[0]["path"]
        more = f" (and {len(group) - 1} more with this error)" if len(group) > 1 else ""
        lines.append(f"  {remote or 'library'}: " + (f"{path}: " if path else "") + error + more)
    return lines


def _table(report: SyncReport) -> list[str]:
    rows = []
    for r in report.remotes:
        counts: dict[str, list[int]] = {}
        for a in r.plan.actions if r.plan else []:
            entry = counts.setdefault(a.kind, [0, 0])
            entry[0] += 1
            entry[1] += a.size
        if not counts:
            rows.append(f"{r.label}: " + ("could not be used" if r.error else "nothing to do"))
            continue
        rows.append(f"{r.label}:")
        rows += [f"  {kind:<15} {n:>7}  {_bytes(size)}" for kind, (n, size) in sorted(counts.items())]
    return rows


def _bytes(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def render(report: SyncReport, as_json: bool) -> str:
    return json.dumps(to_json(report), indent=2, ensure_ascii=False) if as_json else to_text(report)
