"""Scan progress for people: a tqdm bar on a terminal, a plain line every few seconds otherwise."""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

from tqdm import tqdm

from photosync.library.scan import ScanProgress

log = logging.getLogger("photosync.scan")


class ScanProgressDisplay:
    """Callable given to :func:`photosync.library.scan.scan`; ``close()`` when done."""

    def __init__(self, stream: TextIO | None = None, interval: float = 10.0, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.interval = interval
        self.quiet = quiet
        self.bar: tqdm | None = None
        self.last_line = time.monotonic()

    def __call__(self, p: ScanProgress) -> None:
        if self.quiet:
            return
        if self.stream.isatty():
            self._bar(p)
        elif time.monotonic() - self.last_line >= self.interval:
            self.last_line = time.monotonic()
            more = "+" if p.walking else ""
            log.info("scan: %d files found%s, %d of %d%s to read done", p.found, more, p.read,
                     p.to_read, more)

    def _bar(self, p: ScanProgress) -> None:
        if self.bar is None:
            self.bar = tqdm(total=None, unit="file", file=self.stream, dynamic_ncols=True,
                            desc="scan")
        self.bar.total = None if p.walking else p.to_read
        self.bar.set_postfix_str(f"{p.found} found" + (", walking" if p.walking else ""),
                                 refresh=False)
        self.bar.update(p.read - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
