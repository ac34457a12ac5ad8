"""files.* and about.get through the real googleapiclient against the Drive emulator."""

from __future__ import annotations

import io
import json
import urllib.request
from datetime import datetime

import pytest
from googleapiclient.discovery import build, build_from_document
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from photosync.emulators.drive_client import admin, discovery_url, mint_credentials
from photosync.emulators.images import make_image

FOLDER = "application/vnd.google-apps.folder"


def reason(error: HttpError) -> str:
    return error.error_details[0]["reason"]


def folder(svc, name: str, parent: str = "root") -> str:
    return svc.files().create(body={"name": name, "mimeType": FOLDER, "parents": [parent]},
                              fields="id").execute()["id"]


def upload(svc, name: str, data: bytes, parent: str = "root", **meta) -> dict:
    media = MediaIoBaseUpload(io.BytesIO(data), mimetype="image/jpeg")
    return svc.files().create(body={"name": name, "parents": [parent], **meta}, media_body=media,
                              fields="id,name,parents,size,md5Checksum").execute()


def test_build_from_served_discovery_and_from_rewritten_document(drive_emulator) -> None:
    creds = mint_credentials(drive_emulator.url)
    svc = build("drive", "v3", credentials=creds, discoveryServiceUrl=discovery_url(drive_emulator.url),
                static_discovery=False)
    assert svc.about().get(fields="user(emailAddress)").execute() == {"user": {"emailAddress": "tester@example.com"}}
    with urllib.request.urlopen(drive_emulator.url + "/discovery/v1/apis/drive/v3/rest") as answer:
        doc = json.loads(answer.read())
    assert doc["rootUrl"] == drive_emulator.url + "/"
    assert doc["baseUrl"] == drive_emulator.url + "/drive/v3/"
    with urllib.request.urlopen(drive_emulator.url + "/$discovery/rest?version=v3") as answer:
        assert json.loads(answer.read())["rootUrl"] == doc["rootUrl"]
    import googleapiclient
    from pathlib import Path
    bundled = json.loads((Path(googleapiclient.__file__).parent / "discovery_cache/documents/drive.v3.json").read_text())
    bundled["rootUrl"] = drive_emulator.url + "/"
    svc2 = build_from_document(bundled, credentials=creds)
    created = upload(svc2, "a.jpg", make_image(1))
    assert svc2.files().get(fileId=created["id"], fields="name").execute() == {"name": "a.jpg"}


def test_metadata_of_an_uploaded_photo(drive_service) -> None:
    svc = drive_service()
    data = make_image(7, 120, 90, "jpeg", datetime(2019, 7, 14, 18, 30, 5))
    created = upload(svc, "IMG 7.jpg", data, appProperties={"sig": "abc"})
    got = svc.files().get(fileId=created["id"], fields="*").execute()
    import hashlib
    assert got["size"] == str(len(data)) and isinstance(got["size"], str)
    assert got["md5Checksum"] == hashlib.md5(data).hexdigest()
    assert got["sha256Checksum"] == hashlib.sha256(data).hexdigest()
    assert got["imageMediaMetadata"]["time"] == "2019:07:14 18:30:05"
    assert (got["imageMediaMetadata"]["width"], got["imageMediaMetadata"]["height"]) == (120, 90)
    assert got["appProperties"] == {"sig": "abc"} and got["trashed"] is False
    assert got["createdTime"].endswith("Z") and len(got["createdTime"]) == 24  # 2020-01-01T00:00:00.000Z
    assert svc.files().get(fileId=created["id"]).execute() == {
        "kind": "drive#file", "id": created["id"], "name": "IMG 7.jpg", "mimeType": "image/jpeg"}
    root = svc.files().get(fileId="root", fields="id,name,mimeType").execute()
    assert root["name"] == "My Drive" and got["parents"] == [root["id"]]


def test_download_whole_and_ranges(drive_service) -> None:
    svc = drive_service()
    data = make_image(3, 200, 150)
    file_id = upload(svc, "x.jpg", data)["id"]
    assert svc.files().get_media(fileId=file_id).execute() == data
    request = svc.files().get_media(fileId=file_id)
    request.headers["Range"] = "bytes=10-19"
    assert request.execute() == data[10:20]
    from googleapiclient.http import MediaIoBaseDownload
    sink = io.BytesIO()
    downloader = MediaIoBaseDownload(sink, svc.files().get_media(fileId=file_id), chunksize=1000)
    done = False
    while not done:
        _, done = downloader.next_chunk()
    assert sink.getvalue() == data
    folder_id = folder(svc, "F")
    with pytest.raises(HttpError) as caught:
        svc.files().get_media(fileId=folder_id).execute()
    assert caught.value.status_code == 403 and reason(caught.value) == "fileNotDownloadable"


def test_not_found_error_shape(drive_service) -> None:
    svc = drive_service()
    with pytest.raises(HttpError) as caught:
        svc.files().get(fileId="nope").execute()
    err = caught.value
    assert err.status_code == 404 and reason(err) == "notFound"
    assert json.loads(err.content)["error"]["message"] == "File not found: nope."
    other = drive_service(account="other@example.com")
    mine = upload(svc, "a.jpg", make_image(1))["id"]
    with pytest.raises(HttpError) as caught:  # another account's file does not exist for you
        other.files().get(fileId=mine).execute()
    assert caught.value.status_code == 404


def test_update_metadata_move_and_trash(drive_service) -> None:
    svc = drive_service()
    a, b = folder(svc, "A"), folder(svc, "B")
    f = upload(svc, "p.jpg", make_image(2), parent=a, appProperties={"x": "1", "y": "2"})
    got = svc.files().update(fileId=f["id"], body={"name": "q.jpg", "appProperties": {"x": None, "z": "3"}},
                             addParents=b, removeParents=a, fields="name,parents,appProperties,version").execute()
    assert got == {"name": "q.jpg", "parents": [b], "appProperties": {"y": "2", "z": "3"}, "version": "2"}
    with pytest.raises(HttpError) as caught:
        svc.files().update(fileId=f["id"], body={"parents": [a]}).execute()
    assert caught.value.status_code == 403 and reason(caught.value) == "fieldNotWritable"
    with pytest.raises(HttpError) as caught:  # one parent only
        svc.files().update(fileId=f["id"], addParents=a).execute()
    assert caught.value.status_code == 403
    svc.files().update(fileId=b, body={"trashed": True}).execute()
    child = svc.files().get(fileId=f["id"], fields="trashed,explicitlyTrashed").execute()
    assert child == {"trashed": True, "explicitlyTrashed": False}
    svc.files().update(fileId=b, body={"trashed": False}).execute()
    assert svc.files().get(fileId=f["id"], fields="trashed").execute() == {"trashed": False}


def test_update_media_replaces_content(drive_service) -> None:
    svc = drive_service()
    f = upload(svc, "p.jpg", make_image(2))
    new = make_image(99)
    got = svc.files().update(fileId=f["id"], media_body=MediaIoBaseUpload(io.BytesIO(new), mimetype="image/jpeg"),
                             fields="md5Checksum,size").execute()
    assert got["size"] == str(len(new)) and got["md5Checksum"] != f["md5Checksum"]
    assert svc.files().get_media(fileId=f["id"]).execute() == new


def test_delete_removes_folder_contents(drive_service, drive_emulator) -> None:
    svc = drive_service()
    a = folder(svc, "A")
    inner = folder(svc, "B", a)
    f = upload(svc, "p.jpg", make_image(2), parent=inner)
    assert svc.files().delete(fileId=a).execute() == ""
    for gone in (a, inner, f["id"]):
        with pytest.raises(HttpError):
            svc.files().get(fileId=gone).execute()
    assert admin(drive_emulator.url, "state")["files"] == []


def test_generated_ids_make_creates_idempotent(drive_service) -> None:
    svc = drive_service()
    ids = svc.files().generateIds(count=3).execute()["ids"]
    assert len(set(ids)) == 3 and all(len(i) == 33 for i in ids)
    first = upload(svc, "a.jpg", make_image(1), id=ids[0])
    assert first["id"] == ids[0]
    with pytest.raises(HttpError) as caught:
        upload(svc, "a.jpg", make_image(1), id=ids[0])
    assert caught.value.status_code == 409
    with pytest.raises(HttpError) as caught:
        upload(svc, "a.jpg", make_image(1), id="1" + "x" * 32)
    assert caught.value.status_code == 400
    with pytest.raises(HttpError) as caught:
        svc.files().generateIds(count=1001).execute()
    assert caught.value.status_code == 400


def test_duplicate_names_allowed_and_app_properties_limit(drive_service) -> None:
    svc = drive_service()
    one, two = upload(svc, "same.jpg", make_image(1)), upload(svc, "same.jpg", make_image(1))
    assert one["id"] != two["id"]
    with pytest.raises(HttpError) as caught:
        upload(svc, "b.jpg", make_image(1), appProperties={"k": "v" * 124})
    assert caught.value.status_code == 400
    upload(svc, "c.jpg", make_image(1), appProperties={"k": "v" * 123})  # 124 bytes: allowed


def test_parent_must_be_a_folder(drive_service) -> None:
    svc = drive_service()
    f = upload(svc, "a.jpg", make_image(1))
    with pytest.raises(HttpError) as caught:
        folder(svc, "X", parent=f["id"])
    assert caught.value.status_code == 403
    with pytest.raises(HttpError) as caught:
        folder(svc, "X", parent="missing")
    assert caught.value.status_code == 404


def test_about(drive_service) -> None:
    svc = drive_service()
    upload(svc, "a.jpg", data := make_image(1))
    about = svc.about().get(fields="user,storageQuota").execute()
    assert about["user"]["emailAddress"] == "tester@example.com" and about["user"]["me"] is True
    assert about["storageQuota"]["usage"] == str(len(data))
    with pytest.raises(HttpError) as caught:
        svc.about().get().execute()  # Drive requires fields on about.get
    assert caught.value.status_code == 400


def test_invalid_fields_answer_400(drive_service) -> None:
    svc = drive_service()
    with pytest.raises(HttpError) as caught:
        svc.files().list(fields="files(id,nmae)").execute()
    assert caught.value.status_code == 400 and reason(caught.value) == "invalidParameter"
    assert json.loads(caught.value.content)["error"]["message"] == "Invalid field selection files/nmae"


def test_thumbnail_link_is_a_short_lived_capability(drive_service) -> None:
    from wand.image import Image

    drive = drive_service()
    media = MediaIoBaseUpload(io.BytesIO(make_image(1, 640, 480)), mimetype="image/jpeg")
    made = drive.files().create(body={"name": "t.jpg"}, media_body=media, fields="id").execute()
    row = drive.files().get(fileId=made["id"], fields="hasThumbnail,thumbnailLink").execute()
    assert row["hasThumbnail"] is True and row["thumbnailLink"].endswith("=s220")
    with urllib.request.urlopen(row["thumbnailLink"]) as answer:  # no bearer token
        assert answer.headers["Content-Type"] == "image/jpeg"
        with Image(blob=answer.read()) as thumb:
            assert max(thumb.size) == 220
    assert "thumbnailLink" not in drive.files().get(fileId=made["id"], fields="id").execute()
    media = MediaIoBaseUpload(io.BytesIO(make_image(2, 640, 480)), mimetype="image/jpeg")
    drive.files().update(fileId=made["id"], media_body=media).execute()
    with pytest.raises(urllib.error.HTTPError) as stale:  # new content: the old link is gone
        urllib.request.urlopen(row["thumbnailLink"])
    assert stale.value.code == 404
    folder = drive.files().create(body={"name": "f", "mimeType": FOLDER}, fields="id").execute()
    assert drive.files().get(fileId=folder["id"], fields="hasThumbnail").execute() == {
        "hasThumbnail": False}
