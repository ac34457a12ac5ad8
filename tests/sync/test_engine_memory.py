"""The whole sync run (scan, observe, plan, execute, record) against MemoryRemote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from photosync.emulators.images import make_image
from photosync.remotes.base import Capabilities
from photosync.remotes.memory import MemoryRemote
from photosync.sync.report import to_json
from photosync.sync.run import SyncOptions, sync

from tests.sync.conftest import photo


def run(config, remote, **options):
    report = sync(config, SyncOptions(remotes=["memory"], **options), factory=lambda name, cfg: remote)
    return report, to_json(report)


def kinds(doc) -> list[str]:
    return sorted(a["action"] for a in doc["actions"])


def test_first_sync_uploads_then_second_is_a_no_op(library, make_config):
    photo(library, "2020/Trip/a.jpg", 1)
    photo(library, "2020/Trip/b.jpg", 2)
    photo(library, "c.jpg", 3)
    remote = MemoryRemote(page_size=2)
    config = make_config()
    report, doc = run(config, remote)
    assert report.exit_code == 0, doc
    assert kinds(doc) == ["create_album"] + ["upload"] * 3
    assert len(remote.list_page(None).items) == 2  # paged
    (album,) = remote.list_albums()
    assert album.title == "2020/Trip" and album.owned_by_us and len(album.item_ids) == 2
    report, doc = run(config, remote)
    assert [a for a in doc["actions"] if a["action"] != "skip"] == []
    assert report.exit_code == 0


def test_dry_run_changes_nothing_not_even_the_database(library, make_config, tmp_path):
    photo(library, "a.jpg", 1)
    remote = MemoryRemote()
    config = make_config()
    report, doc = run(config, remote, dry_run=True)
    assert doc["dry_run"] is True and kinds(doc) == ["upload"]
    assert remote.calls.get("upload", 0) == 0
    report, doc = run(config, remote, dry_run=True)
    assert kinds(doc) == ["upload"]  # still planned: nothing was recorded


def test_duplicates_upload_once_and_moves_do_not_reupload(library, make_config):
    photo(library, "x/a.jpg", 1)
    (library / "y").mkdir()
    (library / "y" / "copy.jpg").write_bytes((library / "x" / "a.jpg").read_bytes())
    remote = MemoryRemote()
    config = make_config()
    _, doc = run(config, remote)
    assert kinds(doc) == ["create_album", "upload"]
    (library / "z").mkdir()
    (library / "x" / "a.jpg").rename(library / "z" / "a.jpg")
    (library / "y" / "copy.jpg").unlink()
    _, doc = run(config, remote)
    assert kinds(doc) == ["create_album", "delete_album", "move", "remove_from_album"], doc
    assert len(remote.list_page(None).items) == 1
    assert [a.title for a in remote.list_albums()] == ["z"]


def test_remote_only_photo_is_downloaded_into_its_album_folder(library, make_config):
    remote = MemoryRemote()
    remote.seed(make_image(7), "beach.jpg", albums=("Holidays",))
    remote.seed(make_image(8), "loose.jpg")
    config = make_config()
    report, doc = run(config, remote)
    assert report.exit_code == 0, doc
    assert kinds(doc) == ["download", "download"]
    assert (library / "Holidays" / "beach.jpg").read_bytes() == make_image(7)
    assert (library / "Downloads" / "loose.jpg").exists()
    _, doc = run(config, remote)
    assert [a for a in doc["actions"] if a["action"] != "skip"] == []


def test_local_delete_is_kept_remotely_by_default_and_never_resurrected(library, make_config):
    path = photo(library, "a.jpg", 1)
    photo(library, "other.jpg", 2)
    remote = MemoryRemote()
    config = make_config()
    run(config, remote)
    path.unlink()
    _, doc = run(config, remote)
    assert kinds(doc) == ["skip"]
    assert "deleted locally since last sync; kept" in doc["actions"][0]["reason"]
    _, doc = run(config, remote)
    assert doc["actions"] == []
    assert not path.exists()
    assert len(remote.list_page(None).items) == 2


def test_max_delete_holds_back_every_deletion(library, make_config):
    for i in range(3):
        photo(library, f"p{i}.jpg", i)
    remote = MemoryRemote()
    config = make_config("sync:\n  on_local_delete: delete-remote\n  max_delete: 2\n")
    run(config, remote)
    for i in range(3):
        (library / f"p{i}.jpg").unlink()
    (library / "keep.jpg").write_bytes(make_image(99))
    report, doc = run(config, remote)
    assert "delete_remote" not in kinds(doc)
    assert any("max_delete" in m["message"] for m in doc["messages"])
    assert report.exit_code == 1
    assert len(remote.list_page(None).items) == 4


def test_empty_library_aborts_instead_of_mass_deleting(library, make_config):
    photo(library, "a.jpg", 1)
    remote = MemoryRemote()
    config = make_config("sync:\n  on_local_delete: delete-remote\n")
    run(config, remote)
    (library / "a.jpg").unlink()
    report, doc = run(config, remote)
    assert doc["actions"] == [] and "is the share mounted" in doc["messages"][0]["message"]
    assert len(remote.list_page(None).items) == 1


def test_local_edit_replaces_remote_content(library, make_config):
    path = photo(library, "a.jpg", 1)
    remote = MemoryRemote()
    config = make_config()
    run(config, remote)
    path.write_bytes(make_image(2))
    _, doc = run(config, remote)
    assert kinds(doc) == ["replace_remote"]
    item = remote.list_page(None).items[0]
    assert remote.content(item.id) == make_image(2)


def test_max_operations_holds_for_the_whole_run_second_pass_included(library, make_config):
    """A download from one remote starts a second pass over every remote in the same run; it
    gets only what is left of sync.max_operations, not a fresh budget."""
    for i in range(4):
        photo(library, f"p{i}.jpg", i)
    flickr, drive = MemoryRemote(name="flickr"), MemoryRemote(name="drive")
    drive.seed(make_image("only-on-drive", date_taken=None), "remote.jpg")
    remotes = {"flickr": flickr, "drive": drive}
    config = make_config("sync:\n  max_operations: 3\ndrive:\n  direction: download\n")
    report = sync(config, SyncOptions(remotes=["flickr", "drive"]),
                  factory=lambda name, cfg: remotes[name])
    done = {r.name: sum(1 for o in r.outcomes if o.error is None and o.action.kind in
                        ("upload", "download")) for r in report.remotes}
    assert done == {"flickr": 3, "drive": 1}, done
    assert len(flickr.list_page(None).items) == 3


class DamagingRemote(MemoryRemote):
    """Stores the last byte of what is sent wrong (a transfer corrupted on the way) when
    ``damage`` is set; its answer (MD5) tells of what it stored."""

    damage = True

    def upload(self, path: Path, name: str, album: str | None, signature: str):
        return self._damaged(super().upload(path, name, album, signature))

    def replace(self, item_id: str, path: Path, signature: str):
        return self._damaged(super().replace(item_id, path, signature))

    def _damaged(self, item):
        if not self.damage:
            return item
        stored = self._items[item.id]
        stored.data = stored.data[:-1] + bytes([stored.data[-1] ^ 1])
        return self._export(stored)


def test_an_upload_the_remote_stored_wrong_is_removed_not_paired(library, make_config):
    photo(library, "a.jpg", 1)
    remote = DamagingRemote()
    report, doc = run(make_config(), remote)
    assert report.exit_code == 1
    [error] = doc["errors"]
    assert "stored other bytes than were sent" in error["error"], error
    assert remote.list_page(None).items == []


def test_a_replacement_the_remote_stored_wrong_is_not_taken_as_synced(library, make_config):
    photo(library, "a.jpg", 1)
    remote, config = DamagingRemote(), make_config()
    remote.damage = False
    run(config, remote)
    [before] = remote.list_page(None).items
    photo(library, "a.jpg", 2)
    remote.damage = True
    report, doc = run(config, remote)
    assert report.exit_code == 1 and "stored other bytes" in doc["errors"][0]["error"]
    assert remote.list_page(None).items[0].signature == before.signature
    remote.damage = False
    report, doc = run(config, remote)
    assert "conflict" in kinds(doc), doc  # both versions kept, none silently taken as synced


def test_a_remote_edit_replaces_one_file_and_its_local_duplicate_keeps_the_old_picture(
        library, make_config, tmp_path):
    """Issue 15: the replaced file is the pair's own; its copy keeps the old picture, which is
    uploaded in the same run (before, it was on no remote until a later run)."""
    old = photo(library, "x/a.jpg", 1)
    remote = MemoryRemote()
    config = make_config()
    run(config, remote)
    (library / "y").mkdir()
    original = old.read_bytes()
    (library / "y" / "copy.jpg").write_bytes(original)
    edited = tmp_path / "edited.jpg"
    edited.write_bytes(make_image(2))
    (item,) = remote.list_page(None).items
    remote.replace(item.id, edited, "edited-elsewhere")
    report, doc = run(config, remote)
    assert report.exit_code == 0, doc
    assert kinds(doc) == ["create_album", "replace_local", "upload"], doc
    assert (library / "x" / "a.jpg").read_bytes() == make_image(2)
    assert (library / "y" / "copy.jpg").read_bytes() == original
    contents = sorted(remote.content(i.id) for i in remote.list_page(None).items)
    assert contents == sorted([original, make_image(2)])
    _, doc = run(config, remote)
    assert [a for a in doc["actions"] if a["action"] != "skip"] == []


def test_a_photo_moved_into_a_folder_with_no_album_leaves_its_album(library, make_config):
    """Issue 15: the cached listing cannot tell our albums from the user's, so a move always has
    the albums listed (before, the photo stayed in album x for good)."""
    photo(library, "x/a.jpg", 1)
    photo(library, "x/b.jpg", 2)
    remote = MemoryRemote()
    config = make_config()
    run(config, remote)
    (library / "_hidden").mkdir()
    (library / "x" / "a.jpg").rename(library / "_hidden" / "a.jpg")
    _, doc = run(config, remote)
    assert kinds(doc) == ["move", "remove_from_album"], doc
    (album,) = remote.list_albums()
    assert album.title == "x" and len(album.item_ids) == 1
    _, doc = run(config, remote)
    assert [a for a in doc["actions"] if a["action"] != "skip"] == []


@pytest.mark.parametrize("capabilities", [None, Capabilities(hashes=frozenset({"md5"}),
                                                             exclusive_albums=True,
                                                             ordered_albums=False)],
                         ids=["sets", "folders"])
def test_the_dry_run_reports_what_the_real_run_then_does_albums_included(
        library, make_config, capabilities):
    """Issue 16: one code path for both reports. New photos in a new and in an existing album
    folder, a move between folders, a remote-only photo in an album: the dry run's report is the
    real run's, album actions, paths and counts included."""
    photo(library, "x/a.jpg", 1)
    photo(library, "x/b.jpg", 2)
    photo(library, "y/c.jpg", 3)
    remote = MemoryRemote(capabilities=capabilities)
    config = make_config()
    run(config, remote)
    photo(library, "x/d.jpg", 4)
    photo(library, "2021/New/e.jpg", 5)
    (library / "x" / "b.jpg").rename(library / "y" / "b.jpg")
    remote.seed(make_image(9), "beach.jpg", albums=("Holidays",))
    _, dry = run(config, remote, dry_run=True)
    _, real = run(config, remote)
    assert dry.pop("dry_run") is True and real.pop("dry_run") is False
    assert {a["action"] for a in real["actions"]} >= {"upload", "move", "download"}
    for doc in (dry, real):
        doc["scan"].pop("seconds")  # how long the scans took: the only thing allowed to differ
    assert dry == real, json.dumps([dry['actions'], real['actions']], indent=0)


def test_an_album_whose_folder_keeps_a_photo_is_not_deleted(library, make_config):
    """A photo deleted on the remote is kept locally (on_remote_delete: keep): its album there is
    left empty, but its folder still holds the photo, so the album is not deleted."""
    photo(library, "A/x/p1.jpg", 1)
    shutil.copy(library / "A" / "x" / "p1.jpg", library / "p1.jpg")  # a duplicate elsewhere
    remote = MemoryRemote()
    config = make_config()
    run(config, remote)
    photo(library, "A/sub/p2.jpg", 2)
    (item,) = remote.list_page(None).items
    remote.delete(item.id)
    remote.seed(make_image(9), "r.jpg")
    _, doc = run(config, remote)
    assert "delete_album" not in kinds(doc), doc
