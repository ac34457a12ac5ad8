"""Free and Pro accounts of the Flickr emulator through the real flickrapi: caps, limits, the
methods that report them, and TIFF/HEIC originals kept as JPEG (photosync/emulators/
flickr_account.py says what is assumed)."""

from __future__ import annotations

import io

import pytest
import requests
from flickrapi.exceptions import FlickrError

from photosync.emulators.flickr_testing import admin
from photosync.emulators.images import make_image


def upload(flickr, data: bytes, name: str = "file.jpg", **kwargs) -> str:
    answer = flickr.upload(name, fileobj=io.BytesIO(data), format="etree", **kwargs)
    return answer.find("photoid").text


def account(url: str, username: str = "testuser") -> dict:
    return next(a for a in admin(url, "state?hashes=0")["accounts"] if a["username"] == username)


@pytest.mark.parametrize("kind", ["free", "pro"])
def test_get_limits_and_upload_status_answer_in_flickrs_shapes(flickr_emulator, flickr_client,
                                                               kind):
    flickr = flickr_client(perms="write")
    admin(flickr_emulator.url, "account", {"username": "testuser", "kind": kind})
    upload(flickr, make_image("status", 20, 20), is_public="0")
    limits = flickr.people.getLimits()["person"]
    assert limits["nsid"] == account(flickr_emulator.url)["user_nsid"]
    assert limits["photos"] == {"maxdisplaypx": "1024" if kind == "free" else "0",
                                "maxupload": str(200 * 1024 * 1024)}
    assert limits["videos"] == {"maxduration": "180" if kind == "free" else "600",
                                "maxupload": str(1024 * 1024 * 1024)}
    status = flickr.people.getUploadStatus()["user"]
    assert status["ispro"] == (0 if kind == "free" else 1)
    assert status["username"] == {"_content": "testuser"}
    assert int(status["bandwidth"]["usedbytes"]) > 0 and status["bandwidth"]["unlimited"] == "1"
    assert status["filesize"]["maxbytes"] == str(200 * 1024 * 1024)
    assert status["videos"] == {"uploaded": "0", "remaining": "lots"}
    assert set(status["sets"]) == {"created", "remaining"}
    info = flickr.people.getInfo(user_id="me")["person"]
    assert info["ispro"] == (0 if kind == "free" else 1)
    xml = flickr_client(perms="read", format="etree").people.getLimits()
    assert xml.find("person/videos").get("maxduration") == ("180" if kind == "free" else "600")


def test_a_free_account_refuses_the_1001st_item_with_upload_error_6(flickr_emulator,
                                                                    flickr_client):
    url = flickr_emulator.url
    admin(url, "seed", {"photos": 999, "albums": 0, "width": 40, "height": 30,
                        "video_ratio": 0})
    admin(url, "account", {"username": "testuser", "kind": "free"})
    flickr = flickr_client(perms="write")
    upload(flickr, make_image("thousandth", 10, 10))
    with pytest.raises(FlickrError) as refused:
        upload(flickr, make_image("one too many", 10, 10))
    assert str(refused.value) == "Error: 6: User exceeded upload limit"
    assert account(url)["items"] == 1000
    admin(url, "account", {"username": "testuser", "kind": "pro"})
    upload(flickr, make_image("pro again", 10, 10))
    assert account(url)["items"] == 1001


def test_the_global_quota_still_applies_to_pro_accounts(flickr_emulator, flickr_client):
    admin(flickr_emulator.url, "quota", {"max_photos": 1})
    flickr = flickr_client(perms="write")
    upload(flickr, make_image("only", 10, 10))
    with pytest.raises(FlickrError, match="Error: 6: "):
        upload(flickr, make_image("second", 10, 10))


def test_a_free_account_past_50_non_public_is_over_its_limits_not_refused(flickr_emulator,
                                                                          flickr_client):
    """Sources say only "at risk of deletion": the 51st private upload and a setPerms to
    private are accepted, and the account shows as over its non-public limit."""
    url = flickr_emulator.url
    admin(url, "seed", {"photos": 50, "albums": 0, "width": 40, "height": 30, "public_ratio": 0,
                        "video_ratio": 0})
    admin(url, "account", {"username": "testuser", "kind": "free"})
    flickr = flickr_client(perms="write")
    public = upload(flickr, make_image("public", 10, 10), is_public="1")
    assert account(url)["over_limits"] == []
    flickr.photos.setPerms(photo_id=public, is_public="0", is_friend="1", is_family="0")
    assert account(url)["non_public"] == 51 and account(url)["over_limits"] == ["non_public"]
    upload(flickr, make_image("private", 10, 10), is_public="0")
    assert account(url)["non_public"] == 52
    flickr.photos.setPerms(photo_id=public, is_public="1", is_friend="0", is_family="0")
    assert account(url)["non_public"] == 51
    with pytest.raises(FlickrError, match="Error: 2: "):
        flickr.photos.setPerms(photo_id=public, is_public="yes", is_friend="0", is_family="0")


def test_size_limits_answer_upload_error_8_and_unknown_types_error_5(flickr_emulator,
                                                                      flickr_client):
    flickr = flickr_client(perms="write")
    data = make_image("big", 60, 40)
    admin(flickr_emulator.url, "limits", {"photo_bytes": len(data) - 1})
    assert flickr.people.getLimits()["person"]["photos"]["maxupload"] == str(len(data) - 1)
    with pytest.raises(FlickrError) as too_large:
        upload(flickr, data)
    assert str(too_large.value) == "Error: 8: Filesize was too large"
    with pytest.raises(FlickrError) as unknown:
        upload(flickr, b"RIFF\x00\x00\x00\x00WEBPVP8 not really")
    assert str(unknown.value) == "Error: 5: Filetype was not recognised"
    admin(flickr_emulator.url, "limits", {})
    upload(flickr, data)


@pytest.mark.parametrize("fmt", ["tiff", "heic"])
def test_tiff_and_heic_uploads_become_jpeg_originals(flickr_emulator, flickr_client, fmt):
    flickr = flickr_client(perms="write")
    data = make_image(f"as-{fmt}", 48, 32, fmt)
    photo_id = upload(flickr, data, name=f"scan.{fmt}")
    record = next(p for p in flickr.people.getPhotos(
        user_id="me", extras="url_o,original_format,o_dims")["photos"]["photo"]
        if p["id"] == photo_id)
    assert record["originalformat"] == "jpg" and record["url_o"].endswith("_o.jpg")
    assert (record["width_o"], record["height_o"]) == (48, 32)
    original = requests.get(record["url_o"])
    assert original.headers["Content-Type"] == "image/jpeg"
    assert original.content[:3] == b"\xff\xd8\xff" and original.content != data
