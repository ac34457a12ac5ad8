"""Progress for people: a tqdm bar on a terminal, a plain line every few seconds otherwise.

One bar is drawn at a time: a new one (Flickr after the scan, Drive after Flickr, a second scan
after downloads) first closes the one before, which stays on its own line. Bars open together
would move the cursor over each other's lines, and over any log line printed between them.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from photosync.library.scan import ScanProgress

if TYPE_CHECKING:
    from tqdm import tqdm

log = logging.getLogger("photosync.scan")
_drawn: list[tqdm] = []  # the bar on the terminal now, if any


def new_bar(**options: Any) -> tqdm:
    """A tqdm bar on the line below the last one, which is closed first."""
    from tqdm import tqdm  # only on a terminal: importing it costs 50 ms of every scan
    close_bar()
    bar = tqdm(dynamic_ncols=True, **options)
    _drawn.append(bar)
    return bar


def close_bar() -> None:
    """Close the bar drawn now (it stays on its line): before anything else is printed."""
    while _drawn:
        _drawn.pop().close()


@contextlib.contextmanager
def terminal_output(stream: TextIO | None = None) -> Iterator[None]:
    """Around a command that draws bars: log lines go above the bar drawn (tqdm.write) instead
    of through it, and the last bar is closed at the end."""
    out = stream or sys.stderr
    if not out.isatty():
        yield
        return
    from tqdm.contrib.logging import logging_redirect_tqdm
    try:
        with logging_redirect_tqdm(loggers=[logging.getLogger()]):
            yield
    finally:
        close_bar()


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
        if self.bar is None or self.bar.disable:  # none yet, or closed by a later bar
            self.bar = new_bar(total=None, unit="file", file=self.stream, desc="scan")
        self.bar.total = None if p.walking else p.to_read
        self.bar.set_postfix_str(f"{p.found} found" + (", walking" if p.walking else ""),
                                 refresh=False)
        self.bar.update(p.read - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def action_progress(label: str, total: int, stream: TextIO | None = None, interval: float = 10.0):
    """A per-action hook for the sync executor: a bar on a terminal, a line now and then else."""
    out = stream or sys.stderr
    if total == 0:
        return lambda outcome: None
    if out.isatty():
        bar = new_bar(total=total, unit="photo", file=out, desc=label)

        def tick(outcome) -> None:
            bar.update(1)
            if bar.n >= total:
                bar.close()
        return tick
    state = {"done": 0, "failed": 0, "postponed": 0, "last": time.monotonic()}

    def line(outcome) -> None:
        state["done"] += 1
        state["failed"] += 1 if outcome.error else 0
        state["postponed"] += postponed(outcome)
        if state["done"] == total or time.monotonic() - state["last"] >= interval:
            state["last"] = time.monotonic()
            later = f", {state['postponed']} postponed" if state["postponed"] else ""
            log.info("%s: %d of %d done, %d failed%s", label, state["done"], total,
                     state["failed"], later)
    return line


def postponed(outcome: object) -> bool:
    """A sync transfer postponed by sync.max_transfer (the mirror's outcomes never are)."""
    from photosync.sync.done import Outcome  # here: `photosync scan` would import sync for it

    return isinstance(outcome, Outcome) and outcome.action.kind == "skip"
