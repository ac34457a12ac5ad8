"""`photosync sync` through the CLI against both emulators: the scenario matrix of issue 7."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest

from photosync.emulators.images import make_image

from tests.scenarios.conftest import admin, busy, count


def signatures_on_flickr(world) -> Counter:
    return Counter(t.split("=", 1)[1] for p in world.flickr_photos() for t in p["machine_tags"]
                   if t.startswith("photosync:signature="))


def signatures_on_drive(world) -> Counter:
    return Counter(f["appProperties"].get("photosync_signature") for f in world.drive_photos())


def test_first_sync_both_ways_then_nothing_to_do(world):
    world.photo("2023/Trip/a.jpg", 1)
    world.photo("2023/Trip/b.jpg", 2)
    world.photo("2023/Trip/_raw/c.jpg", 3)  # exclude_in_title: belongs to 2023/Trip
    world.photo("loose.jpg", 4)
    world.photo("Private/secret.jpg", 5)  # excluded
    shutil.copyfile(world.root / "2023/Trip/a.jpg", world.root / "2023/Trip/a copy.jpg")  # duplicate
    admin(world.flickr_url, "seed", {"seed": 3, "accounts": ["testuser"], "photos": 2, "albums": 1,
                                     "video_ratio": 0, "collections": False})
    admin(world.drive_url, "seed", {"seed": 3, "count": 2, "albums": 1, "parent": "Photos"})
    doc = world.sync()
    # 4 local pictures (the copy uploads once, Private is excluded) + 2 downloaded from the other
    # remote in the same run
    assert count(doc, "flickr", "upload") == 6 and count(doc, "drive", "upload") == 6, doc["summary"]
    assert count(doc, "flickr", "download") == 2 and count(doc, "drive", "download") == 2
    assert doc["errors"] == []
    assert all(n == 1 for n in signatures_on_flickr(world).values())
    assert all(n == 1 for n in signatures_on_drive(world).values())
    assert not any("secret" in p["title"] for p in world.flickr_photos())
    trip = [s for s in world.flickr_sets() if s["title"] == "2023/Trip"]
    assert len(trip) == 1 and len(trip[0]["photos"]) == 3 and "[photosync]" in trip[0]["description"]
    doc = world.sync()
    assert busy(doc) == [], busy(doc)
    assert len(world.flickr_photos()) == 8 and len(world.drive_photos()) == 8


def test_dry_run_changes_nothing_anywhere(world):
    world.photo("a/one.jpg", 1)
    admin(world.drive_url, "seed", {"seed": 1, "count": 1, "albums": 0, "parent": "Photos"})
    before = (world.flickr_photos(), world.drive_files(), world.local())
    doc = world.sync("--dry-run")
    assert doc["dry_run"] is True
    assert {a["action"] for a in doc["actions"]} >= {"upload", "download"}
    for action in doc["actions"]:
        assert set(action) >= {"remote", "action", "path", "remote_id", "reason"}
    assert (world.flickr_photos(), world.drive_files(), world.local()) == before
    assert not (world.state / "photosync.db").exists() or world.sync("--dry-run")["actions"] == doc["actions"]


def test_moving_a_folder_moves_albums_without_reupload(world):
    world.photo("Old/a.jpg", 1)
    world.photo("Old/b.jpg", 2)
    world.sync()
    ids = {p["id"] for p in world.flickr_photos()}
    (world.root / "Old").rename(world.root / "New")
    doc = world.sync()
    assert count(doc, "flickr", "upload") == 0 and count(doc, "drive", "upload") == 0
    assert count(doc, "flickr", "move") == 2
    assert {p["id"] for p in world.flickr_photos()} == ids
    assert [s["title"] for s in world.flickr_sets()] == ["New"]
    folders = {f["id"]: f["name"] for f in world.drive_files() if f["mimeType"].endswith("folder")}
    assert {folders[f["parents"][0]] for f in world.drive_photos()} == {"New"}
    assert busy(world.sync()) == []


def test_local_edit_replaces_on_both_remotes(world):
    path = world.photo("a.jpg", 1)
    world.photo("b.jpg", 2)
    world.sync()
    path.write_bytes(world.photo("tmp.jpg", 99).read_bytes())
    (world.root / "tmp.jpg").unlink()
    doc = world.sync()
    assert count(doc, "flickr", "replace_remote") == 1 and count(doc, "drive", "replace_remote") == 1
    assert len(world.flickr_photos()) == 2 and len(world.drive_photos()) == 2
    assert busy(world.sync()) == []


def test_local_deletion_is_kept_remotely_by_default(world):
    for i in range(3):
        world.photo(f"p{i}.jpg", i)
    world.sync()
    (world.root / "p0.jpg").unlink()
    doc = world.sync()
    assert count(doc, "flickr", "skip") == 1 and count(doc, "drive", "skip") == 1
    assert "kept" in [a for a in doc["actions"] if a["action"] == "skip"][0]["reason"]
    assert len(world.flickr_photos()) == 3 and len(world.drive_photos()) == 3
    assert busy(world.sync()) == [] and world.local() == ["p1.jpg", "p2.jpg"]


def test_local_deletion_deletes_remotely_when_asked(world):
    world.config.write_text(world.config.read_text().replace(
        "max_delete: 5", "max_delete: 5\n  on_local_delete: delete-remote"))
    for i in range(3):
        world.photo(f"p{i}.jpg", i)
    world.sync()
    (world.root / "p0.jpg").unlink()
    doc = world.sync()
    assert count(doc, "flickr", "delete_remote") == 1 and count(doc, "drive", "delete_remote") == 1
    assert len(world.flickr_photos()) == 2 and len(world.drive_photos()) == 2
    assert busy(world.sync()) == []


def test_too_many_deletions_delete_nothing(world):
    world.config.write_text(world.config.read_text().replace("max_delete: 5", "max_delete: 2\n  on_local_delete: delete-remote"))
    for i in range(5):
        world.photo(f"p{i}.jpg", i)
    world.sync()
    for i in range(4):
        (world.root / f"p{i}.jpg").unlink()
    doc = world.sync(expect=1)
    assert count(doc, "flickr", "delete_remote") == 0
    assert any("max_delete" in m["message"] for m in doc["messages"])
    assert len(world.flickr_photos()) == 5 and len(world.drive_photos()) == 5


def test_a_share_mounting_with_a_few_photos_deletes_nothing_until_forced(world):
    """max_delete high, 8 in sync, 6 gone locally (75%): past sync.max_delete_percent (50) no
    remote copy is deleted; `--force-deletes` makes the deliberate mass delete for one run."""
    world.config.write_text(world.config.read_text().replace(
        "max_delete: 5", "max_delete: 1000\n  on_local_delete: delete-remote"))
    for i in range(8):
        world.photo(f"p{i}.jpg", 70 + i)
    world.sync()
    for i in range(6):
        (world.root / f"p{i}.jpg").unlink()
    doc = world.sync(expect=1)
    assert count(doc, "flickr", "delete_remote") == 0 and count(doc, "drive", "delete_remote") == 0
    assert len(world.flickr_photos()) == 8 and len(world.drive_photos()) == 8
    held = [m["message"] for m in doc["messages"] if "max_delete_percent" in m["message"]]
    assert len(held) == 2 and "6 of the 8 photos in sync" in held[0], doc["messages"]
    doc = world.sync("--force-deletes")
    assert count(doc, "flickr", "delete_remote") == 6 and count(doc, "drive", "delete_remote") == 6
    assert len(world.flickr_photos()) == 2 and len(world.drive_photos()) == 2
    assert busy(world.sync()) == []


def test_an_empty_library_aborts(world):
    world.photo("a.jpg", 1)
    world.sync()
    (world.root / "a.jpg").unlink()
    doc = world.sync(expect=1)
    assert busy(doc) == [] and "is the share mounted" in doc["messages"][0]["message"]


def test_lost_database_never_reuploads(world):
    for i in range(3):
        world.photo(f"x/p{i}.jpg", i)
    world.sync()
    for name in ("photosync.db", "photosync.db-wal", "photosync.db-shm"):
        (world.state / name).unlink(missing_ok=True)
    doc = world.sync()
    assert count(doc, "flickr", "upload") == 0 and count(doc, "drive", "upload") == 0
    assert len(world.flickr_photos()) == 3 and len(world.drive_photos()) == 3
    said = [m["message"] for m in doc["messages"]]
    assert "3 photo(s) already on Flickr matched by signature tag and paired: nothing to " \
        "transfer" in said and any(m.startswith("3 photo(s) already on Google Drive") for m in said)
    assert busy(world.sync()) == []


def test_remote_deletion_kept_locally_by_default(world):
    world.photo("a.jpg", 1)
    world.photo("b.jpg", 2)
    world.sync()
    victim = world.drive_photos()[0]
    from photosync.emulators.drive_client import service_for
    service_for(world.drive_url).files().update(fileId=victim["id"], body={"trashed": True}).execute()
    doc = world.sync()
    assert count(doc, "drive", "skip") == 1 and count(doc, "drive", "upload") == 0
    assert len(world.local()) == 2


def test_revoked_drive_authorization_is_exit_3_and_flickr_still_syncs(world):
    world.photo("a.jpg", 1)
    admin(world.drive_url, "revoke", {"account": "tester@example.com"})
    admin(world.drive_url, "expire", {})
    result = world.run("sync")
    assert result.returncode == 3, result.stderr
    assert "Google Drive authorization was revoked or expired: run `photosync auth drive`" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert len(world.flickr_photos()) == 1


@pytest.mark.parametrize("damage", ["truncated", "mode 0644"])
def test_a_bad_flickr_token_file_stops_only_flickr_and_names_its_fix(world, damage):
    world.photo("a.jpg", 1)
    path = world.state / "tokens" / "flickr.json"
    if damage == "truncated":
        path.write_text('{"oauth_token":"x"')
        fix = f"{path} is damaged: run `photosync auth flickr` again"
    else:
        path.chmod(0o644)
        fix = f"run `chmod 600 {path}`"
    result = world.run("sync")
    assert result.returncode == 3, result.stderr
    assert fix in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert len(world.drive_photos()) == 1


def test_faults_still_converge_without_duplicates(world):
    for i in range(6):
        world.photo(f"f/p{i}.jpg", i)
    # 20% of requests fail: server errors and connections cut before or after the work was done
    # (rate-limit faults are left out only because their Retry-After makes the test slow)
    rates = {"http_500": 0.05, "http_503": 0.05, "reset": 0.05, "reset_mid_body": 0.05}
    for url in (world.flickr_url, world.drive_url):
        admin(url, "faults", {"rates": rates, "seed": 5})
    for _ in range(4):
        doc = world.sync(expect=None)
        if not busy(doc) and not doc["errors"]:
            break
    for url in (world.flickr_url, world.drive_url):
        admin(url, "faults", {"rates": {kind: 0 for kind in rates}})
    doc = world.sync()
    assert busy(doc) == []
    assert sorted(signatures_on_flickr(world).values()) == [1] * 6
    assert sorted(signatures_on_drive(world).values()) == [1] * 6


def test_kill_minus_9_mid_run_then_converge(world, isolated_env):
    for i in range(12):
        world.photo(f"k/p{i}.jpg", i)
    for url in (world.flickr_url, world.drive_url):
        admin(url, "faults", {"latency_ms": 150})
    proc = subprocess.Popen([sys.executable, "-m", "photosync", "--config", str(world.config), "sync"],
                            env=isolated_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(world.flickr_photos()) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for url in (world.flickr_url, world.drive_url):
        admin(url, "faults", {"latency_ms": 0})
    assert not [p for p in world.root.rglob("*.part")]
    world.sync(expect=None)
    doc = world.sync()
    assert busy(doc) == []
    assert sorted(signatures_on_flickr(world).values()) == [1] * 12
    assert sorted(signatures_on_drive(world).values()) == [1] * 12


def test_a_second_instance_is_refused(world):
    from photosync.state.lock import StateLock
    world.photo("a.jpg", 1)
    with StateLock(world.state):
        result = world.run("sync")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "photosync" in result.stderr and str(os.getpid()) in result.stderr


def _independent_clients(world):
    from photosync.emulators.drive_client import service_for
    from photosync.emulators.flickr_testing import authorized_flickrapi
    return authorized_flickrapi(world.flickr_url), service_for(world.drive_url)


def _drive_folder(drive, name: str) -> str:
    body = {"name": name, "mimeType": "application/vnd.google-apps.folder"}
    return drive.files().create(body=body, fields="id").execute()["id"]


def test_remote_photos_with_one_name_all_download_in_one_run(world):
    """Cameras repeat names (two DSC_0001 from two bodies): parallel downloads into one folder
    must each get their own free name, not fail as 'already exists'."""
    from googleapiclient.http import MediaFileUpload
    from photosync.emulators.images import make_image
    flickr, drive = _independent_clients(world)
    photos = _drive_folder(drive, "Photos")
    for i in range(3):
        path = world.tmp / f"f{i}.jpg"
        path.write_bytes(make_image(f"same-name-f{i}", 80, 60))
        flickr.upload(filename=str(path), title="DSC_0001", format="etree")
        path = world.tmp / f"d{i}.jpg"
        path.write_bytes(make_image(f"same-name-d{i}", 80, 60))
        drive.files().create(body={"name": "DSC_0002.jpg", "parents": [photos]},
                             media_body=MediaFileUpload(str(path), mimetype="image/jpeg")).execute()
    doc = world.sync()
    assert count(doc, "flickr", "download") == 3 and count(doc, "drive", "download") == 3
    assert doc["errors"] == []
    names = [p.rsplit("/", 1)[-1] for p in world.local()]
    assert sorted(n for n in names if n.startswith("DSC_0001")) == [
        "DSC_0001 (2).jpg", "DSC_0001 (3).jpg", "DSC_0001.jpg"]
    assert sorted(n for n in names if n.startswith("DSC_0002")) == [
        "DSC_0002 (2).jpg", "DSC_0002 (3).jpg", "DSC_0002.jpg"]
    assert busy(world.sync()) == []


def test_photos_another_tool_uploaded_are_matched_and_tagged_not_uploaded_again(world):
    """A camera file (EXIF date with sub-seconds and a time zone offset) that another tool put
    on Flickr (title = stem, no tag) and Drive (other name case) is matched by title and date
    taken / by MD5, gets our tag, and is never uploaded a second time."""
    from googleapiclient.http import MediaFileUpload
    from photosync.emulators.images import make_image
    data = make_image("camera", 320, 240, date_taken=datetime(2021, 5, 6, 7, 8, 9),
                      subsec="123", offset="+02:00")
    local = world.root / "Trip" / "IMG_0001.JPG"
    local.parent.mkdir()
    local.write_bytes(data)
    other = world.tmp / "upload" / "IMG_0001.JPG"
    other.parent.mkdir()
    # Flickr keeps the original as sent: the other tool's copy differs in metadata only
    other.write_bytes(make_image("camera", 320, 240, date_taken=datetime(2021, 5, 6, 7, 8, 9)))
    flickr, drive = _independent_clients(world)
    flickr.upload(filename=str(other), title="IMG_0001", format="etree")
    drive.files().create(body={"name": "img_0001.jpg", "parents": [_drive_folder(drive, "Photos")]},
                         media_body=MediaFileUpload(str(local), mimetype="image/jpeg")).execute()
    doc = world.sync()
    reasons = {a["remote"]: a["reason"] for a in doc["actions"] if a["action"] == "retag"}
    assert reasons == {"flickr": "matched by file name and date taken; our signature tag is added",
                       "drive": "matched by MD5; our signature tag is added"}, doc["actions"]
    assert count(doc, "flickr", "upload") == 0 and count(doc, "drive", "upload") == 0
    assert len(world.flickr_photos()) == 1 and len(world.drive_photos()) == 1
    assert sum(signatures_on_flickr(world).values()) == 1
    assert sum(1 for s in signatures_on_drive(world) if s) == 1
    assert busy(world.sync("--full")) == []


def _state_files(world) -> dict[str, tuple[int, bytes]]:
    """Every file of the state dir but the lock: mtime and bytes."""
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in world.state.iterdir()
            if p.is_file() and p.name != "lock"}


def test_dry_run_leaves_the_state_files_byte_for_byte(world):
    """Not even after a killed run: closing a WAL database checkpoints it into photosync.db, so
    a dry run must never open the real files (nor rewrite the Flickr album cache)."""
    import sqlite3
    world.photo("Trip/a.jpg", 1)
    world.sync()
    world.photo("Trip/b.jpg", 2)  # the dry run has albums to plan (and to list)
    writer = subprocess.run([sys.executable, "-c", (
        "import os, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('INSERT INTO runs (started, dry_run) VALUES (1, 0)')\n"
        "os._exit(9)  # killed: the commit stays in the WAL\n"), str(world.state / "photosync.db")])
    assert writer.returncode == 9
    before = _state_files(world)
    assert before["photosync.db-wal"][1], "the WAL should hold the killed writer's commit"
    assert "flickr-albums.json" in before
    doc = world.sync("--dry-run")
    assert count(doc, "flickr", "upload") == 1 and count(doc, "flickr", "add_to_album") == 1
    after = _state_files(world)
    assert {k: v for k, v in after.items() if k != "photosync.db-shm"} == \
        {k: v for k, v in before.items() if k != "photosync.db-shm"}
    with sqlite3.connect(world.state / "photosync.db") as conn:
        assert conn.execute("SELECT count(*) FROM runs WHERE started = 1").fetchone()[0] == 1


def test_a_full_remote_stops_uploads_to_it_and_says_so_once(world):
    """Drive's storage full (403 storageQuotaExceeded), Flickr's free-account limit (upload
    error 6): after the first refusal no more uploads are sent to that remote; the report names
    the fix once; the rest goes up once there is room again."""
    for n in range(6):
        world.photo(f"Trip/p{n}.jpg", 40 + n)
    admin(world.drive_url, "quota", {"limit": 1})
    admin(world.flickr_url, "quota", {"max_photos": 2})
    result = world.run("sync")
    assert result.returncode == 1, result.stdout + result.stderr
    full_drive = "Google Drive storage is full (storageQuotaExceeded)"
    full_flickr = "Flickr refuses more uploads (error 6"
    for message in (full_drive, full_flickr):
        assert result.stdout.count(message) == 2, result.stdout  # the first action's line + the errors
        assert result.stderr.count(message) == 1, result.stderr  # one warning, not one per photo
    assert "(and 5 more with this error)" in result.stdout and "(and 3 more with this error)" in result.stdout
    assert "Traceback" not in result.stderr
    assert world.drive_photos() == [] and len(world.flickr_photos()) == 2
    drive_calls = admin(world.drive_url, "calls")
    # refused: the uploads already under way in the pool (sync.workers, 4), then none is sent
    assert 1 <= drive_calls["statuses"].get("403", 0) <= 4, drive_calls
    flickr_calls = admin(world.flickr_url, "calls")
    assert 3 <= flickr_calls["methods"].get("upload", 0) <= 6, flickr_calls
    admin(world.drive_url, "quota", {"limit": None})
    admin(world.flickr_url, "quota", {"max_photos": 0})
    doc = world.sync()
    assert count(doc, "drive", "upload") == 6 and count(doc, "flickr", "upload") == 4
    assert len(world.drive_photos()) == 6 and len(world.flickr_photos()) == 6
    assert busy(world.sync()) == []


def _drive_photo(drive, folder: str, name: str, data: bytes, mime: str) -> None:
    from googleapiclient.http import MediaInMemoryUpload
    drive.files().create(body={"name": name, "parents": [folder]},
                         media_body=MediaInMemoryUpload(data, mimetype=mime)).execute()


def test_remote_names_without_an_extension_are_saved_by_their_mime_type(world):
    """Neither "../../evil" (its last dot is no extension) nor "CON" is skipped or misnamed."""
    from photosync.emulators.images import make_image
    _flickr, drive = _independent_clients(world)
    photos = _drive_folder(drive, "Photos")
    for name in ("../../evil", "CON"):
        _drive_photo(drive, photos, name, make_image(name, 80, 60, fmt="png"), "image/png")
    doc = world.sync()
    assert count(doc, "drive", "download") == 2, doc["actions"]
    names = sorted(p.rsplit("/", 1)[-1] for p in world.local())
    assert [n for n in names if "evil" in n or "CON" in n] == ["_.._evil.png", "_CON.png"]
    assert not list(world.tmp.glob("evil*"))


def test_a_download_the_library_refuses_names_the_photo(world):
    from photosync.emulators.images import make_image
    _flickr, drive = _independent_clients(world)
    photos = _drive_folder(drive, "Photos")
    _drive_photo(drive, photos, "IMG_7.jpg", make_image("refused", 80, 60), "image/jpeg")
    (world.root / "From Google Drive").write_text("a file where the download folder would go")
    doc = world.sync(expect=1)
    [error] = doc["errors"]
    assert error["error"].startswith("From Google Drive/IMG_7.jpg (drive photo 'IMG_7.jpg'): "
                                     "cannot be written: Not a directory"), error


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs as the library needs root")
def test_a_full_library_disk_stops_downloads_not_uploads_and_is_not_a_network_problem(world):
    """ENOSPC is the local disk's problem: not retried as a connection problem, no 'remote
    unavailable' (exit 3); one line names the folder and the space needed; uploads still run;
    nothing partial is left in the library."""
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "photosync-test", str(world.root)],
                   check=True)
    try:
        world.photo("Trip/a.jpg", 1)
        world.photo("Trip/b.jpg", 2)
        from googleapiclient.http import MediaFileUpload
        flickr, drive = _independent_clients(world)
        photos = _drive_folder(drive, "Photos")
        for i in range(4):
            path = world.tmp / f"big{i}.jpg"
            path.write_bytes(make_image(f"big-{i}", 1600, 1200, quality=100))
            flickr.upload(filename=str(path), title=f"big{i}", format="etree")
            path.write_bytes(make_image(f"big-drive-{i}", 1600, 1200, quality=100))
            drive.files().create(body={"name": f"big{i}.jpg", "parents": [photos]},
                                 media_body=MediaFileUpload(str(path), mimetype="image/jpeg")
                                 ).execute()
        started = time.monotonic()
        result = world.run("sync")
        assert result.returncode == 1, result.stdout + result.stderr
        assert time.monotonic() - started < 60  # no backoff between retries
        assert "connection problem" not in result.stdout + result.stderr
        assert "failed after retries" not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        full = [line for line in result.stderr.splitlines() if "No space left on device" in line]
        assert len(full) == 1, result.stderr  # once, not once per photo or remote
        assert str(world.root / "From Flickr") in full[0], full[0]
        assert "photo(s) still to download" in full[0], full[0]
        # the two local photos went up all the same
        assert {"a", "b"} <= {p["title"] for p in world.flickr_photos()}
        assert {"a.jpg", "b.jpg"} <= {f["name"] for f in world.drive_photos()}
        assert not [p for p in world.root.rglob("*") if p.name.endswith(".part")]
    finally:
        subprocess.run(["umount", str(world.root)], check=True)


def test_a_long_first_upload_goes_newest_first_and_resumes_where_it_stopped(world):
    """Issue 20: uploads go in sync.upload_order (newest date taken first by default), so a run
    cut short by sync.max_operations sent the newest, and each next run goes on with the next
    ones, none twice, on both remotes."""
    base = datetime(2015, 1, 1)
    for n in range(7):  # 0.jpg is the oldest, 6.jpg the newest; names sort the other way
        world.photo(f"Y/{n}.jpg", f"order-{n}", base + timedelta(days=30 * n))
    world.config.write_text(world.config.read_text().replace(
        "  max_delete: 5\n", "  max_delete: 5\n  max_operations: 3\n"))
    sent: set[str] = set()
    for expected, to_go in (({"6", "5", "4"}, 4), ({"3", "2", "1"}, 1), ({"0"}, 0)):
        doc = world.sync()
        # the quota in force: the Flickr limiter's sustained rate (3,600 an hour less its burst)
        assert doc["to_go"]["flickr"] == {"photos": to_go, "calls_per_hour": 3300,
                                          "eta_seconds": round(to_go * 3600 / 3300)}
        status = world.run("status").stdout
        assert ("Flickr: 1 photo to go, about 1 minute at 3,300 calls/hour" in status) \
            == (to_go == 1), status
        on_flickr = [p["title"] for p in world.flickr_photos()]
        on_drive = [p["name"].removesuffix(".jpg") for p in world.drive_photos()]
        assert len(on_flickr) == len(set(on_flickr)) and sorted(on_flickr) == sorted(on_drive)
        assert set(on_flickr) - sent == expected
        sent |= expected
    assert busy(world.sync()) == []


def test_a_run_stopped_by_the_upload_quota_resumes_with_the_next_newest(world):
    """Flickr refuses uploads past the account's quota: the run ends having sent the newest
    photos; once there is room, the next run sends the rest, none twice."""
    base = datetime(2016, 1, 1)
    for n in range(5):
        world.photo(f"Q/{n}.jpg", f"quota-{n}", base + timedelta(days=n))
    world.config.write_text(world.config.read_text().replace(
        "  max_delete: 5\n", "  max_delete: 5\n  workers: 1\n"))
    admin(world.flickr_url, "quota", {"max_photos": 2})
    doc = world.sync(expect=None)
    assert sorted(p["title"] for p in world.flickr_photos()) == ["3", "4"]
    assert doc["to_go"]["flickr"]["photos"] == 3
    admin(world.flickr_url, "quota", {"max_photos": 0})
    world.sync()
    assert sorted(p["title"] for p in world.flickr_photos()) == ["0", "1", "2", "3", "4"]
