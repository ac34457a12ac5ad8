"""Issue 17, item 5, through the CLI against both emulators: Drive's daily upload limit,
``sync.max_transfer`` and ``sync.bwlimit``."""

from __future__ import annotations

from photosync.emulators.images import make_image
from tests.scenarios.conftest import admin, count
from tests.scenarios.test_sync_cli import _drive_folder, _independent_clients

DAILY = "Google Drive's daily upload limit is reached"


def test_drives_daily_upload_limit_stops_its_uploads_only_and_the_next_day_they_go_on(world):
    """Past the day's limit Drive refuses every new upload (403 userRateLimitExceeded, "User
    rate limit exceeded."): said in one line, no more uploads sent to Drive this run, while
    Drive's downloads and Flickr go on; exit 1 as for a full Drive. Not retried as a rate limit
    (no waiting and resending). The next day the rest goes up, none twice."""
    from googleapiclient.http import MediaInMemoryUpload
    _flickr, drive = _independent_clients(world)
    photos = _drive_folder(drive, "Photos")
    drive.files().create(body={"name": "from drive.jpg", "parents": [photos]}, media_body=(
        MediaInMemoryUpload(make_image("on drive", 80, 60), mimetype="image/jpeg"))).execute()
    for n in range(8):
        world.photo(f"Trip/p{n}.jpg", 70 + n)
    admin(world.drive_url, "upload_limit", {"bytes": 1, "used": 0})  # the first upload crosses it
    result = world.run("sync")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.count(DAILY) == 1, result.stderr  # one warning, not one per photo
    assert "Traceback" not in result.stderr and "retrying" not in result.stderr.lower()
    uploaded = [f for f in world.drive_photos() if f["name"] != "from drive.jpg"]
    assert 1 <= len(uploaded) <= 4, uploaded  # those started before the first refusal (workers: 4)
    assert (world.root / "From Google Drive" / "from drive.jpg").exists()  # downloads go on
    assert len(world.flickr_photos()) == 9  # Flickr goes on (with the photo from Drive)
    calls = admin(world.drive_url, "calls")
    assert 1 <= calls["statuses"].get("403", 0) <= 4, calls
    admin(world.drive_url, "upload_limit", {"bytes": None, "used": 0})  # a new day (and room)
    doc = world.sync()
    assert count(doc, "drive", "upload") == 8 - len(uploaded)
    names = sorted(f["name"] for f in world.drive_photos())
    assert names == sorted(["from drive.jpg"] + [f"p{n}.jpg" for n in range(8)]), names
    assert world.sync()["summary"]["drive"] == {}
