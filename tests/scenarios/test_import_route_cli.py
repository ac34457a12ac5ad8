"""``POST /_admin/import`` on both emulators: imported photos look exactly like photosync's own
uploads, so a real ``photosync sync`` over a library holding those photos pairs them by signature
and plans no upload and no download (and, for the albums made as photosync makes them, nothing)."""

from __future__ import annotations

import urllib.error
from datetime import datetime

import pytest

from photosync.emulators import admin
from photosync.state.db import open_db
from photosync.state.index import present_files
from tests.scenarios.conftest import World, busy, count


def _library(world: World) -> list[dict]:
    """Real photos in two albums and the root, indexed by photosync's own scan; the import body's
    photos with their signatures, MD5s and sizes."""
    world.photo("2001/Trips/IMG_0001.jpg", 1, datetime(2001, 1, 1, 10))
    world.photo("2001/Trips/IMG_0002.jpg", 2, datetime(2001, 1, 2, 10))
    world.photo("2002/Home/b.jpg", 3, datetime(2002, 5, 1, 9))
    world.photo("loose.jpg", 4, datetime(2003, 7, 1, 8))
    assert world.run("scan").returncode == 0
    conn = open_db(world.state)
    try:
        files = present_files(conn)
    finally:
        conn.close()
    assert len(files) == 4 and all(f.signature and f.md5 for f in files)
    return [{"name": f.path.rpartition("/")[2], "album": f.album,
             "taken": f.date_taken.isoformat() if f.date_taken else None,
             "signature": f.signature, "md5": f.md5, "size": f.size} for f in files]


def test_a_sync_over_imported_photos_uploads_and_downloads_nothing(world: World) -> None:
    photos = _library(world)
    assert admin(world.flickr_url, "import", {"photos": photos}) == {"imported": 4, "albums": 2}
    assert admin(world.drive_url, "import", {"photos": photos}) == {"imported": 4, "albums": 2}

    doc = world.sync()

    for remote in ("flickr", "drive"):
        assert count(doc, remote, "upload") == 0, doc["summary"]
        assert count(doc, remote, "download") == 0, doc["summary"]
    assert busy(doc) == [], busy(doc)  # no album to make, fill or reorder either
    said = sorted(m["message"] for m in doc["messages"])  # paired by tag before planning
    assert doc["actions"] == [] and said == [
        f"4 photo(s) already on {label} matched by signature tag and paired: nothing to transfer"
        for label in ("Flickr", "Google Drive")]
    assert busy(world.sync()) == []
    assert len(world.flickr_photos()) == 4 and len(world.drive_photos()) == 4
    assert sorted(s["title"] for s in world.flickr_sets()) == ["2001/Trips", "2002/Home"]
    assert world.local() == ["2001/Trips/IMG_0001.jpg", "2001/Trips/IMG_0002.jpg",
                             "2002/Home/b.jpg", "loose.jpg"]


def test_an_import_body_without_a_signature_is_refused_whole(world: World) -> None:
    bad = {"photos": [{"name": "a.jpg", "signature": "ab" * 32, "md5": "0" * 32, "size": 1},
                      {"name": "b.jpg", "md5": "0" * 32, "size": 1}]}
    for url in (world.flickr_url, world.drive_url):
        with pytest.raises(urllib.error.HTTPError) as refused:
            admin(url, "import", bad)
        assert refused.value.code == 400 and b"photos[1]" in refused.value.read()
    assert world.flickr_photos() == [] and world.drive_photos() == []
