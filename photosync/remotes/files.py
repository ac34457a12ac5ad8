"""The local-write side of every remote: no-clobber paths, atomic verified downloads, sendable
copies, partial-file cleanup (the pure name rules are :mod:`photosync.remotes.names`).

Nothing a remote says may make us write outside the library root or over an
existing photo. A download is written to a hidden temp file in the target folder (the scanner
ignores it), fsynced, verified, then linked into place; on any failure nothing is left behind.
An upload sends a private copy of the photo, read once and hashed on the way, and only when that
copy holds exactly the bytes the index read (its MD5): a photo rewritten while a run goes on is
never sent under the signature of another version.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Container, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from photosync.atomic import is_partial, place, temp_path
from photosync.errors import Conflict, ItemError, LocalDiskError, TransientError
from photosync.remotes.bandwidth import Bandwidth
from photosync.remotes.names import fit_name, safe_name


class UnsafePath(ItemError):
    """A path built from remote data would leave the library root."""


class ChangedSinceIndexed(ItemError):
    """A photo's bytes are no longer those the index read (rewritten during the run)."""


def unique_path(folder: Path, name: str, taken: Container[Path] = ()) -> Path:
    """``folder/name``, or ``folder/stem (2).ext``, ``(3)``, ... : never an existing file, nor
    one of ``taken`` (names promised to downloads still in progress)."""
    candidate = folder / name
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    suffix = f"{dot}{ext}"
    if not stem:  # ".jpg" alone: no stem to number
        stem, suffix = name, ""
    n = 2
    while candidate.exists() or candidate.is_symlink() or candidate in taken:
        # a long stem is cut, not the counter
        candidate = folder / fit_name(stem, f" ({n}){suffix}")
        n += 1
    return candidate


def ensure_inside(root: Path, path: Path) -> Path:
    """``path`` unchanged if it stays inside ``root`` once symlinks and ``..`` resolve."""
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(path))
    if real != real_root and not real.is_relative_to(real_root):
        raise UnsafePath(f"{path}: outside the library root {root}; not written")
    return path


def safe_destination(root: Path, folders: Sequence[str], untrusted_name: str,
                     ext: str | None, taken: Container[Path] = ()) -> Path:
    """Where to download a remote item: safe folder names under ``root``, a name not in use."""
    folder = root.joinpath(*(safe_name(part) for part in folders if part.strip()))
    ensure_inside(root, folder)
    return ensure_inside(root, unique_path(folder, safe_name(untrusted_name, ext), taken))


def remove_partials(root: Path) -> int:
    """Delete temp files a killed run left under ``root``; return how many."""
    count = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            if is_partial(name):
                Path(folder, name).unlink(missing_ok=True)
                count += 1
    return count


class _HashingWriter:
    """A write-only file wrapper that counts bytes and computes the MD5 on the way. A write the
    disk refuses raises ``LocalDiskError`` here, before an HTTP library (which writes through
    this) can take the ``OSError`` for a network problem and have it retried."""

    def __init__(self, raw: BinaryIO, folder: Path, bandwidth: Bandwidth | None = None):
        self.raw = raw
        self.folder = folder
        self.bandwidth = bandwidth
        self.md5 = hashlib.md5()
        self.size = 0

    def write(self, data: bytes) -> int:
        if self.bandwidth is not None:  # holds back the next read from the network too
            self.bandwidth.take(len(data))
        self.md5.update(data)
        self.size += len(data)
        with local_disk(self.folder):
            return self.raw.write(data)


@contextmanager
def local_disk(folder: Path) -> Iterator[None]:
    """An ``OSError`` that means the disk under ``folder`` refuses writes (see
    ``LocalDiskError.FIXES``) becomes ``LocalDiskError``; others pass unchanged."""
    try:
        yield
    except OSError as exc:
        if exc.errno in LocalDiskError.FIXES:
            raise LocalDiskError(folder, exc.strerror or str(exc), exc.errno) from exc
        raise


@contextmanager
def sendable_copy(path: Path, indexed_md5: str | None) -> Iterator[tuple[Path, str]]:
    """(a private copy of ``path``, its MD5) for one upload, removed afterwards.

    Why a copy: a remote reads the file while sending it, so an editor's rename or an in-place
    rewrite during the transfer would store a version other than the one indexed (or a mix of
    two), under the indexed signature. The copy is made by one read, hashed on the way; when its
    MD5 is not ``indexed_md5`` it raises ``ChangedSinceIndexed`` and nothing is sent.
    """
    with tempfile.TemporaryDirectory(prefix="photosync-send-") as folder:
        copy = Path(folder) / path.name
        with open(path, "rb") as source, open(copy, "xb") as raw:
            out = _HashingWriter(raw, Path(folder).parent)
            shutil.copyfileobj(source, out)
        md5 = out.md5.hexdigest()
        if indexed_md5 is not None and md5 != indexed_md5.lower():
            raise ChangedSinceIndexed("changed since it was indexed (still being written?); "
                                      "not sent: it is read again and sent by the next run")
        yield copy, md5


def atomic_download(dest: Path, write: Callable[[BinaryIO], object],
                    expected_size: int | None = None, expected_md5: str | None = None,
                    verify_image: bool = True, overwrite: bool = False,
                    fsync_folder: bool = True, bandwidth: Bandwidth | None = None) -> Path:
    """Have ``write(file)`` produce the content of ``dest``, verified and atomically in place.

    Size and MD5 mismatches raise ``TransientError`` (a cut transfer; worth retrying); an
    undecodable image raises ``ItemError``; an existing ``dest`` raises ``Conflict`` unless
    ``overwrite``. On any failure neither the temp file nor folders created here remain.
    ``fsync_folder=False``: the caller makes the rename durable itself (one fsync of the folder
    for many files) and can tell a file lost to a crash (``photosync mirror``: it is recorded).
    ``bandwidth``: ``sync.bwlimit``, which paces the writes (and so the download).
    """
    with local_disk(dest.parent):
        created = _make_folders(dest.parent)
    tmp = temp_path(dest)
    try:
        with local_disk(dest.parent), open(tmp, "xb") as raw:
            out = _HashingWriter(raw, dest.parent, bandwidth)
            write(out)  # type: ignore[arg-type]
            raw.flush()
            os.fsync(raw.fileno())
        _verify(dest, out, expected_size, expected_md5, tmp if verify_image else None)
        with local_disk(dest.parent):
            try:
                place(tmp, dest, overwrite=overwrite, sync_folder=fsync_folder or bool(created))
            except FileExistsError:
                raise Conflict(f"{dest}: already exists; not overwritten") from None
        return dest
    except BaseException:
        tmp.unlink(missing_ok=True)
        for folder in reversed(created):
            try:
                folder.rmdir()
            except OSError:
                break
        raise


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and missing parents; return the ones created, outermost first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    missing.reverse()
    for path in missing:
        path.mkdir(exist_ok=True)
    return missing


def _verify(dest: Path, out: _HashingWriter, size: int | None, md5: str | None,
            image: Path | None) -> None:
    if size is not None and out.size != size:
        raise TransientError(f"{dest.name}: got {out.size} bytes, expected {size}")
    if md5 is not None and out.md5.hexdigest() != md5.lower():
        raise TransientError(f"{dest.name}: MD5 mismatch (corrupted transfer)")
    if image is not None:
        from wand.exceptions import WandException
        from wand.image import Image
        try:
            with Image.ping(filename=str(image)):
                pass
        except WandException as exc:
            raise ItemError(f"{dest.name}: downloaded data is not a readable image: {exc}") \
                from None


def _place(tmp: Path, dest: Path, overwrite: bool) -> None:
    """Move ``tmp`` to ``dest``; without ``overwrite``, atomically refuse an existing ``dest``."""
    if overwrite:
        os.replace(tmp, dest)
        return
    try:
        os.link(tmp, dest)  # fails if dest exists, with no window for a race
    except FileExistsError:
        raise Conflict(f"{dest}: already exists; not overwritten") from None
    except OSError:  # no hard links on this file system (some SMB/FAT mounts)
        if dest.exists():
            raise Conflict(f"{dest}: already exists; not overwritten") from None
        os.rename(tmp, dest)
        return
    tmp.unlink()
