"""Free and Pro Flickr accounts through the CLI against the emulators (issue 17): the account
is learnt and shown, uploads are planned against its caps and limits, and no request is spent
on an upload Flickr would refuse."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from photosync.emulators import admin

from photosync.emulators.images import make_image

from .conftest import World, busy, count


def use_flickr_settings(world: World, *lines: str) -> None:
    """Add ``lines`` to the config's flickr: section."""
    text = world.config.read_text()
    anchor = f"  endpoint: {world.flickr_url}\n"
    world.config.write_text(text.replace(anchor, anchor + "".join(f"  {l}\n" for l in lines), 1))


def make_free(world: World, seeded: int = 0) -> None:
    """testuser's account is free, already holding ``seeded`` public photos."""
    if seeded:
        admin(world.flickr_url, "seed", {"photos": seeded, "albums": 0, "width": 40,
                                         "height": 30, "video_ratio": 0, "public_ratio": 1})
    admin(world.flickr_url, "account", {"username": "testuser", "kind": "free"})


def photos(world: World, n: int, folder: str = "Trip") -> None:
    start = datetime(2020, 1, 1)
    for i in range(n):
        world.photo(f"{folder}/p{i:04}.jpg", f"{folder}-{i}", start + timedelta(hours=i))


def uploads_sent(world: World) -> int:
    return admin(world.flickr_url, "calls")["methods"].get("upload", 0)


def account_of(world: World) -> dict:
    return next(a for a in admin(world.flickr_url, "state?hashes=0")["accounts"]
                if a["username"] == "testuser")


def messages(doc: dict) -> list[str]:
    return [m["message"] for m in doc["messages"] if m["remote"] == "flickr"]


def test_a_free_account_keeps_50_private_photos_and_photosync_never_makes_a_51st(world):
    """flickr.privacy private (the default) on a free account: 50 go up, the newest; the 10
    others are listed with the reason and one line says why, a failure until the user chooses;
    once flickr.cap_order is set it is a note (exit 0). No upload request for the 10."""
    make_free(world)
    photos(world, 60)
    dry = world.sync("--remote", "flickr", "--dry-run", expect=1)
    assert count(dry, "flickr", "upload") == 50 and uploads_sent(world) == 0
    doc = world.sync("--remote", "flickr", expect=1)
    assert count(doc, "flickr", "upload") == 50
    left = [a for a in doc["actions"] if a["action"] == "skip" and "not uploaded" in a["reason"]]
    assert sorted(a["path"] for a in left) == [f"Trip/p{i:04}.jpg" for i in range(10)]
    assert all("at most 50 non-public" in a["reason"] for a in left)
    [line] = [m for m in messages(doc) if "not uploaded" in m]
    assert line.startswith("10 photo(s) not uploaded to Flickr: flickr.privacy is private")
    assert "flickr.cap_order" in line
    assert account_of(world)["non_public"] == 50 and account_of(world)["over_limits"] == []
    assert uploads_sent(world) == 50
    again = world.sync("--remote", "flickr", expect=1)
    assert count(again, "flickr", "upload") == 0 and uploads_sent(world) == 50
    assert [m for m in messages(again) if "not uploaded" in m] == [
        line.replace("(50 left before", "(0 left before")]
    check = world.run("config", "check")
    assert check.returncode == 0 and (
        "warning: flickr.privacy is private, but a free Flickr account keeps at most 50 "
        "non-public photos (50 used, 0 left)") in check.stderr
    assert "Flickr: free account, 50 of 1,000 items, 50 of 50 non-public" in \
        world.run("status").stdout
    use_flickr_settings(world, "cap_order: oldest")
    chosen = world.sync("--remote", "flickr", expect=0)
    assert any("as flickr.cap_order: oldest chose" in m for m in messages(chosen))
    assert uploads_sent(world) == 50


def test_a_free_account_takes_uploads_up_to_1000_items_and_no_request_past_them(world):
    """1,200 local photos, a free account holding 900: 100 go up (the newest), the report
    lists the 1,100 others and says why in one line; the second run plans the same and sends
    no upload request."""
    make_free(world, seeded=900)
    use_flickr_settings(world, "privacy: public")
    photos(world, 1200)
    doc = world.sync("--remote", "flickr", "--direction", "up", expect=1)
    assert count(doc, "flickr", "upload") == 100 and uploads_sent(world) == 100
    left = [a for a in doc["actions"] if a["action"] == "skip" and "not uploaded" in a["reason"]]
    assert len(left) == 1100 and {a["path"] for a in left} == {
        f"Trip/p{i:04}.jpg" for i in range(1100)}
    assert [m for m in messages(doc) if "not uploaded" in m] == [
        "1100 photo(s) not uploaded to Flickr: a free Flickr account holds at most 1,000 items "
        "(100 left before this run); the newest went up; choose which go up with "
        "flickr.cap_order (newest or oldest) or flickr.cap_albums, or upgrade to Flickr Pro"]
    assert account_of(world)["items"] == 1000
    again = world.sync("--remote", "flickr", "--direction", "up", expect=1)
    assert count(again, "flickr", "upload") == 0 and uploads_sent(world) == 100
    assert len([a for a in again["actions"] if "at most 1,000 items" in a["reason"]]) == 1100
    status = world.run("status")
    assert "Flickr: free account, 1,000 of 1,000 items, 0 of 50 non-public" in status.stdout


def test_a_pro_account_has_no_cap(world):
    """A Pro account holding 995 items takes 60 more private photos: past 1,000 items and past
    50 non-public, nothing is left out (1,200 uploads would take minutes: the free account's
    test is the one that needs 1,200 photos)."""
    admin(world.flickr_url, "seed", {"photos": 995, "albums": 0, "width": 40, "height": 30,
                                     "video_ratio": 0, "public_ratio": 1})
    photos(world, 60)
    doc = world.sync("--remote", "flickr", "--direction", "up")
    assert count(doc, "flickr", "upload") == 60 and uploads_sent(world) == 60
    assert not [a for a in doc["actions"] if "not uploaded" in a["reason"]]
    assert account_of(world)["items"] == 1055 and account_of(world)["non_public"] == 60
    status = json.loads(world.run("status", "--json").stdout)
    account = status["remotes"]["flickr"]["account"]
    assert (account["kind"], account["items"], account["non_public"]) == ("pro", 1055, 60)
    assert account["max_items"] is None and account["limits"]["video_seconds"] == 600
    assert "Flickr: Pro account, 1,055 items, 60 non-public" in world.run("status").stdout


def test_too_large_files_are_not_sent_and_upload_errors_5_and_8_say_what_to_do(world):
    """A file past the account's limit (people.getLimits) is reported, not sent; when the
    limits changed since photosync read them, Flickr's error 8 gets its own message, and so
    does error 5 (a type Flickr does not take)."""
    world.photo("Trip/small.jpg", "small")
    world.sync("--remote", "flickr")
    big = world.root / "Trip/big.jpg"
    big.write_bytes(make_image("big", 400, 300))
    limit = big.stat().st_size - 1
    admin(world.flickr_url, "limits", {"photo_bytes": limit})
    (world.root / "Trip/odd.webp").write_bytes(make_image("odd", 40, 30, "webp"))
    doc = world.sync("--remote", "flickr", expect=1)  # limits read before: Flickr refuses
    errors = {e["path"]: e["error"] for e in doc["errors"]}
    assert errors["Trip/big.jpg"].startswith("too large for this Flickr account (upload error "
                                             "8: Filesize was too large)")
    assert errors["Trip/odd.webp"].startswith("Flickr does not take this type of file (upload "
                                              "error 5: Filetype was not recognised)")
    sent = uploads_sent(world)
    doc = world.sync("--remote", "flickr", "--full", expect=1)  # limits read again
    [skip] = [a for a in doc["actions"] if a["path"] == "Trip/big.jpg"]
    assert skip["action"] == "skip" and skip["reason"] == (
        f"too large for Flickr: {limit + 1:,} bytes, over the account's {limit:,} bytes limit "
        f"for photos; not sent")
    assert "1 file(s) too large or too long for this Flickr account were not sent" in \
        " ".join(messages(doc))
    assert uploads_sent(world) == sent + 1  # odd.webp tried again; big.jpg not sent


def test_a_video_longer_than_the_accounts_limit_is_not_sent(world):
    """people.getLimits' maxduration holds a video back, its length read when it is indexed."""
    from tests.media_files import make_video

    admin(world.flickr_url, "limits", {"video_seconds": 2})
    make_video(world.root / "Clips/long.mp4", "long", datetime(2022, 5, 1, 10), seconds=3.0)
    make_video(world.root / "Clips/short.mp4", "short", datetime(2022, 5, 1, 11), seconds=0.5)
    doc = world.sync("--remote", "flickr", expect=1)
    [skip] = [a for a in doc["actions"] if a["path"] == "Clips/long.mp4"]
    assert skip["action"] == "skip" and skip["reason"] == (
        "too long for Flickr: a video of 3 s, over the account's 2 s limit; not sent")
    assert [a["path"] for a in busy(doc) if a["action"] == "upload"] == ["Clips/short.mp4"]
    assert [p["title"] for p in world.flickr_photos()] == ["short"]
    assert "1 file(s) too large or too long for this Flickr account were not sent" in \
        " ".join(messages(doc))


def test_a_tiff_goes_up_as_flickrs_jpeg_and_stays_the_same_photo(world):
    """Flickr keeps a TIFF as a JPEG original (other bytes, other pixels): photosync pairs it by
    its tag and never downloads it back as a new photo, on Flickr or on Drive."""
    tiff = world.root / "Scans/scan.tiff"
    tiff.parent.mkdir(parents=True)
    tiff.write_bytes(make_image("scan", 64, 48, "tiff"))
    before = tiff.read_bytes()
    doc = world.sync()
    assert count(doc, "flickr", "upload") == 1 and count(doc, "drive", "upload") == 1
    [photo] = world.flickr_photos()
    assert photo["originalformat"] == "jpg" and photo["machine_tags"]
    for args in ((), ("--full",)):
        assert busy(world.sync(*args)) == []
    assert world.local() == ["Scans/scan.tiff"] and tiff.read_bytes() == before
    assert len(world.flickr_photos()) == 1 and len(world.drive_photos()) == 1
