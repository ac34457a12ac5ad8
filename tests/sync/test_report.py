"""The sync report (issue 15): what a user reads must say what was done, to which file, and
agree with itself (progress lines, table, errors)."""

from __future__ import annotations

import logging

from photosync.cli.progress import action_progress
from photosync.emulators.images import make_image
from photosync.errors import ItemError
from photosync.remotes.base import Album
from photosync.remotes.memory import MemoryRemote
from photosync.sync.report import to_json, to_text
from photosync.sync.run import SyncOptions, sync
from tests.sync.conftest import photo


def run(config, remote, progress=None, **options):
    report = sync(config, SyncOptions(remotes=["memory"], **options),
                  factory=lambda name, cfg: remote, progress=progress)
    return report, to_json(report)


class NoNewAlbums(MemoryRemote):
    """A remote that refuses to create albums (a permanent, per-album error)."""

    def create_album(self, title: str, first_item_id: str) -> Album:
        raise ItemError(f"album {title!r} refused")


def test_a_download_names_the_file_it_creates_not_its_folder(library, make_config):
    photo(library, "2024/Trip/IMG_0013.jpg", "mine")
    remote = MemoryRemote()
    remote.seed(make_image("theirs"), "IMG_0013.jpg", albums=("2024/Trip",))
    config = make_config()
    for dry_run in (True, False):
        report, doc = run(config, remote, dry_run=dry_run)
        [download] = [a for a in doc["actions"] if a["action"] == "download"]
        assert download["path"] == "2024/Trip/IMG_0013 (2).jpg", (dry_run, download)
        assert "download        2024/Trip/IMG_0013 (2).jpg  [" in to_text(report)
    assert (library / "2024/Trip/IMG_0013 (2).jpg").read_bytes() == make_image("theirs")


def test_album_failures_are_counted_in_the_closing_line_and_the_table(library, make_config,
                                                                       caplog):
    photo(library, "2024/Trip/a.jpg", 1)
    caplog.set_level(logging.INFO, logger="photosync")
    report, doc = run(make_config(), NoNewAlbums(), progress=action_progress)
    assert [e["error"] for e in doc["errors"]] == ["album '2024/Trip' refused"], doc["errors"]
    lines = [r.getMessage() for r in caplog.records if " done, " in r.getMessage()]
    failed = sum(int(line.rsplit(", ", 1)[1].split()[0]) for line in lines)
    assert failed == len(doc["errors"]) == 1, lines
    assert doc["failed"] == {"memory": {"create_album": 1}}
    table = to_text(report).splitlines()
    assert table[1].split() == ["Memory:", "count", "failed", "size"], table
    assert [row.split()[:3] for row in table[2:4]] == [["create_album", "1", "1"],
                                                      ["upload", "1", "0"]], table


def test_text_lines_are_sorted_by_remote_action_path_and_show_the_album(library, make_config):
    for name in ("c.jpg", "a.jpg", "b.jpg"):
        photo(library, f"Trip/{name}", name)
    remote = MemoryRemote()
    remote.seed(make_image("z"), "z.jpg", albums=("Beach",))
    report, doc = run(make_config(), remote, dry_run=True)
    lines = [line.split() for line in to_text(report).splitlines() if line.startswith("memory ")]
    assert [(w[1], w[2]) for w in lines] == [
        ("create_album", "-"), ("download", "Beach/z.jpg"), ("upload", "Trip/a.jpg"),
        ("upload", "Trip/b.jpg"), ("upload", "Trip/c.jpg")], lines
    assert all("album" in w and ("'Trip'" in w or "'Beach'" in w) for w in lines), lines
    assert doc["scan"]["new"] == 3 and doc["scan"]["failed"] == 0
    assert set(doc["scan"]) >= {"new", "changed", "moved", "gone", "failed", "unchanged"}
    assert "Library: 3 new, 0 changed" in to_text(report)


def test_the_eta_reads_as_the_issue_asks():
    from photosync.sync.eta import describe
    assert describe("Flickr", 812_345, 3600) == \
        "Flickr: 812,345 photos to go, about 9.4 days at 3,600 calls/hour"
    assert describe("Google Drive", 7_000, 36_000) == \
        "Google Drive: 7,000 photos to go, about 12 minutes at 36,000 calls/hour"
    assert describe("Flickr", 100, 3300) == "Flickr: 100 photos to go, about 2 minutes at 3,300 calls/hour"
    assert describe("Flickr", 0, 3300) == "Flickr: 0 photos to go"
