"""One way to replace a file: write a temp file in the target's folder, fsync it, rename it over
the target, fsync the folder. A reader (or a crash at any moment) sees the old file or the new
one, never half of one, and once a write returns it survives a power cut.

Temp files are named ``.photosync-<random>.part`` (:func:`is_partial`): the library walk skips
them and ``remove_partials`` clears what a killed process left. ``sync_folder=False`` leaves the
folder's fsync to a caller that renames many files into one folder (one fsync for all of them).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

PART_PREFIX = ".photosync-"
PART_SUFFIX = ".part"


def is_partial(name: str) -> bool:
    """True for the temp files of :func:`replacing` (and downloads), never a user's file."""
    return name.startswith(PART_PREFIX) and name.endswith(PART_SUFFIX)


def temp_path(dest: Path) -> Path:
    """A fresh temp name beside ``dest``: same folder, so the rename is atomic."""
    return dest.parent / f"{PART_PREFIX}{uuid.uuid4().hex}{PART_SUFFIX}"


def fsync_folder(folder: Path) -> None:
    """Make a rename, link or unlink in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Flush ``path``'s data to disk (for a file another library wrote, e.g. SQLite)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def place(tmp: Path, dest: Path, *, overwrite: bool = True, sync_folder: bool = True) -> None:
    """Move the synced temp file ``tmp`` to ``dest``, then fsync the folder.

    Without ``overwrite`` an existing ``dest`` raises ``FileExistsError`` with no window for a
    race (a hard link, then the temp name removed); where the file system has no hard links it
    falls back to a checked rename.
    """
    if overwrite:
        os.replace(tmp, dest)
    else:
        _place_new(tmp, dest)
    if sync_folder:
        fsync_folder(dest.parent)


def _place_new(tmp: Path, dest: Path) -> None:
    try:
        os.link(tmp, dest)  # fails if dest exists
    except FileExistsError:
        raise
    except OSError:  # no hard links on this file system (some SMB/FAT mounts)
        if dest.exists():
            raise FileExistsError(dest) from None
        os.rename(tmp, dest)
        return
    tmp.unlink()


@contextlib.contextmanager
def replacing(dest: Path, *, mode: int = 0o666, sync_folder: bool = True) -> Iterator[BinaryIO]:
    """Write the new content of ``dest`` into the yielded file; on a clean exit it replaces
    ``dest`` (see the module docstring), on an exception the temp file is removed. ``mode``
    (before the umask; 0o600 stays 0o600) is set at creation, so a secret is never readable."""
    tmp = temp_path(dest)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            if mode & 0o077 == 0:
                os.fchmod(out.fileno(), mode)  # whatever the umask or an inherited ACL says
            yield out
            out.flush()
            os.fsync(out.fileno())
        place(tmp, dest, sync_folder=sync_folder)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(dest: Path, content: bytes, *, mode: int = 0o666,
                 sync_folder: bool = True) -> None:
    """Replace ``dest`` with ``content`` atomically and durably (see :func:`replacing`)."""
    with replacing(dest, mode=mode, sync_folder=sync_folder) as out:
        out.write(content)
