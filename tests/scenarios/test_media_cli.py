"""Issue 19 through the CLI against both emulators: videos both ways, a Live Photo, RAW + JPEG,
each remote under its media rule (defaults: Flickr photo + video, Drive all four)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from googleapiclient.http import MediaFileUpload

from photosync.emulators import admin
from photosync.emulators.drive_client import service_for
from tests.media_files import make_raw, make_video
from tests.scenarios.conftest import count

TAKEN = datetime(2023, 7, 14, 18, 30, 5)


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def paths(doc: dict, remote: str, action: str) -> list[str]:
    return sorted(a["path"] for a in doc["actions"]
                  if a["remote"] == remote and a["action"] == action)


def test_videos_live_photos_and_raw_follow_each_remotes_media_rule(world):
    clip = make_video(world.root / "2023/Trip/VID_0001.mp4", 1, TAKEN, device="android")
    # A Live Photo: the clip beside its photo, same stem, same moment (the zone says so).
    world.photo("2023/Trip/IMG_0002.JPG", 2, TAKEN)
    live = make_video(world.root / "2023/Trip/IMG_0002.MOV", 2, TAKEN, device="iphone")
    # Same name, another day: no Live Photo, an ordinary video.
    world.photo("2023/Trip/IMG_0003.JPG", 3, TAKEN)
    other = make_video(world.root / "2023/Trip/IMG_0003.MOV", 3, datetime(2019, 1, 1),
                       device="iphone")
    raw = make_raw(world.root / "2023/Trip/IMG_0002.CR2", 2, TAKEN)

    doc = world.sync()
    flickr_up = paths(doc, "flickr", "upload")
    drive_up = paths(doc, "drive", "upload")
    assert flickr_up == ["2023/Trip/IMG_0002.JPG", "2023/Trip/IMG_0003.JPG",
                         "2023/Trip/IMG_0003.MOV", "2023/Trip/VID_0001.mp4"]
    assert drive_up == sorted(flickr_up + ["2023/Trip/IMG_0002.CR2", "2023/Trip/IMG_0002.MOV"])
    notes = [m["message"] for m in doc["messages"] if m["remote"] == "flickr"]
    assert any("starts receiving videos: 2 video(s)" in n for n in notes), notes
    assert any("1 new live_clip file(s) not sent to Flickr" in n for n in notes), notes
    assert any("1 new raw file(s) not sent to Flickr" in n for n in notes), notes
    # The RAW and its JPEG (and the Live Photo's clip) are one shot in the report.
    shots = {a["path"]: a.get("shot") for a in doc["actions"] if a["remote"] == "drive"}
    assert shots["2023/Trip/IMG_0002.CR2"] == shots["2023/Trip/IMG_0002.JPG"] is not None
    assert shots["2023/Trip/IMG_0002.MOV"] == shots["2023/Trip/IMG_0002.JPG"]
    assert shots["2023/Trip/IMG_0003.MOV"] is None

    # The videos carry their SHA-256 on both remotes.
    flickr_tags = {t for p in world.flickr_photos() for t in p["machine_tags"]}
    assert f"photosync:signature={sha(clip)}" in flickr_tags
    assert f"photosync:signature={sha(other)}" in flickr_tags
    drive = {f["name"]: f for f in world.drive_photos()}
    assert drive["IMG_0002.MOV"]["appProperties"]["photosync_signature"] == sha(live)
    assert drive["IMG_0002.CR2"]["appProperties"]["photosync_signature"] == sha(raw)
    assert drive["VID_0001.mp4"]["mimeType"] == "video/mp4"

    # Nothing left to do, and the notice is not said again.
    doc = world.sync()
    assert [a for a in doc["actions"] if a["action"] != "skip"] == []
    assert not any("starts receiving videos" in m["message"] for m in doc["messages"])

    # A video moved to another album is moved, never uploaded again.
    (world.root / "2023/Home").mkdir()
    clip.rename(world.root / "2023/Home/VID_0001.mp4")
    doc = world.sync()
    assert count(doc, "flickr", "upload") == 0 and count(doc, "drive", "upload") == 0
    assert paths(doc, "flickr", "move") == paths(doc, "drive", "move") == \
        ["2023/Home/VID_0001.mp4"]


def test_a_video_only_on_a_remote_is_downloaded_and_sent_to_the_other(world):
    world.photo("a.jpg", 1)
    world.sync()
    clip = make_video(world.tmp / "elsewhere/VID_9.mp4", 9, TAKEN)
    (folder,) = [f["id"] for f in world.drive_files() if f["name"] == "Photos"]
    service_for(world.drive_url).files().create(
        body={"name": "VID_9.mp4", "parents": [folder]},
        media_body=MediaFileUpload(str(clip), mimetype="video/mp4")).execute()
    doc = world.sync()
    assert paths(doc, "drive", "download") == ["From Google Drive/VID_9.mp4"]
    assert (world.root / "From Google Drive/VID_9.mp4").read_bytes() == clip.read_bytes()
    assert paths(doc, "flickr", "upload") == ["From Google Drive/VID_9.mp4"]
    drive = {f["name"]: f for f in world.drive_photos()}
    assert drive["VID_9.mp4"]["appProperties"]["photosync_signature"] == sha(clip)  # tagged
    doc = world.sync()
    assert [a for a in doc["actions"] if a["action"] != "skip"] == []


def test_a_video_flickr_is_processing_is_not_missing_and_a_failed_one_is_named(world):
    """Flickr transcodes a video after its upload (oPromessa #81: sometimes for days, sometimes
    failing): while pending it is listed, not uploaded again; a failed one is named by id."""
    admin(world.flickr_url, "video", {"processing_seconds": 3600})
    make_video(world.root / "2023/VID_0005.mp4", 5, TAKEN)
    doc = world.sync("--remote", "flickr")
    assert paths(doc, "flickr", "upload") == ["2023/VID_0005.mp4"]
    (video,) = [p for p in world.flickr_photos() if p["media"] == "video"]
    doc = world.sync("--remote", "flickr")
    assert [a for a in doc["actions"] if a["action"] != "skip"] == []
    notes = [m["message"] for m in doc["messages"]]
    assert f"1 video(s) still being processed by Flickr (not missing; not uploaded again): " \
           f"{video['id']}" in notes, notes
    admin(world.flickr_url, "video", {"photo_id": video["id"], "state": "failed"})
    doc = world.sync("--remote", "flickr")
    assert [a for a in doc["actions"] if a["action"] != "skip"] == []
    assert f"Flickr failed to process video {video['id']} (2023/VID_0005.mp4): it stays there " \
           f"and is not uploaded again; replace or delete it on Flickr" in \
           [m["message"] for m in doc["messages"]]
    admin(world.flickr_url, "video", {"photo_id": video["id"], "state": "ready"})
    doc = world.sync("--remote", "flickr")
    assert not [m for m in doc["messages"] if "video" in m["message"]], doc["messages"]
    assert len(world.flickr_photos()) == 1


def test_raw_sent_to_flickr_by_choice_is_refused_there_and_the_run_goes_on(world):
    """flickr.media may list raw; Flickr refuses RAW files (upload error 5): said per file."""
    text = world.config.read_text()
    world.config.write_text(text.replace(f"endpoint: {world.flickr_url}\n",
                                         f"endpoint: {world.flickr_url}\n"
                                         f"  media: [photo, video, raw]\n"))
    world.photo("2023/IMG_0007.JPG", 7, TAKEN)
    make_raw(world.root / "2023/IMG_0007.DNG", 7, TAKEN)
    make_raw(world.root / "2023/IMG_0008.CR2", 8, TAKEN)
    doc = world.sync("--remote", "flickr", expect=1)
    failed = sorted((a["path"], a.get("error")) for a in doc["actions"] if a.get("error"))
    assert [f[0] for f in failed] == ["2023/IMG_0007.DNG", "2023/IMG_0008.CR2"], failed
    assert "Filetype was not recognised" in failed[0][1]
    assert [p["title"] for p in world.flickr_photos()] == ["IMG_0007"]  # the JPEG went up
