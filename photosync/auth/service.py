"""What the `photosync auth ...` commands do, for either remote: the table of flows, status,
revoke, export and import (an "authorize here, use there" file, like ``rclone authorize``).
"""

from __future__ import annotations

import importlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from photosync.atomic import write_atomic
from photosync.auth.tokens import TokenStore, register_secrets
from photosync.errors import (
    EXIT_OK,
    EXIT_REMOTE,
    EXIT_USAGE,
    AuthorizationNeeded,
    PhotosyncError,
    RemoteUnavailable,
    UsageError,
)
from photosync.state.private import FILE_MODE

# remote name -> (label, its flow module: LABEL, authorize, check, validate, describe,
# NOT_AUTHORIZED).
# Imported on use: the OAuth libraries cost a noticeable part of a second at every start.
FLOWS: dict[str, tuple[str, str]] = {
    "flickr": ("Flickr", "photosync.auth.flickr_auth"),
    "drive": ("Google Drive", "photosync.auth.drive_auth"),
}
if TYPE_CHECKING:
    from photosync.auth.browser import Prompt

EXPORT_FORMAT = "photosync-token"
FORGET_HINT = {
    "flickr": "https://www.flickr.com/services/auth/list.gne",
    "drive": "https://myaccount.google.com/permissions",
}


def flow(name: str) -> ModuleType:
    if name not in FLOWS:
        raise UsageError(f"unknown remote {name!r}: use one of {', '.join(FLOWS)}")
    return importlib.import_module(FLOWS[name][1])


def label(name: str) -> str:
    return FLOWS[name][0]


def authorize(name: str, config: Any, prompt: Prompt) -> tuple[dict[str, Any], Path]:
    """Run the flow of remote ``name`` and store its token; returns the token and the file."""
    token = flow(name).authorize(config, prompt)
    return token, TokenStore(config.state_dir).save(name, token)


def revoke(name: str, config: Any) -> str:
    """Forget the local token of ``name``; the message to show."""
    label = flow(name).LABEL
    if not TokenStore(config.state_dir).delete(name):
        return f"There was no {label} token to forget."
    return (
        f"Forgot the {label} token. {label} still lists photosync as allowed until you remove it "
        "at "
        f"{FORGET_HINT[name]}"
    )


@dataclass
class RemoteStatus:
    remote: str
    label: str
    configured: bool
    state: str  # authorized | not-authorized | revoked | unreachable | error | not-configured
    user: str | None = None
    user_id: str | None = None
    access: str | None = None
    message: str | None = None
    account: dict[str, Any] | None = None  # Flickr: FlickrAccount.to_dict()
    warning: str | None = None  # the config and the account's limits cannot both hold

    def line(self) -> str:
        if self.state == "authorized":
            who = (
                self.user + (f" ({self.user_id})" if self.user_id else "")
                if self.user
                else "unknown user"
            )
            lines = [f"{self.label}: authorized as {who}, {self.access}"]
            if self.account is not None:
                from photosync.remotes.flickr_account import FlickrAccount

                lines.append(f"{self.label}: {FlickrAccount.from_dict(self.account).summary()}")
            if self.warning:
                lines.append(f"  {self.warning}")
            return "\n".join(lines)
        if self.state in ("not-authorized", "revoked") and self.message:
            return self.message  # a whole sentence that names the remote and the fix
        return f"{self.label}: {self.state}" + (f": {self.message}" if self.message else "")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def status(config: Any) -> tuple[list[RemoteStatus], int]:
    """The authorization of every remote, checked online; the exit code (3 when one configured
    remote could not be checked, 2 when a token file is refused)."""
    results = [_status_of(name, config) for name in FLOWS]
    code = EXIT_OK
    for result in results:
        if result.configured and result.state == "unreachable":
            code = EXIT_REMOTE
        elif result.state == "error" and code == EXIT_OK:
            code = EXIT_USAGE
    return results, code


def _status_of(name: str, config: Any) -> RemoteStatus:
    module = flow(name)
    configured = bool(getattr(config, name).enabled)
    result = RemoteStatus(name, module.LABEL, configured, "not-configured")
    store = TokenStore(config.state_dir)
    try:
        token = store.load(name)
        if token is None and not configured:
            result.message = f"no {name}: section in the config"
        elif token is None:
            result.state, result.message = "not-authorized", module.NOT_AUTHORIZED
        elif not configured:
            result.message = (f"a token for {module.describe(token)} is stored, but {name} is not "
                              "enabled in the config")
        else:
            found = module.check(config, token, store)
            result.state = "authorized"
            result.user, result.user_id, result.access = (
                found["user"],
                found["user_id"],
                found["access"],
            )
            result.account, result.warning = found.get("account"), found.get("warning")
    except AuthorizationNeeded as exc:
        result.state, result.message = "revoked", str(exc)
    except RemoteUnavailable as exc:
        result.state, result.message = "unreachable", str(exc)
    except PhotosyncError as exc:
        result.state, result.message = "error", str(exc)
    return result


def export_token(name: str, token: dict[str, Any], path: Path) -> Path:
    """Write ``token`` with its kind into ``path`` (mode 0600) for `photosync auth import`."""
    document = {"format": EXPORT_FORMAT, "version": 1, "kind": name, "token": token}
    path = Path(path).expanduser()
    write_atomic(path, json.dumps(document, indent=1).encode() + b"\n", mode=FILE_MODE)
    return path


def import_token(path: Path, config: Any) -> tuple[str, dict[str, Any]]:
    """Read an exported token file and store its token; returns the remote's name and the token."""
    try:
        document = json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(
            f"{path} is not a token file made by `photosync auth export` ({type(exc).__name__})"
        ) from None
    if (
        not isinstance(document, dict)
        or document.get("format") != EXPORT_FORMAT
        or document.get("kind") not in FLOWS
        or not isinstance(document.get("token"), dict)
    ):
        raise UsageError(f"{path} is not a token file made by `photosync auth export`")
    name, token = document["kind"], document["token"]
    register_secrets(token)
    flow(name).validate(token, config)
    TokenStore(config.state_dir).save(name, token)
    return name, token
