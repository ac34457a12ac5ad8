"""Walking a photostream page by page: newest first (LIFO), oldest first (FIFO), or what changed.

``people.getPhotos`` lists newest upload first and numbers its pages from the top, so an upload
or a deletion during a long walk shifts every later photo by one: a plain page walk can skip a
photo that slid onto a page already read. Hence:

- LIFO walks *keyset* pages (``max_upload_date`` = the oldest upload seen, the photos already
  seen at that second dropped): shifts cannot skip anything (``remotes.flickr_feed.ListToken``).
- FIFO has no keyset form (the API cannot list oldest first), so it walks page numbers from the
  last to the first and watches for shifts: every answer's ``total`` and the newest photo at the
  start and at the end. If the stream changed meanwhile, a keyset LIFO pass follows, in which the
  pages already complete cost one call each and no download.
- Incremental runs (the owner only) read ``photos.recentlyUpdated`` since the last run's
  watermark: new uploads and changed photos, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from photosync.mirror.source import FlickrSource
from photosync.remotes.flickr_feed import ListToken
from photosync.remotes.flickr_items import as_int, as_text, item_from_record


@dataclass
class Page:
    """Listing records in the order to process them; ``total`` is the stream's size as Flickr
    reported it on the walk's first page (None on later pages)."""

    records: list[dict[str, Any]]
    total: int | None = None


def _last(box: dict[str, Any], records: list[Any], page: int, page_size: int) -> bool:
    pages = as_int(box.get("pages"), -1)
    return len(records) < page_size or (pages >= 0 and page >= pages)


def walk_lifo(source: FlickrSource, nsid: str) -> Iterator[Page]:
    """Newest first, keyset pages: nothing is skipped when the stream changes meanwhile."""
    token = ListToken(0)
    first = True
    while True:
        records, box = source.photos_page(nsid, token.page, max_upload_date=token.before)
        items = [item_from_record(r) for r in records]
        fresh = {i.id for i in token.fresh(items)}
        yield Page([r for r in records if as_text(r.get("id")) in fresh],
                   as_int(box.get("total")) if first else None)
        first = False
        if not records or _last(box, records, token.page, source.page_size):
            return
        token = token.next(items)


def walk_fifo(source: FlickrSource, nsid: str) -> Iterator[Page]:
    """Oldest first: page numbers from the last to the first, then a keyset pass if it moved."""
    probe, box = source.photos_page(nsid, 1, per_page=1)
    total = as_int(box.get("total"))
    newest = as_text(probe[0].get("id")) if probe else ""
    pages = -(-total // source.page_size)
    moved = False
    for number in range(pages, 0, -1):
        records, box = source.photos_page(nsid, number)
        moved = moved or as_int(box.get("total")) != total
        if number == 1:
            moved = moved or (as_text(records[0].get("id")) if records else "") != newest
        yield Page(list(reversed(records)), total if number == pages else None)
    if moved:
        yield from (Page(p.records) for p in walk_lifo(source, nsid))


def walk_changes(source: FlickrSource, since: int) -> Iterator[Page]:
    """What changed or arrived at or after ``since`` (newest change first)."""
    number = 1
    while True:
        records, box = source.recently_updated(since, number)
        yield Page(records, as_int(box.get("total")) if number == 1 else None)
        if not records or _last(box, records, number, source.page_size):
            return
        number += 1
