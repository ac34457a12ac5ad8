"""Token files in ``state_dir/tokens/<name>.json``: mode 0600, written atomically, never logged.

A token file others can read is refused (with the ``chmod`` to run) rather than used: the token
is as good as the user's password for their photos. Every secret value read or written is
registered with :func:`photosync.log.register_secret` so no log line can show it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from photosync.atomic import fsync_folder, write_atomic
from photosync.errors import TokenFileError
from photosync.log import register_secret
from photosync.state.private import FILE_MODE

# Keys whose values are secrets, in either remote's token dict.
SECRET_KEYS = ("token", "refresh_token", "client_secret", "id_token", "oauth_token",
               "oauth_token_secret", "api_secret")


def register_secrets(data: dict[str, Any]) -> None:
    """Mask every secret value of a token dict in all future log lines and messages."""
    for key in SECRET_KEYS:
        value = data.get(key)
        if isinstance(value, str):
            register_secret(value)


class TokenStore:
    """The tokens of one state directory, one JSON file per remote (``flickr``, ``drive``)."""

    def __init__(self, state_dir: Path | str):
        self.folder = Path(state_dir).expanduser() / "tokens"

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.json"

    def load(self, name: str) -> dict[str, Any] | None:
        """The stored token of ``name``, or None when there is none.

        Raises TokenFileError when the file can be read by other users or is not a token file.
        """
        path = self.path(name)
        try:
            with open(path, "rb") as handle:
                mode = os.fstat(handle.fileno()).st_mode
                if mode & 0o077:
                    raise TokenFileError(f"token file {path} can be read by other users "
                                     f"(mode {stat.filemode(mode)}): run `chmod 600 {path}`")
                raw = handle.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TokenFileError(f"cannot read token file {path}: {exc.strerror}") from None
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise TokenFileError(f"token file {path} is damaged: run `photosync auth {name}` again")
        register_secrets(data)
        return data

    def save(self, name: str, data: dict[str, Any]) -> Path:
        """Write ``data`` atomically and durably, 0600 from the start (``photosync/atomic.py``)."""
        register_secrets(data)
        self._make_folder()
        path = self.path(name)
        write_atomic(path, json.dumps(data, indent=1, sort_keys=True).encode() + b"\n",
                     mode=FILE_MODE)
        return path

    def _make_folder(self) -> None:
        """``tokens/`` and a ``state_dir`` made on the way are private (0700), whoever calls."""
        self.folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.folder.mkdir(exist_ok=True, mode=0o700)

    def delete(self, name: str) -> bool:
        """Forget the token of ``name``; False when there was none."""
        try:
            self.path(name).unlink()
        except FileNotFoundError:
            return False
        fsync_folder(self.folder)
        return True

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Hold an exclusive lock on ``name``'s token across processes (e.g. while refreshing
        it)."""
        self._make_folder()
        fd = os.open(self.folder / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock
