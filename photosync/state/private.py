"""``state_dir`` is private: 0700 folders, 0600 files, whichever command created it.

The database holds the original secrets of private Flickr photos and ``tokens/`` the
authorizations, so nothing photosync keeps there may be readable by other users. Each command
that loads the config makes ``state_dir`` (0700) before anything is written into it, and
tightens what an older photosync (or a different umask) left readable, saying so in one line.
Only the entries photosync writes are touched: ``state_dir`` may be a shared folder.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from photosync.errors import UsageError

log = logging.getLogger("photosync.state")

FOLDER_MODE = 0o700
FILE_MODE = 0o600
# What photosync writes in state_dir: the database with its -wal, -shm and backups (state/db.py),
# the lock (state/lock.py), the daemon's status (daemon/status.py), Flickr's album cache
# (remotes/flickr.py) and the tokens folder (auth/tokens.py; a token file others can read is
# refused there with the chmod to run, not tightened here: it may have been copied already).
OURS = ("lock", "daemon.json", "flickr-albums.json", "tokens")
OURS_PREFIX = "photosync.db"


def make_private(state_dir: Path) -> None:
    """Create ``state_dir`` 0700, or tighten it and what photosync wrote in it."""
    state_dir = Path(state_dir).expanduser()
    try:
        state_dir.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        tightened = [path for path in _ours(state_dir) if _tighten(path)]
    except OSError as exc:
        raise UsageError(f"state_dir {state_dir} cannot be made private ({exc.strerror}: "
                         f"{exc.filename}): it and its files must belong to the user photosync "
                         f"runs as; fix that, or set another state_dir") from None
    if tightened:
        log.warning("state_dir %s: %d item(s) were readable by other users; made private "
                    "(folders 0700, files 0600)", state_dir, len(tightened))


def _ours(state_dir: Path) -> list[Path]:
    paths = [state_dir]
    with os.scandir(state_dir) as entries:
        for entry in entries:
            if entry.name in OURS or entry.name.startswith(OURS_PREFIX):
                paths.append(Path(entry.path))
    return paths  # not the token files: auth/tokens.py refuses a loose one (it may have leaked)


def _tighten(path: Path) -> bool:
    """chmod ``path`` to its private mode; True if it was looser."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return False
    wanted = FOLDER_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE
    if stat.S_IMODE(info.st_mode) & 0o077 == 0:
        return False
    os.chmod(path, wanted)
    return True
