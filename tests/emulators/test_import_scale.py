"""``POST /_admin/import`` at scale: a page deep into a big listing costs what a page of a small
one does (issue 20 lists 1,000,000 photos in 2,000 pages: a page that scans every photo would
make that hours), and the change feeds answer a no-op without reading every photo. Timed with
the real clients; medians of several calls, bounds with a wide margin for a loaded machine."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from photosync.emulators import admin

BIG, SMALL = 40_000, 200
FLICKR_BIG = 150_000  # Flickr's old page cost per photo was small: more photos to tell


def photos(count: int, albums: int) -> list[dict[str, Any]]:
    return [{"name": f"IMG_{n:06d}.jpg", "album": f"Album {n % albums:03d}",
             "taken": f"2010-01-01T{n % 24:02d}:00:00", "signature": f"{n:064x}",
             "md5": f"{n:032x}", "size": 1000 + n} for n in range(count)]


def median_seconds(call: Callable[[int], Any], pages: range) -> float:
    call(pages[0])  # the first call after a change may sort once
    times = []
    for page in pages:
        began = time.perf_counter()
        call(page)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def test_flickr_pages_and_change_feed_do_not_scan_every_photo(flickr_emulator,
                                                              flickr_client) -> None:
    url = flickr_emulator.url
    assert admin(url, "import", {"account": "big", "photos": photos(FLICKR_BIG, 100)}) == \
        {"imported": FLICKR_BIG, "albums": 100}
    admin(url, "import", {"account": "small", "photos": photos(SMALL, 2)})
    big, small = flickr_client(username="big"), flickr_client(username="small")
    newest = int(time.time())

    def page_of(api: Any) -> Callable[[int], Any]:
        return lambda page: api.people.getPhotos(user_id="me", per_page=10, page=page,
                                                 max_upload_date=newest)

    deep = median_seconds(page_of(big), range(3000, 3015))
    shallow = median_seconds(page_of(small), range(1, 16))
    assert deep < 2 * shallow + 0.002, (deep, shallow)
    answer = big.people.getPhotos(user_id="me", per_page=10, page=3000, max_upload_date=newest)
    assert int(answer["photos"]["total"]) == FLICKR_BIG and len(answer["photos"]["photo"]) == 10

    def quiet(api: Any) -> Callable[[int], Any]:
        return lambda _: api.photos.recentlyUpdated(min_date=newest + 10, per_page=500)

    busy, calm = median_seconds(quiet(big), range(15)), median_seconds(quiet(small), range(15))
    assert busy < 2 * calm + 0.002, (busy, calm)


def test_drive_pages_of_a_folder_query_do_not_scan_every_file(drive_emulator,
                                                              drive_service) -> None:
    url = drive_emulator.url
    admin(url, "import", {"photos": photos(BIG, 100)})
    admin(url, "import", {"account": "small@example.com", "photos": photos(SMALL, 2)})
    big, small = drive_service(), drive_service(account="small@example.com")

    def pages_of(service: Any) -> Callable[[int], Any]:
        folders = service.files().list(
            q="mimeType = 'application/vnd.google-apps.folder' and name contains 'Album'",
            pageSize=1000).execute()["files"]
        query = " or ".join(f"'{f['id']}' in parents" for f in folders[:40])
        tokens: list[str | None] = [None]
        for _ in range(16):
            answer = service.files().list(q=f"({query}) and trashed = false", pageSize=10,
                                          pageToken=tokens[-1]).execute()
            tokens.append(answer.get("nextPageToken"))
        return lambda n: service.files().list(q=f"({query}) and trashed = false", pageSize=10,
                                              pageToken=tokens[n]).execute()

    deep = median_seconds(pages_of(big), range(1, 16))
    shallow = median_seconds(pages_of(small), range(1, 16))
    assert deep < 3 * shallow + 0.005, (deep, shallow)
