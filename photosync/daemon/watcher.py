"""Watch the library with watchdog (inotify), keeping only events the index cares about.

Events below excluded folders (``library.exclude``, NAS droppings), for temporary files and for
other extensions are dropped here, folders created later included: the rules are applied to each
event's path, not to a list made at start. Opens and reads are not even asked for (the scan and
the uploads read every file; they must not wake us up).

watchdog silently skips subfolders it cannot watch once inotify runs out of watches, so coverage
is checked against the kernel's own count (``/proc/self/fdinfo``): when watches are missing the
watcher stops and the service falls back to periodic rescans, with one warning that names
``/proc/sys/fs/inotify/max_user_watches`` and the value needed.
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Callable
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from photosync.library.rules import Rules, is_excluded_dir, is_wanted_file

log = logging.getLogger("photosync.daemon")
MAX_WATCHES = Path("/proc/sys/fs/inotify/max_user_watches")
# What we listen to: no opens, no read-only closes, no folder "modified" noise.
EVENTS = [FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileMovedEvent, FileDeletedEvent,
          FileAttribEvent, DirCreatedEvent, DirMovedEvent, DirDeletedEvent]
OnChange = Callable[[str, "bool | None", bool], None]  # (relative path, writing, is_dir)


class WatchLimitReached(Exception):
    """inotify has no watches left for the whole tree; ``message`` says what to set."""


def relevant(root: str, rules: Rules, path: str, is_dir: bool) -> str | None:
    """The path relative to ``root`` when the index cares about it, else None."""
    rel = os.path.relpath(path, root)
    if rel == "." or rel.startswith(".." + os.sep) or rel == "..":
        return None
    parts = rel.split(os.sep)
    folders = parts if is_dir else parts[:-1]
    if any(is_excluded_dir(rules, name) for name in folders):
        return None
    if not is_dir and not is_wanted_file(rules, parts[-1]):
        return None
    return "/".join(parts)


class _Handler(FileSystemEventHandler):
    def __init__(self, root: str, rules: Rules, on_change: OnChange):
        self.root, self.rules, self.on_change = root, rules, on_change

    def on_any_event(self, event: FileSystemEvent) -> None:
        writing = True if isinstance(event, FileModifiedEvent) else \
            False if isinstance(event, FileClosedEvent) else None
        moved = isinstance(event, FileMovedEvent | DirMovedEvent)
        paths = [event.src_path, event.dest_path] if moved else [event.src_path]
        for raw in paths:
            if not raw:
                continue
            path = os.fsdecode(raw)
            rel = relevant(self.root, self.rules, path, event.is_directory)
            if rel is not None:
                self.on_change(rel, writing, event.is_directory)


class Watcher:
    """``start()`` raises WatchLimitReached when inotify cannot cover the tree; ``stop()``."""

    def __init__(self, root: Path, rules: Rules, on_change: OnChange):
        self.root = os.path.abspath(root)
        self.rules = rules
        self.on_change = on_change
        self._observer: BaseObserver | None = None
        self._handler = _Handler(self.root, rules, on_change)

    def start(self) -> None:
        observer = Observer()
        observer.schedule(self._handler, self.root, recursive=True, event_filter=EVENTS)
        try:
            observer.start()
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EMFILE):
                raise WatchLimitReached(limit_message(count_folders(self.root), 0)) from None
            raise
        self._observer = observer
        self.check_coverage()

    def set_rules(self, rules: Rules) -> None:
        """New exclude rules (a reloaded config) apply to the next event."""
        self.rules = self._handler.rules = rules

    def check_coverage(self) -> None:
        """Raise WatchLimitReached (after stopping) if folders went unwatched."""
        folders = count_folders(self.root)
        held = inotify_watches_held()
        if held is not None and held < folders:
            self.stop()
            raise WatchLimitReached(limit_message(folders, held))

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None

    @property
    def running(self) -> bool:
        return self._observer is not None


def count_folders(root: str) -> int:
    """Folders watchdog puts a watch on: all of them below root (excluded ones too), no links."""
    total = 1
    for folder, dirs, _files in os.walk(root):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        total += len(dirs)
    return total


def inotify_watches_held() -> int | None:
    """How many inotify watches this process holds, from the kernel; None if it cannot tell."""
    total, seen = 0, False
    try:
        names = os.listdir("/proc/self/fdinfo")
    except OSError:
        return None
    for name in names:
        try:
            with open(f"/proc/self/fdinfo/{name}", encoding="ascii", errors="replace") as info:
                lines = [line for line in info if line.startswith("inotify wd:")]
        except OSError:
            continue
        if lines:
            seen = True
            total += len(lines)
    return total if seen else None


def max_user_watches() -> int | None:
    try:
        return int(MAX_WATCHES.read_text().strip())
    except (OSError, ValueError):
        return None


def limit_message(folders: int, held: int) -> str:
    current = max_user_watches()
    missing = max(folders - held, 1)
    needed = _round_up((current or 8192) + missing + folders // 10)
    return (f"inotify ran out of watches: the library has {folders} folders but only {held} could "
            f"be watched ({MAX_WATCHES} is {current if current is not None else 'unknown'}). "
            f"Raise it to at least {needed} (echo {needed} | sudo tee {MAX_WATCHES}; to keep it, "
            f"put fs.inotify.max_user_watches={needed} in /etc/sysctl.d/90-photosync.conf); "
            f"until then photosync rescans the library periodically")


def _round_up(value: int) -> int:
    step = 1024
    return (value + step - 1) // step * step
