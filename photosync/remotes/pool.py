"""Transfers in a bounded thread pool (``sync.workers``): one failure never stops the others.

Results come back as they complete, each as an :class:`Outcome` carrying either the result or
the exception, so the executor records successes one by one and parks failures. At most
``2 * workers`` tasks are queued at once, so a 100,000-item plan does not become 100,000 futures.
Backends whose client is not thread-safe (httplib2) keep one client per thread themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")
R = TypeVar("R")


@dataclass(frozen=True)
class Outcome(Generic[Item, R]):
    """What happened to one item: ``result`` when ``error`` is None."""

    item: Item
    result: R | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def run_pool(
    items: Iterable[Item], work: Callable[[Item], R], workers: int = 4,
    salvage: Callable[[Outcome[Item, R]], None] | None = None,
) -> Generator[Outcome[Item, R], None, None]:
    """Run ``work(item)`` for every item on ``workers`` threads; yield outcomes as they finish.

    Exceptions (``Exception`` subclasses) become outcomes; KeyboardInterrupt and friends
    propagate. Closing the iterator early (or Ctrl-C) waits for the running tasks and starts no
    new ones; ``salvage`` then gets the outcomes of tasks that finished but were never yielded
    (a file a worker already put in place is recorded, not forgotten).
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    source = iter(items)
    pending: dict[Future, Item] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="photosync-transfer") as pool:
        try:
            _fill(pool, source, work, pending, 2 * workers)
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    item = pending.pop(future)
                    yield _outcome(item, future)
                _fill(pool, source, work, pending, 2 * workers)
        finally:
            for future in pending:
                future.cancel()
            if salvage is not None:
                _salvage(pending, salvage)


def _salvage(pending: dict[Future, Item], salvage: Callable[[Outcome], None]) -> None:
    """Hand the tasks that ran to the end (waiting for the running ones) to ``salvage``."""
    wait(pending)
    for future, item in pending.items():
        if not future.cancelled() and future.exception() is None:
            salvage(Outcome(item, future.result()))


def _fill(
    pool: ThreadPoolExecutor,
    source: Iterator[Item],
    work: Callable[[Item], R],
    pending: dict[Future, Item],
    limit: int,
) -> None:
    while len(pending) < limit:
        try:
            item = next(source)
        except StopIteration:
            return
        pending[pool.submit(work, item)] = item


def _outcome(item: Item, future: Future) -> Outcome:
    error = future.exception()
    if error is None:
        return Outcome(item, future.result())
    if not isinstance(error, Exception):
        raise error
    return Outcome(item, error=error)
