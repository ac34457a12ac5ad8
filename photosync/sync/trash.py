"""The library's trash: ``<root>/.photosync-trash/run-<N>/<path>``, listed, restored and purged.

A sync never overwrites or deletes a local photo in place: the executor first puts it here, one
folder per run (see ``photosync.sync.execute``). This module is what the user does with it:
``photosync trash list|restore|purge`` and the dashboard's Trash page. A file is named by its
run and its path inside the run folder, or by an opaque id (the dashboard never takes a path
from a request); a restore never overwrites anything (a taken name gets `` (2)``).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from photosync.errors import UsageError
from photosync.remotes.files import unique_path
from photosync.sync.execute import TRASH

MIN_AUTO_DAYS = 7  # automatic purging never removes a run folder younger than this
_RUN = re.compile(r"^run-(\d+)$")


@dataclass(frozen=True)
class TrashFile:
    id: str  # opaque, stable: what the dashboard puts in its links
    run: int
    path: str  # inside the run folder, i.e. where it was in the library (POSIX)
    size: int
    mtime: float


@dataclass
class TrashRun:
    run: int
    folder: Path
    created: float  # the folder's mtime: when the run last put a file there
    files: list[TrashFile] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def file_id(run: int, path: str) -> str:
    return hashlib.sha256(f"{run}/{path}".encode()).hexdigest()[:20]


def trash_dir(root: Path) -> Path:
    return Path(root) / TRASH


def runs(root: Path, with_files: bool = True) -> list[TrashRun]:
    """The trash's run folders, newest run first (symbolic links are never followed)."""
    base = trash_dir(root)
    out: list[TrashRun] = []
    try:
        entries = list(os.scandir(base))
    except OSError:
        return out
    for entry in entries:
        match = _RUN.match(entry.name)
        if not match or not entry.is_dir(follow_symlinks=False):
            continue
        found = TrashRun(int(match.group(1)), Path(entry.path), entry.stat().st_mtime)
        if with_files:
            found.files = _files(found.run, Path(entry.path))
        out.append(found)
    return sorted(out, key=lambda r: r.run, reverse=True)


def _files(run: int, folder: Path) -> list[TrashFile]:
    files = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            full = Path(dirpath) / name
            st = full.lstat()
            if not full.is_symlink():
                rel = full.relative_to(folder).as_posix()
                files.append(TrashFile(file_id(run, rel), run, rel, st.st_size, st.st_mtime))
    return files


def find(root: Path, ident: str) -> TrashFile | None:
    """The trashed file with this opaque id."""
    for trash_run in runs(root):
        for f in trash_run.files:
            if f.id == ident:
                return f
    return None


def source_of(root: Path, f: TrashFile) -> Path:
    """Where the trashed file is on disk."""
    return trash_dir(root) / f"run-{f.run}" / f.path


def select(root: Path, run: int, paths: list[str]) -> list[TrashFile]:
    """The files of ``run`` named by ``paths`` (all of them when empty); a name that is not
    there, or that leaves the run folder, is a usage error naming it."""
    found = _run(root, run)
    if not paths:
        return found.files
    by_path = {f.path: f for f in found.files}
    chosen = []
    for given in paths:
        clean = PurePosixPath(given.replace(os.sep, "/"))
        if clean.is_absolute() or ".." in clean.parts or clean.as_posix() not in by_path:
            raise UsageError(f"{given!r} is not in run-{run} of the trash; `photosync trash list` "
                             f"shows its files")
        chosen.append(by_path[clean.as_posix()])
    return chosen


def restore(root: Path, f: TrashFile) -> Path:
    """Move a trashed file back to where it was; a name now taken gets `` (2)``. Returns where."""
    root = Path(root)
    source = source_of(root, f)
    rel = PurePosixPath(f.path)
    folder = root.joinpath(*rel.parts[:-1])
    dest = unique_path(folder, rel.name)
    if root.resolve() not in dest.resolve().parents:
        raise UsageError(f"{f.path!r} would be restored outside the library")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, dest)  # never replaces an existing file, unlike a rename
    except OSError:  # a file system without hard links
        shutil.copy2(source, dest)
    source.unlink()
    _prune(source.parent, trash_dir(root))
    return dest


def _prune(folder: Path, stop: Path) -> None:
    """Remove folders left empty by a restore, up to (not including) the trash itself."""
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _run(root: Path, run: int) -> TrashRun:
    found = {t.run: t for t in runs(root)}.get(run)
    if found is None:
        raise UsageError(f"no run-{run} in {trash_dir(root)}; `photosync trash list` shows them")
    return found


def purge(root: Path, run: int) -> int:
    """Delete one run folder for good; returns the bytes freed."""
    found = _run(root, run)
    shutil.rmtree(found.folder)
    return found.size


def expired(root: Path, days: int, now: float | None = None) -> list[TrashRun]:
    """Run folders older than ``days`` (never younger than :data:`MIN_AUTO_DAYS`)."""
    if days <= 0:
        return []
    keep = max(days, MIN_AUTO_DAYS) * 86400
    now = time.time() if now is None else now
    return [t for t in runs(root) if now - t.created > keep]


def purge_expired(root: Path, days: int, now: float | None = None) -> list[int]:
    """``sync.trash_days`` retention: purge the run folders past it; returns their run numbers."""
    gone = []
    for old in expired(root, days, now):
        shutil.rmtree(old.folder, ignore_errors=True)
        gone.append(old.run)
    return gone
