"""A small thread-safe LRU of bytes, for previews made on demand (the dashboard, the emulator)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class BytesLRU:
    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._cache: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def cached(self, key: Hashable, make: Callable[[], bytes | None]) -> bytes | None:
        """The bytes kept for ``key``, else what ``make`` returns (kept unless None). ``make``
        runs outside the lock: two threads may both make a missing entry, never block others."""
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        data = make()
        if data is not None:
            with self._lock:
                self._cache[key] = data
                while len(self._cache) > self.entries:
                    self._cache.popitem(last=False)
        return data
