"""A free account's photos as clients meet them since 2025-05-15: no Original and no size above
1024 px for anyone, the owner included (getSizes, the url_* extras, getInfo, the file servers),
and everything back once the account goes Pro."""

from __future__ import annotations

import requests

from photosync.emulators.flickr_testing import admin, authorized_flickrapi

EXTRAS = ("original_format,o_dims,media,url_o,url_6k,url_5k,url_4k,url_3k,url_k,url_h,url_l,"
          "url_c,url_z")
BIG = ("url_o", "url_6k", "url_5k", "url_4k", "url_3k", "url_k", "url_h")


def _first_photo(flickr) -> dict:
    photos = flickr.people.getPhotos(user_id="me", extras=EXTRAS)["photos"]["photo"]
    return next(p for p in photos if p["media"] == "photo")


def _kind(server, kind: str) -> None:
    admin(server.url, "account", {"username": "testuser", "kind": kind})


def test_a_free_accounts_photo_offers_nothing_above_1024_px_even_to_its_owner(
        flickr_emulator, flickr_client):
    admin(flickr_emulator.url, "seed", {"accounts": ["testuser"], "photos": 3, "albums": 0,
                                        "video_ratio": 0, "width": 4000, "height": 3000})
    flickr = flickr_client()
    pro = _first_photo(flickr)
    assert all(key in pro for key in ("url_o", "url_k", "url_h", "originalsecret", "o_width"))
    kept_original, kept_2048 = pro["url_o"], pro["url_k"]

    _kind(flickr_emulator, "free")
    free = _first_photo(flickr)
    assert not [key for key in (*BIG, "originalsecret", "originalformat", "o_width") if key in free]
    assert free["url_l"] and int(free["width_l"]) == 1024
    sizes = flickr.photos.getSizes(photo_id=free["id"])["sizes"]
    labels = [s["label"] for s in sizes["size"]]
    assert labels[-1] == "Large" and "Original" not in labels and sizes["candownload"] == 0
    assert max(max(int(s["width"]), int(s["height"])) for s in sizes["size"]) == 1024
    info = flickr.photos.getInfo(photo_id=free["id"])["photo"]
    assert "originalsecret" not in info and info["usage"]["candownload"] == 0

    # The file servers: a URL kept from the Pro days answers as for a file not available (302 to
    # "This photo is no longer available", a picture served with 200); Large 1024 is served.
    for url in (kept_original, kept_2048):
        moved = requests.get(url, allow_redirects=False, timeout=10)
        assert moved.status_code == 302 and moved.headers["Location"].endswith(
            "/pw/images/en-us/photo_unavailable.png")
        placeholder = requests.get(url, timeout=10)
        assert placeholder.status_code == 200 and placeholder.headers["Content-Type"] == "image/png"
    large = requests.get(free["url_l"], timeout=10)
    assert large.status_code == 200 and large.content[:2] == b"\xff\xd8"

    # Another user sees the same (no more than the owner), and Pro again gives it all back.
    stranger = authorized_flickrapi(flickr_emulator.url, username="stranger")
    assert "Large 1600" not in [s["label"] for s in stranger.photos.getSizes(
        photo_id=free["id"])["sizes"]["size"]]
    _kind(flickr_emulator, "pro")
    again = _first_photo(flickr)
    assert again["url_o"] == kept_original and requests.get(kept_original, timeout=10).ok
    assert flickr.photos.getSizes(photo_id=free["id"])["sizes"]["size"][-1]["label"] == "Original"


def test_a_free_accounts_video_has_no_video_original(flickr_emulator, flickr_client):
    admin(flickr_emulator.url, "seed", {"accounts": ["testuser"], "photos": 4, "albums": 0,
                                        "video_ratio": 1.0})
    flickr = flickr_client()
    video = flickr.people.getPhotos(user_id="me", extras="media")["photos"]["photo"][0]
    pro_sizes = flickr.photos.getSizes(photo_id=video["id"])["sizes"]["size"]
    original = next(s["source"] for s in pro_sizes if s["label"] == "Video Original")
    _kind(flickr_emulator, "free")
    labels = [s["label"] for s in flickr.photos.getSizes(photo_id=video["id"])["sizes"]["size"]]
    assert "Video Original" not in labels and "Site MP4" in labels
    moved = requests.get(original, allow_redirects=False, timeout=10)
    assert moved.status_code == 302 and "photo_unavailable" in moved.headers["Location"]
    site = next(s["source"] for s in flickr.photos.getSizes(photo_id=video["id"])["sizes"]["size"]
                if s["label"] == "Site MP4")
    assert requests.get(site, timeout=10).headers["Content-Type"].startswith("video/")
