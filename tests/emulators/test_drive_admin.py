"""Admin routes, seeding, persistence across restarts, rate limits, faults, concurrent clients."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import threading

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from photosync.emulators import start
from photosync.emulators.drive_client import admin, service_for


def put(svc, name: str, **meta) -> str:
    media = MediaIoBaseUpload(io.BytesIO(name.encode()), mimetype="text/plain")
    return svc.files().create(body={"name": name, **meta}, media_body=media, fields="id").execute()["id"]


def test_state_seed_and_reset(drive_emulator, drive_service) -> None:
    seeded = admin(drive_emulator.url, "seed", {"count": 6, "albums": 2, "seed": 4})
    svc = drive_service()
    own = put(svc, "mine.txt", appProperties={"k": "v"})
    state = admin(drive_emulator.url, "state")
    assert state["accounts"] == ["tester@example.com"]
    by_name = {f["name"]: f for f in state["files"]}
    assert set(by_name) == {"Photos", "Album 001", "Album 002", "mine.txt"} | {f"IMG_{i:06d}.jpg" for i in range(1, 7)}
    assert by_name["mine.txt"] == {"id": own, "name": "mine.txt", "parents": [seeded["root"]],
                                   "mimeType": "text/plain", "appProperties": {"k": "v"}, "trashed": False,
                                   "owner": "tester@example.com",
                                   "md5Checksum": hashlib.md5(b"mine.txt").hexdigest()}
    assert by_name["IMG_000001.jpg"]["parents"] == [seeded["albums"][0]]
    assert by_name["IMG_000006.jpg"]["parents"] == [seeded["albums"][1]]
    assert admin(drive_emulator.url, "reset", {}) == {"ok": True}
    assert admin(drive_emulator.url, "state") == {"accounts": [], "files": []}
    assert admin(drive_emulator.url, "calls")["total"] == 0


def test_seeded_photos_are_real_and_deterministic(drive_service, drive_emulator) -> None:
    admin(drive_emulator.url, "seed", {"count": 3, "albums": 1, "seed": 11, "start": "2018-03-04T05:06:07"})
    svc = drive_service()
    files = svc.files().list(q="mimeType = 'image/jpeg'", orderBy="name",
                             fields="files(id,name,md5Checksum,size,imageMediaMetadata)").execute()["files"]
    assert [f["name"] for f in files] == ["IMG_000001.jpg", "IMG_000002.jpg", "IMG_000003.jpg"]
    times = [f["imageMediaMetadata"]["time"] for f in files]
    assert times == sorted(times) and all(t.startswith("2018:03:0") for t in times)
    data = svc.files().get_media(fileId=files[0]["id"]).execute()
    assert hashlib.md5(data).hexdigest() == files[0]["md5Checksum"] and str(len(data)) == files[0]["size"]
    assert data[:2] == b"\xff\xd8"
    twin = start("drive")
    try:
        admin(twin.url, "seed", {"count": 3, "albums": 1, "seed": 11, "start": "2018-03-04T05:06:07"})
        again = service_for(twin.url).files().list(q="mimeType = 'image/jpeg'", orderBy="name",
                                                   fields="files(id,md5Checksum)").execute()["files"]
        assert again == [{"id": f["id"], "md5Checksum": f["md5Checksum"]} for f in files]
    finally:
        twin.stop()


def test_seeding_fifty_thousand_is_cheap(drive_emulator, drive_service) -> None:
    seeded = admin(drive_emulator.url, "seed", {"count": 50_000, "albums": 50})
    assert seeded["files"] == 50_000 and len(drive_emulator.app.store.files) == 50_000 + 52
    svc = drive_service()
    page = svc.files().list(q=f"'{seeded['albums'][7]}' in parents and trashed = false", pageSize=1000,
                            fields="nextPageToken,files(id,name)").execute()
    assert len(page["files"]) == 1000 and "nextPageToken" not in page


def test_persistence_across_restart(tmp_path) -> None:
    def launch() -> tuple[subprocess.Popen, str]:
        proc = subprocess.Popen([sys.executable, "-c", "from photosync.emulators.cli import run; run()", "drive", "--data",
                                 str(tmp_path / "data")], stdout=subprocess.PIPE, text=True)
        line = proc.stdout.readline().split()
        assert line[0] == "ready"
        return proc, line[1]

    proc, url = launch()
    try:
        info = admin(url, "token", {})
        svc = service_for(url)
        folder = svc.files().create(body={"name": "kept", "mimeType": "application/vnd.google-apps.folder"},
                                    fields="id").execute()["id"]
        file_id = put(svc, "kept.txt", parents=[folder])
        token = svc.changes().getStartPageToken().execute()["startPageToken"]
        before = admin(url, "state")
        credentials = admin(url, "credentials")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    proc, url = launch()
    try:
        assert admin(url, "state") == before
        assert admin(url, "credentials")["installed"]["client_id"] == credentials["installed"]["client_id"]
        svc = service_for(url)
        assert svc.files().get_media(fileId=file_id).execute() == b"kept.txt"
        assert svc.changes().getStartPageToken().execute()["startPageToken"] == token
        import requests
        old = requests.get(url + "/drive/v3/files", headers={"Authorization": "Bearer " + info["token"]}, timeout=10)
        assert old.status_code == 200  # tokens survive too
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    assert (tmp_path / "data" / "state.json").exists()


def test_rate_limit_answers_403_user_rate_limit() -> None:
    server = start("drive", rate_limit=3)
    try:
        svc = service_for(server.url)
        for _ in range(3):
            svc.files().list().execute()
        with pytest.raises(HttpError) as caught:
            svc.files().list().execute()
        assert caught.value.status_code == 403
        assert caught.value.error_details[0]["reason"] == "userRateLimitExceeded"
        assert int(caught.value.resp["retry-after"]) >= 1
        other = service_for(server.url, account="other@example.com")  # the limit is per user
        other.files().list().execute()
    finally:
        server.stop()


@pytest.mark.parametrize(("kind", "status", "reason"), [("http_500", 500, "backendError"),
                                                        ("http_503", 503, "backendError"),
                                                        ("http_502", 502, None),
                                                        ("rate_limit", 429, "rateLimitExceeded")])
def test_injected_faults_are_answered_and_counted(drive_emulator, drive_service, kind, status, reason) -> None:
    svc = drive_service()
    admin(drive_emulator.url, "faults", {"rates": {kind: 1.0}})
    with pytest.raises(HttpError) as caught:
        svc.files().list().execute()
    admin(drive_emulator.url, "faults", {"rates": {kind: 0.0}})
    assert caught.value.status_code == status
    if reason:
        assert caught.value.error_details[0]["reason"] == reason
    svc.files().list().execute()
    calls = admin(drive_emulator.url, "calls")
    assert calls["statuses"][str(status)] == 1 and calls["methods"]["drive.files.list"] == 2


def test_truncated_download_is_detectable(drive_emulator, drive_service) -> None:
    svc = drive_service()
    file_id = put(svc, "x" * 100)
    admin(drive_emulator.url, "faults", {"rates": {"truncate": 1.0}})
    with pytest.raises(Exception):
        svc.files().get_media(fileId=file_id).execute()
    admin(drive_emulator.url, "faults", {"rates": {"truncate": 0.0}})
    assert admin(drive_emulator.url, "calls")["statuses"]["200-cut"] == 1
    assert svc.files().get_media(fileId=file_id).execute() == b"x" * 100


def test_concurrent_clients(drive_emulator) -> None:
    errors: list[BaseException] = []
    ids: list[str] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        try:
            svc = service_for(drive_emulator.url)  # one service per thread
            mine = [put(svc, f"t{n}-{i}") for i in range(8)]
            listed = svc.files().list(q=f"name contains 't{n}-'", fields="files(id)").execute()["files"]
            assert {f["id"] for f in listed} >= set(mine)
            with lock:
                ids.extend(mine)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(set(ids)) == 64 and len(admin(drive_emulator.url, "state")["files"]) == 64


def test_unknown_admin_route(drive_emulator) -> None:
    import urllib.error
    with pytest.raises(urllib.error.HTTPError) as caught:
        admin(drive_emulator.url, "nonsense")
    assert caught.value.code == 404
