"""Bad files never stop a scan: each is recorded with its reason, good files are indexed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from photosync.config import LibraryConfig
from photosync.emulators.images import make_image
from photosync.errors import UsageError
from photosync.library.scan import scan


def reasons(result) -> dict[str, str]:
    return {f.path: f.reason for f in result.failed}


def test_bad_content_is_recorded_and_the_scan_goes_on(root, run_scan, put, rows):
    good = make_image("big", 200, 150)
    put("ok.jpg", data=good)
    put("empty.jpg", data=b"")
    put("truncated.jpg", data=good[: len(good) // 2])
    put("corrupt.png", data=b"\x89PNG\r\n\x1a\n" + bytes(300))
    put("text.jpg", data=b"Dear diary,\n" * 10)
    put("z/after.jpg")
    result = run_scan()
    got = reasons(result)
    assert got["empty.jpg"] == "empty file (0 bytes)"
    assert got["truncated.jpg"].startswith("damaged image")
    assert "Premature end of JPEG" in got["truncated.jpg"]
    assert got["corrupt.png"]
    assert got["text.jpg"].startswith("not an image")
    assert set(got) == {"empty.jpg", "truncated.jpg", "corrupt.png", "text.jpg"}
    assert result.new == 2
    table = rows()
    assert table["ok.jpg"]["status"] == table["z/after.jpg"]["status"] == "present"
    assert table["text.jpg"]["status"] == "failed" and table["text.jpg"]["error"] == got["text.jpg"]


def test_file_vanishing_mid_scan(root, conn, put, rows):
    put("a.jpg")
    put("b.jpg")
    put("c.jpg")
    calls = []

    def remove_b(progress):
        if not calls:  # the folder was listed; the decode worker is still starting
            (root / "b.jpg").unlink()
        calls.append(progress)

    result = scan(conn, LibraryConfig(root=root), workers=1, progress=remove_b)
    assert reasons(result) == {"b.jpg": "vanished during the scan"}
    assert result.new == 2 and set(rows("present")) == {"a.jpg", "c.jpg"}
    assert calls[-1].walking is False and calls[-1].read == 3
    assert rows()["b.jpg"]["status"] == "failed"
    assert scan(conn, LibraryConfig(root=root), workers=1).gone == 1  # and then it is gone


def test_symlinks(root, tmp_path, run_scan, put, rows):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "ext.jpg").write_bytes(make_image("ext"))
    (outside / "dir").mkdir()
    (outside / "dir" / "in.jpg").write_bytes(make_image("in"))
    put("real/a.jpg")
    put("sub/x.jpg")
    os.symlink(root / "real" / "a.jpg", root / "link-inside.jpg")
    os.symlink(root / "real", root / "link-inside-dir")
    os.symlink(outside / "ext.jpg", root / "link-outside.jpg")
    os.symlink(outside / "dir", root / "link-outside-dir")
    os.symlink("loop2.jpg", root / "loop1.jpg")
    os.symlink("loop1.jpg", root / "loop2.jpg")
    os.symlink("..", root / "sub" / "up")
    os.symlink(tmp_path / "missing.jpg", root / "broken.jpg")
    result = run_scan()
    got = reasons(result)
    assert got["loop1.jpg"] == got["loop2.jpg"] == "symlink loop"
    assert got["sub/up"].startswith("symlink loop")
    assert got["link-outside.jpg"].startswith("symlink to a file outside library.root")
    assert got["link-outside-dir"].startswith("symlink to a folder outside library.root")
    assert got["broken.jpg"].startswith("broken symlink")
    assert set(rows("present")) == {"real/a.jpg", "sub/x.jpg"}  # inside links: indexed once

    followed = run_scan(follow_symlinks_outside_root=True)
    assert "link-outside.jpg" not in reasons(followed)
    assert set(rows("present")) == {"real/a.jpg", "sub/x.jpg", "link-outside.jpg",
                                    "link-outside-dir/in.jpg"}
    assert rows()["link-outside-dir/in.jpg"]["album"] == "link-outside-dir"


def test_names_that_are_not_utf8(root, run_scan, put, rows):
    put("fine.jpg")
    base = os.fsencode(root)
    with open(base + b"/caf\xe9.jpg", "wb") as handle:  # Latin-1 name
        handle.write(make_image("latin"))
    os.mkdir(base + b"/dossier \xe9t\xe9")
    with open(base + b"/dossier \xe9t\xe9/x.jpg", "wb") as handle:
        handle.write(make_image("x"))
    result = run_scan()
    got = reasons(result)
    assert got == {"caf\\xe9.jpg": "file name is not valid UTF-8: rename it",
                   "dossier \\xe9t\\xe9": "folder name is not valid UTF-8: rename it"}
    assert set(rows()) == {"fine.jpg"}


def test_very_long_names(root, run_scan, put, rows):
    long_name = "é" * 124 + ".jpg"  # 252 bytes: the longest names Linux allows still work
    put(long_name)
    fd = os.open(root, os.O_RDONLY)
    try:  # a folder chain deeper than PATH_MAX (4096 bytes)
        for level in range(18):
            name = f"{level:02d}" + "d" * 240
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        out = os.open("deep.jpg", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, make_image("deep"))
        os.close(out)
    finally:
        os.close(fd)
    result = run_scan()
    assert set(rows("present")) == {long_name}
    assert len(result.failed) == 1
    assert result.failed[0].reason == "folder not scanned: path too long for the operating system"


def test_fifo_named_like_a_photo(root, run_scan, put):
    put("a.jpg")
    os.mkfifo(root / "pipe.jpg")
    assert reasons(run_scan()) == {"pipe.jpg": "not a regular file"}


def test_indexed_file_that_becomes_a_problem_is_failed_not_gone(root, run_scan, put, rows):
    put("a.jpg")
    put("b.jpg")
    put("c.jpg")
    run_scan()
    (root / "b.jpg").unlink()
    os.mkfifo(root / "b.jpg")
    (root / "c.jpg").unlink()
    os.symlink(root / "missing.jpg", root / "c.jpg")
    result = run_scan()
    assert reasons(result) == {"b.jpg": "not a regular file",
                               "c.jpg": "broken symlink: vanished during the scan"}
    assert result.gone == 0
    assert {p: (r["status"], r["error"]) for p, r in rows().items()} == {
        "a.jpg": ("present", None), "b.jpg": ("failed", "not a regular file"),
        "c.jpg": ("failed", "broken symlink: vanished during the scan")}


def test_missing_root_stops_before_marking_anything_gone(root, conn, run_scan, put, rows):
    put("a.jpg")
    run_scan()
    root.rename(root.with_name("unmounted"))
    with pytest.raises(UsageError, match="cannot be read"):
        run_scan()
    assert rows()["a.jpg"]["status"] == "present"
