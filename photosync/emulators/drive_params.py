"""Drive request parameters: bodies, bounded integers, orderBy, page tokens, id lists, field
selections of members. Pure functions; every refusal is a :class:`DriveError` shaped like
Drive's."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

from photosync.emulators import drive_fields
from photosync.emulators.drive_errors import bad_request, invalid_parameter
from photosync.emulators.drive_files import DriveFile
from photosync.emulators.server import Request

ORDER_KEYS = {
    "name": lambda f: f.name,
    "name_natural": lambda f: natural(f.name),
    "createdTime": lambda f: f.createdTime,
    "modifiedTime": lambda f: f.modifiedTime,
    "recency": lambda f: f.modifiedTime,
    "folder": lambda f: not f.is_folder,
    "starred": lambda f: f.starred,
    "modifiedByMeTime": lambda f: f.modifiedTime,
    "viewedByMeTime": lambda f: f.modifiedTime,
    # nothing is shared with an account here: every file ties, the next key decides
    "sharedWithMeTime": lambda f: "",
    "quotaBytesUsed": lambda f: 0,
}  # replaced by the files' sizes, see order_by


def json_body(request: Request) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    try:
        body = request.json()
    except ValueError:
        raise bad_request("Invalid JSON payload received.", "parseError") from None
    if not isinstance(body, dict):
        raise bad_request("Invalid JSON payload received. Expected an object.", "parseError")
    return body


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_parameter(
            name, f"Invalid value '{raw}'. Values must be within the range: [{low}, {high}]"
        ) from None
    if not low <= value <= high:
        raise invalid_parameter(
            name, f"Invalid value '{raw}'. Values must be within the range: [{low}, {high}]"
        )
    return value


def order_by(
    text: str, size: Callable[[DriveFile], int] | None = None
) -> list[tuple[Callable[[DriveFile], Any], bool]]:
    """The sort keys of ``orderBy`` (every key of files.list's discovery description, ``desc``
    reverses); ``size`` gives a file's stored bytes for ``quotaBytesUsed``."""
    order = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        words = part.split()
        if (
            words[0] not in ORDER_KEYS
            or len(words) > 2
            or (len(words) == 2 and words[1].lower() not in ("asc", "desc"))
        ):
            raise invalid_parameter("orderBy", f"Invalid sort key: {part}")
        key = size if words[0] == "quotaBytesUsed" and size else ORDER_KEYS[words[0]]
        order.append((key, len(words) == 2 and words[1].lower() == "desc"))
    return order


def natural(name: str) -> list[Any]:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name)]


def encode_page_token(offset: int, fingerprint: int) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{fingerprint}".encode()).decode().rstrip("=")


def decode_page_token(token: str | None, fingerprint: int) -> int:
    if not token:
        return 0
    try:
        offset, _, mark = (
            base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().partition(":")
        )
        if int(mark) != fingerprint:
            raise ValueError("token of another query")
        return int(offset)
    except ValueError:
        raise invalid_parameter("pageToken", "Invalid Value") from None


def id_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def sub_selection(
    selection: drive_fields.Selection | None, name: str
) -> drive_fields.Selection | None:
    """The selection of a member: None (Drive's defaults) when no fields were given at all."""
    if selection is None:
        return None
    if "*" in selection:
        return {"*": None}
    inner = selection.get(name, {})
    return {"*": None} if inner is None else inner


def wants(selection: drive_fields.Selection | None, name: str) -> bool:
    return selection is None or "*" in selection or name in selection
