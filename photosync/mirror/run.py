"""``photosync mirror flickr``: the whole run, from "whose stream" to the statistics.

Observe (a page of the listing) -> decide (``work.plan``, per photo, no I/O but a stat) -> act
(downloads and sidecars on ``sync.workers`` threads) -> record (one row per photo, on this
thread, after it succeeded). A page whose photos are all complete costs its one listing call.

Full walk or shortcut: the owner's stream is re-read incrementally (``recentlyUpdated`` since the
watermark of the last complete run) when that run used the same options, had no failures and a
full walk happened within ``sync.full_every_hours``; otherwise every page is listed. Only a full
walk can see deletions, so ``--delete-unknown`` and ``--verify`` always walk; so does a mirror
holding previews (a free account's photos): only a full walk sees the originals once Flickr gives
them (the account went Pro), and it costs one call per 500 photos.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from photosync.atomic import fsync_folder
from photosync.errors import NotFound, UsageError
from photosync.mirror.albums import mirror_albums
from photosync.mirror.layout import Layout
from photosync.mirror.photo import MirrorPhoto, from_record
from photosync.mirror.report import MirrorStats
from photosync.mirror.source import FlickrSource, Stream, Who
from photosync.mirror.stream import Page, walk_changes, walk_fifo, walk_lifo
from photosync.mirror.work import Done, Settings, Task, execute, failure, has_size, plan
from photosync.remotes.flickr_api import server_time
from photosync.remotes.flickr_feed import CURSOR_MARGIN
from photosync.remotes.pool import Outcome, run_pool
from photosync.state.db import open_db
from photosync.state.lock import StateLock
from photosync.state.mirror import MirrorStore, StreamRow

log = logging.getLogger("photosync.mirror")
Progress = Callable[[str, int], Callable[[Any], None]]  # cli.progress.action_progress


@dataclass
class MirrorOptions:
    who: Who
    dest: Path
    fifo: bool = False
    image_only: bool = False
    info_only: bool = False
    info_level: int = 0
    verify: bool = False
    ignore_photos: bool = False
    ignore_videos: bool = False
    delete_unknown: bool = False

    def settings(self) -> Settings:
        return Settings(self.info_level, self.image_only, self.info_only, self.verify)

    def fingerprint(self) -> dict[str, Any]:
        """The options a shortcut run must share with the last complete run."""
        return {"info_level": self.info_level, "image_only": self.image_only,
                "info_only": self.info_only, "ignore_photos": self.ignore_photos,
                "ignore_videos": self.ignore_videos}


def mirror(config: Any, options: MirrorOptions, stats: MirrorStats,
           progress: Progress | None = None) -> MirrorStats:
    """Mirror the named stream into ``options.dest``; fills ``stats`` as it goes (so a caller
    that catches KeyboardInterrupt can still print them)."""
    if options.ignore_photos and options.ignore_videos:
        raise UsageError("--ignore-photos and --ignore-videos together leave nothing to mirror")
    dest = Path(options.dest).expanduser()
    dest.mkdir(parents=True, exist_ok=True)
    source, token = FlickrSource.from_config(config, options.who)
    try:
        with StateLock(dest / ".photosync"), closing(open_db(config.state_dir)) as conn:
            store = MirrorStore(conn, dest)
            _Run(source, store, Layout(dest), options, stats, progress,
                 config.sync.workers, config.sync.full_every_hours).run(token)
    finally:
        stats.api_calls, stats.downloads = source.api_calls, source.downloads
    return stats


class _Run:
    def __init__(self, source: FlickrSource, store: MirrorStore, layout: Layout,
                 options: MirrorOptions, stats: MirrorStats, progress: Progress | None,
                 workers: int, full_every_hours: float):
        self.source, self.store, self.layout = source, store, layout
        self.options, self.stats, self.progress = options, stats, progress
        self.settings = options.settings()
        self.workers = workers
        self.full_every = full_every_hours * 3600
        self.seen: set[str] = set()
        self.tick: Callable[[Any], None] = lambda outcome: None

    def run(self, token: dict[str, Any] | None) -> None:
        cached = self.store.stream()
        stream = self.source.resolve(self.options.who, token, cached)
        if cached is not None and cached.user_nsid != stream.nsid:
            raise UsageError(f"{self.layout.dest} is the mirror of another Flickr account "
                             f"({cached.username or cached.user_nsid}): choose another folder")
        self.layout.clean_partials()
        self.store.start(stream.nsid, stream.username, stream.owner_view)
        lost = self._lost_here()
        full = bool(lost) or not self._shortcut(cached, stream)
        self.stats.mode = "full" if full else "incremental"
        watermark = self._walk(stream, cached, full)
        if full:
            self._unknown()
        mirror_albums(self.source, stream.nsid, self.layout, self.layout.stream_names())
        clean = not self.stats.failed
        self.store.finish(watermark if clean else None, full and clean, self.options.fingerprint())

    def _lost_here(self) -> int:
        """How many recorded files (or sidecars) are missing or cut short in DEST: a stat each,
        no API call. Any: this run walks the whole stream, which fetches them again."""
        need_meta = not self.settings.image_only
        lost = sum(1 for path, size, level in self.store.complete_files()
                   if not has_size(self.layout.dest / path, size)
                   or (need_meta and level is not None
                       and not (self.layout.dest / f"{path}.json").exists()))
        if lost:
            log.warning("%d files are missing or cut short in %s: fetching them again", lost,
                        self.layout.dest)
        return lost

    def _shortcut(self, cached: StreamRow | None, stream: Stream) -> bool:
        import time
        return (stream.owner_view and cached is not None and cached.watermark is not None
                and cached.owner_view and cached.settings == self.options.fingerprint()
                and not self.options.verify and not self.options.delete_unknown
                and not self.store.holds_previews()  # the originals may be given now: look
                and cached.full_walk_at is not None
                and time.time() - cached.full_walk_at < self.full_every)

    def _walk(self, stream: Stream, cached: StreamRow | None, full: bool) -> int:
        """Process every page; return the watermark for the next run (fixed before the first
        page)."""
        self.watermark: int | None = None
        if full:
            walk = walk_fifo if self.options.fifo else walk_lifo
            pages: Iterator[Page] = walk(self.source, stream.nsid)
        else:
            assert cached is not None and cached.watermark is not None
            pages = walk_changes(self.source, cached.watermark)
        failed: list[Exception] = []
        outcomes = run_pool(self._tasks(pages, failed), self._execute, self.workers,
                            salvage=self._record)
        try:
            for outcome in outcomes:
                self._record(outcome)
                self.tick(outcome)
        finally:  # Ctrl-C: what the workers finished is recorded (and counted) before we go
            outcomes.close()
        if self.layout.stream.is_dir():  # the files' renames, once: a lost one is fetched again
            fsync_folder(self.layout.stream)
        if failed and isinstance(failed[0], NotFound):
            raise UsageError(f"Flickr has no user {stream.nsid}") from None
        if failed:
            raise failed[0]
        return self.watermark if self.watermark is not None else int(server_time()) - CURSOR_MARGIN

    def _tasks(self, pages: Iterator[Page], failed: list[Exception]) -> Iterator[Task]:
        """Every page's tasks in walk order, as the pool asks for them: the next page is listed
        while the last downloads of this one run, so no worker waits between pages. A listing
        that fails ends the walk once the tasks in flight are recorded (``failed``)."""
        try:
            for page in pages:
                if self.watermark is None:
                    self.watermark = int(server_time()) - CURSOR_MARGIN
                    if page.total is not None and self.progress is not None:
                        self.tick = self.progress("mirror", page.total)
                yield from self._plan(page.records)
        except Exception as exc:  # noqa: BLE001 - raised again by _walk
            failed.append(exc)

    def _plan(self, records: list[dict[str, Any]]) -> list[Task]:
        """The tasks of one page; its complete photos are counted (no I/O but a stat each)."""
        photos = [from_record(r) for r in records]
        self.seen.update(p.id for p in photos)
        wanted = [p for p in photos if self._wanted(p)]
        self.stats.originals_unavailable += sum(p.preview for p in wanted)
        rows = self.store.photos([p.id for p in wanted])
        planned = (plan(p, rows.get(p.id), self.layout, self.settings) for p in wanted)
        tasks = [t for t in planned if t]
        self.stats.skipped += len(photos) - len(tasks)
        for _ in range(len(photos) - len(tasks)):
            self.tick(Outcome(None))
        return tasks

    def _wanted(self, photo: MirrorPhoto) -> bool:
        if photo.media == "video":
            return not self.options.ignore_videos
        return not self.options.ignore_photos

    def _execute(self, task: Task) -> Done:
        return execute(task, self.source, self.settings)

    def _record(self, outcome: Outcome[Task, Done]) -> None:
        task = outcome.item
        row = task.row
        if outcome.error is not None or outcome.result is None:
            line = failure(task, outcome.error or RuntimeError("no result"))
            log.warning("%s", line)
            self.stats.failed += 1
            self.stats.failures.append(line)
            self.store.record(task.photo, row.path if row else None, row.size if row else None,
                              row.version if row else None, row.info_level if row else None,
                              error=line)
            return
        done = outcome.result
        relative = (done.path.relative_to(self.layout.dest).as_posix()
                    if done.size is not None else None)
        self.store.record(task.photo, relative, done.size, done.version, done.info_level)
        self.stats.bytes += done.downloaded
        if row is None or row.status != "complete":
            self.stats.new += 1
        elif done.repaired:
            self.stats.repaired += 1
        elif done.downloaded or done.wrote_meta or row.last_update != task.photo.last_update:
            self.stats.updated += 1
        else:
            self.stats.skipped += 1  # --verify read it and found it sound

    def _unknown(self) -> None:
        """Photos here but no longer in the stream: marked gone; with --delete-unknown, removed
        (unless the stream listed nothing at all while this mirror holds photos)."""
        known = self.store.known()
        files = self.layout.stream_names()
        unknown = sorted((set(known) | set(files)) - self.seen)
        if not unknown:
            return
        if not self.options.delete_unknown:
            self.store.mark_gone([i for i in unknown if i in known])
            log.info("%d photos are no longer in the stream; kept (--delete-unknown removes them)",
                     len(unknown))
            return
        if not self.seen:
            self.stats.refused = (f"Flickr lists no photos in this stream, but {len(unknown)} are "
                                  f"mirrored here: is it the right account? Nothing deleted.")
            log.error("%s", self.stats.refused)
            return
        for photo_id in unknown:
            name = files.get(photo_id)
            if name:
                for path in (self.layout.stream / name, self.layout.stream / f"{name}.json"):
                    path.unlink(missing_ok=True)
                self.stats.deleted += 1
        self.store.mark_gone([i for i in unknown if i in known])
