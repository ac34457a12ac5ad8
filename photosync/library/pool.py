"""Decode files on every core, in worker processes, with a bounded number in flight.

Processes, not threads: Wand holds the GIL while ImageMagick decodes. Workers start only when the
first file needs reading (a rescan where nothing changed starts none). A worker that dies (an
ImageMagick crash on a hostile file) takes its in-flight files with it: each of those is retried
once, alone in a fresh pool, and recorded as failed if it kills that one too.

multiprocessing and concurrent.futures are imported when the first file is read: a rescan that
reads nothing does without them (10 ms of every ``photosync scan``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from photosync.library.decode import decode_file, init_worker
from photosync.library.outcome import Decoded

if TYPE_CHECKING:
    import multiprocessing.context
    from concurrent.futures import Future, ProcessPoolExecutor

Finished = tuple[Any, Decoded]  # (the caller's tag, the result)


def default_workers() -> int:
    """Every core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _context() -> multiprocessing.context.BaseContext:
    """forkserver: workers never inherit a parent's running ImageMagick/OpenMP threads (a fork
    of such a parent can deadlock); the server preloads ImageMagick so each worker starts warm."""
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["photosync.library.magick"])
    return context


class DecodePool:
    """``submit(tag, path, media)`` files; finished ones come back from submit/finish."""

    def __init__(self, workers: int | None = None, window_per_worker: int = 4,
                 function: Callable[[str, str], Decoded] = decode_file):
        self.function = function  # module-level, so worker processes can import it
        self.workers = workers or default_workers()
        self.window = self.workers * window_per_worker
        self.submitted = 0  # files handed to a worker (each is read exactly once when it works)
        self.completed = 0  # results handed back
        self._executor: ProcessPoolExecutor | None = None
        self._inflight: dict[Future[Decoded], tuple[Any, str, str]] = {}
        self._crashed: list[tuple[Any, str, str]] = []

    def submit(self, tag: Any, path: str, media: str) -> list[Finished]:
        """Queue one file; returns the files finished so far (waits while the window is full)."""
        finished = self._collect(block=len(self._inflight) >= self.window)
        self._start(tag, path, media)
        return finished

    def finish(self) -> Iterator[Finished]:
        """Every remaining result, as it completes."""
        while self._inflight:
            yield from self._collect(block=True)
        for tag, path, media in self._crashed:
            self.completed += 1
            yield tag, self._run_alone(path, media)
        self._crashed = []

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> DecodePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pool(self) -> ProcessPoolExecutor:
        from concurrent.futures import ProcessPoolExecutor

        if self._executor is None:
            self._executor = ProcessPoolExecutor(self.workers, mp_context=_context(),
                                                 initializer=init_worker)
        return self._executor

    def _start(self, tag: Any, path: str, media: str) -> None:
        from concurrent.futures.process import BrokenProcessPool

        try:
            future = self._pool().submit(self.function, path, media)
        except BrokenProcessPool:
            self._reset()
            future = self._pool().submit(self.function, path, media)
        self._inflight[future] = (tag, path, media)
        self.submitted += 1

    def _collect(self, block: bool) -> list[Finished]:
        if not self._inflight:
            return []
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        if block:
            done, _ = wait(list(self._inflight), return_when=FIRST_COMPLETED)
        else:
            done = {f for f in self._inflight if f.done()}
        finished: list[Finished] = []
        broken = False
        for future in done:
            tag, path, media = self._inflight.pop(future)
            try:
                finished.append((tag, future.result()))
                self.completed += 1
            except BrokenProcessPool:
                self._crashed.append((tag, path, media))
                broken = True
        if broken:
            self._reset()
        return finished

    def _reset(self) -> None:
        """Replace a broken pool; its in-flight files go to the retry-alone list."""
        for future, job in list(self._inflight.items()):
            if future.done() and future.exception() is None:
                continue  # finished before the crash: collected normally later
            self._crashed.append(job)
            del self._inflight[future]
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = None

    def _run_alone(self, path: str, media: str) -> Decoded:
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        with ProcessPoolExecutor(1, mp_context=_context(), initializer=init_worker) as alone:
            try:
                return alone.submit(self.function, path, media).result()
            except BrokenProcessPool:
                return Decoded(path, error="ImageMagick crashed while decoding it")
