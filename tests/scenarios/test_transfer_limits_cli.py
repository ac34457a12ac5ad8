"""Issue 17, item 5, through the CLI against both emulators: Drive's daily upload limit,
``sync.max_transfer`` and ``sync.bwlimit``."""

from __future__ import annotations

import json
import re

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
    assert "Traceback" not in result.stderr and "retry" not in result.stderr.lower()
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


def _sync_keys(world, text: str) -> None:
    """Add keys under ``sync:`` (the last section of the scenario world's config)."""
    world.config.write_text(world.config.read_text() + text)


def _moved(doc: dict) -> list[dict]:
    return [a for a in doc["actions"] if a["action"] in ("upload", "download") and not a.get("error")]


def test_max_transfer_stops_starting_transfers_and_the_next_runs_go_on_without_doubles(world):
    """sync.max_transfer counts uploads and downloads of every remote together (a Flickr
    download, whose size Flickr does not list, once it is written): once the bytes started
    reach it, no transfer starts (those under way finish), the rest are postponed skips and one
    note (exit 0); each next run goes on from there, nothing is sent twice."""
    from googleapiclient.http import MediaInMemoryUpload
    flickr, drive = _independent_clients(world)
    photos = _drive_folder(drive, "Photos")
    drive.files().create(body={"name": "from drive.jpg", "parents": [photos]}, media_body=(
        MediaInMemoryUpload(make_image("on drive", 80, 60), mimetype="image/jpeg"))).execute()
    on_flickr = world.tmp / "on flickr.jpg"
    on_flickr.write_bytes(make_image("on flickr", 80, 60))
    flickr.upload(filename=str(on_flickr), title="from flickr", format="etree")
    for n in range(6):
        world.photo(f"Trip/p{n}.jpg", 70 + n)
    _sync_keys(world, "  max_transfer: 3K\n")
    dry = world.sync("--dry-run")  # the report the real run gives: postponements included
    said = world.run("sync")  # the first run, in words
    assert said.returncode == 0, said.stdout[-3000:] + said.stderr
    assert said.stderr.count("sync.max_transfer (3K) reached: no new transfers this run") == 1
    assert re.search(r"Google Drive: (\d+) of \1 done, 0 failed, \d+ postponed", said.stderr)
    assert "NOTE drive: Google Drive: transfers postponed: sync.max_transfer (3K) reached" \
        in said.stdout
    runs = []
    for _ in range(12):
        result = world.run("sync", "--json")
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr
        runs.append(json.loads(result.stdout))
        assert result.stderr.count("sync.max_transfer (3K) reached") <= 1, result.stderr
        if not any(a["action"] != "skip" for a in runs[-1]["actions"]):
            break
    # bytes as the dry run counts them (a Flickr download: its unknown size as 0)
    moved = [a["bytes"] or 0 for a in _moved(dry)]
    assert sum(moved) >= 3 * 1024 and sum(moved) - max(moved) < 3 * 1024, moved
    postponed = [a for a in dry["actions"] if "postponed: sync.max_transfer (3K) reached"
                 in (a["reason"] or "")]
    assert postponed and all(a["action"] == "skip" for a in postponed)
    assert any("sync.max_transfer (3K) reached" in m["message"] for m in dry["messages"])
    assert len(runs) > 3  # 17 transfers of about 1 KB, at most four a run
    flickr_names = sorted(p["title"] for p in world.flickr_photos())
    drive_names = sorted(f["name"] for f in world.drive_photos())
    assert flickr_names == sorted(["from drive", "from flickr"] + [f"p{n}" for n in range(6)])
    assert drive_names == sorted(["from drive.jpg", "from flickr.jpg"]
                                 + [f"p{n}.jpg" for n in range(6)]), drive_names
    assert world.local() == sorted(["From Flickr/from flickr.jpg", "From Google Drive/from "
                                    "drive.jpg"] + [f"Trip/p{n}.jpg" for n in range(6)])


def test_bwlimit_errors_name_the_key_in_one_line(world):
    for value, says in (("'25:00,1M'", "25:00 is not a time of day"),
                        ("'1M:2M'", "separate upload:download rates are not supported"),
                        ("'1000'", "has no unit")):
        text = world.config.read_text()
        _sync_keys(world, f"  bwlimit: {value}\n")
        result = world.run("sync")
        world.config.write_text(text)
        assert result.returncode == 2, result.stderr
        [line] = result.stderr.strip().splitlines()
        assert "sync.bwlimit" in line and says in line and "config.yaml:" in line, line


def _noisy_jpeg() -> bytes:
    """About 100 KB of JPEG that does not compress (random plasma and noise: each one unique)."""
    from wand.image import Image
    with Image(width=300, height=200, pseudo="plasma:") as img:
        img.noise("gaussian", attenuate=1.0)
        img.format = "jpeg"
        img.compression_quality = 97
        return img.make_blob()


def test_a_low_bwlimit_holds_every_transfer_to_it(world):
    """Four transfers (a local photo up to both remotes, a Drive photo down and up to Flickr)
    at 40 KiB/s for all of them together take at least 80% of bytes / limit (about 10 s; the
    same sync unlimited takes about 2 s). Only a floor is asserted, never a tight time;
    bench/bench_bwlimit.py measures the rate itself."""
    import time
    from googleapiclient.http import MediaInMemoryUpload
    _flickr, drive = _independent_clients(world)
    photos = _drive_folder(drive, "Photos")
    data = _noisy_jpeg()
    drive.files().create(body={"name": "from drive.jpg", "parents": [photos]}, media_body=(
        MediaInMemoryUpload(data, mimetype="image/jpeg"))).execute()
    local = world.root / "Trip" / "big.jpg"
    local.parent.mkdir(parents=True)
    local.write_bytes(_noisy_jpeg())
    moved = 2 * local.stat().st_size + 2 * len(data)
    _sync_keys(world, "  bwlimit: 00:00,40k\n")  # a timetable of one entry: all day
    began = time.monotonic()
    doc = world.sync()
    seconds = time.monotonic() - began
    assert len(_moved(doc)) == 4, doc["actions"]
    assert seconds >= moved / (40 * 1024) * 0.8, (seconds, moved)
