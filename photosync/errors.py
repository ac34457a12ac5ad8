"""One error taxonomy for the whole product.

Every error a user can cause or fix derives from :class:`PhotosyncError` and carries the exit
code the CLI returns for it. The CLI (``photosync.cli.main``) is the only place that turns these
into messages; everything else raises.
"""

from __future__ import annotations

from typing import Any

# Exit codes, documented in the README. Every command uses these and only these.
EXIT_OK = 0
EXIT_PARTIAL = 1  # finished, but some items failed
EXIT_USAGE = 2  # usage or config error
EXIT_REMOTE = 3  # a remote could not be used (unreachable, authorization needed or revoked)


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


class LockedError(UsageError):
    """Another photosync process holds the state directory."""


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
    it after the first refusal (every later upload would be refused too); downloads go on."""


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


class TooManyDeletes(PhotosyncError):
    """A run would delete more than ``sync.max_delete`` items: nothing is deleted."""
