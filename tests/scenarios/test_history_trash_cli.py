"""`photosync history` and `photosync trash` through the CLI, after real syncs (emulators)."""

from __future__ import annotations

import json
import os
import time

from photosync.emulators.drive_client import service_for
from tests.scenarios.conftest import count


def _delete_on_drive_then_sync(world) -> dict:
    world.config.write_text(world.config.read_text().replace(
        "max_delete: 5", "max_delete: 5\n  on_remote_delete: delete-local"))
    world.photo("Trip/a.jpg", 1)
    world.photo("Trip/b.jpg", 2)
    world.sync()
    victim = next(f for f in world.drive_photos() if f["name"] == "a.jpg")
    files = service_for(world.drive_url).files()
    files.update(fileId=victim["id"], body={"trashed": True}).execute()
    doc = world.sync()
    assert count(doc, "drive", "delete_local") == 1
    return doc


def test_history_lists_runs_and_a_runs_actions_with_reason_and_bytes(world):
    original = world.photo("x.jpg", 7).read_bytes()
    world.sync()
    runs = json.loads(world.run("history", "--json").stdout)["runs"]
    assert len(runs) == 1 and runs[0]["exit_code"] == 0 and runs[0]["failed"] == 0
    assert runs[0]["summary"]["flickr"]["upload"] == 1
    doc = json.loads(world.run("history", str(runs[0]["id"]), "--json").stdout)
    uploads = [a for a in doc["actions"] if a["action"] == "upload"]
    assert {a["remote"] for a in uploads} == {"flickr", "drive"}
    assert all(a["path"] == "x.jpg" and a["bytes"] == len(original) and a["state"] == "done"
               and a["reason"] for a in uploads)
    only = json.loads(world.run("history", str(runs[0]["id"]), "--json",
                                "--remote", "drive").stdout)
    assert {a["remote"] for a in only["actions"]} == {"drive"}
    text = world.run("history").stdout
    assert f"#{runs[0]['id']}" in text and "ok" in text
    missing = world.run("history", "999")
    assert missing.returncode == 2 and "no sync run #999" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_trash_restore_puts_a_deleted_photo_back_and_refuses_paths_outside(world):
    before = world.photo("Trip/a.jpg", 1).read_bytes()
    _delete_on_drive_then_sync(world)
    assert "Trip/a.jpg" not in world.local()
    listing = json.loads(world.run("trash", "list", "--json").stdout)["runs"]
    assert [f["path"] for f in listing[0]["files"]] == ["Trip/a.jpg"]
    run = str(listing[0]["run"])
    history = json.loads(world.run("history", run, "--json").stdout)
    deletion = next(a for a in history["actions"] if a["action"] == "delete_local")
    assert deletion["path"] == "Trip/a.jpg" and "Google Drive" in deletion["reason"]
    for bad in ("../../config.yaml", "/etc/passwd", "Trip/../../x"):
        refused = world.run("trash", "restore", run, bad)
        assert refused.returncode == 2 and "is not in run-" in refused.stderr, refused.stderr
    restored = world.run("trash", "restore", run, "Trip/a.jpg")
    assert restored.returncode == 0, restored.stderr
    assert (world.root / "Trip/a.jpg").read_bytes() == before
    assert json.loads(world.run("trash", "list", "--json").stdout)["runs"] == []


def test_trash_restore_never_overwrites_a_file_now_at_that_path(world):
    _delete_on_drive_then_sync(world)
    world.photo("Trip/a.jpg", 50)
    run = str(json.loads(world.run("trash", "list", "--json").stdout)["runs"][0]["run"])
    assert world.run("trash", "restore", run).returncode == 0
    assert {"Trip/a.jpg", "Trip/a (2).jpg"} <= set(world.local())


def test_trash_purge_by_run_and_by_retention(world):
    trash = world.root / ".photosync-trash"
    for run, age_days in ((900, 40), (901, 10), (902, 0)):
        (trash / f"run-{run}").mkdir(parents=True)
        (trash / f"run-{run}" / "p.jpg").write_bytes(b"x" * 10)
        old = time.time() - age_days * 86400
        os.utime(trash / f"run-{run}", (old, old))
    assert world.run("trash", "purge").returncode == 2
    result = world.run("trash", "purge", "--expired")
    assert result.returncode == 0 and "[900]" in result.stdout
    assert sorted(p.name for p in trash.iterdir()) == ["run-901", "run-902"]
    assert world.run("trash", "purge", "902").returncode == 0
    assert sorted(p.name for p in trash.iterdir()) == ["run-901"]


def test_trash_days_below_seven_is_refused(world):
    world.config.write_text(world.config.read_text() + "  trash_days: 3\n")
    result = world.run("trash", "list")
    assert result.returncode == 2 and "sync.trash_days" in result.stderr
    assert "never automatic below 7" in result.stderr
