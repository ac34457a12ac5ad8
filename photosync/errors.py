"""One error taxonomy for the whole product.

Every error a user can cause or fix derives from :class:`PhotosyncError` and carries the exit
code the CLI returns for it. The CLI (``photosync.cli.main``) is the only place that turns these
into messages; everything else raises.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

# Exit codes, documented in the README. Every command uses these and only these.
EXIT_OK = 0
EXIT_PARTIAL = 1  # finished, but some items failed
EXIT_USAGE = 2  # usage or config error
EXIT_REMOTE = 3  # a remote could not be used (unreachable, authorization needed or revoked)
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C (SIGINT), as shells report it


class PhotosyncError(Exception):
    """Base of all expected errors: printed as one line, no traceback."""

    exit_code = EXIT_PARTIAL


class UsageError(PhotosyncError):
    """The command line or the environment is wrong; the user must change something."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """The config file is invalid. ``problems`` holds one line per problem, all at once."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class TokenFileError(UsageError):
    """A remote's token file is damaged or others can read it. Commands about that token stop;
    a sync stops only that remote (the others go on, exit code 3)."""


class LockedError(UsageError):
    """Another photosync process holds the state directory."""


class StateDamaged(UsageError):
    """The state database is damaged; the message names the recovery (``state.db.damaged``)."""


class RemoteError(PhotosyncError):
    """A remote could not be used at all."""

    exit_code = EXIT_REMOTE


class RemoteUnavailable(RemoteError):
    """The remote is unreachable or keeps failing after retries."""


class AuthorizationNeeded(RemoteError):
    """No usable authorization: never authorized, revoked or expired. Never retried."""


class ItemError(PhotosyncError):
    """One item (a file or a remote photo) failed; the run goes on without it."""


class UploadsRefused(ItemError):
    """The remote takes no more photos (storage full, upload limit): the run stops uploading to
    it after the first refusal (every later upload would be refused too); downloads go on.
    ``daily``: a limit that lifts by itself the next day (Drive's 750 GB), so the daemon waits
    (``daemon.failures.UploadWaits``) instead of meeting it again at its next sync."""

    def __init__(self, message: str, daily: bool = False):
        super().__init__(message)
        self.daily = daily


class LocalDiskError(ItemError):
    """The library's disk refuses a write (full, over quota, read-only, no permission). Not a
    network problem, so never retried: a sync stops downloading (uploads go on), exit 1.
    ``needed``: (bytes, photos) of the downloads a sync still had to do when it stopped."""

    # The errno values that mean the local disk, not the network: what to do about each.
    FIXES = {errno.ENOSPC: "free", errno.EDQUOT: "free (or get quota for)",
             errno.EROFS: "make it writable", errno.EACCES: "give this user write permission"}

    def __init__(self, folder: Path, reason: str, code: int,
                 needed: tuple[int, int] | None = None):
        self.folder, self.reason, self.code, self.needed = folder, reason, code, needed
        super().__init__(self._line())

    def _line(self) -> str:
        fix = self.FIXES.get(self.code, "fix it")
        if self.code in (errno.ENOSPC, errno.EDQUOT):
            size, photos = self.needed or (0, 0)
            amount = f"at least {size / 1e6:,.1f} MB" if size else "space"
            fix += f" {amount} there" + (f" for the {photos} photo(s) still to download"
                                         if photos else "")
        stop = "no more downloads this run; " if self.needed is not None else ""
        return f"{self.folder}: {self.reason}: {stop}{fix}, then run again"


class OriginalWithheld(ItemError):
    """The remote shows the item but will not give its original (a free Flickr account since
    2025-05-15): never retried, and never answered with a smaller size instead. ``why`` is the
    key of ``remotes.base.WITHHELD`` that says so."""

    def __init__(self, message: str, why: str):
        super().__init__(message)
        self.why = why


class NotFound(ItemError):
    """The item does not exist (any more) on the remote."""


class Conflict(ItemError):
    """The item already exists where it should be created (e.g. an id that was used)."""


class TransientError(PhotosyncError):
    """A failure worth retrying (5xx, rate limit, reset connection). ``retry_after`` in seconds;
    ``limiter``: the pacer that must hold for it when not the remote's own (file servers)."""

    def __init__(self, message: str, retry_after: float | None = None, limiter: Any = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.limiter = limiter


