"""DriveRemote against the Drive emulator: the whole contract suite, then what only Drive has."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from pathlib import Path

import pytest

from photosync.emulators import start
from photosync.emulators.drive_client import admin, mint_credentials
from photosync.remotes.drive import DriveRemote
from photosync.remotes.pace import RateLimiter

from .contract import Fault, Harness, RemoteContract

# A protocol method -> the emulator request its first fault should hit: (method id, URL part).
TARGETS = {"upload": ("drive.files.create", "/upload/"), "replace": ("drive.files.update", "/upload/"),
           "download": ("drive.files.get", ""), "delete": ("drive.files.update", "")}
RANDOM_KINDS = ("http_500", "http_502", "http_503", "reset", "reset_mid_body")  # no 30 s Retry-After


def inject(url: str, rates: dict[str, float], fault: Fault) -> None:
    """A contract Fault as emulator faults. Random rates are per HTTP request and a protocol call
    makes about two, so they are halved (a lost-response rate on one method: a quarter, spread
    over every request as ``reset_mid_body``)."""
    if fault.rate > 0:
        if fault.lost_response:
            rates["reset_mid_body"] = rates.get("reset_mid_body", 0) + fault.rate / 4
        else:
            for kind in RANDOM_KINDS:
                rates[kind] = rates.get(kind, 0) + fault.rate / 2 / len(RANDOM_KINDS)
        admin(url, "faults", {"seed": fault.seed, "rates": rates})
        return
    method, part = TARGETS.get(fault.method, ("*", ""))
    kind = "reset_mid_body" if fault.lost_response else "http_503"
    admin(url, "faults", {"once": [{"kind": kind, "method": method, "path": part, "times": fault.times}]})


@pytest.fixture
def drive_remotes():
    """``make(page_size, limiter, **options)`` -> (remote, emulator URL), each on its own emulator."""
    servers = []

    def make(page_size: int = 50, limiter: RateLimiter | None = None, **options) -> tuple[DriveRemote, str]:
        server = start("drive", auto_approve=True)
        servers.append(server)
        remote = DriveRemote(mint_credentials(server.url), server.url, "Photos", page_size=page_size,
                             limiter=limiter, timeout=5.0, **options)
        return remote, server.url
    yield make
    for server in servers:
        server.stop()


class TestDrive(RemoteContract):
    @pytest.fixture
    def make_remote(self, drive_remotes):
        def make(page_size: int = 50, limiter: RateLimiter | None = None) -> Harness:
            remote, url = drive_remotes(page_size, limiter)
            rates: dict[str, float] = {}
            return Harness(remote, inject=lambda fault: inject(url, rates, fault),
                           api_calls=lambda: admin(url, "calls")["total"])
        return make


# -- what only Drive has ---------------------------------------------------------------------------

import io  # noqa: E402

from googleapiclient.http import MediaIoBaseUpload  # noqa: E402

from photosync.emulators.drive_client import service_for  # noqa: E402
from photosync.emulators.images import make_image  # noqa: E402
from photosync.errors import AuthorizationNeeded, Conflict, TransientError  # noqa: E402
from photosync.remotes.base import changes_since, list_all  # noqa: E402
from photosync.remotes.drive_transfer import download  # noqa: E402
from photosync.atomic import is_partial  # noqa: E402
from photosync.remotes.retry import RetryingRemote  # noqa: E402

from tests.media_files import make_video, pad_video  # noqa: E402

from .contract import FakeClock  # noqa: E402


def jpeg(tmp_path: Path, seed: int, name: str | None = None) -> Path:
    path = tmp_path / (name or f"p{seed}.jpg")
    path.write_bytes(make_image(f"drive-{seed}"))
    return path


def big_jpeg(tmp_path: Path, size: int) -> Path:
    """A file that starts like a JPEG (so it is stored as image/jpeg) padded to ``size`` bytes."""
    path = tmp_path / "big.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(size - 4))
    return path


def test_nested_folders_are_albums_and_user_folders_are_kept(drive_remotes, tmp_path) -> None:
    remote, url = drive_remotes()
    a = remote.upload(jpeg(tmp_path, 1), "a.jpg", "2021/Trip/Day 1", "a" * 64)
    b = remote.upload(jpeg(tmp_path, 2), "b.jpg", "2021", "b" * 64)
    c = remote.upload(jpeg(tmp_path, 3), "c.jpg", None, "c" * 64)
    assert (a.albums, b.albums, c.albums) == (("2021/Trip/Day 1",), ("2021",), ())
    svc = service_for(url)
    root = remote.folders.now().root_id
    mine = svc.files().create(body={"name": "Family", "parents": [root],
                                    "mimeType": "application/vnd.google-apps.folder"}).execute()
    albums = {x.title: x for x in remote.list_albums()}
    assert set(albums) == {"2021", "2021/Trip", "2021/Trip/Day 1", "Family"}
    assert albums["2021/Trip/Day 1"].item_ids == (a.id,) and albums["2021"].owned_by_us
    assert not albums["Family"].owned_by_us
    with pytest.raises(Conflict):
        remote.delete_album(mine["id"])
    with pytest.raises(Conflict):  # ours, but it holds another album
        remote.delete_album(albums["2021"].id)
    listed = {i.id: i.albums for i in list_all(remote).items}
    assert listed == {a.id: ("2021/Trip/Day 1",), b.id: ("2021",), c.id: ()}


def test_files_outside_the_library_folder_are_ignored(drive_remotes, tmp_path) -> None:
    remote, url = drive_remotes()
    inside = remote.upload(jpeg(tmp_path, 1), "in.jpg", None, "a" * 64)
    svc = service_for(url)
    svc.files().create(body={"name": "out.jpg"}, media_body=MediaIoBaseUpload(
        io.BytesIO(make_image("out")), "image/jpeg")).execute()
    cursor = list_all(remote).cursor
    assert [i.id for i in list_all(remote).items] == [inside.id]
    svc.files().create(body={"name": "out2.jpg"}, media_body=MediaIoBaseUpload(
        io.BytesIO(make_image("out2")), "image/jpeg")).execute()
    assert changes_since(remote, cursor).changed == []


def test_same_name_files_are_told_apart_by_id(drive_remotes, tmp_path) -> None:
    remote, _url = drive_remotes()
    first = remote.upload(jpeg(tmp_path, 1, "one.jpg"), "IMG_1.jpg", "Trip", "a" * 64)
    second = remote.upload(jpeg(tmp_path, 2, "two.jpg"), "IMG_1.jpg", "Trip", "b" * 64)
    assert first.id != second.id
    listed = list_all(remote).items
    assert sorted(i.id for i in listed) == sorted([first.id, second.id])
    assert remote.same_name == [("Trip", "IMG_1.jpg", [first.id, second.id])] or \
        remote.same_name == [("Trip", "IMG_1.jpg", [second.id, first.id])]
    new = jpeg(tmp_path, 3, "three.jpg")
    remote.replace(second.id, new, "c" * 64)
    got_first = remote.download(first.id, tmp_path / "d" / "first.jpg").read_bytes()
    assert got_first == (tmp_path / "one.jpg").read_bytes()  # the other one is untouched
    assert remote.download(second.id, tmp_path / "d" / "second.jpg").read_bytes() == new.read_bytes()


def test_resumable_upload_resumes_after_a_cut_connection(drive_remotes, tmp_path) -> None:
    remote, url = drive_remotes(chunk_size=256 * 1024, resumable_over=512 * 1024)
    path = big_jpeg(tmp_path, 6 * 256 * 1024 + 1000)  # 7 chunks
    # let the session start and two chunks through, then cut the next chunk twice (httplib2
    # silently resends once, so the caller sees the second cut)
    admin(url, "faults", {"once": [{"kind": "reset", "method": "drive.files.create",
                                    "path": "upload_id=", "after": 2, "times": 2}]})
    with pytest.raises(TransientError):
        remote.upload(path, "big.jpg", "Big", "d" * 64)
    assert remote.uploader.pending_sessions() == 1
    before = admin(url, "calls")["methods"]["drive.files.create"]
    item = remote.upload(path, "big.jpg", "Big", "d" * 64)
    after = admin(url, "calls")["methods"]["drive.files.create"]
    # one "how far did you get?" query, then the 5 missing chunks (a restart would need a new
    # session and all 7); one more allowed for a resend under load
    assert 1 + 5 <= after - before <= 1 + 5 + 1
    assert item.md5 == hashlib.md5(path.read_bytes()).hexdigest() and item.albums == ("Big",)
    assert [i.id for i in list_all(remote).items] == [item.id]
    assert remote.uploader.pending_sessions() == 0


def test_a_200_mb_video_cut_midway_resumes_where_it_stopped(drive_remotes, tmp_path) -> None:
    """Issue 19: a phone video is sent in 8 MB chunks; a cut after 10 of its 25 chunks is resumed
    from the offset Drive confirms (no second upload, no restart), through the retry wrapper."""
    remote, url = drive_remotes()
    clip = pad_video(make_video(tmp_path / "IMG_0042.MOV", 42), 200 * 1024 * 1024)
    sha = hashlib.sha256()
    with open(clip, "rb") as fh:
        while chunk := fh.read(4 << 20):
            sha.update(chunk)
    admin(url, "faults", {"once": [{"kind": "reset", "method": "drive.files.create",
                                    "path": "upload_id=", "after": 10, "times": 2}]})
    before = admin(url, "calls")["methods"].get("drive.files.create", 0)
    item = RetryingRemote(remote, sleep=lambda _s: None).upload(clip, clip.name, None,
                                                                sha.hexdigest())
    sent = admin(url, "calls")["methods"]["drive.files.create"] - before
    # start + 10 chunks + 2 cut + one "how far?" query + 15 chunks; a few resends allowed under
    # load, far below a restart (a new start and all 25 chunks again: 39 or more)
    assert 1 + 10 + 2 + 1 + 15 <= sent <= 1 + 10 + 2 + 1 + 15 + 3
    listed = list_all(remote).items
    assert [i.id for i in listed] == [item.id] and listed[0].signature == sha.hexdigest()
    assert listed[0].media == "video" and listed[0].size == 200 * 1024 * 1024


def test_resumable_upload_through_the_retry_wrapper(drive_remotes, tmp_path) -> None:
    remote, url = drive_remotes(chunk_size=256 * 1024, resumable_over=512 * 1024)
    path = big_jpeg(tmp_path, 3 * 256 * 1024)
    admin(url, "faults", {"once": [{"kind": "http_503", "method": "drive.files.create",
                                    "path": "upload_id=", "after": 1, "times": 1}]})
    item = RetryingRemote(remote, sleep=lambda _s: None).upload(path, "big.jpg", None, "e" * 64)
    assert item.size == path.stat().st_size
    assert len(list_all(remote).items) == 1


def test_md5_mismatch_leaves_nothing(drive_remotes, tmp_path) -> None:
    remote, _url = drive_remotes()
    item = remote.upload(jpeg(tmp_path, 1), "a.jpg", None, "a" * 64)
    row = {"id": item.id, "name": "a.jpg", "size": str(item.size), "md5Checksum": "0" * 32,
           "mimeType": "image/jpeg"}
    dest = tmp_path / "out" / "a.jpg"
    with pytest.raises(TransientError, match="MD5"):
        download(remote.services, row, dest, overwrite=False)
    assert not (tmp_path / "out").exists()


def test_cut_download_leaves_nothing_and_retries(drive_remotes, tmp_path) -> None:
    remote, url = drive_remotes()
    item = remote.upload(jpeg(tmp_path, 1), "a.jpg", None, "a" * 64)
    admin(url, "faults", {"once": [{"kind": "truncate", "path": "alt=media", "times": 1}]})
    folder = tmp_path / "lib"
    folder.mkdir()
    with pytest.raises(TransientError):
        remote.download(item.id, folder / "a.jpg")
    assert list(folder.iterdir()) == []
    assert remote.download(item.id, folder / "a.jpg").read_bytes() == (tmp_path / "p1.jpg").read_bytes()
    assert not any(is_partial(f.name) for f in folder.iterdir())


def test_revoked_authorization_is_authorization_needed(drive_remotes) -> None:
    remote, url = drive_remotes()
    list_all(remote)
    admin(url, "revoke", {"account": "tester@example.com"})
    admin(url, "expire", {})
    with pytest.raises(AuthorizationNeeded, match="photosync auth drive"):
        list_all(remote)


def test_rate_limit_answers_are_retried_after_waiting(drive_remotes) -> None:
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    remote, url = drive_remotes(limiter=limiter)
    admin(url, "faults", {"rate_limit": 2})  # the per-user quota: 403 userRateLimitExceeded
    with pytest.raises(TransientError) as caught:
        for _ in range(3):
            remote.find_by_signature("a" * 64)
    assert "User Rate Limit Exceeded" in str(caught.value) and caught.value.retry_after > 1
    admin(url, "faults", {"rate_limit": 0})
    retries: list[str] = []
    wrapped = RetryingRemote(remote, sleep=clock.sleep,
                             on_retry=lambda method, exc, delay: retries.append(str(exc)))
    admin(url, "faults", {"once": [{"kind": "rate_limit", "method": "drive.files.list"}]})
    start = clock.now
    assert wrapped.find_by_signature("a" * 64) == []
    assert retries == ["searching by signature: Rate limit exceeded."]
    assert clock.now - start >= 30  # Retry-After honoured (on the fake clock)


def test_lost_upload_answer_is_recovered_by_its_id(drive_remotes, tmp_path) -> None:
    """Without the wrapper: the same upload repeated after a lost answer reuses the generated id;
    Drive refuses the copy (409) and the first file is returned."""
    remote, url = drive_remotes()
    path = jpeg(tmp_path, 1)
    admin(url, "faults", {"once": [{"kind": "reset_mid_body", "method": "drive.files.create",
                                    "path": "/upload/"}]})
    with pytest.raises(TransientError):
        remote.upload(path, "a.jpg", None, "a" * 64)
    item = remote.upload(path, "a.jpg", None, "a" * 64)
    assert [i.id for i in list_all(remote).items] == [item.id]
    assert admin(url, "calls")["statuses"].get("409") == 1


def test_from_config_uses_the_stored_token(tmp_path) -> None:
    from photosync.auth.tokens import TokenStore
    from photosync.config import Config
    from photosync.remotes import registry
    with start("drive", auto_approve=True) as server:
        config = Config()
        config.drive.endpoint, config.drive.folder = server.url, "Backup/Photos"
        with pytest.raises(AuthorizationNeeded):
            registry.build("drive", config, tmp_path)
        TokenStore(tmp_path).save("drive", admin(server.url, "token", {"account": "tester@example.com"}))
        remote = registry.build("drive", config, tmp_path)
        assert isinstance(remote, DriveRemote) and remote.limiter.rate == config.drive.rate_limit_per_second
        item = remote.upload(jpeg(tmp_path, 1), "a.jpg", "Trip", "a" * 64)
        paths = {f["name"]: f["parents"] for f in admin(server.url, "state")["files"]}
        assert set(paths) == {"Backup", "Photos", "Trip", "a.jpg"}
        assert [i.id for i in list_all(remote).items] == [item.id]


def test_a_retry_is_logged_with_the_remote_and_what_failed_in_words(drive_remotes, caplog) -> None:
    """Issue 15: `Google Drive: listing changes failed (...); retry 1 of 7 in 0.4 s`, not the
    name of an internal method."""
    clock = FakeClock()
    remote, url = drive_remotes(limiter=RateLimiter(None, clock=clock, sleep=clock.sleep))
    cursor = list_all(remote).cursor
    admin(url, "faults", {"once": [{"kind": "http_503", "method": "drive.changes.list"}]})
    caplog.set_level(logging.INFO, logger="photosync.remotes.retry")
    RetryingRemote(remote, sleep=clock.sleep).changes_page(cursor)
    [line] = [r.getMessage() for r in caplog.records]
    assert re.fullmatch(r"Google Drive: listing changes failed \([^:]+\); "
                        r"retry 1 of 7 in \d+\.\d s", line), line


def test_a_streamed_photo_resumes_after_a_cut_connection(drive_remotes, tmp_path) -> None:
    """The sync's own upload (streamed and checked against the index, issue 20) resumes a cut
    session on the next attempt: the bytes before the offset are checked, not sent again."""
    from photosync.remotes.files import sendable
    remote, url = drive_remotes(chunk_size=256 * 1024, resumable_over=512 * 1024)
    path = big_jpeg(tmp_path, 6 * 256 * 1024 + 1000)
    data = path.read_bytes()
    admin(url, "faults", {"once": [{"kind": "reset", "method": "drive.files.create",
                                    "path": "upload_id=", "after": 2, "times": 2}]})
    with sendable(path, hashlib.md5(data).hexdigest(), len(data)) as source:
        with pytest.raises(TransientError):
            remote.upload(source, "big.jpg", None, "d" * 64)
        item = remote.upload(source, "big.jpg", None, "d" * 64)
    assert item.md5 == hashlib.md5(data).hexdigest() == source.sent_md5
    assert [i.id for i in list_all(remote).items] == [item.id]


def test_a_quiet_change_feed_is_one_call_however_many_album_folders(drive_remotes, tmp_path
                                                                    ) -> None:
    remote, url = drive_remotes()
    admin(url, "seed", {"count": 30, "albums": 12})
    cursor = list_all(remote).cursor
    fresh = DriveRemote(mint_credentials(url), url, "Photos", timeout=5.0)  # the next run
    before = admin(url, "calls")["total"]
    changes = changes_since(fresh, cursor)
    assert changes.changed == [] and changes.removed_ids == []
    assert admin(url, "calls")["total"] - before == 1  # no listing of every folder
