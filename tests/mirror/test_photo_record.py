"""Listing records as Flickr sends them to a visitor: which file the mirror fetches."""

from __future__ import annotations

from photosync.mirror.photo import EXTRAS, from_record

STATIC = "https://live.staticflickr.com/65535"


def visitor_record(**extra: object) -> dict:
    """A people.getPhotos record for a visitor of an owner who disallows downloads: no
    originalsecret/originalformat/url_o; Flickr's loose types (strings for numbers)."""
    return {"id": "52000000001", "owner": "12345678@N00", "secret": "abc123", "server": "65535",
            "farm": 66, "title": "Dunes", "ispublic": 1, "isfriend": 0, "isfamily": 0,
            "dateupload": "1700000000", "lastupdate": "1700000100", "datetaken": "2023-05-01 10:00:00",
            "datetakengranularity": "0", "datetakenunknown": "0", "media": "photo",
            "url_k": f"{STATIC}/52000000001_def456_k.jpg", "width_k": "2048", "height_k": "1365",
            "url_h": f"{STATIC}/52000000001_def456_h.jpg", "width_h": "1600", "height_h": 1067,
            **extra}


def test_a_visitor_gets_the_largest_listed_size_up_to_6k():
    assert "url_6k" in EXTRAS.split(",") and "url_3k" in EXTRAS.split(",")
    photo = from_record(visitor_record(url_6k=f"{STATIC}/52000000001_xyz_6k.jpg", width_6k="6144",
                                       height_6k="4096", url_3k=f"{STATIC}/52000000001_xyz_3k.jpg",
                                       width_3k=3072, height_3k=2048))
    assert photo.url.endswith("_6k.jpg") and (photo.width, photo.height) == (6144, 4096)
    # not the original: a preview, named and marked so (issue 17)
    assert photo.name == "52000000001.preview.jpg" and photo.version == "abc123"
    assert photo.preview and photo.size == "X-Large 6K"


def test_the_original_wins_when_the_owner_allows_it():
    photo = from_record(visitor_record(originalsecret="0123abcd", originalformat="png",
                                       url_o=f"{STATIC}/52000000001_0123abcd_o.png",
                                       width_o="4000", height_o="3000",
                                       url_6k=f"{STATIC}/52000000001_xyz_6k.jpg", width_6k=6144,
                                       height_6k=4096))
    assert photo.url.endswith("_o.png") and photo.name == "52000000001.png"
    assert not photo.preview and photo.size == "Original"
    assert photo.version == "0123abcd"


def test_a_video_is_never_its_poster_frame():
    photo = from_record(visitor_record(media="video", url_o=f"{STATIC}/52000000001_0123abcd_o.jpg"))
    assert photo.url is None and photo.name == "52000000001.preview.mp4"  # getSizes names it


def test_a_free_accounts_photo_listed_to_its_owner_is_a_1024_px_preview():
    """Since 2025-05-15 Flickr lists a free account's photo to its owner with no original and
    nothing above 1024 px (the emulator's model): the mirror keeps Large, marked a preview."""
    photo = from_record(visitor_record(url_k=None, url_h=None, url_l=f"{STATIC}/52000000001_abc123_b.jpg",
                                       width_l="1024", height_l="683"))
    assert photo.url.endswith("_b.jpg") and photo.preview and photo.size == "Large"
    assert photo.name == "52000000001.preview.jpg" and (photo.width, photo.height) == (1024, 683)
