"""The sync report: a text summary table with one line per action, or one JSON document.

The JSON field names (``dry_run``, ``actions[].remote/action/path/remote_id/reason``,
``summary``, ``errors[].path/remote/error``) are a contract other tools rely on: extend, never
rename. A download's ``path`` is the file it creates (or would create), relative to the root.
``actions[].shot`` names the shot (folder/stem) a file shares with others (a RAW and its JPEG,
a Live Photo's photo and clip); the text report lists a shot's files together.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from photosync.sync.actions import TRANSFERS, AlbumAction
from photosync.sync.done import Outcome
from photosync.sync.eta import describe, eta_seconds
from photosync.sync.results import RemoteReport, SyncReport, errors, failed, summary

# What a finished action did, in words (the daemon's log, the text report).
DONE = {"upload": "uploaded", "download": "downloaded", "replace_remote": "replaced remotely with",
        "replace_local": "replaced locally", "conflict": "downloaded the remote version as",
        "delete_remote": "deleted remotely", "delete_local": "moved to the trash",
        "retag": "tagged", "move": "moved", "create_album": "created album",
        "add_to_album": "added photos to album", "remove_from_album": "removed photos from album",
        "reorder_album": "reordered album", "delete_album": "deleted album"}


def to_json(report: SyncReport) -> dict[str, Any]:
    actions, messages = [], []
    for r in report.remotes:
        failures = {id(o.action): o.error for o in r.outcomes if o.error}
        for a in r.plan.actions if r.plan else []:
            entry = {"remote": r.name, "action": a.kind, "path": r.files.get(id(a), a.path),
                     "remote_id": a.remote_id, "reason": a.reason, "album": a.album,
                     "bytes": a.size, "shot": report.shots.get(a.path or "")}
            if id(a) in failures:
                entry["error"] = failures[id(a)]
            actions.append(entry)
        if r.plan and r.plan.aborted:
            messages.append({"remote": r.name, "message": r.plan.aborted})
        messages.extend({"remote": r.name, "message": m}
                        for m in (r.plan.messages + r.plan.notes if r.plan else []))
    return {"dry_run": report.dry_run, "actions": actions, "summary": summary(report),
            "failed": failed(report), "errors": errors(report), "messages": messages,
            "scan": report.scan.counts() if report.scan else None, "exit_code": report.exit_code,
            "to_go": _to_go(report)}


def _to_go(report: SyncReport) -> dict[str, dict[str, Any]]:
    """{remote: {photos, calls_per_hour, eta_seconds}}: the work this run left (sync/eta.py)."""
    out: dict[str, dict[str, Any]] = {}
    for r in report.remotes:
        if r.to_go is not None:
            eta = eta_seconds(r.to_go, r.calls_per_hour) if r.calls_per_hour else None
            out[r.name] = {"photos": r.to_go, "calls_per_hour": r.calls_per_hour,
                           "eta_seconds": round(eta) if eta is not None else None}
    return out


def to_text(report: SyncReport) -> str:
    doc = to_json(report)
    lines = [_heading(report)] + _table(report)
    stopped = {r.name: r.error for r in report.remotes if r.error}
    order = {r.name: n for n, r in enumerate(report.remotes)}
    said: set[tuple[str, str]] = set()
    for a in sorted(doc["actions"], key=lambda a: (order[a["remote"]], a["action"],
                                                  a["shot"] or a["path"] or "", a["path"] or "",
                                                  a["album"] or "")):
        where = a["path"] or "-"
        album = f"  album {a['album']!r}" if a.get("album") else ""
        shot = f"  (shot {a['shot']})" if a["shot"] else ""
        lines.append(f"{a['remote']:<7} {a['action']:<15} {where}  [{a['remote_id'] or 'new'}]"
                     f"{album}{shot}  {a['reason']}" + _failed(a, stopped, said))
    for m in doc["messages"]:
        lines.append(f"NOTE {m['remote']}: {m['message']}")
    lines += [describe(r.label, r.to_go, r.calls_per_hour) for r in report.remotes if r.to_go]
    if doc["errors"]:
        lines.append(f"{len(doc['errors'])} error(s):")
        lines += _error_lines(doc["errors"])
    return "\n".join(line for line in lines if line)


def _heading(report: SyncReport) -> str:
    return (("Dry run: nothing was changed. " if report.dry_run else "")
            + (f"Library: {report.scan.summary()}" if report.scan else ""))


def _failed(entry: dict[str, Any], stopped: Mapping[str, str | None],
            said: set[tuple[str, str]]) -> str:
    """The text report's tail for an action that failed: its error once, then a reference."""
    error = entry.get("error")
    if not error:
        return ""
    key = (entry["remote"], error)
    tail = "  NOT DONE (see the error below)" if error == stopped.get(entry["remote"]) \
        else "  FAILED (the same error as above)" if key in said else f"  FAILED: {error}"
    said.add(key)
    return tail


def done_line(label: str, outcome: Outcome) -> str:
    """``Flickr: uploaded 2024/Trip/a.jpg``: one finished action (or its failure), in words."""
    a = outcome.action
    what = outcome.file or a.path or a.remote_id or "?"
    if isinstance(a, AlbumAction):
        what = repr(a.title) + (f" ({len(a.members)} photo(s))" if a.members else "")
    if outcome.error:
        return f"{label}: {a.kind.replace('_', ' ')} {what} failed: {outcome.error}"
    if a.kind == "skip":  # postponed by sync.max_transfer
        return f"{label}: {what}: {a.reason}"
    return f"{label}: {DONE.get(a.kind, a.kind)} {what}"


def counts_in_words(counts: dict[str, int]) -> str:
    """``{"upload": 3, "create_album": 1}`` -> ``3 uploaded, 1 created album`` (transfers first)."""
    order = list(DONE)
    kinds = sorted((k for k in counts if k != "skip"),
                   key=lambda k: (order.index(k) if k in order else len(order), k))
    return ", ".join(f"{counts[k]} {DONE.get(k, k)}" for k in kinds) or "nothing to do"


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
    """Per remote and action: how many, how many failed or not done, how many bytes."""
    rows = []
    for r in report.remotes:
        counts = _counts(r)
        if not counts:
            rows.append(f"{r.label}: " + ("could not be used" if r.error else "nothing to do"))
            continue
        rows.append(f"{r.label}:{'':<11}{'count':>7}  {'failed':>6}  size")
        rows += [f"  {kind:<15} {n:>7}  {bad:>6}  "
                 + (_size(size, unknown, n) if kind in TRANSFERS else "-")
                 for kind, (n, bad, size, unknown) in sorted(counts.items())]
    return rows


def _counts(r: RemoteReport) -> dict[str, list[int]]:
    """kind -> [actions, failed, known bytes, actions of unknown size]."""
    failed_ids = {id(o.action) for o in r.outcomes if o.error}
    counts: dict[str, list[int]] = {}
    for a in r.plan.actions if r.plan else []:
        entry = counts.setdefault(a.kind, [0, 0, 0, 0])
        entry[0] += 1
        entry[1] += id(a) in failed_ids
        entry[2] += a.size or 0
        entry[3] += a.size is None
    return counts


def _size(size: int, unknown: int, n: int) -> str:
    if unknown == n:
        return "unknown"
    return _bytes(size) + (f" + {unknown} of unknown size" if unknown else "")


def _bytes(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def render(report: SyncReport, as_json: bool) -> str:
    return json.dumps(to_json(report), indent=2, ensure_ascii=False) if as_json else to_text(report)
