"""A free Flickr account since 2025-05-15 (issue 17): Flickr gives nobody the originals of its
photos, so photosync never takes a smaller size for the photo. Its Flickr-only photos stay on
Flickr (a note, exit 0, nothing to Drive), previews only when asked, and the originals come once
the account goes Pro. Through the CLI against both emulators."""

from __future__ import annotations

from tests.scenarios.conftest import admin, count

WITHHELD = "Flickr does not let free accounts download originals: kept on Flickr only"


def _account(world, kind: str) -> None:
    admin(world.flickr_url, "account", {"username": "testuser", "kind": kind})


def _seed_flickr(world, photos: int = 3) -> None:
    admin(world.flickr_url, "seed", {"seed": 7, "accounts": ["testuser"], "photos": photos,
                                     "albums": 1, "video_ratio": 0, "collections": False})


def _calls(world) -> dict[str, int]:
    return admin(world.flickr_url, "calls")["methods"]


def test_a_free_accounts_flickr_only_photos_stay_on_flickr_then_come_when_it_goes_pro(world):
    world.photo("2024/Home/mine.jpg", 11)
    _seed_flickr(world)
    _account(world, "free")
    doc = world.sync()  # exit 0: a note, not a failure
    assert count(doc, "flickr", "download") == 0 and doc["errors"] == []
    assert count(doc, "flickr", "upload") == 1 and count(doc, "drive", "upload") == 1
    assert {"remote": "flickr", "message": f"3 photo(s) on Flickr not downloaded: {WITHHELD}"} \
        in doc["messages"]
    skips = [a for a in doc["actions"] if a["reason"] == WITHHELD]
    assert len(skips) == 3 and {a["action"] for a in skips} == {"skip"}
    assert world.local() == ["2024/Home/mine.jpg"] and len(world.drive_photos()) == 1

    before = _calls(world)
    again = world.sync()  # remembered in the listing cache: no getSizes, no file request
    after = _calls(world)
    assert count(again, "flickr", "download") == 0 and again["errors"] == []
    assert after.get("flickr.photos.getSizes", 0) == before.get("flickr.photos.getSizes", 0)
    assert after.get("static", 0) == before.get("static", 0)
    status = world.run("status")
    assert f"3 photo(s) kept on Flickr only: {WITHHELD}" in status.stdout, status.stdout

    _account(world, "pro")
    sizes = _calls(world).get("flickr.photos.getSizes", 0)
    pro = world.sync("--full")  # a full listing re-checks: the originals come, and go to Drive
    assert count(pro, "flickr", "download") == 3 and count(pro, "drive", "upload") == 3
    # each download takes its address from the listed item (the listing cache): no getSizes
    assert _calls(world).get("flickr.photos.getSizes", 0) == sizes
    assert not [a for a in pro["actions"] if a["action"] in ("replace_local", "conflict")]
    assert pro["errors"] == [] and not [m for m in pro["messages"] if WITHHELD in m["message"]]
    assert len(world.local()) == 4 and len(world.drive_photos()) == 4
    assert world.sync()["summary"].get("flickr", {}).get("download", 0) == 0


def test_a_photo_listed_before_the_account_went_free_is_tried_once_then_remembered(world):
    """Listed (cached) while Pro but not downloaded; the account goes free: the one download
    that tries says why and stores nothing (never a smaller size, never Flickr's "photo
    unavailable" picture); from then on the cached listing knows, at no API cost."""
    world.photo("2024/Home/mine.jpg", 13)
    _seed_flickr(world, photos=1)
    world.sync("--direction", "up")
    _account(world, "free")
    tried = world.sync(expect=1)
    assert [e["error"] for e in tried["errors"]] == [f"flickr: {_only_flickr_id(world)}: {WITHHELD}"]
    assert world.local() == ["2024/Home/mine.jpg"] and len(world.drive_photos()) == 1
    before = _calls(world).get("flickr.photos.getSizes", 0)
    doc = world.sync()
    assert doc["errors"] == [] and count(doc, "flickr", "download") == 0
    assert any(WITHHELD in m["message"] for m in doc["messages"])
    assert _calls(world).get("flickr.photos.getSizes", 0) == before


def _only_flickr_id(world) -> str:
    return next(p["id"] for p in world.flickr_photos()
                if not any(t.startswith("photosync:") for t in p["machine_tags"]))


PREVIEWS = "Flickr previews (not originals)"


def _longest_edge(path) -> int:
    from wand.image import Image
    with Image(filename=str(path)) as img:
        return max(img.width, img.height)


def test_previews_when_asked_kept_apart_never_uploaded_then_replaced_by_the_originals(world):
    world.config.write_text(world.config.read_text().replace(
        "flickr:\n", "flickr:\n  download_previews: true\n", 1))
    world.photo("2024/Home/mine.jpg", 12)
    _seed_flickr(world, photos=2)
    _account(world, "free")
    doc = world.sync()
    assert count(doc, "flickr", "download") == 0 and doc["errors"] == []
    kept = sorted(p for p in world.local() if p.startswith(PREVIEWS + "/"))
    assert len(kept) == 2 and all(p.endswith(" (preview).jpg") for p in kept), world.local()
    assert all(_longest_edge(world.root / p) == 1024 for p in kept)
    assert any("kept 2 preview(s)" in m["message"] for m in doc["messages"]), doc["messages"]
    assert len(world.drive_photos()) == 1 and len(world.flickr_photos()) == 3

    again = world.sync()  # not indexed, not uploaded, not fetched again
    assert again["scan"]["new"] == 0 and again["scan"]["unchanged"] == 1, again["scan"]
    assert count(again, "drive", "upload") == count(again, "flickr", "upload") == 0
    assert not any("preview" in m["message"] for m in again["messages"]), again["messages"]
    assert len(world.drive_photos()) == 1
    assert "(2 preview(s) in 'Flickr previews (not originals)/')" in world.run("status").stdout

    _account(world, "pro")
    pro = world.sync("--full")
    assert count(pro, "flickr", "download") == 2 and count(pro, "drive", "upload") == 2
    assert not [p for p in world.local() if PREVIEWS in p] and not (world.root / PREVIEWS).exists()
    assert any("2 preview(s) removed" in m["message"] for m in pro["messages"]), pro["messages"]
    originals = [p for p in world.local() if p != "2024/Home/mine.jpg"]
    assert len(originals) == 2 and all(_longest_edge(world.root / p) > 1024 for p in originals)
    assert len(world.drive_photos()) == 3
