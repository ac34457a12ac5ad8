"""Walk the library folder: every wanted file with its stat, and every problem met on the way.

Never raises for one bad item (unreadable folder, symlink loop, name that is not UTF-8, path too
long): it yields a :class:`Problem` and goes on. Only an unusable root stops it.

Symlinks: a link whose target is inside the root is not followed (the target is indexed where
it lives, once). A link to a file or folder outside the root is followed only with
``library.follow_symlinks_outside_root``; otherwise it is reported. Loops are reported.
"""

from __future__ import annotations

import errno
import os
import stat as stat_mod
from dataclasses import dataclass
from typing import Iterator

from photosync.errors import UsageError
from photosync.library.outcome import os_reason
from photosync.library.rules import Rules, album_for, is_excluded_dir, is_wanted_file, media_for


@dataclass(frozen=True, slots=True)
class FileEntry:
    path: str  # relative to the root, "/"-separated
    abs_path: str
    size: int
    mtime_ns: int
    dev: int
    inode: int
    album: str | None
    media: str


@dataclass(frozen=True, slots=True)
class Problem:
    path: str  # relative to the root, printable
    reason: str
    folder: bool = False  # nothing below it was seen: its files must not be taken for gone


def printable(name: str) -> str:
    """A name that may hold undecodable bytes (surrogate escapes), shown as \\xNN."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def valid_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


@dataclass
class _Dir:
    abs_path: str
    rel: str  # "" for the root
    parts: tuple[str, ...]


class Walker:
    """``Walker(root, rules, follow_outside).walk()`` yields FileEntry and Problem items."""

    def __init__(self, root: str, rules: Rules, follow_outside: bool = False):
        self.root = os.path.abspath(root)
        self.real_root = os.path.realpath(root)
        self.rules = rules
        self.follow_outside = follow_outside
        self.visited: set[tuple[int, int]] = set()  # folders entered through outside links

    def walk(self) -> Iterator[FileEntry | Problem]:
        try:
            root_stat = os.stat(self.root)
            if not stat_mod.S_ISDIR(root_stat.st_mode):
                raise UsageError(f"library.root {self.root} is not a folder")
            with os.scandir(self.root):
                pass
        except OSError as exc:
            raise UsageError(f"library.root {self.root} cannot be read: {os_reason(exc)} "
                             f"(is the share mounted?)") from None
        self.visited.add((root_stat.st_dev, root_stat.st_ino))
        stack = [_Dir(self.root, "", ())]
        while stack:
            folder = stack.pop()
            subdirs: list[_Dir] = []
            yield from self._folder(folder, subdirs)
            stack.extend(reversed(subdirs))

    def _folder(self, folder: _Dir, subdirs: list[_Dir]) -> Iterator[FileEntry | Problem]:
        try:
            with os.scandir(folder.abs_path) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            yield Problem(printable(folder.rel), f"folder not scanned: {os_reason(exc)}", True)
            return
        album = album_for(self.rules, folder.parts)
        prefix = folder.rel + "/" if folder.rel else ""
        for entry in entries:
            rel = prefix + entry.name
            try:
                yield from self._entry(entry, rel, folder, album, subdirs)
            except OSError as exc:
                yield Problem(printable(rel), os_reason(exc))

    def _entry(self, entry: os.DirEntry[str], rel: str, folder: _Dir, album: str | None,
               subdirs: list[_Dir]) -> Iterator[FileEntry | Problem]:
        name = entry.name
        if entry.is_dir(follow_symlinks=False):
            if is_excluded_dir(self.rules, name):
                return
            if not valid_utf8(name):
                yield Problem(printable(rel), "folder name is not valid UTF-8: rename it", True)
                return
            subdirs.append(_Dir(entry.path, rel, folder.parts + (name,)))
            return
        if entry.is_symlink():
            yield from self._symlink(entry, rel, folder, album, subdirs)
            return
        if not is_wanted_file(self.rules, name):
            return
        if not valid_utf8(name):
            yield Problem(printable(rel), "file name is not valid UTF-8: rename it")
            return
        if not entry.is_file(follow_symlinks=False):
            yield Problem(rel, "not a regular file")
            return
        st = entry.stat(follow_symlinks=False)
        yield FileEntry(rel, entry.path, st.st_size, st.st_mtime_ns, st.st_dev, st.st_ino,
                        album, media_for(name))

    def _symlink(self, entry: os.DirEntry[str], rel: str, folder: _Dir, album: str | None,
                 subdirs: list[_Dir]) -> Iterator[FileEntry | Problem]:
        name = entry.name
        if not valid_utf8(name):
            if is_wanted_file(self.rules, name):
                yield Problem(printable(rel), "file name is not valid UTF-8: rename it")
            return
        try:
            st = os.stat(entry.path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                yield Problem(printable(rel), "symlink loop")
            elif is_wanted_file(self.rules, name):
                yield Problem(printable(rel), f"broken symlink: {os_reason(exc)}")
            return
        target = os.path.realpath(entry.path)
        inside = target == self.real_root or target.startswith(self.real_root + os.sep)
        if stat_mod.S_ISDIR(st.st_mode):
            if is_excluded_dir(self.rules, name):
                return
            here = os.path.realpath(folder.abs_path)
            if here == target or here.startswith(target + os.sep) or \
                    (st.st_dev, st.st_ino) in self.visited:
                yield Problem(printable(rel), "symlink loop: it points to a folder above it")
            elif not inside and not self.follow_outside:
                yield Problem(printable(rel), "symlink to a folder outside library.root, not "
                                              "followed (see library.follow_symlinks_outside_root)")
            elif not inside:
                self.visited.add((st.st_dev, st.st_ino))
                subdirs.append(_Dir(entry.path, rel, folder.parts + (name,)))
            return
        if not stat_mod.S_ISREG(st.st_mode) or not is_wanted_file(self.rules, name) or inside:
            return
        if not self.follow_outside:
            yield Problem(printable(rel), "symlink to a file outside library.root, not followed "
                                          "(see library.follow_symlinks_outside_root)")
        else:
            yield FileEntry(rel, entry.path, st.st_size, st.st_mtime_ns, st.st_dev, st.st_ino,
                            album, media_for(name))
