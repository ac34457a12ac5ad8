"""changes.getStartPageToken / changes.list through the real client."""

from __future__ import annotations

import io

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from photosync.emulators.drive_client import admin


def put(svc, name: str) -> str:
    media = MediaIoBaseUpload(io.BytesIO(name.encode()), mimetype="text/plain")
    return svc.files().create(body={"name": name}, media_body=media, fields="id").execute()["id"]


def walk(svc, token: str, **kwargs) -> tuple[list[dict], str, int]:
    """All changes since ``token``: (changes, newStartPageToken, pages)."""
    changes, pages = [], 0
    while True:
        page = svc.changes().list(pageToken=token, **kwargs).execute()
        pages += 1
        changes.extend(page["changes"])
        assert ("nextPageToken" in page) != ("newStartPageToken" in page)
        if "newStartPageToken" in page:
            return changes, page["newStartPageToken"], pages
        token = page["nextPageToken"]


def test_changes_feed(drive_service) -> None:
    svc = drive_service()
    start = svc.changes().getStartPageToken().execute()
    assert start["kind"] == "drive#startPageToken"
    token = start["startPageToken"]
    assert walk(svc, token) == ([], token, 1)
    a, b, c = put(svc, "a"), put(svc, "b"), put(svc, "c")
    svc.files().update(fileId=a, body={"name": "a2"}).execute()
    svc.files().update(fileId=b, body={"trashed": True}).execute()
    svc.files().delete(fileId=c).execute()
    changes, new_token, pages = walk(svc, token, pageSize=1,
                                     fields="nextPageToken,newStartPageToken,changes(fileId,removed,time,file(name,trashed))")
    assert pages == 3  # one per file: a change supersedes the earlier ones of the same file
    by_id = {ch["fileId"]: ch for ch in changes}
    assert by_id[a]["file"] == {"name": "a2", "trashed": False}
    assert by_id[b]["file"] == {"name": "b", "trashed": True} and by_id[b]["removed"] is False
    assert by_id[c]["removed"] is True and "file" not in by_id[c]
    assert all(ch["time"].endswith("Z") for ch in changes)
    assert walk(svc, new_token) == ([], new_token, 1)
    without_removed, _, _ = walk(svc, token, includeRemoved=False)
    assert {ch["fileId"] for ch in without_removed} == {a, b}
    default = svc.changes().list(pageToken=token).execute()["changes"][0]
    assert {"kind", "changeType", "time", "removed", "fileId", "file"} <= set(default)
    assert set(default["file"]) == {"kind", "id", "name", "mimeType"}


def test_changes_page_size_edges(drive_emulator, drive_service) -> None:
    svc = drive_service()
    token = svc.changes().getStartPageToken().execute()["startPageToken"]
    admin(drive_emulator.url, "seed", {"count": 8, "albums": 1, "parent": None})  # 1 folder + 8 photos
    for size, pages in ((9, 1), (8, 2), (1000, 1), (4, 3)):
        changes, _, got_pages = walk(svc, token, pageSize=size)
        assert len(changes) == 9 and got_pages == pages


def test_changes_other_account_and_bad_tokens(drive_service) -> None:
    svc, other = drive_service(), drive_service(account="other@example.com")
    token = svc.changes().getStartPageToken().execute()["startPageToken"]
    put(other, "theirs")
    assert walk(svc, token)[0] == []
    with pytest.raises(HttpError) as caught:
        svc.changes().list(pageToken="not-a-token").execute()
    assert caught.value.status_code == 400
