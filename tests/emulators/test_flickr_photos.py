"""Listings, search, photo info, sizes, comments and edits of the Flickr emulator via flickrapi."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import pytest
import requests
from flickrapi.exceptions import FlickrError

from photosync.emulators.flickr_testing import admin, anonymous_flickrapi, authorized_flickrapi


def seed(server, **body) -> dict:
    return admin(server.url, "seed", {"accounts": ["testuser"], "albums": 0, **body})


def all_ids(flickr, **kwargs) -> list[str]:
    ids, page = [], 1
    while True:
        photos = flickr.people.getPhotos(user_id="me", page=page, **kwargs)["photos"]
        ids += [p["id"] for p in photos["photo"]]
        if page >= int(photos["pages"]):
            return ids
        page += 1


@pytest.mark.parametrize("count, pages, last_page_size", [(0, 0, 0), (1, 1, 1), (5, 1, 5), (6, 2, 1)])
def test_pagination_edges(flickr_emulator, flickr_client, count, pages, last_page_size):
    seed(flickr_emulator, photos=count)
    flickr = flickr_client()
    first = flickr.people.getPhotos(user_id="me", per_page=5)["photos"]
    assert (first["page"], first["pages"], first["perpage"], int(first["total"])) == (1, pages, 5, count)
    last = flickr.people.getPhotos(user_id="me", per_page=5, page=max(pages, 1))["photos"]
    assert len(last["photo"]) == last_page_size
    beyond = flickr.people.getPhotos(user_id="me", per_page=5, page=pages + 1)["photos"]
    assert beyond["photo"] == [] and beyond["page"] == pages + 1
    assert len(set(all_ids(flickr, per_page=5))) == count


def test_per_page_is_capped_at_500_and_order_is_newest_first(flickr_emulator, flickr_client):
    seed(flickr_emulator, photos=501)
    flickr = flickr_client()
    photos = flickr.people.getPhotos(user_id="me", per_page=1000, extras="date_upload")["photos"]
    assert photos["perpage"] == 500 and photos["pages"] == 2 and len(photos["photo"]) == 500
    uploads = [int(p["dateupload"]) for p in photos["photo"]]
    assert uploads == sorted(uploads, reverse=True)


def test_extras_and_original_only_for_owner(flickr_emulator, flickr_client):
    seed(flickr_emulator, photos=20, public_ratio=1.0)
    extras = "date_upload,date_taken,last_update,original_format,media,tags,machine_tags,url_o,o_dims,description"
    mine = flickr_client().people.getPhotos(user_id="me", extras=extras)["photos"]["photo"][0]
    for key in ("dateupload", "datetaken", "datetakengranularity", "datetakenunknown", "lastupdate",
                "originalsecret", "originalformat", "media", "tags", "machine_tags", "url_o", "width_o"):
        assert key in mine, key
    assert isinstance(mine["dateupload"], str) and isinstance(mine["ispublic"], int)  # Flickr's loose typing
    stranger = authorized_flickrapi(flickr_emulator.url, username="stranger")
    theirs = stranger.people.getPhotos(user_id=mine["owner"], extras=extras)["photos"]["photo"][0]
    assert "url_o" not in theirs and "originalsecret" not in theirs and "datetaken" in theirs
    original = requests.get(mine["url_o"])
    assert original.status_code == 200 and original.headers["Content-Type"] == "image/jpeg"
    assert original.content[:2] == b"\xff\xd8"


def test_api_key_only_sees_public_photos(flickr_emulator):
    seeded = seed(flickr_emulator, photos=40, public_ratio=0.5)
    nsid = seeded["accounts"][0]["user_nsid"]
    state = admin(flickr_emulator.url, "state?hashes=0")
    public = {p["id"] for p in state["photos"] if p["privacy"]["ispublic"]}
    anonymous = anonymous_flickrapi(flickr_emulator.url)
    got = anonymous.people.getPhotos(user_id=nsid, per_page=500)["photos"]
    assert {p["id"] for p in got["photo"]} == public and 0 < len(public) < 40


def test_machine_tag_search_and_tag_edits(flickr_client):
    flickr = flickr_client()
    ids = [flickr.upload(f"p{i}.png", fileobj=_png(i), format="etree").find("photoid").text for i in range(3)]
    flickr.photos.addTags(photo_id=ids[0], tags='photosync:sha256=ABC holiday "new york"')
    flickr.photos.addTags(photo_id=ids[1], tags="photosync:sha256=def")
    info = flickr.photos.getInfo(photo_id=ids[0])["photo"]
    raws = {t["raw"]: t for t in info["tags"]["tag"]}
    assert set(raws) >= {"photosync:sha256=ABC", "holiday", "new york"}
    assert raws["photosync:sha256=ABC"]["machine_tag"] == 1 and raws["new york"]["_content"] == "newyork"

    def search(query, **kw):
        return {p["id"] for p in flickr.photos.search(user_id="me", machine_tags=query, **kw)["photos"]["photo"]}
    assert search("photosync:sha256=abc") == {ids[0]}
    assert search("photosync:sha256=") == {ids[0], ids[1]}
    assert search("photosync:sha256=abc,photosync:sha256=def") == {ids[0], ids[1]}
    assert search("photosync:sha256=abc,photosync:sha256=def", machine_tag_mode="all") == set()
    listed = flickr.people.getPhotos(user_id="me", extras="machine_tags,tags")["photos"]["photo"]
    first = next(p for p in listed if p["id"] == ids[0])
    assert first["machine_tags"] == "photosync:sha256=abc" and "holiday" in first["tags"].split()

    flickr.photos.removeTag(tag_id=raws["holiday"]["id"])
    assert "holiday" not in [t["raw"] for t in flickr.photos.getInfo(photo_id=ids[0])["photo"]["tags"]["tag"]]
    with pytest.raises(FlickrError) as info:
        flickr.photos.removeTag(tag_id=raws["holiday"]["id"])
    assert info.value.code == 1
    flickr.photos.setTags(photo_id=ids[0], tags="only")
    assert [t["raw"] for t in flickr.photos.getInfo(photo_id=ids[0])["photo"]["tags"]["tag"]] == ["only"]
    with pytest.raises(FlickrError) as info:
        flickr.photos.addTags(photo_id=ids[0], tags=" ".join(f"t{i}" for i in range(80)))
    assert info.value.code == 2


def test_meta_dates_and_recently_updated(flickr_client):
    flickr = flickr_client()
    ids = [flickr.upload(f"p{i}.png", fileobj=_png(i), format="etree").find("photoid").text for i in range(3)]
    time.sleep(1.1)
    since = int(time.time())
    flickr.photos.setMeta(photo_id=ids[1], title="New title", description="New words")
    flickr.photos.setDates(photo_id=ids[2], date_taken="2001-02-03 04:05:06", date_taken_granularity=4)
    updated = flickr.photos.recentlyUpdated(min_date=since, extras="last_update")["photos"]
    assert [p["id"] for p in updated["photo"]] and set(p["id"] for p in updated["photo"]) == {ids[1], ids[2]}
    stamps = [int(p["lastupdate"]) for p in updated["photo"]]
    assert stamps == sorted(stamps, reverse=True)
    info = flickr.photos.getInfo(photo_id=ids[2])["photo"]
    assert info["dates"]["taken"] == "2001-02-03 04:05:06" and info["dates"]["takengranularity"] == 4
    assert flickr.photos.getInfo(photo_id=ids[1])["photo"]["title"]["_content"] == "New title"
    for kwargs, code in [({}, 2), ({"date_taken_granularity": 5}, 3), ({"date_posted": "9999999999"}, 4),
                         ({"date_taken": "yesterday-ish"}, 5)]:
        with pytest.raises(FlickrError) as info:
            flickr.photos.setDates(photo_id=ids[0], **kwargs)
        assert info.value.code == code
    with pytest.raises(FlickrError) as info:
        flickr.photos.setMeta(photo_id=ids[0])
    assert info.value.code == 2
    with pytest.raises(FlickrError) as info:
        flickr.photos.recentlyUpdated(min_date="not a date")
    assert info.value.code == 2


def test_get_info_xml_sizes_comments_and_delete(flickr_emulator, flickr_client):
    seed(flickr_emulator, photos=30, comment_ratio=1.0, public_ratio=1.0, video_ratio=0.0)
    flickr = flickr_client(format="etree")
    photo = flickr.people.getPhotos(user_id="me", per_page=1).find("photos/photo")
    info = flickr.photos.getInfo(photo_id=photo.get("id"))
    assert info.get("stat") == "ok" and info.find("photo/dates").get("takenunknown") in ("0", "1")
    assert info.find("photo").get("originalformat") == "jpg"
    labels = [s.get("label") for s in flickr.photos.getSizes(photo_id=photo.get("id")).findall("sizes/size")]
    assert labels[0] == "Square" and labels[-1] == "Original"
    stranger = authorized_flickrapi(flickr_emulator.url, username="stranger", format="etree")
    their_labels = [s.get("label") for s in stranger.photos.getSizes(photo_id=photo.get("id")).findall("sizes/size")]
    assert "Original" not in their_labels and "Square" in their_labels
    square = next(s for s in stranger.photos.getSizes(photo_id=photo.get("id")).findall("sizes/size")
                  if s.get("label") == "Square")
    assert requests.get(square.get("source")).content[:2] == b"\xff\xd8"
    comments = flickr.photos.comments.getList(photo_id=photo.get("id")).findall("comments/comment")
    assert comments and comments[0].text and comments[0].get("datecreate").isdigit()
    flickr.photos.delete(photo_id=photo.get("id"))
    with pytest.raises(FlickrError) as error:
        flickr.photos.getInfo(photo_id=photo.get("id"))
    assert error.value.code == 1
    raw = ET.fromstring(flickr.flickr_oauth.do_request(flickr.REST_URL, {"method": "flickr.photos.getInfo",
                                                                         "photo_id": "1"}))
    assert raw.get("stat") == "fail" and raw.find("err").get("msg") == "Photo not found."  # the reflection file's words


def test_people_methods_and_not_in_set(flickr_emulator, flickr_client):
    seeded = admin(flickr_emulator.url, "seed", {"accounts": ["alice"], "photos": 30, "albums": 2})
    flickr = flickr_client(username="alice")
    nsid = seeded["accounts"][0]["user_nsid"]
    assert flickr.people.findByUsername(username="alice")["user"]["nsid"] == nsid
    assert flickr.people.getInfo(user_id=nsid)["person"]["photos"]["count"]["_content"] == 30
    with pytest.raises(FlickrError) as error:
        flickr.people.findByUsername(username="nobody")
    assert error.value.code == 1
    in_sets = {p for s in admin(flickr_emulator.url, "state?hashes=0")["photosets"] for p in s["photos"]}
    not_in = {p["id"] for p in flickr.photos.getNotInSet(per_page=500)["photos"]["photo"]}
    assert not_in and not (not_in & in_sets) and len(not_in | in_sets) == 30


def _png(seed):
    import io
    from photosync.emulators.images import make_image
    return io.BytesIO(make_image(f"photos-{seed}", 24, 16, "png"))


def test_seeded_photos_are_camera_sized_so_the_largest_size_is_the_original(flickr_emulator,
                                                                            flickr_client):
    seed(flickr_emulator, photos=3, video_ratio=0)
    flickr = flickr_client()
    photo = flickr.people.getPhotos(user_id="me", extras="o_dims")["photos"]["photo"][0]
    sizes = flickr.photos.getSizes(photo_id=photo["id"])["sizes"]["size"]
    largest = max(sizes, key=lambda s: int(s["width"]) * int(s["height"]))
    assert largest["label"] == "Original" and int(photo["o_width"]) >= 2048
    data = requests.get(largest["source"], timeout=10).content
    from wand.image import Image
    with Image(blob=data) as img:
        assert (img.width, img.height) == (int(largest["width"]), int(largest["height"]))
    squares = {s["label"]: int(s["width"]) for s in sizes if s["label"].endswith("Square")}
    assert squares == {"Square": 75, "Large Square": 150}


def test_get_exif_reads_the_files_tags(flickr_emulator, flickr_client):
    seed(flickr_emulator, photos=4, video_ratio=0, unknown_date_ratio=0)
    flickr = flickr_client()
    photo = flickr.people.getPhotos(user_id="me", extras="date_taken")["photos"]["photo"][0]
    exif = flickr.photos.getExif(photo_id=photo["id"])["photo"]
    tags = {t["tag"]: t for t in exif["exif"]}
    taken = tags["DateTimeOriginal"]
    assert taken["raw"]["_content"] == photo["datetaken"].replace("-", ":")
    assert (taken["tagspace"], taken["label"]) == ("ExifIFD", "Date and Time (Original)")
    assert exif["id"] == photo["id"] and "ExifOffset" not in tags
    with pytest.raises(FlickrError) as caught:
        anonymous_flickrapi(flickr_emulator.url).photos.getExif(photo_id="1")
    assert caught.value.code == 1
