"""Safe names, no-clobber paths, atomic verified downloads."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from photosync.emulators.images import make_image
from photosync.errors import Conflict, ItemError, TransientError
from photosync.remotes.files import (
    ChangedSinceIndexed,
    open_to_send,
    sendable,
    UnsafePath,
    atomic_download,
    ensure_inside,
    remove_partials,
    safe_destination,
    unique_path,
)
from photosync.atomic import is_partial
from photosync.remotes.names import extension_of, remote_extension, safe_name

JPEG = make_image("files-test")


@pytest.mark.parametrize("untrusted, ext, expected", [
    ("holiday", "jpg", "holiday.jpg"),
    ("holiday.JPG", "jpg", "holiday.jpg"),
    ("../../etc/passwd", None, "_.._etc_passwd"),
    ("a/b\\c", "jpg", "a_b_c.jpg"),
    ("nul\x00byte\x1fctl\x7f", "png", "nul_byte_ctl_.png"),
    ("..", "jpg", "untitled.jpg"),
    ("", None, "untitled"),
    ("   ", "jpg", "untitled.jpg"),
    (".hidden", "jpg", "hidden.jpg"),
    ("trailing. . ", "jpg", "trailing.jpg"),
    ("CON", "jpg", "_CON.jpg"),
    ("lpt1.tar", None, "_lpt1.tar"),
    ("console", "jpg", "console.jpg"),
    ('what?<is>:"this"|*', "gif", "what__is___this___.gif"),
    ("日本語 фото", "jpg", "日本語 фото.jpg"),
    ("x", "../evil", "x"),  # an unsafe extension is dropped, not obeyed
])
def test_safe_name(untrusted: str, ext: str | None, expected: str) -> None:
    assert safe_name(untrusted, ext) == expected


def test_safe_name_normalises_unicode() -> None:
    assert safe_name("Cafe\u0301") == "Café"  # NFD from macOS becomes NFC


@pytest.mark.parametrize("stem", ["x" * 400, "é" * 200, "日" * 120])
def test_safe_name_fits_255_bytes_without_splitting_characters(stem: str) -> None:
    name = safe_name(stem, "jpeg")
    assert len(name.encode()) <= 255
    assert name.endswith(".jpeg")
    assert set(name[:-5]) == {stem[0]}


def test_unique_path_never_reuses_a_name(tmp_path: Path) -> None:
    assert unique_path(tmp_path, "a.jpg") == tmp_path / "a.jpg"
    (tmp_path / "a.jpg").write_bytes(b"1")
    (tmp_path / "a (2).jpg").write_bytes(b"2")
    assert unique_path(tmp_path, "a.jpg") == tmp_path / "a (3).jpg"
    (tmp_path / "noext").write_bytes(b"")
    assert unique_path(tmp_path, "noext") == tmp_path / "noext (2)"


def test_unique_path_keeps_the_counter_of_a_long_name(tmp_path: Path) -> None:
    name = safe_name("y" * 300, "jpg")
    (tmp_path / name).write_bytes(b"")
    second = unique_path(tmp_path, name)
    assert second.name.endswith(" (2).jpg") and len(second.name.encode()) <= 255


def test_ensure_inside(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    assert ensure_inside(root, root / "a" / "b.jpg") == root / "a" / "b.jpg"
    with pytest.raises(UnsafePath):
        ensure_inside(root, root / ".." / "b.jpg")
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(UnsafePath):
        ensure_inside(root, root / "link" / "b.jpg")


def test_safe_destination_sanitises_every_part(tmp_path: Path) -> None:
    dest = safe_destination(tmp_path, ["..", "2021", "a/b"], "../x", "jpg")
    assert dest == tmp_path / "untitled" / "2021" / "a_b" / "_x.jpg"
    assert not (tmp_path / "untitled").exists()  # nothing created yet


def write(data: bytes):
    return lambda out: out.write(data)


def test_atomic_download_writes_verified_file(tmp_path: Path) -> None:
    dest = tmp_path / "a" / "b" / "p.jpg"
    result = atomic_download(dest, write(JPEG), len(JPEG), hashlib.md5(JPEG).hexdigest().upper())
    assert result == dest and dest.read_bytes() == JPEG
    assert [f.name for f in dest.parent.iterdir()] == ["p.jpg"]


@pytest.mark.parametrize("size, md5, data, error", [
    (len(JPEG), None, JPEG[: len(JPEG) // 2], TransientError),
    (None, hashlib.md5(b"other").hexdigest(), JPEG, TransientError),
    (None, None, b"<html>quota exceeded</html>", ItemError),
])
def test_atomic_download_failure_leaves_nothing(tmp_path: Path, size, md5, data, error) -> None:
    dest = tmp_path / "new" / "deeper" / "p.jpg"
    with pytest.raises(error):
        atomic_download(dest, write(data), size, md5)
    assert list(tmp_path.iterdir()) == []


def test_atomic_download_failure_in_the_writer_leaves_nothing(tmp_path: Path) -> None:
    def broken(out) -> None:
        out.write(JPEG[:10])
        raise ConnectionResetError("peer went away")
    with pytest.raises(ConnectionResetError):
        atomic_download(tmp_path / "p.jpg", broken)
    assert list(tmp_path.iterdir()) == []


def test_atomic_download_never_clobbers(tmp_path: Path) -> None:
    dest = tmp_path / "p.jpg"
    dest.write_bytes(b"precious")
    with pytest.raises(Conflict):
        atomic_download(dest, write(JPEG))
    assert dest.read_bytes() == b"precious"
    assert [f.name for f in tmp_path.iterdir()] == ["p.jpg"]
    atomic_download(dest, write(JPEG), overwrite=True)
    assert dest.read_bytes() == JPEG


def test_video_is_not_decoded(tmp_path: Path) -> None:
    data = b"\x00\x00\x00\x18ftypmp42 not really a video"
    dest = atomic_download(tmp_path / "v.mp4", write(data), len(data), verify_image=False)
    assert dest.read_bytes() == data


def test_partials_are_recognised_and_cleaned(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    stale = tmp_path / "sub" / ".photosync-0123.part"
    stale.write_bytes(b"half")
    (tmp_path / "keep.jpg").write_bytes(b"x")
    assert is_partial(stale.name) and not is_partial("keep.jpg")
    assert remove_partials(tmp_path) == 1
    assert not stale.exists() and (tmp_path / "keep.jpg").exists()


def test_temp_file_is_in_the_target_folder(tmp_path: Path) -> None:
    seen: list[str] = []

    def spy(out) -> None:
        seen.extend(os.listdir(tmp_path))
        out.write(JPEG)
    atomic_download(tmp_path / "p.jpg", spy)
    assert len(seen) == 1 and is_partial(seen[0])


@pytest.mark.parametrize("name, mime, ext", [
    ("IMG_1.JPG", "image/jpeg", "jpg"),
    ("Sunset at the beach", "image/jpeg", "jpg"),  # a Flickr title
    ("v1.2 final", "image/png", "png"),  # a dot that is no extension
    ("clip.mov", "video/quicktime", "mov"),
    ("photo.jpg", "image/png", "png"),  # a misleading name: the content type wins
    ("scan.tif", None, "tif"),
    ("no extension", None, None),
])
def test_extension_of(name: str, mime: str | None, ext: str | None) -> None:
    from photosync.remotes.base import RemoteItem
    assert extension_of(RemoteItem(id="1", name=name, mime=mime)) == ext


@pytest.mark.parametrize("name, mime, extra, ext", [
    ("Sunset", "image/jpeg", {"format": "PNG"}, "png"),  # Flickr's originalformat wins
    ("IMG_1.JPG", "image/jpeg", {}, "jpg"),
    ("../../evil", None, {}, "jpg"),  # no extension, no MIME type: saved as a JPEG
    ("CON", "image/heic", {}, "heic"),
])
def test_remote_extension(name: str, mime: str | None, extra: dict, ext: str) -> None:
    from photosync.remotes.base import RemoteItem
    assert remote_extension(RemoteItem(id="1", name=name, mime=mime, extra=extra)) == ext


# -- sending: the indexed bytes or none, with no temporary copy (issue 14, issue 20) -----------
def _indexed(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "p.jpg"
    path.write_bytes(data)
    return path


def test_a_photo_is_streamed_as_indexed(tmp_path: Path) -> None:
    data = os.urandom(100_000)
    with sendable(_indexed(tmp_path, data), hashlib.md5(data).hexdigest(), len(data)) as source:
        with open_to_send(source) as fh:
            sent = b"".join(iter(lambda: fh.read(4096), b""))
    assert sent == data and source.sent_md5 == hashlib.md5(data).hexdigest()


@pytest.mark.parametrize("change", ["rewritten", "shorter", "longer"])
def test_a_photo_changed_since_indexed_never_hands_out_its_last_bytes(tmp_path, change) -> None:
    data = os.urandom(50_000)
    path = _indexed(tmp_path, data)
    with sendable(path, hashlib.md5(data).hexdigest(), len(data)) as source:
        with open_to_send(source) as fh:
            first = fh.read(10_000)
            new = {"rewritten": data[:20_000] + b"x" + data[20_001:], "shorter": data[:40_000],
                   "longer": data + b"more"}[change]
            path.write_bytes(new)  # rewritten in place while it is sent
            sent = [first]
            if change == "longer":  # the indexed bytes themselves are still all there
                sent.append(fh.read())
                assert b"".join(sent) == data
                return
            with pytest.raises(ChangedSinceIndexed):
                while chunk := fh.read(10_000):
                    sent.append(chunk)
    assert sum(map(len, sent)) < len(data)  # the last bytes were never handed out


def test_a_resumed_upload_is_sent_the_bytes_that_were_hashed(tmp_path: Path) -> None:
    """Drive resumes a cut upload from the offset it got to: the bytes read again are the
    ones hashed before, not what the file holds now."""
    data = os.urandom(64 * 1024)
    path = _indexed(tmp_path, data)
    with sendable(path, hashlib.md5(data).hexdigest(), len(data)) as source:
        with open_to_send(source) as fh:
            fh.read(16 * 1024)
            fh.read(16 * 1024)  # sent, then the connection was cut
            path.write_bytes(bytes(len(data)))  # and the file rewritten meanwhile
            fh.seek(20 * 1024)  # Drive says it got 20 KiB
            assert fh.read(12 * 1024) == data[20 * 1024:32 * 1024]
            with pytest.raises(ChangedSinceIndexed):  # the rest of the file is not the photo's
                fh.read(64 * 1024)


def test_an_upload_resumed_by_a_new_attempt_still_checks_every_byte(tmp_path: Path) -> None:
    """A retry resumes a Drive session from the offset the first attempt reached: the bytes
    before it are hashed too (and must still be the indexed ones)."""
    data = os.urandom(64 * 1024)
    path = _indexed(tmp_path, data)
    with sendable(path, hashlib.md5(data).hexdigest(), len(data)) as source:
        with open_to_send(source) as fh:
            fh.seek(20 * 1024)
            assert fh.read() == data[20 * 1024:]
        assert source.sent_md5 == hashlib.md5(data).hexdigest()
        path.write_bytes(bytes(10) + data[10:])  # the part sent before has changed since
        with open_to_send(source) as fh, pytest.raises(ChangedSinceIndexed):
            fh.seek(20 * 1024)
            fh.read()
