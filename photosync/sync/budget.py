"""``sync.max_transfer``: the bytes one run may move, uploads and downloads together, over every
remote (rclone's ``--max-transfer`` counts both directions too).

Like rclone's ``--cutoff-mode soft``: a transfer starts only while the bytes started so far are
under the budget, so a run stops *starting* transfers once it is reached; the ones under way
finish (the last one may cross it). Transfers not started are postponed, not failed: a note,
exit 0, and the next run starts with a fresh budget where this one stopped.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger("photosync.sync")


class TransferBudget:
    """Bytes left for this run; ``limit`` 0: no budget. Thread-safe (the transfer workers)."""

    def __init__(self, limit: int, setting: str = ""):
        self.limit = limit
        self.setting = setting  # as written in the config, for the messages ("50G")
        self.used = 0
        self._said = False
        self._lock = threading.Lock()

    def start(self, size: int | None) -> bool:
        """Count a transfer of ``size`` bytes (None: counted when done) about to start; False
        (and said once) when the budget is spent and it must wait for the next run."""
        if not self.limit:
            return True
        with self._lock:
            if self.used < self.limit:
                self.used += size or 0
                return True
            said, self._said = self._said, True
        if not said:
            log.warning("%s: no new transfers this run; the next run goes on", self.reached)
        return False

    def add(self, size: int) -> None:
        """Bytes counted after the fact: a transfer whose size was not known at its start."""
        with self._lock:
            self.used += size

    def refund(self, size: int | None) -> None:
        """A transfer that failed: its bytes count again for the ones still to start."""
        with self._lock:
            self.used -= size or 0

    @property
    def reached(self) -> str:
        return f"sync.max_transfer ({self.setting}) reached"
