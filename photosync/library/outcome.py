"""What reading a file yields, and why it failed: shared by the decoder, the walk and the scan.

Kept free of ImageMagick so that importing the scan (or the CLI) does not load it.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass


@dataclass(frozen=True)
class Decoded:
    """What one read of a file yields; ``error`` set means the file failed (with the reason)."""

    path: str
    size: int = 0
    mtime_ns: int = 0
    dev: int = 0
    inode: int = 0
    md5: str | None = None
    sha256: str | None = None
    signature: str | None = None
    signature_im_version: int | None = None
    signature_quantum: int | None = None
    date_taken: str | None = None  # ISO 8601, naive local time
    date_subsec: str | None = None
    date_offset: str | None = None
    width: int | None = None
    height: int | None = None
    media: str = "photo"
    duration: float | None = None  # a video's length in seconds, as its container says
    error: str | None = None


class FileProblem(Exception):
    """The file cannot be indexed; the message is the reason shown to the user."""


# Reasons that come from the file's content: retrying an unchanged file cannot help.
PERMANENT = ("empty file", "damaged image", "not an image", "not a photo",
             "ImageMagick could not decode", "too large for")


def is_permanent(reason: str | None) -> bool:
    """True when the file itself is bad (re-reading it unchanged would fail the same way)."""
    return bool(reason and reason.startswith(PERMANENT))


def os_reason(exc: OSError) -> str:
    """A short reason for an OS error while reading a file or folder."""
    reasons = {
        errno.ENOENT: "vanished during the scan",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ELOOP: "symlink loop",
        errno.ENAMETOOLONG: "path too long for the operating system",
        errno.EIO: "I/O error reading it (failing disk or network share?)",
    }
    return reasons.get(exc.errno or 0, exc.strerror or str(exc))
