"""What kind of Flickr account photosync works with: free or Pro, its limits and its usage.

Learnt with the fewest calls: ``people.getUploadStatus`` (``ispro``) and ``people.getLimits``
(upload sizes, video length) make the kind and the limits, two calls made when a sync lists
Flickr in full (and by ``photosync auth status``). The usage (items, non-public items) needs no
call at all in a sync: it is counted over the listing photosync keeps anyway. Without a listing
(``auth status`` before the first sync) it is counted with ``people.getPhotos`` pages of one
photo: the ``total`` of all photos, then of each non-public ``privacy_filter`` (5 calls).

The caps of a free account (flickrhelp.com, "Free account limit changes and enforcement",
2022-05-01) are not reported by any method: 1,000 items (the next upload gets error 6) and 50
non-public (private, friends, family) photos or videos, past which content "is at risk of
deletion". :class:`FlickrLimits` is the one place every part of photosync reads the account's
limits from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from photosync.remotes.flickr_api import FlickrClient
from photosync.remotes.flickr_items import as_int

FREE_MAX_ITEMS = 1000
FREE_MAX_NON_PUBLIC = 50
NON_PUBLIC_FILTERS = (2, 3, 4, 5)  # privacy_filter: friends, family, friends & family, private


@dataclass(frozen=True)
class FlickrLimits:
    """``people.getLimits``: the largest upload in bytes and the longest video in seconds
    (None: Flickr did not say)."""

    photo_bytes: int | None = None
    video_bytes: int | None = None
    video_seconds: int | None = None

    def max_bytes(self, media: str) -> int | None:
        return self.video_bytes if media == "video" else self.photo_bytes


@dataclass(frozen=True)
class FlickrAccount:
    """The account's kind and limits (asked on a full listing) and its usage (counted)."""

    kind: str  # "free" or "pro"
    limits: FlickrLimits
    items: int | None = None
    non_public: int | None = None
    checked_at: float = 0.0  # when the kind and limits were asked (unix time)

    @property
    def max_items(self) -> int | None:
        return FREE_MAX_ITEMS if self.kind == "free" else None

    @property
    def max_non_public(self) -> int | None:
        return FREE_MAX_NON_PUBLIC if self.kind == "free" else None

    def with_usage(self, items: int, non_public: int) -> FlickrAccount:
        return FlickrAccount(self.kind, self.limits, items, non_public, self.checked_at)

    def describe(self) -> str:
        """``free account, 812 of 1,000 items, 48 of 50 non-public`` (Pro: no caps to show)."""
        parts = [f"{'Pro' if self.kind == 'pro' else 'free'} account"]
        if self.items is not None:
            parts.append(_of(self.items, self.max_items, "items"))
        if self.non_public is not None:
            parts.append(_of(self.non_public, self.max_non_public, "non-public"))
        return ", ".join(parts)

    def summary(self) -> str:
        """:meth:`describe`, then each cap the account is past."""
        return self.describe() + "".join(f"; over a free account's cap: {o}"
                                         for o in self.over())

    def over(self) -> list[str]:
        """The caps this account is past (its content there "is at risk of deletion")."""
        out = []
        if self.max_items is not None and (self.items or 0) > self.max_items:
            out.append(f"{self.items:,} items, more than a free account's {self.max_items:,}")
        if self.max_non_public is not None and (self.non_public or 0) > self.max_non_public:
            out.append(f"{self.non_public:,} non-public photos, more than a free account's "
                       f"{self.max_non_public}")
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``photosync status --json``, ``auth status --json``, the state)."""
        return {"kind": self.kind, "items": self.items, "max_items": self.max_items,
                "non_public": self.non_public, "max_non_public": self.max_non_public,
                "limits": asdict(self.limits), "checked_at": self.checked_at}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> FlickrAccount:
        return cls(str(doc.get("kind") or "pro"), FlickrLimits(**(doc.get("limits") or {})),
                   doc.get("items"), doc.get("non_public"), float(doc.get("checked_at") or 0))


def _of(used: int, cap: int | None, what: str) -> str:
    return f"{used:,} of {cap:,} {what}" if cap is not None else f"{used:,} {what}"


def read_account(client: FlickrClient, now: float) -> FlickrAccount:
    """The kind and limits: ``people.getUploadStatus`` and ``people.getLimits`` (2 calls)."""
    status = client.call("people.getUploadStatus").get("user") or {}
    person = client.call("people.getLimits").get("person") or {}
    photos, videos = person.get("photos") or {}, person.get("videos") or {}
    limits = FlickrLimits(_positive(photos.get("maxupload")), _positive(videos.get("maxupload")),
                          _positive(videos.get("maxduration")))
    return FlickrAccount("pro" if as_int(status.get("ispro")) else "free", limits,
                         checked_at=now)


def _positive(value: Any) -> int | None:
    number = as_int(value)
    return number if number > 0 else None


def count_usage(client: FlickrClient) -> tuple[int, int]:
    """(items, non-public items) by the ``total`` of one-photo pages: 5 calls."""
    def total(**filters: Any) -> int:
        box = client.call("people.getPhotos", user_id="me", per_page=1, **filters)
        return as_int((box.get("photos") or {}).get("total"))
    return total(), sum(total(privacy_filter=f) for f in NON_PUBLIC_FILTERS)
