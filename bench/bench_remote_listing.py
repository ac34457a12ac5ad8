"""Listing a 20,000-photo emulated account: API calls used against the issue's bound.

Target (issue 5): Flickr lists in ceil(N/500) + at most 2 calls, Drive in ceil(N/1000) + at most 2,
counted by the emulator's ``/_admin/calls``. Album membership is counted too and printed apart:
on Flickr it is not a photo extra, so it costs photosets.getList plus photosets.getPhotos per 500
members of each set (only changed sets are re-read on later listings).

Each remote is one entry of ``REMOTES``: a function ``(photos) -> dict`` of figures. To add Drive,
write ``drive(photos)`` like ``flickr`` and add it to the table.
"""

from __future__ import annotations

import argparse
import math
import time

from photosync.emulators import start
from photosync.emulators.flickr_testing import admin
from photosync.remotes.base import list_all


def flickr(photos: int) -> dict:
    from photosync.remotes.flickr import FlickrRemote

    server = start("flickr", rate_limit=0)
    try:
        seeded = admin(server.url, "seed", {"photos": photos, "albums": 5})
        minted = admin(server.url, "token", {"username": "testuser", "perms": "delete"})
        remote = FlickrRemote(minted["api_key"], minted["api_secret"], minted["oauth_token"],
                              minted["oauth_token_secret"], server.url)
        start_calls = admin(server.url, "calls")["methods"]
        began = time.perf_counter()
        listing = list_all(remote)
        seconds = time.perf_counter() - began
        calls = {k: v - start_calls.get(k, 0) for k, v in admin(server.url, "calls")["methods"].items()}
        albums = calls.get("flickr.photosets.getList", 0) + calls.get("flickr.photosets.getPhotos", 0)
        second_start = admin(server.url, "calls")["total"]
        list_all(remote)
        again = admin(server.url, "calls")["total"] - second_start
        return {"items": len(listing.items), "expected": seeded["photos"], "seconds": seconds,
                "photo_calls": sum(calls.values()) - albums, "album_calls": albums,
                "total_calls": sum(calls.values()), "bound": math.ceil(photos / 500) + 2,
                "second_listing_calls": again}
    finally:
        server.stop()


from drive_bench import drive_listing  # noqa: E402  (bench/ is on sys.path when run as a script)

REMOTES = {"flickr": flickr, "drive": drive_listing}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=20000)
    parser.add_argument("remotes", nargs="*", default=list(REMOTES))
    args = parser.parse_args()
    for name in args.remotes:
        r = REMOTES[name](args.photos)
        print(f"{name}: listed {r['items']}/{r['expected']} items in {r['seconds']:.1f} s")
        print(f"  calls without albums: {r['photo_calls']} (bound {r['bound']}, "
              f"ratio {r['photo_calls'] / r['bound']:.2f}) "
              f"{'OK' if r['photo_calls'] <= r['bound'] else 'OVER'}")
        print(f"  calls with album membership: {r['total_calls']} (album calls {r['album_calls']}) "
              f"{'OK' if r['total_calls'] <= r['bound'] else 'OVER the bound'}")
        print(f"  a second listing (album index reused): {r['second_listing_calls']} calls")


if __name__ == "__main__":
    main()
