"""files.list: q through the real client, pagination edges, orderBy, fields, long queries."""

from __future__ import annotations

import io

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from photosync.emulators.drive_client import admin

FOLDER = "application/vnd.google-apps.folder"


def make_folder(svc, name: str, parent: str = "root") -> str:
    return svc.files().create(body={"name": name, "mimeType": FOLDER, "parents": [parent]},
                              fields="id").execute()["id"]


def put(svc, name: str, parent: str, **meta) -> str:
    media = MediaIoBaseUpload(io.BytesIO(name.encode()), mimetype="text/plain")
    return svc.files().create(body={"name": name, "parents": [parent], **meta}, media_body=media,
                              fields="id").execute()["id"]


def list_all(svc, **kwargs) -> tuple[list[dict], int]:
    """Every page; returns (files, number of calls)."""
    files, token, calls = [], None, 0
    while True:
        page = svc.files().list(pageToken=token, **kwargs).execute()
        calls += 1
        files.extend(page.get("files", []))
        token = page.get("nextPageToken")
        if not token:
            return files, calls


@pytest.mark.parametrize(("count", "page_size", "pages"), [(0, 5, 1), (1, 5, 1), (5, 5, 1), (6, 5, 2),
                                                            (10, 5, 2), (11, 1000, 1)])
def test_pagination_edges(drive_emulator, drive_service, count, page_size, pages) -> None:
    seeded = admin(drive_emulator.url, "seed", {"count": count, "albums": 1, "parent": None})
    svc = drive_service()
    album = seeded["albums"][0]
    files, calls = list_all(svc, q=f"'{album}' in parents", pageSize=page_size,
                            fields="nextPageToken,files(id,name)")
    assert len(files) == count and len({f["id"] for f in files}) == count
    assert calls == pages


def test_default_page_size_is_100_and_limits(drive_emulator, drive_service) -> None:
    admin(drive_emulator.url, "seed", {"count": 150, "albums": 1, "parent": None})
    svc = drive_service()
    first = svc.files().list(q="mimeType = 'image/jpeg'").execute()
    assert len(first["files"]) == 100 and "nextPageToken" in first
    assert set(first["files"][0]) == {"kind", "id", "name", "mimeType"}
    for bad in (0, 1001):
        with pytest.raises(HttpError) as caught:
            svc.files().list(pageSize=bad).execute()
        assert caught.value.status_code == 400
    with pytest.raises(HttpError) as caught:
        svc.files().list(pageToken="garbage").execute()
    assert caught.value.status_code == 400


def test_queries_through_the_client(drive_service) -> None:
    svc = drive_service()
    a = make_folder(svc, "Alpha")
    b = make_folder(svc, "Beta", a)
    p1 = put(svc, "one.txt", a, appProperties={"sig": "s1"})
    p2 = put(svc, "two's.txt", b, appProperties={"sig": "s2"})
    p3 = put(svc, "three.txt", a)
    svc.files().update(fileId=p3, body={"trashed": True}).execute()

    def ids(q: str) -> set[str]:
        return {f["id"] for f in list_all(svc, q=q, fields="nextPageToken,files(id)")[0]}

    assert ids(f"'{a}' in parents") == {b, p1, p3}  # trashed included unless asked
    assert ids(f"'{a}' in parents and trashed = false") == {b, p1}
    assert ids(f"'{a}' in parents and mimeType != '{FOLDER}' and trashed = false") == {p1}
    assert ids("name = 'two\\'s.txt'") == {p2}
    assert ids("appProperties has { key='sig' and value='s2' }") == {p2}
    assert ids(f"('{b}' in parents or name contains 'one') and not trashed = true") == {p1, p2}
    assert ids(f"mimeType = '{FOLDER}'") == {a, b}
    assert ids("modifiedTime > '2000-01-01T00:00:00'") == {a, b, p1, p2, p3}
    assert ids("modifiedTime > '2999-01-01T00:00:00Z'") == set()
    with pytest.raises(HttpError) as caught:
        svc.files().list(q="name === 'x'").execute()
    assert caught.value.status_code == 400 and caught.value.error_details[0]["reason"] == "invalid"


def test_order_by(drive_service) -> None:
    svc = drive_service()
    parent = make_folder(svc, "P")
    for day, name in enumerate(("b10", "a", "b2", "C"), start=1):
        stamp = f"2020-01-0{day}T00:00:00.000Z"
        put(svc, name, parent, createdTime=stamp, modifiedTime=stamp)
    q = f"'{parent}' in parents"

    def names(order: str) -> list[str]:
        return [f["name"] for f in svc.files().list(q=q, orderBy=order, fields="files(name)").execute()["files"]]

    assert names("name") == ["C", "a", "b10", "b2"]
    assert names("name desc") == ["b2", "b10", "a", "C"]
    assert names("name_natural") == ["a", "b2", "b10", "C"]
    assert names("createdTime") == ["b10", "a", "b2", "C"]
    assert names("modifiedTime desc,name") == ["C", "b2", "a", "b10"]
    with pytest.raises(HttpError):
        names("size")


def test_long_query_goes_as_post_with_method_override(drive_emulator, drive_service) -> None:
    svc = drive_service()
    parent = make_folder(svc, "P")
    wanted = put(svc, "target", parent)
    names = " or ".join(f"name = 'missing-{i:04d}'" for i in range(120)) + " or name = 'target'"
    request = svc.files().list(q=f"'{parent}' in parents and ({names})", fields="files(id)")
    assert len(request.uri) > 2048
    assert request.execute() == {"files": [{"id": wanted}]}
    calls = admin(drive_emulator.url, "calls")
    assert calls["methods"]["drive.files.list"] == 1


def test_fields_on_lists(drive_service) -> None:
    svc = drive_service()
    parent = make_folder(svc, "P")
    put(svc, "x", parent)
    page = svc.files().list(q=f"'{parent}' in parents", fields="files(id,name,parents)").execute()
    assert set(page) == {"files"} and set(page["files"][0]) == {"id", "name", "parents"}
    page = svc.files().list(q=f"'{parent}' in parents", fields="files").execute()
    assert {"id", "name", "md5Checksum", "size", "createdTime"} <= set(page["files"][0])
    page = svc.files().list(q=f"'{parent}' in parents", fields="files/id,kind").execute()
    assert set(page) == {"kind", "files"} and set(page["files"][0]) == {"id"}


def test_root_alias_in_queries_and_parents(drive_service) -> None:
    svc = drive_service()
    top = make_folder(svc, "Top", "root")
    inner = put(svc, "inner", top)
    listed = svc.files().list(q="'root' in parents", fields="files(id)").execute()["files"]
    assert [f["id"] for f in listed] == [top]
    moved = svc.files().update(fileId=inner, addParents="root", removeParents=top, fields="parents").execute()
    root_id = svc.files().get(fileId="root", fields="id").execute()["id"]
    assert moved == {"parents": [root_id]}
