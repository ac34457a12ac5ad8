"""Exclude, temporary-file, extension and album rules, table-driven."""

from __future__ import annotations

from pathlib import Path

import pytest

from photosync.config import LibraryConfig
from photosync.library.rules import (album_for, classify, classify_fast, compile_rules, extension,
                                     is_excluded_dir, is_temporary, is_wanted_file, media_for,
                                     normalise_extensions)


def rules(**overrides):
    return compile_rules(LibraryConfig(root=Path("/x"), **overrides))


@pytest.mark.parametrize("folder, expected", [
    ((), None),                                   # root: no album by default
    (("2024",), "2024"),
    (("2024", "Trip"), "2024/Trip"),
    (("2024", "Trip", "_raw"), "2024/Trip"),      # exclude_in_title: belongs to its parent
    (("2024", "_raw", "_more"), "2024"),          # nested matching folders: nearest non-matching
    (("2024", "_raw", "Trip"), "2024/Trip"),      # matching parts stay out of the name
    (("_misc",), None),                           # nearest non-matching folder is the root
    (("_misc", "Party"), "Party"),
    (("Été 2023", "Plage"), "Été 2023/Plage"),    # unicode kept as is
])
def test_album_default_rules(folder, expected):
    assert album_for(rules(), folder) == expected


@pytest.mark.parametrize("overrides, folder, expected", [
    ({"album_separator": " - "}, ("2024", "Trip"), "2024 - Trip"),
    ({"album_separator": " - "}, ("2024", "_x", "Trip", "_y"), "2024 - Trip"),
    ({"root_album": "Unsorted"}, (), "Unsorted"),
    ({"root_album": "Unsorted"}, ("_raw",), "Unsorted"),
    ({"exclude_in_title": ["^raw$", "edits"]}, ("Trip", "raw"), "Trip"),
    ({"exclude_in_title": ["^raw$", "edits"]}, ("Trip", "my edits"), "Trip"),
    ({"exclude_in_title": ["^raw$"]}, ("Trip", "_raw"), "Trip/_raw"),
    ({"exclude_in_title": []}, ("2024", "_raw"), "2024/_raw"),
])
def test_album_configured(overrides, folder, expected):
    assert album_for(rules(**overrides), folder) == expected


@pytest.mark.parametrize("name, excluded", [
    (".hidden", True), ("__pycache__", True), ("@eaDir", True), ("#recycle", True),
    ("@Recycle", True), ("#snapshot", True), ("lost+found", True),
    ("2024", False), ("_raw", False), ("Trip.2024", False), ("recycle", False), ("x@eaDir", False),
])
def test_excluded_folders_default(name, excluded):
    assert is_excluded_dir(rules(), name) is excluded


@pytest.mark.parametrize("patterns, name, excluded", [
    (["^private$"], "private", True),
    (["^private$"], "private-2", False),
    (["tmp"], "my tmp files", True),           # patterns are searched, not anchored
    ([], ".hidden", False),                    # the user may index hidden folders...
    ([], "@eaDir", True),                      # ...but never NAS thumbnail folders
])
def test_excluded_folders_configured(patterns, name, excluded):
    assert is_excluded_dir(rules(exclude=patterns), name) is excluded


@pytest.mark.parametrize("name, wanted", [
    ("a.jpg", True), ("A.JPG", True), ("a.Jpeg", True), ("a.heic", True), ("a.tiff", True),
    ("a.png", True), ("a.gif", True), ("a.webp", True),
    ("a.txt", False), ("a.jpg.txt", False), ("jpg", False), (".jpg", False), ("a.mp4", True),
        ("a.NEF", True), ("a.mov.part", False),
    (".hidden.jpg", False), ("._a.jpg", False), ("a.jpg~", False), ("a.jpg.part", False),
    ("a.jpg.crdownload", False), ("~$a.jpg", False), ("a.tmp", False), ("Thumbs.db", False),
    (".DS_Store", False), ("a.jpg@SynoEAStream", False),
])
def test_wanted_files_default(name, wanted):
    assert is_wanted_file(rules(), name) is wanted


@pytest.mark.parametrize("extensions", [None, ["jpg", "part", "MOV", "db", "jpg~"]])
@pytest.mark.parametrize("name", [
    "a.jpg", "A.JPG", "a.Jpg", "a.mov", "a.MOV", "jpg", "JPG", ".jpg", "~a.jpg", "~$a.jpg",
    "._a.jpg", "a.jpg~", "a.part", "a.jpg.part", "Thumbs.db", "a.db", "a.", "a.txt", "a.jpg~",
    "photo~1.jpg", "a.b.jpeg", "a.tmp", "a.NEF"])
def test_classify_fast_agrees_with_classify(extensions, name):
    r = rules() if extensions is None else rules(extensions=extensions)
    assert classify_fast(r, name) == classify(r, name)


def test_extensions_are_normalised_and_configurable():
    assert normalise_extensions([".JPG", "Png", " heic ", "", "."]) == {"jpg", "png", "heic"}
    custom = rules(extensions=["JPG", ".mp4"])
    assert is_wanted_file(custom, "clip.MP4") and is_wanted_file(custom, "a.jpg")
    assert not is_wanted_file(custom, "a.png")


@pytest.mark.parametrize("name, ext", [("a.JPG", "jpg"), ("a.b.c", "c"), ("noext", ""),
                                       (".bashrc", ""), ("a.", "")])
def test_extension(name, ext):
    assert extension(name) == ext


@pytest.mark.parametrize("name, temp", [("a.jpg", False), ("a.jpg.partial", True),
                                        ("a.swp", True), ("desktop.ini", True),
                                        ("a.filepart", True), ("photo~1.jpg", False)])
def test_temporary(name, temp):
    assert is_temporary(name) is temp


@pytest.mark.parametrize("name, media", [("a.jpg", "photo"), ("a.MOV", "video"),
                                         ("a.mp4", "video"), ("a.gif", "photo")])
def test_media(name, media):
    assert media_for(name) == media
