"""The daemon's behaviour in-process against MemoryRemotes: settle, batches, failures, backoff."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from pathlib import Path

from photosync.auth.tokens import TokenStore
from photosync.daemon import failures
from photosync.daemon.document import DaemonStatus
from photosync.daemon.watcher import WatchLimitReached
from photosync.errors import AuthorizationNeeded, ItemError, RemoteUnavailable, UploadsRefused
from photosync.remotes.memory import MemoryRemote
from photosync.state.db import open_db
from tests.daemon.conftest import names, picture, put, signatures, wait_for


def test_start_syncs_everything_then_a_dropped_file_is_uploaded_once(harness):
    flickr, drive = MemoryRemote(name="flickr"), MemoryRemote(name="drive")
    h = harness({"flickr": flickr, "drive": drive})
    put(h.root, "2020/a.jpg", 1)
    h.start()
    wait_for(lambda: names(flickr) == ["a.jpg"] and names(drive) == ["a.jpg"])
    put(h.root, "2020/b.jpg", 2)
    wait_for(lambda: names(flickr) == ["a.jpg", "b.jpg"] and names(drive) == ["a.jpg", "b.jpg"])
    status = h.wait_idle()
    assert status["mode"] == "inotify" and status["remotes"]["flickr"]["last_result"] == "ok"
    time.sleep(1)
    assert names(flickr) == ["a.jpg", "b.jpg"] and names(drive) == ["a.jpg", "b.jpg"]


def test_a_file_written_slowly_in_chunks_is_uploaded_once_and_complete(harness):
    flickr = MemoryRemote(name="flickr")
    h = harness({"flickr": flickr}, settle=0.4)
    h.start()
    h.wait_idle()
    data = picture("slow", size=160)
    chunks = [data[i:i + len(data) // 5 + 1] for i in range(0, len(data), len(data) // 5 + 1)]
    path = h.root / "slow.jpg"
    with open(path, "wb") as out:  # kept open, pauses longer than settle_seconds between chunks
        for chunk in chunks:
            out.write(chunk)
            out.flush()
            time.sleep(0.7)
            assert names(flickr) == [], "uploaded while still being written"
    wait_for(lambda: names(flickr) == ["slow.jpg"])
    [item] = [i for i in flickr._items.values()]  # noqa: SLF001 - the stored bytes
    assert item.data == data
    time.sleep(1)
    assert len(names(flickr)) == 1


def test_a_folder_of_500_files_moved_in_is_one_batch(harness, tmp_path):
    flickr = MemoryRemote(name="flickr", page_size=1000)
    h = harness({"flickr": flickr}, settle=0.5)
    outside = tmp_path / "incoming" / "Holiday"
    for i in range(500):
        put(outside, f"{i:03}.jpg", f"holiday-{i}")
    h.start()
    before = h.wait_idle()["batches"]
    os.rename(outside, h.root / "Holiday")
    wait_for(lambda: len(names(flickr)) == 500, timeout=60, message="500 uploads")
    status = h.wait_idle()
    assert status["batches"] == before + 1 and status["last_batch"]["files"] >= 500
    assert sum(1 for r in open_db(h.tmp / "state").execute("SELECT * FROM runs")) <= 3


def test_excluded_folders_are_ignored_even_when_created_later(harness):
    flickr = MemoryRemote(name="flickr")
    h = harness({"flickr": flickr})
    (h.root / "Album").mkdir()
    h.start()
    h.wait_idle()
    put(h.root, "@eaDir/thumb.jpg", 10)
    put(h.root, ".hidden/x.jpg", 11)
    put(h.root, "Album/.tmp.jpg", 12)
    time.sleep(1.5)
    assert h.status()["batches"] == 0 and names(flickr) == []


class FlakyItems(MemoryRemote):
    """Uploads of one particular picture fail (an item error) until the file changes."""

    def __init__(self, bad: bytes, **kwargs):
        super().__init__(**kwargs)
        self.bad = bad
        self.attempts = 0

    def upload(self, path: Path, name: str, album, signature):
        if Path(path).read_bytes() == self.bad:
            self.attempts += 1
            raise ItemError(f"{name}: the remote refused this file")
        return super().upload(path, name, album, signature)


def test_a_failing_file_is_retried_then_parked_until_it_changes(harness):
    bad = picture("bad")
    flickr = FlakyItems(bad, name="flickr")
    h = harness({"flickr": flickr}, poll=0.02)  # a poll every 1.2 s: parked items must stay parked
    put(h.root, "good.jpg", "good")
    (h.root / "bad.jpg").write_bytes(bad)
    h.start()
    wait_for(lambda: names(flickr) == ["good.jpg"])
    wait_for(lambda: h.status().get("parked") == 1, message="the bad file parked")
    assert flickr.attempts == 3
    time.sleep(3)
    assert flickr.attempts == 3  # parked: not retried at every poll
    conn = open_db(h.tmp / "state")
    [row] = failures.listing(conn)
    assert row["parked"] and row["path"] == "bad.jpg" and "refused" in row["error"]
    (h.root / "bad.jpg").write_bytes(picture("bad, edited"))
    wait_for(lambda: names(flickr) == ["bad.jpg", "good.jpg"], message="the edited file uploaded")
    wait_for(lambda: failures.listing(conn) == [])


class Full(MemoryRemote):
    """Refuses every upload the way a full Drive or a free Flickr account at its limit does."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.full = True
        self.refusals = 0

    def upload(self, path: Path, name: str, album, signature):
        if self.full:
            self.refusals += 1
            raise UploadsRefused("the remote is full")
        return super().upload(path, name, album, signature)


def test_a_full_remote_parks_nothing_and_takes_the_photos_once_there_is_room(harness):
    flickr = Full(name="flickr")
    h = harness({"flickr": flickr}, poll=0.02, extra="sync:\n  workers: 1\n")
    for i in range(3):
        put(h.root, f"p{i}.jpg", f"full-{i}")
    h.start()
    wait_for(lambda: flickr.refusals >= 4, message="refused again at later polls")
    conn = open_db(h.tmp / "state")
    assert failures.listing(conn) == []  # not the files' fault: nothing retried per file or parked
    flickr.full = False
    wait_for(lambda: names(flickr) == ["p0.jpg", "p1.jpg", "p2.jpg"], message="uploaded once there is room")


def test_a_daily_upload_limit_is_not_met_again_at_every_sync_and_downloads_go_on(harness):
    """Drive's daily upload limit: the daemon sends that remote no upload for an hour (not one
    refused upload per poll), the other remote and the limited remote's downloads go on."""
    drive, flickr = Full(name="drive"), MemoryRemote(name="flickr")
    drive.upload = lambda path, name, album, signature: _refuse_daily(drive)
    h = harness({"drive": drive, "flickr": flickr}, poll=0.02, extra="sync:\n  workers: 1\n")
    put(h.root, "p0.jpg", "daily-0")
    h.start()
    wait_for(lambda: drive.refusals == 1 and names(flickr) == ["p0.jpg"], message="refused once")
    drive.seed(picture("daily-drive"), "from drive.jpg")
    put(h.root, "p1.jpg", "daily-1")
    wait_for(lambda: names(flickr) == ["from drive.jpg", "p0.jpg", "p1.jpg"],
             message="the other remote and the downloads go on")
    time.sleep(3 * 0.02 * 60)  # three more polls
    assert drive.refusals == 1  # not asked again within the hour
    assert (h.root / "From Google Drive" / "from drive.jpg").exists()
    conn = open_db(h.tmp / "state")
    assert failures.listing(conn) == []  # nothing parked


def _refuse_daily(remote: Full):
    remote.refusals += 1
    raise UploadsRefused("Google Drive's daily upload limit is reached", daily=True)


class Down(MemoryRemote):
    """Every call fails the way a remote that is down does (after the engine's retries)."""

    def __init__(self, error: Exception, **kwargs):
        super().__init__(**kwargs)
        self.error = error
        self.listings = 0

    def list_page(self, token):
        self.listings += 1
        raise self.error


def test_a_remote_that_is_down_backs_off_without_stopping_the_other(harness):
    flickr = Down(RemoteUnavailable("HTTP 503 from Flickr"), name="flickr")
    drive = MemoryRemote(name="drive")
    h = harness({"flickr": flickr, "drive": drive})
    put(h.root, "a.jpg", 1)
    h.start()
    wait_for(lambda: names(drive) == ["a.jpg"])
    wait_for(lambda: h.remote("flickr").get("state") == "backing off")
    for i in range(3):
        put(h.root, f"n{i}.jpg", f"n{i}")
        wait_for(lambda: len(names(drive)) == 2 + i, message=f"drive upload {i}")
    assert flickr.listings == 1  # backing off (30 s): not retried on each local change
    assert "503" in h.remote("flickr")["last_error"]


def test_revoked_authorization_waits_for_a_new_token(harness):
    flickr = Down(AuthorizationNeeded("Flickr refused the token (revoked)"), name="flickr")
    drive = MemoryRemote(name="drive")
    h = harness({"flickr": flickr, "drive": drive})
    h.start()
    wait_for(lambda: h.remote("flickr").get("state") == "waiting for authorization")
    time.sleep(1)
    assert flickr.listings == 1
    flickr.error = None
    flickr.list_page = lambda token: MemoryRemote.list_page(flickr, token)  # re-authorized
    tokens = h.tmp / "state" / "tokens"
    tokens.mkdir(exist_ok=True)
    (tokens / "flickr.json").write_text("{}")
    wait_for(lambda: h.remote("flickr").get("last_result") == "ok", timeout=40)


class NeedsToken(dict):
    """Remotes built as the real factory builds them: only once their token file is read."""

    def __init__(self, state: Path, remotes: dict[str, MemoryRemote]):
        super().__init__(remotes)
        self.store = TokenStore(state)

    def __getitem__(self, name: str) -> MemoryRemote:
        self.store.load(name)
        return super().__getitem__(name)


def test_a_token_file_others_can_read_stops_only_its_remote_until_chmod_600(harness):
    flickr, drive = MemoryRemote(name="flickr"), MemoryRemote(name="drive")
    h = harness({})
    h.remotes = NeedsToken(h.tmp / "state", {"flickr": flickr, "drive": drive})
    for name in h.remotes:
        h.remotes.store.save(name, {"oauth_token": f"{name}-token"})
    flickr_token = h.remotes.store.path("flickr")
    flickr_token.chmod(0o644)
    put(h.root, "a.jpg", 1)
    h.start()
    wait_for(lambda: h.remote("flickr").get("state") == "waiting for authorization")
    wait_for(lambda: names(drive) == ["a.jpg"])
    assert f"run `chmod 600 {flickr_token}`" in h.remote("flickr")["last_error"]
    flickr_token.chmod(0o600)  # the daemon retries at once, not after daemon.auth_retry_minutes
    wait_for(lambda: names(flickr) == ["a.jpg"], timeout=40)


class SlowUploads(MemoryRemote):
    def __init__(self, delay: float, **kwargs):
        super().__init__(**kwargs)
        self.delay = delay
        self.started_uploads = threading.Event()

    def upload(self, path, name, album, signature):
        self.started_uploads.set()
        time.sleep(self.delay)
        return super().upload(path, name, album, signature)


def test_stop_mid_upload_then_restart_converges_without_duplicates(harness):
    flickr = SlowUploads(0.3, name="flickr")
    h = harness({"flickr": flickr}, extra="sync:\n  workers: 2\n")
    for i in range(30):
        put(h.root, f"p/{i}.jpg", f"p{i}")
    h.start()
    flickr.started_uploads.wait(20)
    time.sleep(0.5)
    began = time.monotonic()
    h.stop()
    assert time.monotonic() - began < 10
    assert 0 < len(names(flickr)) < 30
    flickr.delay = 0
    h.start()
    wait_for(lambda: len(names(flickr)) == 30, timeout=30)
    h.wait_idle()
    assert max(Counter(signatures(flickr)).values()) == 1


def test_without_inotify_it_falls_back_to_rescans(harness, monkeypatch):
    def no_watches(self):
        raise WatchLimitReached("inotify ran out of watches (/proc/sys/fs/inotify/max_user_watches)")
    monkeypatch.setattr("photosync.daemon.watcher.Watcher.start", no_watches)
    flickr = MemoryRemote(name="flickr")
    h = harness({"flickr": flickr})
    h.start()
    h.wait_idle()
    status = h.status()
    assert status["mode"] == "polling" and "max_user_watches" in status["warning"]
    put(h.root, "later.jpg", 3)
    wait_for(lambda: names(flickr) == ["later.jpg"], message="upload found by a rescan")


def test_sync_now_request_retries_a_remote_in_backoff(harness):
    flickr = Down(RemoteUnavailable("down"), name="flickr")
    h = harness({"flickr": flickr})
    service = h.start()
    wait_for(lambda: h.remote("flickr").get("state") == "backing off")
    service.request("now")
    wait_for(lambda: flickr.listings == 2)


def test_the_log_names_each_file_and_says_when_a_requested_sync_had_nothing_to_do(harness,
                                                                                     caplog):
    caplog.set_level(logging.INFO, logger="photosync")
    flickr = MemoryRemote(name="flickr")
    h = harness({"flickr": flickr})
    put(h.root, "2024/Trip/a.jpg", 1)
    service = h.start()
    wait_for(lambda: names(flickr) == ["a.jpg"])
    h.wait_idle()
    lines = [r.getMessage() for r in caplog.records]
    assert "Flickr: uploaded 2024/Trip/a.jpg" in lines, lines
    assert "Flickr: created album '2024/Trip' (1 photo(s))" in lines, lines
    assert "Flickr: synced: 1 uploaded, 1 created album" in lines, lines  # words, not a dict
    caplog.clear()
    service.request("now")
    wait_for(lambda: "Flickr: nothing to do (asked to sync now)"
             in [r.getMessage() for r in caplog.records], message="a nothing-to-do line")


DAEMON_KEYS = {"pid", "started", "state", "mode", "root", "pending", "scanning", "batches",
               "last_batch", "last_scan", "config_error", "warning", "parked", "remotes",
               "web"}  # web: the dashboard's address (issue 21)
REMOTE_KEYS = {"label", "state", "last_started", "last_finished", "last_result", "last_error",
               "last_summary", "next_sync", "account", "account_cap"}


def test_the_status_file_keeps_its_keys_and_reads_back_whole(harness):
    """daemon.json is a contract (``photosync status``, a dashboard): its keys stay, and the
    DaemonStatus readers get from it writes back the same document."""
    flickr = MemoryRemote(name="flickr")
    h = harness({"flickr": flickr})
    h.start()
    h.wait_idle()
    put(h.root, "a.jpg", 1)
    wait_for(lambda: names(flickr) == ["a.jpg"])
    doc = h.wait_idle()
    assert set(doc) == DAEMON_KEYS and set(doc["remotes"]["flickr"]) == REMOTE_KEYS
    assert set(doc["last_batch"]) == {"files", "at"}
    assert set(doc["last_scan"]) == {"at", "summary", "held"}
    assert DaemonStatus.from_dict(doc).to_dict() == doc
    h.stop()
    stopped = h.status()
    assert stopped["state"] == "stopped" and set(stopped) == DAEMON_KEYS | {"stopped"}
    assert DaemonStatus.from_dict(stopped).to_dict() == stopped
