"""Listing pages and change cursors for Flickr, as small stateless strings.

**Listing.** ``people.getPhotos`` lists newest upload first. Page numbers shift when photos are
uploaded or deleted during a long listing (an item listed twice, or skipped: a skipped item
would look deleted). So pages are *keyset* pages: each asks for ``max_upload_date`` = the oldest
upload time seen so far (inclusive) and drops the ids already returned at exactly that second.
Page numbers are used only while a whole page shares one upload second.

**Changes.** ``photos.recentlyUpdated(min_date=t)`` lists what changed at or after ``t`` (photo or
metadata; never deletions) and ``people.getPhotos(min_upload_date=t)`` what was uploaded. The
cursor keeps the watermark ``t`` = the newest ``lastupdate`` reported, and a fingerprint of every
item reported at exactly ``t``: Flickr's clock has one-second steps, so the next run re-reads that
second and skips only what it already reported unchanged.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from photosync.remotes.base import CursorExpired, RemoteItem

CURSOR_MARGIN = 2  # seconds before the first page's server time where a listing's cursor starts


@dataclass
class ListToken:
    t: int  # the change cursor's watermark, fixed before the first page
    before: int | None = None  # max_upload_date of the next page
    page: int = 1
    seen: list[str] = field(default_factory=list)  # ids already listed with dateupload == before

    def encode(self) -> str:
        return "L" + json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def decode(cls, text: str) -> ListToken:
        try:
            return cls(**json.loads(text[1:])) if text.startswith("L") else _bad(text)
        except (TypeError, ValueError):
            raise ValueError(f"flickr: not a listing token: {text[:40]!r}") from None

    def next(self, items: list[RemoteItem]) -> ListToken:
        """The token after a full page of ``items``."""
        oldest = min(int(i.extra.get("dateupload", 0)) for i in items)
        at_oldest = [i.id for i in items if int(i.extra.get("dateupload", 0)) == oldest]
        if self.before is not None and oldest >= self.before:  # the whole page in one second
            return ListToken(self.t, self.before, self.page + 1, self.seen + at_oldest)
        return ListToken(self.t, oldest, 1, at_oldest)

    def fresh(self, items: list[RemoteItem]) -> list[RemoteItem]:
        """Drop what an earlier page returned (same upload second, already seen)."""
        seen = set(self.seen)
        return [i for i in items if not (i.id in seen and
                                         int(i.extra.get("dateupload", 0)) == self.before)]


@dataclass
class ChangeCursor:
    t: int  # watermark: report what changed at or after t
    at_t: dict[str, str] = field(default_factory=dict)  # id -> fingerprint reported at exactly t
    phase: str = "r"  # "r": recentlyUpdated, "u": new uploads
    page: int = 1
    hi: int | None = None  # running watermark of this pass
    at_hi: dict[str, str] | None = None

    def encode(self) -> str:
        data = asdict(self)
        if self.phase == "r" and self.page == 1 and self.hi is None:
            data = {"t": self.t, "at_t": self.at_t}  # a resting cursor: keep it short
        return "C" + json.dumps(data, separators=(",", ":"), sort_keys=True)

    @classmethod
    def decode(cls, text: str) -> ChangeCursor:
        try:
            if not text.startswith("C"):
                raise ValueError(text)
            cursor = cls(**json.loads(text[1:]))
            int(cursor.t)
            return cursor
        except (TypeError, ValueError):
            raise CursorExpired(f"flickr: not a change cursor: {text[:40]!r}") from None

    def take(self, items: list[RemoteItem]) -> list[RemoteItem]:
        """The items not already reported unchanged; tracks the new watermark."""
        if self.hi is None:
            self.hi, self.at_hi = self.t, dict(self.at_t)
        assert self.at_hi is not None
        out = []
        for item in items:
            stamp, print_ = int(item.updated), fingerprint(item)
            if not (stamp <= self.t and self.at_t.get(item.id) == print_):
                out.append(item)
            if stamp > self.hi:
                self.hi, self.at_hi = stamp, {item.id: print_}
            elif stamp == self.hi:
                self.at_hi[item.id] = print_
        return out

    def advance(self, last_page: bool) -> ChangeCursor:
        """The cursor for the next call: next page, next phase, or the new resting cursor."""
        if not last_page:
            return ChangeCursor(self.t, self.at_t, self.phase, self.page + 1, self.hi, self.at_hi)
        if self.phase == "r":
            return ChangeCursor(self.t, self.at_t, "u", 1, self.hi, self.at_hi)
        return ChangeCursor(self.hi if self.hi is not None else self.t, self.at_hi or self.at_t)

    @property
    def done(self) -> bool:
        return self.phase == "r" and self.page == 1 and self.hi is None


FINGERPRINTED_EXTRAS = ("video_state", "withheld", "public")


def fingerprint(item: RemoteItem) -> str:
    """What a change of an item within one second would alter: content, title, signature, a
    video's processing state, whether its original is withheld, its privacy."""
    text = "|".join((str(int(item.updated)), str(item.extra.get("content_version", "")),
                     item.name, item.signature or "", str(item.extra.get("tag_md5", "")),
                     *(str(item.extra.get(key, "")) for key in FINGERPRINTED_EXTRAS)))
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def _bad(text: str) -> Any:
    raise ValueError(text)
