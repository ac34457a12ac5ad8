"""Photosets and collections of the Flickr emulator via flickrapi."""

from __future__ import annotations

import io

import pytest
from flickrapi.exceptions import FlickrError

from photosync.emulators.flickr_testing import admin
from photosync.emulators.images import make_image


def code_of(call, **kwargs) -> int:
    with pytest.raises(FlickrError) as error:
        call(**kwargs)
    return error.value.code


@pytest.fixture
def owner(flickr_client):
    flickr = flickr_client()
    ids = [flickr.upload(f"{i}.png", fileobj=io.BytesIO(make_image(f"set{i}", 16, 16, "png")),
                         format="etree").find("photoid").text for i in range(4)]
    return flickr, ids


def test_set_lifecycle(flickr_emulator, owner):
    flickr, ids = owner
    first = flickr.photosets.create(title="One", primary_photo_id=ids[0])["photoset"]["id"]
    second = flickr.photosets.create(title="Two", description="d", primary_photo_id=ids[1])["photoset"]["id"]
    listed = flickr.photosets.getList()["photosets"]
    assert [s["id"] for s in listed["photoset"]] == [second, first]  # a new set comes first
    flickr.photosets.addPhoto(photoset_id=first, photo_id=ids[2])
    assert code_of(flickr.photosets.addPhoto, photoset_id=first, photo_id=ids[2]) == 3
    got = flickr.photosets.getPhotos(photoset_id=first)["photoset"]
    assert [p["id"] for p in got["photo"]] == [ids[0], ids[2]] and got["total"] == "2"
    assert [p["isprimary"] for p in got["photo"]] == ["1", "0"]
    flickr.photosets.editPhotos(photoset_id=first, primary_photo_id=ids[3], photo_ids=f"{ids[3]},{ids[0]}")
    got = flickr.photosets.getPhotos(photoset_id=first)["photoset"]
    assert [p["id"] for p in got["photo"]] == [ids[3], ids[0]] and got["primary"] == ids[3]
    assert code_of(flickr.photosets.editPhotos, photoset_id=first, primary_photo_id=ids[1], photo_ids=ids[0]) == 4
    flickr.photosets.editMeta(photoset_id=first, title="Renamed")
    assert admin(flickr_emulator.url, "state")["photosets"][1]["title"] == "Renamed"
    flickr.photosets.removePhoto(photoset_id=first, photo_id=ids[3])
    assert code_of(flickr.photosets.removePhoto, photoset_id=first, photo_id=ids[3]) == 3
    flickr.photosets.removePhoto(photoset_id=first, photo_id=ids[0])  # the last one: the set goes
    assert code_of(flickr.photosets.getPhotos, photoset_id=first) == 1
    flickr.photos.delete(photo_id=ids[1])  # deleting the only photo of "Two" removes it as well
    assert flickr.photosets.getList()["photosets"]["total"] == 0


def test_set_errors_and_other_users(flickr_client, owner):
    flickr, ids = owner
    assert code_of(flickr.photosets.create, title="x", primary_photo_id="999") == 2
    set_id = flickr.photosets.create(title="Mine", primary_photo_id=ids[0])["photoset"]["id"]
    stranger = flickr_client(username="stranger")
    assert code_of(stranger.photosets.addPhoto, photoset_id=set_id, photo_id=ids[1]) == 1
    assert code_of(stranger.photosets.delete, photoset_id=set_id) == 1
    flickr.photosets.delete(photoset_id=set_id)
    assert code_of(flickr.photosets.delete, photoset_id=set_id) == 1


def test_set_paging_and_collections(flickr_emulator, flickr_client):
    admin(flickr_emulator.url, "seed", {"photos": 60, "albums": 4, "public_ratio": 1.0})
    flickr = flickr_client()
    sets = flickr.photosets.getList(per_page=3, page=2)["photosets"]
    assert sets["page"] == 2 and sets["pages"] == 2 and len(sets["photoset"]) == 1 and sets["total"] == 4
    set_id = flickr.photosets.getList()["photosets"]["photoset"][0]["id"]
    total = int(flickr.photosets.getPhotos(photoset_id=set_id)["photoset"]["total"])
    page = flickr.photosets.getPhotos(photoset_id=set_id, per_page=total - 1, page=2)["photoset"]
    assert len(page["photo"]) == 1 and page["pages"] == 2
    tree = flickr.collections.getTree()["collections"]["collection"]
    assert len(tree) == 1 and len(tree[0]["collection"]) == 2
    assert sum(len(c["set"]) for c in tree[0]["collection"]) == 4
    child = tree[0]["collection"][0]["id"]
    assert flickr.collections.getTree(collection_id=child)["collections"]["collection"][0]["id"] == child
    assert code_of(flickr.collections.getTree, collection_id="1-2") == 2
