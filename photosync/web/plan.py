"""The Next-sync page's plan: a dry run of every enabled remote, computed on a background thread.

A dry run lists the remotes (read-only calls) and plans against a private copy of the state
database; it changes nothing. It takes as long as the listings do, so the page shows the last
plan computed and the user asks for a fresh one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from photosync.config import Config
from photosync.remotes.base import RemoteItem
from photosync.sync.report import to_json
from photosync.sync.run import RemoteFactory, SyncOptions, sync_locked

log = logging.getLogger("photosync.web")
SHOWN_ACTIONS = 500  # the page lists this many actions; their remote items are kept for previews


class PlanCache:
    def __init__(self, config: Callable[[], Config], factory: Callable[[], RemoteFactory | None]):
        self.config = config
        self.factory = factory
        self.doc: dict[str, Any] | None = None
        self.computed: float | None = None
        self.error: str | None = None
        self.items: dict[tuple[str, str], RemoteItem] = {}  # (remote, id) of the shown actions
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def refresh(self) -> None:
        """Start computing a fresh plan (no-op while one is being computed)."""
        with self._lock:
            if self.busy:
                return
            self._thread = threading.Thread(target=self._compute, name="photosync-plan",
                                            daemon=True)
            self._thread.start()

    def wait(self, timeout: float) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _compute(self) -> None:
        try:
            options = SyncOptions(dry_run=True, local_scan=False)
            report = sync_locked(self.config(), options, factory=self.factory())
            doc = to_json(report)
            listed = {r.name: r.items for r in report.remotes}
            self.items = {(a["remote"], a["remote_id"]): listed[a["remote"]][a["remote_id"]]
                          for a in doc["actions"][:SHOWN_ACTIONS]
                          if a["remote_id"] in listed.get(a["remote"], {})}
            self.doc, self.error = doc, None
        except Exception as exc:  # noqa: BLE001 - shown on the page, the daemon goes on
            log.warning("dashboard: the dry run failed: %s", exc)
            self.error = str(exc)
        self.computed = time.time()
