"""Uploads, replace, async tickets and photo files of the Flickr emulator via flickrapi."""

from __future__ import annotations

import hashlib
import io
import subprocess
import time
import urllib.error
from datetime import datetime

import pytest
import requests
from flickrapi.exceptions import FlickrError

from photosync.emulators.flickr_admin import fake_video
from photosync.emulators.flickr_testing import admin
from photosync.emulators.images import make_image
from tests.media_files import make_video


def upload(flickr, data: bytes, **kwargs) -> str:
    answer = flickr.upload("file.jpg", fileobj=io.BytesIO(data), format="etree", **kwargs)
    return answer.find("photoid").text


def original_of(flickr, photo_id: str) -> dict:
    return next(p for p in flickr.people.getPhotos(user_id="me", extras="url_o,date_taken,original_format,media",
                                                   per_page=500)["photos"]["photo"] if p["id"] == photo_id)


def test_upload_with_exif_keeps_bytes_and_date(flickr_emulator, flickr_client):
    flickr = flickr_client(perms="write")
    data = make_image("exif", 120, 80, "jpeg", datetime(2019, 7, 1, 12, 30, 45))
    photo_id = upload(flickr, data, title="Lake", tags="a b", is_public="0", description="café ✓")
    record = original_of(flickr, photo_id)
    assert record["datetaken"] == "2019-07-01 12:30:45" and record["datetakenunknown"] == "0"
    assert record["originalformat"] == "jpg" and record["ispublic"] == 0 and record["title"] == "Lake"
    downloaded = requests.get(record["url_o"])
    assert downloaded.content == data
    state = next(p for p in admin(flickr_emulator.url, "state")["photos"] if p["id"] == photo_id)
    assert state["sha256"] == hashlib.sha256(data).hexdigest() and state["description"] == "café ✓"
    part = requests.get(record["url_o"], headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"


def test_upload_without_exif_uses_upload_time(flickr_client):
    flickr = flickr_client(perms="write")
    before = datetime.utcnow().replace(microsecond=0)
    photo_id = upload(flickr, make_image("noexif", 30, 20, "png"))
    record = original_of(flickr, photo_id)
    assert record["datetakenunknown"] == "1" and record["originalformat"] == "png"
    taken = datetime.strptime(record["datetaken"], "%Y-%m-%d %H:%M:%S")
    assert abs((taken - before).total_seconds()) < 5


def test_upload_refusals(flickr_client):
    with pytest.raises(FlickrError) as error:
        upload(flickr_client(perms="read"), make_image("ro", 10, 10, "png"))
    assert "99" in str(error.value)
    writer = flickr_client(perms="write")
    for data, code in [(b"", "4"), (b"this is not an image", "5")]:
        with pytest.raises(FlickrError) as error:
            upload(writer, data)
        assert f"Error: {code}:" in str(error.value)


def test_replace_swaps_the_original(flickr_emulator, flickr_client):
    flickr = flickr_client(perms="write")
    first = make_image("v1", 40, 30, "jpeg", datetime(2018, 1, 1, 1, 1, 1))
    photo_id = upload(flickr, first, title="Kept")
    old_url = original_of(flickr, photo_id)["url_o"]
    second = make_image("v2", 40, 30, "png")
    answer = flickr.replace("new.png", photo_id, fileobj=io.BytesIO(second), format="etree").find("photoid")
    assert answer.text == photo_id and answer.get("secret") and answer.get("originalsecret")
    record = original_of(flickr, photo_id)
    assert record["title"] == "Kept" and record["originalformat"] == "png"
    assert record["datetaken"] == "2018-01-01 01:01:01"  # no EXIF in the new file: date kept
    assert requests.get(record["url_o"]).content == second
    assert requests.get(old_url).status_code == 404
    stranger = flickr_client(perms="write", username="stranger")
    with pytest.raises(FlickrError) as error:
        stranger.replace("x.png", photo_id, fileobj=io.BytesIO(second), format="etree")
    assert "Error: 1:" in str(error.value)


def test_async_upload_tickets(flickr_client):
    flickr = flickr_client(perms="write")
    good = flickr.upload("a.jpg", fileobj=io.BytesIO(make_image("async", 20, 20)), format="etree", **{"async": "1"})
    bad = flickr.upload("b.jpg", fileobj=io.BytesIO(b"garbage"), format="etree", **{"async": "1"})
    tickets = [good.find("ticketid").text, bad.find("ticketid").text]
    first = flickr.photos.upload.checkTickets(tickets=",".join(tickets + ["nope"]))["uploader"]["ticket"]
    assert first[0]["complete"] in (0, 1) and first[1]["complete"] == 2 and first[2]["invalid"] == 1
    deadline = time.time() + 5
    while True:
        ticket = flickr.photos.upload.checkTickets(tickets=tickets[0])["uploader"]["ticket"][0]
        if ticket["complete"] == 1 or time.time() > deadline:
            break
        time.sleep(0.1)
    assert ticket["complete"] == 1
    assert flickr.photos.getInfo(photo_id=ticket["photoid"])["photo"]["id"] == ticket["photoid"]


def test_video_sizes_and_play_redirect(flickr_emulator, flickr_client):
    flickr = flickr_client(perms="write")
    video = fake_video("clip")
    photo_id = upload(flickr, video)
    record = original_of(flickr, photo_id)
    assert record["media"] == "video" and record["originalformat"] == "mp4"
    sizes = {s["label"]: s for s in flickr.photos.getSizes(photo_id=photo_id)["sizes"]["size"]}
    assert "Video Original" in sizes and sizes["Video Original"]["media"] == "video"
    assert requests.get(sizes["Video Original"]["source"]).content == video  # follows the 302
    flickr.photos.setMeta(photo_id=photo_id, title="public now")
    stranger = flickr_client(username="stranger")
    labels = {s["label"] for s in stranger.photos.getSizes(photo_id=photo_id)["sizes"]["size"]}
    assert "Video Original" not in labels and "Site MP4" in labels


def test_a_video_is_processed_after_a_delay_or_as_the_admin_route_says(flickr_emulator,
                                                                       flickr_client):
    """photos.getInfo's video element: pending while Flickr transcodes (no "Site MP4" yet, the
    owner's original is there from the upload on), then ready; POST /_admin/video steers it."""
    flickr = flickr_client(perms="write")
    admin(flickr_emulator.url, "video", {"processing_seconds": 60})
    photo_id = upload(flickr, fake_video("slow"))
    admin(flickr_emulator.url, "video", {"processing_seconds": 0})

    def state() -> dict:
        return flickr.photos.getInfo(photo_id=photo_id)["photo"]["video"]

    def labels() -> set[str]:
        return {s["label"] for s in flickr.photos.getSizes(photo_id=photo_id)["sizes"]["size"]}

    assert (state()["pending"], state()["ready"], state()["failed"]) == (1, 0, 0)
    assert "Site MP4" not in labels() and "Video Original" in labels()
    admin(flickr_emulator.url, "video", {"photo_id": photo_id, "state": "failed"})
    assert (state()["pending"], state()["ready"], state()["failed"]) == (0, 0, 1)
    admin(flickr_emulator.url, "video", {"photo_id": photo_id, "state": "ready"})
    assert state()["ready"] == 1 and "Site MP4" in labels()
    quick = upload(flickr, fake_video("quick"))
    assert flickr.photos.getInfo(photo_id=quick)["photo"]["video"]["ready"] == 1
    with pytest.raises(urllib.error.HTTPError):  # a state Flickr does not have
        admin(flickr_emulator.url, "video", {"photo_id": photo_id, "state": "lost"})


def test_a_real_video_gets_a_real_transcode_and_keeps_its_original(flickr_emulator,
                                                                   flickr_client, tmp_path):
    """Flickr serves visitors its own transcode ("Site MP4"), the owner the bytes uploaded."""
    flickr = flickr_client(perms="write")
    original = make_video(tmp_path / "IMG_0001.MOV", 1, datetime(2021, 6, 7, 8, 9, 10),
                          device="iphone").read_bytes()
    photo_id = upload(flickr, original)
    sizes = {s["label"]: s for s in flickr.photos.getSizes(photo_id=photo_id)["sizes"]["size"]}
    assert requests.get(sizes["Video Original"]["source"]).content == original
    site = requests.get(sizes["Site MP4"]["source"])
    assert site.headers["Content-Type"] == "video/mp4" and site.content != original
    (tmp_path / "site.mp4").write_bytes(site.content)
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type",
                            "-of", "csv=p=0", str(tmp_path / "site.mp4")],
                           capture_output=True, text=True, check=True)
    assert probe.stdout.split() == ["video"]


def test_seeded_photos_download_deterministically(flickr_emulator, flickr_client):
    admin(flickr_emulator.url, "seed", {"seed": 7, "photos": 3, "video_ratio": 0})
    state = admin(flickr_emulator.url, "state")
    flickr = flickr_client()
    for photo in state["photos"]:
        url = original_of(flickr, photo["id"])["url_o"]
        assert hashlib.sha256(requests.get(url).content).hexdigest() == photo["sha256"]
    admin(flickr_emulator.url, "reset", {})
    admin(flickr_emulator.url, "seed", {"seed": 7, "photos": 3, "video_ratio": 0})
    again = admin(flickr_emulator.url, "state")
    assert [p["sha256"] for p in again["photos"]] == [p["sha256"] for p in state["photos"]]
    assert [p["dates"] for p in again["photos"]] == [p["dates"] for p in state["photos"]]


def test_admin_account_sets_the_kind_and_refuses_anything_else(flickr_emulator):
    url = flickr_emulator.url
    assert admin(url, "account", {"username": "freebie", "kind": "free"})["kind"] == "free"
    kinds = {a["username"]: a["kind"] for a in admin(url, "state")["accounts"]}
    assert kinds["freebie"] == "free"
    admin(url, "token", {"username": "someone"})
    assert {a["username"]: a["kind"] for a in admin(url, "state")["accounts"]}["someone"] == "pro"
    refused = requests.post(f"{url}/_admin/account", json={"username": "x", "kind": "gold"})
    assert refused.status_code == 400
