"""Incremental scans: what is read (counted), what is kept, moved, gone."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from photosync.config import LibraryConfig
from photosync.library.rules import compile_rules
from photosync.library.walk import Walker
from photosync.state import scans
from photosync.state.index import duplicate_groups, failed_files, gone_files, present_files


def test_cold_scan_indexes_photos_with_albums(root, conn, run_scan, put, rows):
    put("top.jpg")
    put("2024/Trip/a.jpg")
    put("2024/Trip/_raw/b.png", alpha=True)
    put("2024/Trip/C.JPG")
    put("anim/x.gif")
    put("2024/notes.txt", data=b"not a photo")
    put("2024/.hidden.jpg")
    put("2024/part.jpg.part")
    put("@eaDir/thumb.jpg")
    put(".git/x.jpg")
    result = run_scan()
    assert (result.new, result.changed, result.moved, result.gone, result.failed) == (5, 0, 0, 0, [])
    assert result.decoded == 5
    albums = {f.path: f.album for f in present_files(conn)}
    assert albums == {"top.jpg": None, "2024/Trip/a.jpg": "2024/Trip", "2024/Trip/_raw/b.png":
                      "2024/Trip", "2024/Trip/C.JPG": "2024/Trip", "anim/x.gif": "anim"}
    photo = next(f for f in present_files(conn) if f.path == "2024/Trip/a.jpg")
    assert photo.status == "present" and photo.media == "photo" and photo.width == 64
    assert len(photo.md5) == 32 and len(photo.sha256) == 64 and len(photo.signature) == 64


def test_warm_rescan_reads_nothing(root, conn, run_scan, put, rows):
    for i in range(6):
        put(f"a/{i}.jpg")
    assert run_scan().decoded == 6
    again = run_scan()
    assert again.decoded == 0 and again.unchanged == 6 and again.new == again.changed == 0


# Names that sort differently as names and as paths: a folder "a" sorts as "a/", after the files
# "a b.jpg" and "a.jpg" and before "a0.jpg"; names not ASCII sort by code point (UTF-8 bytes).
TRICKY_NAMES = ["a b.jpg", "a.jpg", "a0.jpg", "a/x.jpg", "a/b c/y.jpg", "a/b/z.jpg", "a/b.jpg",
                "a-b/w.jpg", "a b/v.jpg", "A/u.jpg", "Été/é.jpg", "É.jpg", "e.jpg", "z.jpg",
                "東京/1.jpg", "東京.jpg", "2024/Trip 1/1.jpg", "2024/Trip/1.jpg", "2024/Trip.jpg"]


def test_the_walk_is_in_the_index_path_order(root, put):
    for name in TRICKY_NAMES:
        put(name)
    walked = [e.path for e in Walker(str(root), compile_rules(LibraryConfig(root=root))).walk()]
    assert walked == sorted(TRICKY_NAMES)  # str order is SQLite's (UTF-8 bytes)


def test_rescan_finds_every_file_whatever_sorts_next_to_it(root, conn, run_scan, put, rows,
                                                          monkeypatch):
    monkeypatch.setattr(scans, "CHUNK", 3)  # the index is read in several chunks
    for name in TRICKY_NAMES:
        put(name)
    assert run_scan().new == len(TRICKY_NAMES)
    ids = {path: row["id"] for path, row in rows().items()}
    again = run_scan()
    assert (again.unchanged, again.new, again.moved, again.gone, again.decoded) == (
        len(TRICKY_NAMES), 0, 0, 0, 0)
    (root / "a" / "b" / "z.jpg").unlink()
    os.rename(root / "a b" / "v.jpg", root / "a b" / "v2.jpg")
    put("a/b/new.jpg")
    third = run_scan()
    assert (third.new, third.moved, third.gone, third.decoded) == (1, 1, 1, 1)
    assert rows()["a b/v2.jpg"]["id"] == ids["a b/v.jpg"]  # a moved file keeps its id
    assert rows("gone")["a/b/z.jpg"]["id"] == ids["a/b/z.jpg"]


def test_changed_file_is_read_again_and_keeps_its_id(root, conn, run_scan, put, rows):
    put("a.jpg", seed=1)
    put("b.jpg", seed=2)
    run_scan()
    before = rows()["a.jpg"]
    put("a.jpg", seed=3)
    os.utime(root / "a.jpg", ns=(before["mtime_ns"] + 10**9, before["mtime_ns"] + 10**9))
    result = run_scan()
    assert (result.changed, result.decoded, result.unchanged) == (1, 1, 1)
    after = rows()["a.jpg"]
    assert after["id"] == before["id"] and after["signature"] != before["signature"]


def test_touched_file_is_reread(root, conn, run_scan, put, rows):
    put("a.jpg")
    run_scan()
    st = (root / "a.jpg").stat()
    os.utime(root / "a.jpg", ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert run_scan().decoded == 1


def test_renamed_folder_is_moved_without_reading(root, conn, run_scan, put, rows):
    for i in range(5):
        put(f"2024/Trip/{i}.jpg")
    put("2024/Trip/_raw/r.jpg")
    run_scan()
    before = {r["id"]: r for r in rows().values()}
    os.rename(root / "2024" / "Trip", root / "2024" / "Voyage")
    result = run_scan()
    assert (result.moved, result.new, result.gone, result.decoded) == (6, 0, 0, 0)
    after = {r["id"]: r for r in rows().values()}
    assert set(after) == set(before)  # same ids: the sync engine follows them
    for file_id, row in after.items():
        assert row["path"].startswith("2024/Voyage/") and row["album"] == "2024/Voyage"
        assert row["signature"] == before[file_id]["signature"]
        assert row["md5"] == before[file_id]["md5"]


def test_vanished_files_are_marked_gone_not_forgotten(root, conn, run_scan, put, rows):
    put("a.jpg")
    put("b.jpg")
    run_scan()
    (root / "a.jpg").unlink()
    result = run_scan()
    assert result.gone == 1 and result.decoded == 0
    gone = gone_files(conn)
    assert [f.path for f in gone] == ["a.jpg"] and gone[0].md5
    assert [f.path for f in present_files(conn)] == ["b.jpg"]
    assert run_scan().gone == 0  # counted once


def test_file_that_comes_back_is_revived_without_reading(root, conn, run_scan, tmp_path, put, rows):
    put("a.jpg")
    run_scan()
    file_id = rows()["a.jpg"]["id"]
    os.rename(root / "a.jpg", tmp_path / "aside.jpg")
    run_scan()
    (root / "b").mkdir()
    os.rename(tmp_path / "aside.jpg", root / "b" / "a.jpg")
    result = run_scan()
    assert (result.moved, result.decoded) == (1, 0)
    assert rows("present")["b/a.jpg"]["id"] == file_id


def test_hard_link_copies_hashes_without_reading(root, conn, run_scan, put, rows):
    put("a.jpg")
    run_scan()
    os.link(root / "a.jpg", root / "b.jpg")
    result = run_scan()
    assert (result.new, result.decoded, result.unchanged) == (1, 0, 1)
    live = rows("present")
    assert live["a.jpg"]["id"] != live["b.jpg"]["id"]
    assert live["a.jpg"]["signature"] == live["b.jpg"]["signature"]


def test_copied_file_is_read(root, conn, run_scan, put, rows):
    put("a.jpg")
    run_scan()
    shutil.copy2(root / "a.jpg", root / "copy.jpg")  # same size and mtime, another inode
    assert run_scan().decoded == 1
    assert [len(g) for g in duplicate_groups(conn)] == [2]


def test_album_rule_change_updates_without_reading(root, conn, run_scan, put, rows):
    put("2024/Trip/a.jpg")
    run_scan()
    result = run_scan(album_separator=" - ")
    assert result.decoded == 0
    assert rows()["2024/Trip/a.jpg"]["album"] == "2024 - Trip"


def test_newly_excluded_folder_is_gone(root, conn, run_scan, put, rows):
    put("keep/a.jpg")
    put("private/b.jpg")
    run_scan()
    result = run_scan(exclude=["^private$"])
    assert result.gone == 1 and [f.path for f in gone_files(conn)] == ["private/b.jpg"]


def test_permanently_bad_file_is_reported_every_scan_but_read_once(root, conn, run_scan, put, rows):
    put("bad.jpg", data=b"text, not a JPEG")
    put("good.jpg")
    first = run_scan()
    assert first.decoded == 2 and [f.path for f in first.failed] == ["bad.jpg"]
    second = run_scan()
    assert second.decoded == 0 and [f.path for f in second.failed] == ["bad.jpg"]
    assert failed_files(conn)[0].error.startswith("not an image")
    put("bad.jpg", seed="fixed")  # the user replaced it
    third = run_scan()
    assert third.failed == [] and third.decoded == 1 and third.new == 1


def test_videos_are_hashed_when_their_extension_is_listed(root, conn, run_scan, put, rows):
    put("clip.mp4", data=b"\0\0\0\x18ftypmp42" + bytes(4000))
    put("a.jpg")
    result = run_scan(extensions=["jpg", "mp4"])
    assert result.failed == [] and result.new == 2
    clip = rows()["clip.mp4"]
    assert clip["media"] == "video" and clip["signature"] is None and clip["sha256"]


def test_scan_records_its_run(root, conn, run_scan, put, rows):
    put("a.jpg")
    run_scan()
    scan_row = conn.execute("SELECT * FROM scans").fetchone()
    assert scan_row["new"] == 1 and scan_row["decoded"] == 1 and scan_row["finished"] >= scan_row["started"]


def test_rename_then_new_file_at_the_old_name(root, conn, run_scan, put, rows):
    put("a.jpg", seed="first")
    run_scan()
    first = rows()["a.jpg"]
    os.rename(root / "a.jpg", root / "b.jpg")
    put("a.jpg", seed="second")
    result = run_scan()
    assert (result.moved, result.new, result.changed, result.decoded) == (1, 1, 0, 1)
    live = rows("present")
    assert live["b.jpg"]["id"] == first["id"] and live["b.jpg"]["md5"] == first["md5"]
    assert live["a.jpg"]["id"] != first["id"] and live["a.jpg"]["md5"] != first["md5"]


def test_atomic_save_over_the_same_name_is_a_change(root, conn, run_scan, put, rows):
    put("a.jpg", seed="v1")
    run_scan()
    first = rows()["a.jpg"]
    put(".a.jpg.tmp", seed="v2")  # editors write a temporary file and rename it over
    os.replace(root / ".a.jpg.tmp", root / "a.jpg")
    result = run_scan()
    assert (result.changed, result.new, result.moved, result.decoded) == (1, 0, 0, 1)
    after = rows()["a.jpg"]
    assert after["id"] == first["id"] and after["md5"] != first["md5"]


def test_signatures_from_another_imagemagick_are_recomputed(root, conn, run_scan, put, rows):
    """IM6 and IM7 (or Q8 and Q16) hash pixels differently: after an ImageMagick upgrade the old
    signatures are recomputed (once this run knows the new ImageMagick by decoding something)."""
    put("a.jpg")
    put("b.png")
    run_scan()
    good = {p: r["signature"] for p, r in rows().items()}
    version, quantum = rows()["a.jpg"]["signature_im_version"], rows()["a.jpg"]["signature_quantum"]
    with conn:  # as if a.jpg had been indexed by another ImageMagick
        conn.execute("UPDATE files SET signature = 'old', signature_im_version = 5 WHERE path = 'a.jpg'")
    assert run_scan().decoded == 0  # nothing decoded: the new ImageMagick is not known yet
    put("c.jpg")
    result = run_scan()
    assert result.decoded == 2 and result.failed == []
    table = rows()
    assert table["a.jpg"]["signature"] == good["a.jpg"]
    assert (table["a.jpg"]["signature_im_version"], table["a.jpg"]["signature_quantum"]) == (version, quantum)
    assert run_scan().decoded == 0
