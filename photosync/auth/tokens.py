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
import secrets
import stat
from pathlib import Path
from typing import Any, Iterator

from photosync.errors import TokenFileError
from photosync.log import register_secret

# Keys whose values are secrets, in either remote's token dict.
SECRET_KEYS = ("token", "refresh_token", "client_secret", "id_token", "oauth_token", "oauth_token_secret",
               "api_secret")


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
        """Write ``data`` atomically (temp file 0600 in the same folder, fsync, rename, fsync folder)."""
        register_secrets(data)
        self._make_folder()
        path = self.path(name)
        write_private(path, json.dumps(data, indent=1, sort_keys=True).encode() + b"\n")
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
        """Hold an exclusive lock on ``name``'s token across processes (e.g. while refreshing it)."""
        self._make_folder()
        fd = os.open(self.folder / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def write_private(path: Path, content: bytes) -> None:
    """Atomically replace ``path`` with ``content``, readable by its owner only."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, path)
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Make a rename or unlink in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
