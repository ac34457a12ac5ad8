"""One-shot faults (``"once"`` in ``POST /_admin/faults``): the next N matching requests fail."""

from __future__ import annotations

import pytest
from googleapiclient.errors import HttpError

from photosync.emulators.drive_client import admin


def test_once_fault_hits_only_the_matching_method_and_path(drive_emulator, drive_service) -> None:
    svc = drive_service()
    answer = admin(drive_emulator.url, "faults", {"once": [
        {"kind": "http_503", "method": "drive.files.create", "path": "/upload/", "times": 2}]})
    assert answer["once"][0]["times"] == 2
    svc.files().list().execute()  # another method: untouched
    svc.files().create(body={"name": "meta-only"}).execute()  # same method, other path: untouched
    for _ in range(2):
        with pytest.raises(HttpError) as caught:
            svc.files().create(body={"name": "a.txt"}, media_body=_media(b"abc")).execute()
        assert caught.value.status_code == 503
    svc.files().create(body={"name": "a.txt"}, media_body=_media(b"abc")).execute()
    assert admin(drive_emulator.url, "faults")["once"] == []
    assert admin(drive_emulator.url, "calls")["statuses"]["503"] == 2


def test_bad_once_kind_is_refused(drive_emulator) -> None:
    import urllib.error
    with pytest.raises(urllib.error.HTTPError):
        admin(drive_emulator.url, "faults", {"once": [{"kind": "meteor"}]})


def _media(data: bytes):
    import io
    from googleapiclient.http import MediaIoBaseUpload
    return MediaIoBaseUpload(io.BytesIO(data), "text/plain")
