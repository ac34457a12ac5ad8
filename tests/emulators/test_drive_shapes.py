"""Drive answers as independent clients of Drive v3 rely on them: default fields, ``fields=*``,
every documented ``orderBy`` key, page-token misuse, metadata updates, trash and delete of
folders, the change feed's parameters, and building the client from the served discovery
document. Raw HTTP with a bearer token, and the real googleapiclient where it builds requests.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
import requests
from googleapiclient.discovery import build

from photosync.emulators import admin
from photosync.emulators.drive import DISCOVERY
from photosync.emulators.drive_client import mint_credentials

FOLDER = "application/vnd.google-apps.folder"
DOC = json.loads(DISCOVERY.read_text())


@pytest.fixture
def drive(drive_emulator):
    url = drive_emulator.url
    headers = {"Authorization": "Bearer " + admin(url, "token", {})["token"]}
    api = f"{url}/drive/v3"

    def call(verb: str, path: str, **kwargs) -> requests.Response:
        return requests.request(verb, api + path, headers=headers, **kwargs)

    def upload(name: str, data: bytes, parent: str) -> dict:
        meta = json.dumps({"name": name, "parents": [parent]})
        answer = requests.post(f"{url}/upload/drive/v3/files", params={"uploadType": "multipart"},
                               headers=headers, files={"metadata": ("m", meta, "application/json"),
                                                       "file": ("f", data, "application/octet-stream")})
        assert answer.status_code == 200, answer.text
        return answer.json()
    return url, call, upload


def _folder(call, name: str, parent: str | None = None) -> str:
    body = {"name": name, "mimeType": FOLDER, **({"parents": [parent]} if parent else {})}
    return call("POST", "/files", json=body).json()["id"]


def test_default_fields_and_fields_star(drive):
    _, call, upload = drive
    folder = _folder(call, "F")
    created = upload("a.bin", b"x" * 10, folder)
    assert set(created) == {"kind", "id", "name", "mimeType"} and created["kind"] == "drive#file"
    listed = call("GET", "/files", params={"q": f"'{folder}' in parents"}).json()
    assert set(listed) == {"kind", "incompleteSearch", "files"} and listed["kind"] == "drive#fileList"
    assert listed["files"] == [created]
    assert call("GET", f"/files/{created['id']}").json() == created
    everything = call("GET", f"/files/{created['id']}", params={"fields": "*"}).json()
    assert {"parents", "size", "md5Checksum", "sha256Checksum", "createdTime", "modifiedTime", "trashed",
            "owners", "quotaBytesUsed"} <= set(everything) and everything["size"] == "10"
    star = call("GET", "/files", params={"q": f"'{folder}' in parents", "fields": "*"}).json()
    assert star["files"][0] == everything
    paged = call("GET", "/files", params={"pageSize": "1"}).json()
    assert set(paged) == {"kind", "incompleteSearch", "nextPageToken", "files"}


def test_every_documented_order_by_key(drive):
    _, call, upload = drive
    folder = _folder(call, "sizes")
    for name, size in (("mid", 20), ("big", 30), ("small", 10)):
        upload(name, b"y" * size, folder)
    keys = re.findall(r"\* `(\w+)`", DOC["resources"]["files"]["methods"]["list"]["parameters"]["orderBy"]["description"])
    assert {"createdTime", "folder", "modifiedByMeTime", "modifiedTime", "name", "name_natural",
            "quotaBytesUsed", "recency", "sharedWithMeTime", "starred", "viewedByMeTime"} <= set(keys)
    for key in keys:
        for order in (key, f"{key} desc", f"folder,{key} desc,name"):
            answer = call("GET", "/files", params={"orderBy": order})
            assert answer.status_code == 200, (order, answer.text)

    def names(order: str) -> list[str]:
        answer = call("GET", "/files", params={"q": f"'{folder}' in parents", "orderBy": order, "fields": "files(name)"})
        return [f["name"] for f in answer.json()["files"]]
    assert names("quotaBytesUsed") == ["small", "mid", "big"]
    assert names("quotaBytesUsed desc") == ["big", "mid", "small"]
    assert names("sharedWithMeTime,name") == ["big", "mid", "small"]
    bad = call("GET", "/files", params={"orderBy": "size"})
    assert bad.status_code == 400 and bad.json()["error"]["errors"][0]["reason"] == "invalidParameter"


def test_page_token_misuse_is_400(drive):
    _, call, _ = drive
    for i in range(3):
        _folder(call, f"f{i}")
    first = call("GET", "/files", params={"pageSize": "2", "q": "trashed = false"}).json()
    token = first["nextPageToken"]
    again = call("GET", "/files", params={"pageSize": "2", "q": "trashed = false", "pageToken": token}).json()
    assert len(again["files"]) == 1 and "nextPageToken" not in again
    for params in ({"pageToken": "not-a-token"}, {"pageToken": token, "q": "trashed = true"}):
        answer = call("GET", "/files", params={"pageSize": "2", **params})
        assert answer.status_code == 400, params
        error = answer.json()["error"]
        assert error["code"] == 400 and error["errors"][0]["location"] == "pageToken"


def test_update_trash_delete_and_the_change_feed(drive):
    _, call, upload = drive
    start = call("GET", "/changes/startPageToken").json()["startPageToken"]
    folder = _folder(call, "album")
    child = upload("p.jpg", b"z" * 5, folder)
    answer = call("PATCH", f"/files/{child['id']}", json={"appProperties": {"sig": "1", "keep": "k"}})
    assert answer.json() == {**child}  # default fields again
    updated = call("PATCH", f"/files/{child['id']}", params={"fields": "name,appProperties"},
                   json={"name": "q.jpg", "appProperties": {"sig": None, "new": "n"}}).json()
    assert updated == {"name": "q.jpg", "appProperties": {"keep": "k", "new": "n"}}  # null deletes a key

    trashed = call("PATCH", f"/files/{folder}", params={"fields": "trashed,explicitlyTrashed"},
                   json={"trashed": True}).json()
    assert trashed == {"trashed": True, "explicitlyTrashed": True}
    inside = call("GET", f"/files/{child['id']}", params={"fields": "trashed,explicitlyTrashed"}).json()
    assert inside == {"trashed": True, "explicitlyTrashed": False}
    live = call("GET", "/files", params={"q": "trashed = false", "fields": "files(id)"}).json()["files"]
    assert {folder, child["id"]}.isdisjoint(f["id"] for f in live)

    feed = call("GET", "/changes", params={"pageToken": start, "pageSize": "1", "restrictToMyDrive": "true",
                                           "fields": "changes(fileId,removed,file(name,trashed)),nextPageToken"})
    assert feed.status_code == 200, feed.text
    body = feed.json()
    assert set(body) == {"changes", "nextPageToken"} and len(body["changes"]) == 1
    assert set(body["changes"][0]) == {"fileId", "removed", "file"}
    assert set(body["changes"][0]["file"]) <= {"name", "trashed"}

    assert call("DELETE", f"/files/{folder}").status_code == 204
    assert call("GET", f"/files/{child['id']}").status_code == 404  # a folder's delete takes its children
    removed = call("GET", "/changes", params={"pageToken": start, "includeRemoved": "true"}).json()
    assert {c["fileId"] for c in removed["changes"] if c["removed"]} == {folder, child["id"]}
    assert all("file" not in c for c in removed["changes"] if c["removed"])
    assert "newStartPageToken" in removed and "nextPageToken" not in removed
    quiet = call("GET", "/changes", params={"pageToken": start, "includeRemoved": "false"}).json()
    assert not [c for c in quiet["changes"] if c["removed"]]
    assert call("GET", "/changes").status_code == 400  # pageToken is required


@pytest.mark.parametrize("template", ["/discovery/v1/apis/{api}/{apiVersion}/rest",
                                      "/$discovery/rest?version={apiVersion}"])
def test_client_built_from_either_discovery_url(drive_emulator, template):
    service = build("drive", "v3", credentials=mint_credentials(drive_emulator.url), static_discovery=False,
                    discoveryServiceUrl=drive_emulator.url + template, cache_discovery=False)
    assert service.about().get(fields="user(emailAddress)").execute() == {"user": {"emailAddress": "tester@example.com"}}
    created = service.files().create(body={"name": "d", "mimeType": FOLDER}).execute()
    assert set(created) == {"kind", "id", "name", "mimeType"}


def test_multipart_upload_as_form_data_mixed_and_base64(drive):
    """Browsers' FormData (multipart/form-data, named parts) and gapi's multipart/mixed with a
    base64 media part reach the same upload as multipart/related; a non-multipart body is 400."""
    url, call, upload = drive
    folder = _folder(call, "in")
    data = bytes(range(256)) * 4
    via_form = upload("form.bin", data, folder)  # requests' files= is multipart/form-data
    boundary = "-------314159265358979323846"
    body = (f"\r\n--{boundary}\r\nContent-Type: application/json\r\n\r\n"
            + json.dumps({"name": "mixed.bin", "parents": [folder]})
            + f"\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64.b64encode(data).decode() + f"\r\n--{boundary}--").encode()
    token = admin(url, "token", {})["token"]
    mixed = requests.post(f"{url}/upload/drive/v3/files", params={"uploadType": "multipart"}, data=body,
                          headers={"Authorization": f"Bearer {token}",
                                   "Content-Type": f'multipart/mixed; boundary="{boundary}"'})
    assert mixed.status_code == 200, mixed.text
    for created in (via_form, mixed.json()):
        meta = call("GET", f"/files/{created['id']}", params={"fields": "name,parents,md5Checksum"}).json()
        assert meta["parents"] == [folder] and meta["md5Checksum"] == hashlib.md5(data).hexdigest(), meta
    plain = requests.post(f"{url}/upload/drive/v3/files", params={"uploadType": "multipart"}, data=b"{}",
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert plain.status_code == 400 and plain.json()["error"]["errors"][0]["reason"] == "badContent"
