"""Flickr's own method descriptions (``flickr.reflection.getMethodInfo``) drive validation.

The JSON files in ``flickr_reflection/`` are copied verbatim from Flickr's reflection dump, one per
method the emulator implements. They say which arguments are required, which error codes a method
answers and with which message, whether it needs a signature or a login and which permission.
Using them (rather than hand-written tables) keeps the emulator's refusals identical to Flickr's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

SPEC_DIR = Path(__file__).with_name("flickr_reflection")
PERM_NAMES = ("none", "read", "write", "delete")
PERM_LEVELS = {name: level for level, name in enumerate(PERM_NAMES)}

# Arguments the reflection marks required that Flickr accepts without (checked against real use:
# every client calls photosets.getPhotos with the set id alone; api_key may come from OAuth).
NOT_ENFORCED = {("flickr.photosets.getPhotos", "user_id")}

# The errors every method shares (codes 95+); the method files repeat them, this is the fallback.
COMMON_ERRORS = {
    95: "SSL is required",
    96: "Invalid signature",
    97: "Missing signature",
    98: "Invalid auth token",
    99: "User not logged in / Insufficient permissions",
    100: "Invalid API Key",
    105: "Service currently unavailable",
    106: "Write operation failed",
    111: 'Format "xxx" not found',
    112: 'Method "xxx" not found',
    116: "Bad URL found",
}


class ApiError(Exception):
    """A Flickr ``stat="fail"`` answer: the code, and a message (else the method file's)."""

    def __init__(self, code: int, message: str | None = None):
        super().__init__(code, message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class MethodSpec:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    errors: dict[int, str] = field(hash=False)
    needslogin: bool = False
    needssigning: bool = False
    requiredperms: int = 0

    def message(self, code: int) -> str:
        return self.errors.get(code) or COMMON_ERRORS.get(code) or "Unknown error"

    def missing_argument_error(self, argument: str) -> ApiError:
        """The error Flickr gives when ``argument`` is absent: the method's own words for it.

        Flickr has no generic "missing argument" code: a missing ``photo_id`` is "Photo not
        found", a missing title "No title specified", some methods say "Required arguments
        missing". Pick the method's error that names the argument, else its first error.
        """
        specific = {code: msg for code, msg in self.errors.items() if code < 95}
        for code, msg in specific.items():
            if "missing" in msg.lower():
                return ApiError(code, msg)
        nouns = [argument.removesuffix("_ids").removesuffix("_id").replace("_", " ")]
        nouns.append(nouns[0].split(" ")[-1])
        for noun in nouns:
            for code, msg in specific.items():
                low = msg.lower()
                if f"{noun} not found" in low or f"unknown {noun}" in low or f"no {noun}" in low:
                    return ApiError(code, msg)
        if specific:
            code = min(specific)
            return ApiError(code, specific[code])
        return ApiError(1, f"Required argument missing: {argument}")


def _parse(data: dict) -> MethodSpec:
    method = data["method"]
    required: list[str] = []
    optional: list[str] = []
    for arg in data["arguments"]["argument"]:
        (optional if int(arg["optional"]) else required).append(arg["name"])
    errors = {int(err["code"]): err["message"] for err in data["errors"]["error"]}
    name = method["name"]
    required = [a for a in required if a != "api_key" and (name, a) not in NOT_ENFORCED]
    return MethodSpec(
        name,
        tuple(required),
        tuple(optional),
        errors,
        bool(int(method["needslogin"])),
        bool(int(method["needssigning"])),
        int(method["requiredperms"]),
    )


@lru_cache(maxsize=1)
def load_specs() -> dict[str, MethodSpec]:
    """Every method description shipped in ``flickr_reflection/``, by method name."""
    specs = {}
    for path in sorted(SPEC_DIR.glob("flickr.*.json")):
        spec = _parse(json.loads(path.read_text()))
        specs[spec.name] = spec
    return specs
