"""The local-write side of every remote: no-clobber paths, atomic verified downloads, sendable
copies, partial-file cleanup (the pure name rules are :mod:`photosync.remotes.names`).

Nothing a remote says may make us write outside the library root or over an
existing photo. A download is written to a hidden temp file in the target folder (the scanner
ignores it), fsynced, verified, then linked into place; on any failure nothing is left behind.
An upload streams the photo, hashed on the way, and completes only when what was sent holds
exactly the bytes the index read (its MD5): a photo rewritten while a run goes on is never sent
under the signature of another version, and no temporary copy is made (a 4 GB video would fill a
tmpfs /tmp).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Container, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path, PosixPath
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


class Sendable(PosixPath):
    """A photo to send, with the size and MD5 its bytes had when indexed: a remote opens it
    with :func:`open_to_send`, which hands out exactly those bytes or none."""

    size: int | None = None
    md5: str | None = None  # indexed (None: unknown, nothing to check against)
    sent_md5: str | None = None  # of the bytes the last reader handed out in full


@contextmanager
def sendable(path: Path, indexed_md5: str | None, indexed_size: int | None = None
             ) -> Iterator[Sendable]:
    """``path`` as a :class:`Sendable` for one upload.

    Why not the file itself: a remote reads it while sending, so an editor's rename or an
    in-place rewrite during the transfer could store a version other than the one indexed (or a
    mix of two) under the indexed signature. Why no private copy: a 4 GB video would fill a
    tmpfs /tmp. So the bytes are hashed while they are sent, and the last ones are handed to the
    HTTP client only once the MD5 of all of them is the index's (:class:`VerifiedReader`): a
    changed photo raises ``ChangedSinceIndexed`` before its upload can complete, and nothing
    is stored.
    """
    source = Sendable(path)
    source.md5 = indexed_md5.lower() if indexed_md5 else None
    source.size = indexed_size
    yield source


def open_to_send(path: Path) -> BinaryIO:
    """The file to stream to a remote: a :class:`VerifiedReader` for a :class:`Sendable`,
    else the plain file. Every backend opens what it uploads through this."""
    raw = open(path, "rb")  # noqa: SIM115 - the caller closes what it gets
    if not isinstance(path, Sendable):
        return raw
    return VerifiedReader(raw, path)  # type: ignore[return-value]


class VerifiedReader:
    """A read-only file over a photo being sent: never more than its indexed size, hashed as
    it is read, and the read that would hand out its last bytes raises ``ChangedSinceIndexed``
    instead when the MD5 of all of them is not the index's. Memory stays flat: one block (the
    last one read) is kept, so a resumable upload that seeks back into it after a cut
    connection (Drive) is served the very bytes that were hashed, not the file's bytes now."""

    def __init__(self, raw: BinaryIO, source: Sendable):
        self.raw, self.source = raw, source
        self.size = source.size or os.fstat(raw.fileno()).st_size
        self._md5 = hashlib.md5()
        self._hashed = 0  # bytes read from the file and hashed, from the start
        self._pos = 0  # where the next read starts
        self._last = (0, b"")  # (offset, bytes) of the block read last

    @property
    def len(self) -> int:
        """Bytes left to read: how requests_toolbelt's MultipartEncoder (Flickr) sizes a body
        part and knows when it is written."""
        return self.size - self._pos

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self.size}[whence]
        self._pos = max(0, min(self.size, base + offset))
        return self._pos

    def read(self, n: int = -1) -> bytes:
        want = self.size - self._pos if n is None or n < 0 else min(n, self.size - self._pos)
        again = self._again(want)
        want -= len(again)
        if not want:
            return again
        self._catch_up()
        data = self.raw.read(want)
        self._md5.update(data)
        self._hashed += len(data)
        self._pos += len(data)
        self._last = (self._pos - len(data), data)
        if self._hashed >= self.size or len(data) < want:
            self._check()
        return again + data

    def _catch_up(self) -> None:
        """A resumed upload starts past what this reader read (an earlier attempt sent it):
        those bytes are read and hashed too, so the MD5 checked is still that of all of them."""
        while self._hashed < self._pos:
            data = self.raw.read(min(self._pos - self._hashed, 1 << 20))
            if not data:
                self._check()  # the file got shorter: not the indexed bytes
            self._md5.update(data)
            self._hashed += len(data)

    def _again(self, want: int) -> bytes:
        """Bytes already hashed, read again (a resumed upload): from the block kept."""
        if self._pos >= self._hashed:
            return b""
        start, block = self._last
        if self._pos < start:
            raise TransientError(f"{self.source.name}: cannot resume an upload that far back; "
                                 "it starts again")
        data = block[self._pos - start:self._pos - start + want]
        self._pos += len(data)
        return data

    def _check(self) -> None:
        digest = self._md5.hexdigest()
        if self._hashed != self.size or (self.source.md5 and digest != self.source.md5):
            raise ChangedSinceIndexed("changed since it was indexed (still being written?); "
                                      "not sent: it is read again and sent by the next run")
        self.source.sent_md5 = digest

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> VerifiedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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

