"""What each remote's last real sync left to do (photos to go), for ``photosync status`` and the
dashboard when no run is on: one small JSON file in state_dir, replaced atomically at the end of
every real run (a count, not SQL: reading it costs nothing at 1,000,000 photos)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from photosync.atomic import write_atomic
from photosync.state.private import FILE_MODE

FILE = "progress.json"
_LOCK = threading.Lock()  # the daemon syncs each remote on a thread of its own


def save_to_go(state_dir: Path, to_go: dict[str, int], now: float) -> None:
    """Record ``{remote: photos to go}``; remotes not named keep what they had."""
    with _LOCK:
        doc = load_to_go(state_dir)
        doc.update({name: {"photos": photos, "at": now} for name, photos in to_go.items()})
        write_atomic(Path(state_dir) / FILE, json.dumps(doc, sort_keys=True).encode(),
                     mode=FILE_MODE)


def load_to_go(state_dir: Path) -> dict[str, dict[str, Any]]:
    """``{remote: {"photos": N, "at": unix time}}``; {} before the first run (or unreadable)."""
    try:
        doc = json.loads((Path(state_dir) / FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in doc.items() if isinstance(v, dict)} if isinstance(doc, dict) else {}
