"""Uploads through the real googleapiclient: media, multipart, resumable, and resumable uploads
that survive cut connections (injected faults, and a chunk cut off by a raw socket)."""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import socket
import urllib.parse

import httplib2
import pytest
import requests
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from photosync.emulators.drive_client import admin

CHUNK = 256 * 1024


def payload(size: int, seed: int = 0) -> bytes:
    return hashlib.sha256(str(seed).encode()).digest() * (size // 32) + b"x" * (size % 32)


def test_media_upload_without_metadata(drive_service) -> None:
    svc = drive_service()
    data = payload(1000)
    got = svc.files().create(media_body=MediaIoBaseUpload(io.BytesIO(data), mimetype="application/octet-stream"),
                             fields="id,name,mimeType,size").execute()
    assert got["name"] == "Untitled" and got["mimeType"] == "application/octet-stream"
    assert got["size"] == "1000"


def test_resumable_upload_in_chunks(drive_emulator, drive_service) -> None:
    svc = drive_service()
    data = payload(3 * CHUNK + 123)
    media = MediaIoBaseUpload(io.BytesIO(data), mimetype="image/jpeg", chunksize=CHUNK, resumable=True)
    request = svc.files().create(body={"name": "big.bin", "appProperties": {"k": "v"}}, media_body=media,
                                 fields="id,size,md5Checksum,appProperties")
    progress, response = [], None
    while response is None:
        status, response = request.next_chunk()
        if status:
            progress.append(status.resumable_progress)
    assert progress == [CHUNK, 2 * CHUNK, 3 * CHUNK]
    assert response["md5Checksum"] == hashlib.md5(data).hexdigest() and response["appProperties"] == {"k": "v"}
    assert svc.files().get_media(fileId=response["id"]).execute() == data
    assert admin(drive_emulator.url, "calls")["statuses"]["308"] == 3


def test_resumable_update_of_content(drive_service) -> None:
    svc = drive_service()
    first = svc.files().create(body={"name": "f"}, fields="id",
                               media_body=MediaIoBaseUpload(io.BytesIO(b"old"), mimetype="text/plain")).execute()
    data = payload(CHUNK + 5, 1)
    media = MediaIoBaseUpload(io.BytesIO(data), mimetype="text/plain", chunksize=CHUNK, resumable=True)
    request = svc.files().update(fileId=first["id"], body={"name": "g"}, media_body=media, fields="name,size")
    response = None
    while response is None:
        _, response = request.next_chunk()
    assert response == {"name": "g", "size": str(len(data))}


@pytest.mark.parametrize("fault_seed", [1, 2, 3])
def test_resumable_upload_survives_injected_faults(drive_emulator, drive_service, fault_seed) -> None:
    # Built before the faults start. A short timeout: after a reset, httplib2 silently re-sends a
    # chunk whose stream it already consumed (no bytes) and then waits for the socket timeout.
    svc = drive_service(timeout=2)
    admin(drive_emulator.url, "faults", {"seed": fault_seed, "rates": {
        "reset_mid_body": 0.3, "reset": 0.15, "http_503": 0.1}})
    data = payload(5 * CHUNK + 77, fault_seed)
    media = MediaIoBaseUpload(io.BytesIO(data), mimetype="application/octet-stream", chunksize=CHUNK,
                              resumable=True)
    request = svc.files().create(body={"name": "faulty.bin"}, media_body=media, fields="id,md5Checksum")
    response, failures = None, 0
    while response is None:
        assert failures < 60
        try:
            _, response = request.next_chunk()
        except HttpError as error:
            assert error.status_code == 503
            failures += 1
        except (OSError, http.client.HTTPException, httplib2.HttpLib2Error):
            failures += 1
    admin(drive_emulator.url, "faults", {"rates": {"reset_mid_body": 0, "reset": 0, "http_503": 0}})
    assert response["md5Checksum"] == hashlib.md5(data).hexdigest()
    files = admin(drive_emulator.url, "state")["files"]
    assert [f["name"] for f in files] == ["faulty.bin"]  # once, whatever got lost on the way
    statuses = admin(drive_emulator.url, "calls")["statuses"]
    injected = sum(statuses.get(k, 0) for k in ("reset", "200-cut", "308-cut", "503"))
    assert injected > 0 and injected >= failures  # httplib2 hides some resets by re-sending


def _start_session(url: str, token: str, total: int) -> str:
    answer = requests.post(url + "/upload/drive/v3/files?uploadType=resumable",
                           headers={"Authorization": "Bearer " + token, "X-Upload-Content-Type": "image/jpeg",
                                    "X-Upload-Content-Length": str(total),
                                    "Content-Type": "application/json; charset=UTF-8"},
                           data=json.dumps({"name": "cut.bin"}), timeout=10)
    assert answer.status_code == 200 and answer.content == b""
    return answer.headers["Location"]


def test_chunk_cut_by_the_network_keeps_what_arrived(drive_emulator) -> None:
    token = admin(drive_emulator.url, "token", {})["token"]
    data = payload(2 * CHUNK, 9)
    location = _start_session(drive_emulator.url, token, len(data))
    auth = {"Authorization": "Bearer " + token}
    status = requests.put(location, headers={**auth, "Content-Range": f"bytes */{len(data)}"}, timeout=10)
    assert status.status_code == 308 and "Range" not in status.headers  # nothing arrived yet
    parts = urllib.parse.urlsplit(location)
    sent = CHUNK + 1000
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        head = (f"PUT {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                f"Authorization: Bearer {token}\r\nContent-Length: {len(data)}\r\n"
                f"Content-Range: bytes 0-{len(data) - 1}/{len(data)}\r\n\r\n")
        sock.sendall(head.encode() + data[:sent])
        sock.shutdown(socket.SHUT_WR)  # the connection dies mid-body
        try:
            sock.recv(100)
        except OSError:
            pass
    status = requests.put(location, headers={**auth, "Content-Range": f"bytes */{len(data)}"}, timeout=10)
    assert status.status_code == 308 and status.headers["Range"] == f"bytes=0-{sent - 1}"
    rest = requests.put(location, headers={**auth, "Content-Range": f"bytes {sent}-{len(data) - 1}/{len(data)}"},
                        data=data[sent:], timeout=10)
    assert rest.status_code == 200 and rest.json()["name"] == "cut.bin"
    again = requests.put(location, headers={**auth, "Content-Range": f"bytes */{len(data)}"}, timeout=10)
    assert again.status_code == 200 and again.json()["id"] == rest.json()["id"]  # a lost answer costs nothing
    md5 = [f["md5Checksum"] for f in admin(drive_emulator.url, "state")["files"]]
    assert md5 == [hashlib.md5(data).hexdigest()]


def test_unknown_session_and_bad_range(drive_emulator) -> None:
    token = admin(drive_emulator.url, "token", {})["token"]
    auth = {"Authorization": "Bearer " + token}
    missing = requests.put(drive_emulator.url + "/upload/drive/v3/files?uploadType=resumable&upload_id=nope",
                           headers={**auth, "Content-Range": "bytes */10"}, timeout=10)
    assert missing.status_code == 404
    location = _start_session(drive_emulator.url, token, 10)
    bad = requests.put(location, headers={**auth, "Content-Range": "bytes=0-9"}, data=b"0123456789", timeout=10)
    assert bad.status_code == 400
    gap = requests.put(location, headers={**auth, "Content-Range": "bytes 5-9/10"}, data=b"56789", timeout=10)
    assert gap.status_code == 308 and "Range" not in gap.headers  # nothing before byte 5 arrived


def test_multipart_with_unicode_name(drive_service) -> None:
    svc = drive_service()
    data = os.urandom(5000)
    got = svc.files().create(body={"name": "été 2020 — 東京.jpg"}, fields="name,size",
                             media_body=MediaIoBaseUpload(io.BytesIO(data), mimetype="image/jpeg")).execute()
    assert got == {"name": "été 2020 — 東京.jpg", "size": "5000"}


def test_a_full_drive_refuses_content_with_storage_quota_exceeded(drive_emulator, drive_service) -> None:
    svc = drive_service()
    admin(drive_emulator.url, "quota", {"limit": 5000})
    small = svc.files().create(body={"name": "fits.bin"}, fields="id", media_body=MediaIoBaseUpload(
        io.BytesIO(payload(3000)), mimetype="application/octet-stream")).execute()
    assert small["id"]
    for resumable in (False, True):  # a resumable upload is refused at its start
        media = MediaIoBaseUpload(io.BytesIO(payload(3000, 1)), mimetype="image/jpeg", chunksize=CHUNK,
                                  resumable=resumable)
        with pytest.raises(HttpError) as refused:
            svc.files().create(body={"name": "too-much.bin"}, media_body=media, fields="id").execute()
        assert refused.value.status_code == 403
        assert refused.value.error_details[0]["reason"] == "storageQuotaExceeded"
    folder = svc.files().create(body={"name": "still fine", "mimeType": "application/vnd.google-apps.folder"},
                                fields="id").execute()  # no content: no quota
    assert folder["id"]
    about = svc.about().get(fields="storageQuota").execute()
    assert about["storageQuota"]["limit"] == "5000" and about["storageQuota"]["usage"] == "3000"
    admin(drive_emulator.url, "quota", {"limit": None})
    assert svc.about().get(fields="storageQuota").execute()["storageQuota"]["limit"] == str(15 * 1024 ** 3)


def test_the_daily_upload_limit_refuses_new_uploads_and_lets_open_sessions_finish(
        drive_emulator, drive_service) -> None:
    svc = drive_service()
    admin(drive_emulator.url, "upload_limit", {"bytes": CHUNK, "used": 0})
    data = payload(2 * CHUNK + 10, 2)
    open_session = svc.files().create(body={"name": "under way.bin"}, fields="id,size", media_body=(
        MediaIoBaseUpload(io.BytesIO(data), mimetype="image/jpeg", chunksize=CHUNK, resumable=True)))
    assert open_session.next_chunk()[1] is None  # started (and one chunk sent) under the limit
    crossed = svc.files().create(body={"name": "crosses.bin"}, fields="id", media_body=(
        MediaIoBaseUpload(io.BytesIO(payload(CHUNK, 3)), mimetype="image/jpeg"))).execute()
    for resumable in (False, True):  # the limit reached: refused, a resumable one at its start
        media = MediaIoBaseUpload(io.BytesIO(payload(3000, 4)), mimetype="image/jpeg",
                                  chunksize=CHUNK, resumable=resumable)
        with pytest.raises(HttpError) as refused:
            svc.files().create(body={"name": "refused.bin"}, media_body=media, fields="id").execute()
        assert refused.value.status_code == 403 and "retry-after" not in refused.value.resp
        assert refused.value.error_details[0]["reason"] == "userRateLimitExceeded"
        assert refused.value.error_details[0]["message"] == "User rate limit exceeded."
    with pytest.raises(HttpError) as refused:  # new content for a file: an upload too
        svc.files().update(fileId=crossed["id"], media_body=MediaIoBaseUpload(
            io.BytesIO(b"x"), mimetype="image/jpeg")).execute()
    assert refused.value.error_details[0]["reason"] == "userRateLimitExceeded"
    response = None
    while response is None:  # "uploads that are in progress will complete"
        _status, response = open_session.next_chunk()
    assert response["size"] == str(len(data))
    folder = svc.files().create(body={"name": "no content", "mimeType":
                                      "application/vnd.google-apps.folder"}, fields="id").execute()
    assert folder["id"]
    used = admin(drive_emulator.url, "upload_limit", {"used": 0})  # a new day
    assert used["bytes"] == CHUNK and set(used["used"].values()) == {0}
    svc.files().create(body={"name": "next day.bin"}, fields="id", media_body=MediaIoBaseUpload(
        io.BytesIO(payload(3000, 5)), mimetype="image/jpeg")).execute()
    assert admin(drive_emulator.url, "upload_limit", {"bytes": None})["bytes"] == 750 * 1000 ** 3
