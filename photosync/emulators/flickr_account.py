"""Free and Pro Flickr accounts: their caps, their limits, and the methods that report them.

What the emulator models, and what it assumes where the sources are silent:

- **1,000 items** (flickrhelp.com, "Free account limit changes and enforcement"): a free account
  holding 1,000 photos and videos gets upload error 6 ("User exceeded upload limit") for the next
  upload, as Flickr has answered since 2019. Pro accounts have no item cap. The older global
  ``POST /_admin/quota {"max_photos": N}`` still applies to every account on top of this.
- **50 non-public** (private, friends, family) photos or videos: the sources say only that content
  past this limit "is at risk of deletion"; none reports an upload or ``photos.setPerms`` being
  refused for it. ASSUMED: Flickr accepts the 51st non-public photo (upload and setPerms alike)
  and the account is then over its limit; ``GET /_admin/state`` shows each account's ``items``,
  ``non_public`` and ``over_limits`` so a test can check that a client never went past it.
- **Upload limits** (``people.getLimits``; the method's documentation gives only an old example):
  ASSUMED from Flickr's help pages as quoted around the web: photos up to 200 MB and videos up to
  1 GB for both kinds; videos up to 3 minutes on free accounts and 10 minutes on Pro; a free
  account's ``maxdisplaypx`` is 1024 (the largest size it may hand out since 2025-05-15), Pro's 0
  (no limit). ``POST /_admin/limits`` overrides the byte limits for tests (a 200 MB file is not a
  unit test). Past them an upload gets error 8 ("Filesize was too large").
- **Upload status** (``people.getUploadStatus``) has the documented shape: ``ispro``, the monthly
  ``bandwidth`` (ASSUMED unlimited for both kinds today: ``maxbytes="0"`` and ``unlimited="1"``,
  with this month's uploaded bytes as ``usedbytes``), ``filesize`` (the photo limit), ``sets``
  and ``videos`` (``remaining="lots"`` for both kinds: the old two-videos-a-month rule of free
  accounts predates the 1,000-item cap). It reports no counts of items: clients count them by
  listing (``people.getPhotos`` ``total``, with ``privacy_filter`` for the non-public ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from photosync.emulators.flickr_calls import Call, method
from photosync.emulators.flickr_format import content
from photosync.emulators.flickr_spec import ApiError
from photosync.emulators.flickr_state import Account, FlickrState

FREE_ITEMS = 1000
FREE_NON_PUBLIC = 50
MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What ``people.getLimits`` reports for one kind of account."""

    photo_bytes: int
    video_bytes: int
    video_seconds: int
    display_px: int


LIMITS = {
    "free": Limits(200 * MB, 1024 * MB, 180, 1024),
    "pro": Limits(200 * MB, 1024 * MB, 600, 0),
}


def limits_of(state: FlickrState, account: Account) -> Limits:
    """The account's limits, with those ``POST /_admin/limits`` set (if any). A video's length
    is not checked on upload (what Flickr does with a longer one is not documented); clients
    read ``maxduration`` and keep longer videos back."""
    base = LIMITS["free" if account.is_free else "pro"]
    override = state.limit_override
    return Limits(override.get("photo_bytes") or base.photo_bytes,
                  override.get("video_bytes") or base.video_bytes,
                  override.get("video_seconds") or base.video_seconds, base.display_px)


def usage(state: FlickrState, nsid: str) -> tuple[int, int]:
    """(items, non-public items) the account holds."""
    mine = [p for p in state.photos.values() if p.owner == nsid]
    return len(mine), sum(1 for p in mine if not p.ispublic)


def over_limits(state: FlickrState, account: Account) -> list[str]:
    """The free-account limits this account is past (content "at risk of deletion")."""
    if not account.is_free:
        return []
    items, non_public = usage(state, account.nsid)
    return (["items"] if items > FREE_ITEMS else []) + (
        ["non_public"] if non_public > FREE_NON_PUBLIC else [])


def refuse_when_full(state: FlickrState, owner: str, max_photos: int) -> None:
    """Upload error 6 when the account is full: a free account's 1,000 items, or the admin
    quota (``max_photos``, 0: none) that applies to every account."""
    account = state.accounts[owner]
    items, _ = usage(state, owner)
    caps = [c for c in (max_photos, FREE_ITEMS if account.is_free else 0) if c]
    if caps and items >= min(caps):
        raise ApiError(6)


def _month(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m")


def count_upload(account: Account, size: int, now: float) -> None:
    """Add an accepted upload's bytes to the account's month (``bandwidth/@usedbytes``)."""
    month = _month(now)
    if account.month != month:
        account.month, account.month_bytes = month, 0
    account.month_bytes += size


@method("flickr.people.getLimits")
def people_get_limits(call: Call) -> dict[str, Any]:
    account = call.state.accounts[call.viewer or ""]
    limits = limits_of(call.state, account)
    return {"person": {
        "nsid": account.nsid,
        "photos": {"maxdisplaypx": str(limits.display_px), "maxupload": str(limits.photo_bytes)},
        "videos": {"maxduration": str(limits.video_seconds),
                   "maxupload": str(limits.video_bytes)},
    }}


@method("flickr.people.getUploadStatus")
def people_get_upload_status(call: Call) -> dict[str, Any]:
    state, nsid = call.state, call.viewer or ""
    account = state.accounts[nsid]
    limits = limits_of(state, account)
    used = account.month_bytes if account.month == _month(call.now) else 0
    mine = [p for p in state.photos.values() if p.owner == nsid]
    return {"user": {
        "id": nsid,
        "ispro": 0 if account.is_free else 1,
        "username": content(account.username),
        "bandwidth": {"maxbytes": "0", "maxkb": "0", "usedbytes": str(used),
                      "usedkb": str(used // 1024), "remainingbytes": "0", "remainingkb": "0",
                      "unlimited": "1"},
        "filesize": {"maxbytes": str(limits.photo_bytes), "maxkb": str(limits.photo_bytes // 1024),
                     "maxmb": str(limits.photo_bytes // MB)},
        "sets": {"created": str(len(state.set_order.get(nsid, []))), "remaining": "lots"},
        "videos": {"uploaded": str(sum(1 for p in mine if p.media == "video")),
                   "remaining": "lots"},
    }}


@method("flickr.photos.setPerms")
def photos_set_perms(call: Call) -> dict[str, Any]:
    """Who may see a photo. A free account may go past 50 non-public photos (see above)."""
    photo = call.photo(owned=True)
    flags = [call.arg(name) for name in ("is_public", "is_friend", "is_family")]
    if not all(flag in ("0", "1") for flag in flags):
        raise ApiError(2)
    photo.ispublic, photo.isfriend, photo.isfamily = (int(flag) for flag in flags)
    photo.lastupdate = max(call.now, photo.lastupdate)
    call.state.touch()
    return {"photoid": {"secret": photo.secret, "originalsecret": photo.originalsecret,
                        "_content": photo.id}}
