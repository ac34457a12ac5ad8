"""The mirror's counters, its summary line and its ``--statistics`` block."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class MirrorStats:
    new: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    deleted: int = 0
    repaired: int = 0
    bytes: int = 0
    api_calls: int = 0
    downloads: int = 0
    originals_unavailable: int = 0  # listed photos Flickr gives no original of: previews kept
    mode: str = ""
    failures: list[str] = field(default_factory=list)
    refused: str | None = None  # why deletions were refused

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.refused else 0

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in ("failures",)}


def size_text(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{count} B"


def render(stats: MirrorStats, detailed: bool, interrupted: bool = False) -> str:
    """One summary line (the failures above it); with ``detailed``, every counter."""
    head = "mirror interrupted" if interrupted else "mirror done"
    lines = [f"{head}: {stats.new} new, {stats.updated} updated, {stats.skipped} already complete, "
             f"{stats.failed} failed" + (f", {stats.repaired} repaired" if stats.repaired else "")
             + (f", {stats.deleted} deleted" if stats.deleted else "")
             + (f", {stats.originals_unavailable} originals unavailable (previews kept)"
                if stats.originals_unavailable else "")]
    if stats.refused:
        lines.append(f"deletions refused: {stats.refused}")
    if detailed:
        lines += ["statistics:",
                  f"  walk:            {stats.mode or 'not started'}",
                  f"  new:             {stats.new}",
                  f"  updated:         {stats.updated}",
                  f"  skipped:         {stats.skipped}",
                  f"  failed:          {stats.failed}",
                  f"  repaired:        {stats.repaired}",
                  f"  deleted:         {stats.deleted}",
                  f"  downloaded:      {size_text(stats.bytes)}",
                  f"  API calls:       {stats.api_calls}",
                  f"  file downloads:  {stats.downloads}",
                  f"  originals unavailable: {stats.originals_unavailable} (previews kept)"]
    return "\n".join(lines)
