"""``photosync scan``: bring the index up to date with the library folder, reading as little as
possible.

A file whose (inode, size, mtime_ns) at the same path is unchanged is never opened (the device
number is updated but not compared: NFS/SMB remounts renumber it). A new path whose (device,
inode, size, mtime_ns) matches a known file is a move or a hard link: its hashes and signature are
copied, not recomputed. Files no longer found are marked gone, never deleted, except below a folder
that could not be read. Every problem is recorded with its reason and the scan goes on.

The walk and the index are both in path order, and merged as they stream: memory does not grow
with the library, and an unchanged file costs one comparison and no write.

One writer (this process) writes in batched transactions; decoding runs in worker processes.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from photosync.config import LibraryConfig
from photosync.library.outcome import Decoded, is_permanent
from photosync.library.pool import DecodePool
from photosync.library.rules import compile_rules
from photosync.library.walk import FileEntry, Problem, Walker
from photosync.state.scans import DATA_COLUMNS, Copy, Counts, IndexedRow, Known, ScanStore


@dataclass(frozen=True)
class Failure:
    path: str
    reason: str


@dataclass
class ScanResult:
    new: int = 0
    changed: int = 0
    moved: int = 0
    gone: int = 0
    unchanged: int = 0
    failed: list[Failure] = field(default_factory=list)
    decoded: int = 0  # files actually read (hashed, and decoded when photos)
    elapsed: float = 0.0
    held: list[str] = field(default_factory=list)  # new/changed files ``hold`` kept for later

    def counts(self) -> dict[str, int | float]:
        """The numbers of :meth:`summary`, for the JSON report's ``scan``."""
        return {"new": self.new, "changed": self.changed, "moved": self.moved, "gone": self.gone,
                "failed": len(self.failed), "unchanged": self.unchanged, "read": self.decoded,
                "seconds": round(self.elapsed, 1)}

    def summary(self) -> str:
        return (f"{self.new} new, {self.changed} changed, {self.moved} moved, {self.gone} gone, "
                f"{len(self.failed)} failed, {self.unchanged} unchanged; {self.decoded} files read "
                f"in {self.elapsed:.1f} s")


@dataclass(frozen=True)
class ScanProgress:
    found: int  # files found by the walk so far
    to_read: int  # of those, files that need reading
    read: int  # files read so far
    walking: bool  # False once the walk is over: to_read is final


ProgressFn = Callable[[ScanProgress], None]


def scan(conn: sqlite3.Connection, library: LibraryConfig, *, workers: int | None = None,
         progress: ProgressFn | None = None,
         hold: Callable[[FileEntry], bool] | None = None) -> ScanResult:
    """Scan ``library.root`` into the index in ``conn``; see the module docstring.

    ``hold(entry)`` is asked before a new or changed file is read: True leaves it untouched for a
    later scan (its old row stays as it was; a new file is not recorded). The watch daemon holds
    files that are still being written.
    """
    scanner = _Scanner(conn, library, workers, progress)
    scanner.hold = hold
    return scanner.run()


class _Scanner:
    def __init__(self, conn: sqlite3.Connection, library: LibraryConfig, workers: int | None,
                 progress: ProgressFn | None):
        self.library = library
        self.rules = compile_rules(library)
        self.workers = workers or library.workers or None
        self.progress = progress
        self.result = ScanResult()
        self.store = ScanStore(conn, time.time())
        # Rows the walk has passed without finding their file: path -> id. Gone, moved away,
        # below a folder that could not be read, or a path that is now a problem.
        self.unseen: dict[str, int] = {}
        self.problems: list[Problem] = []  # file problems: their rows (if any) become failed
        self.bad: dict[str, Known] = {}  # failed rows not yet seen
        self.recheck_albums = False  # the album rules changed: every album is compared
        # Rows whose path now holds another inode: an in-place save (changed), unless the old inode
        # turns up at another path (a move; the new file at the old path is then new).
        self.replaced: set[int] = set()
        self.moved_away: set[int] = set()
        self.deferred: list[tuple[tuple[FileEntry, Known | None], Decoded]] | None = []
        self.adopt: list[tuple[FileEntry, list[Copy]]] = []
        self.blocked: list[str] = []  # folders that could not be read
        self.found = self.to_read = 0
        self.last_progress = 0.0
        self.any_hashed = False  # a first scan need not look for moved files
        self.hold: Callable[[FileEntry], bool] | None = None
        self.decoder: tuple[int, int | None] | None = None  # (IM major, quantum) of this run

    def run(self) -> ScanResult:
        started = time.monotonic()
        self._load_known()
        scan_id = self.store.start(str(self.library.root), self._album_rules())
        try:
            with DecodePool(self.workers) as pool:
                self.pool = pool
                self._walk()
                self._report(walking=False, force=True)
                self._resolve_adoptions()
                deferred, self.deferred = self.deferred or [], None
                for tag, decoded in deferred:
                    self._record(tag, decoded)
                for tag, decoded in pool.finish():
                    self._record(tag, decoded)
                self._recompute_stale_signatures()
                self.result.decoded = pool.submitted
            self._mark_gone()  # only after a complete walk
        finally:
            self.store.flush()  # interrupted or not, what was read is kept
        self.result.elapsed = time.monotonic() - started
        self.result.failed.sort(key=lambda f: f.path)
        self._finish_scan(scan_id)
        self._report(walking=False, force=True)
        return self.result

    def _album_rules(self) -> str:
        """What albums depend on besides the path; when it changes, every album is rechecked."""
        r = self.rules
        return json.dumps([[p.pattern for p in r.exclude_in_title], r.album_separator,
                           r.root_album])

    def _load_known(self) -> None:
        self.bad = self.store.failed()
        self.any_hashed = self.store.any_hashed()
        self.recheck_albums = self.store.last_album_rules() != self._album_rules()

    def _walk(self) -> None:
        """Merge the walk with the index, both in path order: a row whose path the walk has gone
        past without finding it is unseen."""
        walker = Walker(str(self.library.root), self.rules,
                        self.library.follow_symlinks_outside_root)
        self._merge(walker, self.store.indexed(self.recheck_albums))
        for problem in self.problems:
            file_id = self.unseen.pop(problem.path, None)
            if file_id is not None:
                self.store.mark_failed(file_id, problem.reason)
        self.problems = []

    def _merge(self, walker: Walker, rows: Iterator[IndexedRow]) -> None:
        # The loop every file of the library goes through: kept inline, on local names.
        unseen, bad, recheck_albums = self.unseen, self.bad, self.recheck_albums
        fetch = partial(next, rows, None)
        row = fetch()
        entry = walker.entry
        for listing in walker.batches():
            # These files are found before any of them is read.
            self.found += len(listing.files) + len(listing.problems)
            for problem in listing.problems:
                self._problem(problem)
            album, unchanged = listing.album, 0
            for found in listing.files:
                path, size, mtime_ns, dev, inode, _ = found
                while row is not None and row[0] < path:
                    unseen[row[0]] = row[1]
                    row = fetch()
                if row is None or row[0] != path:
                    self._not_known(entry(found, album))
                    continue
                _, file_id, was_size, was_mtime_ns, was_inode, was_dev, was_album = row
                if bad and path in bad:
                    self._failed_before(entry(found, album), bad.pop(path))
                elif was_size == size and was_mtime_ns == mtime_ns and was_inode == inode:
                    unchanged += 1
                    if was_dev != dev or (recheck_albums and was_album != album):
                        self._touch(file_id, album, dev)
                else:
                    if was_inode != inode:
                        self.replaced.add(file_id)
                    self._read(entry(found, album), Known(file_id, was_size, was_mtime_ns,
                                                          was_inode, was_dev, "present", None))
                row = fetch()
            self.result.unchanged += unchanged
            self._report(walking=True)
        while row is not None:
            unseen[row[0]] = row[1]
            row = fetch()

    def _not_known(self, item: FileEntry) -> None:
        """A path without a row: new, or a known file moved or linked here."""
        candidates = self._same_file(item) if self.any_hashed else []
        if candidates:
            self.adopt.append((item, candidates))
        else:
            self._read(item, None)

    def _failed_before(self, item: FileEntry, known: Known) -> None:
        """A path whose file failed in an earlier scan: read again unless it is the same file and
        its failure is permanent (then reported again, not re-read)."""
        if (known.size, known.mtime_ns, known.inode) == (item.size, item.mtime_ns, item.inode) \
                and is_permanent(known.error):
            self.result.failed.append(Failure(item.path, known.error or ""))
        else:
            self._read(item, known)

    def _problem(self, problem: Problem) -> None:
        """Reported now; a row at its path is marked failed once the walk is over."""
        self.result.failed.append(Failure(problem.path, problem.reason))
        if problem.folder:
            self.blocked.append(problem.path)
        self.problems.append(problem)

    def _touch(self, file_id: int, album: str | None, dev: int) -> None:
        """An unchanged file whose album (rules changed) or device number (remount) did."""
        self.store.touch(file_id, album, dev)

    def _same_file(self, item: FileEntry) -> list[Copy]:
        """Known rows with hashes for the same file: same inode, size and mtime (a move/link)."""
        rows = self.store.copies(item.inode, item.size, item.mtime_ns)
        return [r for r in rows if r.dev == item.dev or r.path == item.path]

    def _read(self, item: FileEntry, known: Known | None) -> None:
        if self.hold is not None and self.hold(item):
            self.result.held.append(item.path)
            return
        self.to_read += 1
        for tag, decoded in self.pool.submit((item, known), item.abs_path, item.media):
            self._record(tag, decoded)

    def _record(self, tag: tuple[FileEntry, Known | None], decoded: Decoded) -> None:
        item, known = tag
        if known is not None and known.id in self.replaced:
            if self.deferred is not None:  # moves are not resolved yet
                self.deferred.append((tag, decoded))
                return
            if known.id in self.moved_away:
                known = None  # its file moved elsewhere: this one is new
        if decoded.signature_im_version is not None:
            self.decoder = (decoded.signature_im_version, decoded.signature_quantum)
        if decoded.error:
            self._failed(item, known, decoded.error)
        elif known is None:
            self.result.new += 1
            self.store.insert(item.path, [getattr(decoded, c) for c in DATA_COLUMNS], item.album)
        else:
            if known.status == "present":
                self.result.changed += 1
            else:
                self.result.new += 1
            self.store.update(known.id, [getattr(decoded, c) for c in DATA_COLUMNS], item.album)
        self._report(walking=True)

    def _failed(self, item: FileEntry, known: Known | None, reason: str) -> None:
        self.result.failed.append(Failure(item.path, reason))
        if known is not None:
            self.store.mark_failed(known.id, reason)
        else:
            self.store.insert_failed(item.path, item.size, item.mtime_ns, item.dev, item.inode,
                                     item.media, item.album, reason)

    def _resolve_adoptions(self) -> None:
        """New paths that are known files: moves take the old row along, links copy it."""
        used: set[int] = set()
        for item, candidates in self.adopt:
            source = self._adoption_source([c for c in candidates if c.id not in used])
            if source is None:
                self.result.new += 1
                values = [item.size, item.mtime_ns, item.dev, item.inode, *candidates[0].hashes]
                self.store.insert(item.path, values, item.album)
                continue
            used.add(source.id)
            if source.id in self.replaced:
                self.moved_away.add(source.id)
            self.unseen.pop(source.path, None)
            if source.status == "gone" and source.path == item.path:
                self.result.new += 1  # it came back where it was
            else:
                self.result.moved += 1
            self.store.adopt(source.id, item.path, item.album, item.dev)
        self.adopt = []

    def _adoption_source(self, fresh: list[Copy]) -> Copy | None:
        """The row a new path takes over: a present file moved or replaced, else a gone one."""
        return next((c for c in fresh if c.status == "present" and (
            c.path in self.unseen or c.id in self.replaced)), None) or next(
            (c for c in fresh if c.status == "gone"), None)

    def _recompute_stale_signatures(self) -> None:
        """Signatures from another ImageMagick (major version or quantum depth) are not comparable
        with this one's: once this run has decoded something and so knows its ImageMagick, every
        other present photo with a signature from elsewhere is read again. (A rescan that decodes
        nothing does not load ImageMagick, and so cannot tell.)"""
        if self.decoder is None:
            return
        root = str(self.library.root)
        for row in self.store.stale_signatures(*self.decoder):
            if row.path in self.unseen:
                continue  # not seen by this walk: it is gone
            item = FileEntry(row.path, os.path.join(root, row.path), row.size, row.mtime_ns,
                             row.dev, row.inode, row.album, "photo")
            self._read(item, Known(row.id, row.size, row.mtime_ns, row.inode, row.dev,
                                   "present", None))
        for tag, decoded in self.pool.finish():
            self._record(tag, decoded)

    def _mark_gone(self) -> None:
        for path, file_id in self.unseen.items():
            if any(path == b or path.startswith(b + "/") for b in self.blocked):
                continue  # below an unreadable folder: unknown, not gone
            self.result.gone += 1
            self.store.mark_gone(file_id)
        self.unseen = {}

    def _finish_scan(self, scan_id: int) -> None:
        r = self.result
        self.store.finish(scan_id, Counts(r.new, r.changed, r.moved, r.gone, len(r.failed),
                                          r.decoded))

    def _report(self, walking: bool, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if not force and now - self.last_progress < 0.1:
            return
        self.last_progress = now
        self.progress(ScanProgress(self.found, self.to_read, self.pool.completed, walking))
