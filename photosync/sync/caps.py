"""Uploads planned against the account's caps and limits (a free Flickr account): pure.

A free account holds 1,000 items at most (Flickr refuses the next upload with error 6) and keeps
50 non-public photos at most (past that they are "at risk of deletion"); every account has a
largest upload (``people.getLimits``). An upload past any of these would be refused or put the
photo at risk, so it is not planned: it becomes a :class:`Skip` saying why (the list in the
report), with one line per cause and its count. No request is spent on it.

Which photos go up under a cap is the user's choice: ``flickr.cap_albums`` (these albums first)
and ``flickr.cap_order`` (``newest`` or ``oldest`` taken first). With neither set photosync takes
the newest, and the photos left out are a failure (exit 1) until the user chooses; once chosen,
they are a note (exit 0) and the daemon neither retries nor parks them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from photosync.remotes.flickr_account import FlickrAccount
from photosync.sync.actions import Plan, ReplaceRemote, Skip, Upload
from photosync.sync.match import LocalPhoto

CHOOSE = ("choose which go up with flickr.cap_order (newest or oldest) or flickr.cap_albums, "
          "or upgrade to Flickr Pro")


@dataclass(frozen=True)
class AccountCaps:
    """What the caps planning needs: the account, the upload privacy and the user's choice."""

    label: str  # "Flickr"
    account: FlickrAccount
    privacy: str  # flickr.privacy
    order: str | None = None  # flickr.cap_order; None: the user has not chosen
    albums: tuple[str, ...] = ()  # flickr.cap_albums: photos of these albums go up first

    @property
    def chosen(self) -> bool:
        return self.order is not None or bool(self.albums)

    @property
    def non_public(self) -> bool:
        return self.privacy != "public"

    def room(self) -> tuple[int | None, int | None]:
        """(items, non-public items) that may still go up; None: no cap."""
        account = self.account
        items = None if account.max_items is None \
            else max(0, account.max_items - (account.items or 0))
        non_public = None if account.max_non_public is None or not self.non_public \
            else max(0, account.max_non_public - (account.non_public or 0))
        return items, non_public


def plan_against_caps(out: Plan, caps: AccountCaps,
                      local: Mapping[str, LocalPhoto]) -> str | None:
    """Turn the uploads the account would refuse (or put at risk) into skips, and say why;
    returns the first line about photos a cap left out (the daemon's "over an account cap")."""
    too_large = _too_large(out, caps, local)
    uploads = [a for a in out.actions if isinstance(a, Upload) and id(a) not in too_large]
    items_room, private_room = caps.room()
    rooms = [r for r in (items_room, private_room) if r is not None]
    left_out: dict[int, Skip] = {}
    if rooms and len(uploads) > min(rooms):
        ranked = _ranked(uploads, caps, local)
        for rank, action in enumerate(ranked):
            if items_room is not None and rank >= items_room:
                left_out[id(action)] = Skip.of(action, _item_reason(caps, items_room))
            elif private_room is not None and rank >= private_room:
                left_out[id(action)] = Skip.of(action, _private_reason(caps, private_room))
    skipped = {**too_large, **left_out}
    if not skipped:
        return None
    out.actions = [skipped.get(id(a), a) for a in out.actions]
    return _say(out, caps, too_large, left_out)


def _too_large(out: Plan, caps: AccountCaps, local: Mapping[str, LocalPhoto]) -> dict[int, Skip]:
    limits, skipped = caps.account.limits, {}
    for action in out.actions:
        if not isinstance(action, Upload | ReplaceRemote) or action.size is None:
            continue
        media = getattr(local.get(action.path), "media", "photo")
        limit = limits.max_bytes(media)
        seconds = getattr(local.get(action.path), "duration", None)
        if limit is not None and action.size > limit:
            skipped[id(action)] = Skip.of(action, f"too large for {caps.label}: "
                                                  f"{_mb(action.size)}, over the account's "
                                                  f"{_mb(limit)} limit for {media}s; not sent")
        elif media == "video" and seconds is not None and limits.video_seconds is not None \
                and seconds > limits.video_seconds:
            skipped[id(action)] = Skip.of(action, f"too long for {caps.label}: a video of "
                                                  f"{_length(seconds)}, over the account's "
                                                  f"{_length(limits.video_seconds)} limit; "
                                                  f"not sent")
    return skipped


def _length(seconds: float) -> str:
    """``3 min``, ``1 min 30 s``, ``42 s``: a video's length as people say it."""
    minutes, rest = divmod(round(seconds), 60)
    return " ".join(p for p in (f"{minutes} min" if minutes else "",
                                f"{rest} s" if rest or not minutes else "") if p)


def _ranked(uploads: Sequence[Upload], caps: AccountCaps,
            local: Mapping[str, LocalPhoto]) -> list[Upload]:
    """The order uploads take the room in: cap_albums first, then by date taken (newest first
    unless ``cap_order: oldest``; photos without a date last), then by path."""
    oldest = caps.order == "oldest"

    def key(action: Upload) -> tuple[int, int, float, str]:
        taken = getattr(local.get(action.path), "date_taken", None)
        when = _stamp(taken) if taken is not None else 0.0
        return (0 if action.album in caps.albums else 1, taken is None,
                when if oldest else -when, action.path)
    return sorted(uploads, key=key)


def _stamp(taken: datetime) -> float:
    return (taken - datetime(1970, 1, 1)).total_seconds()


def _item_reason(caps: AccountCaps, room: int) -> str:
    cap = caps.account.max_items or 0
    return (f"not uploaded: a free {caps.label} account holds at most {cap:,} items "
            f"({room:,} left before this run)")


def _private_reason(caps: AccountCaps, room: int) -> str:
    cap = caps.account.max_non_public or 0
    return (f"not uploaded: flickr.privacy is {caps.privacy}, and a free {caps.label} account "
            f"keeps at most {cap} non-public photos ({room} left before this run)")


def _say(out: Plan, caps: AccountCaps, too_large: Mapping[int, Skip],
         left_out: Mapping[int, Skip]) -> str | None:
    """One line per cause, with its count: a note when the user chose what goes up, else a
    message (the run fails until they choose). Too-large files are always a message."""
    if too_large:
        out.messages.append(f"{len(too_large)} file(s) too large or too long for this "
                            f"{caps.label} account were not sent (see the list; the account's "
                            f"limits come from people.getLimits)")
    causes: dict[str, int] = {}
    for skip in left_out.values():
        causes[skip.reason] = causes.get(skip.reason, 0) + 1
    lines = []
    for reason, n in causes.items():
        what = reason.removeprefix("not uploaded: ")
        if caps.chosen:
            choice = f"flickr.cap_order: {caps.order}" if caps.order else "flickr.cap_albums"
            lines.append(f"{n} photo(s) not uploaded to {caps.label}, as {choice} chose: {what}")
        else:
            lines.append(f"{n} photo(s) not uploaded to {caps.label}: {what}; the newest went "
                         f"up; {CHOOSE}")
    (out.notes if caps.chosen else out.messages).extend(lines)
    return lines[0] if lines else None


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def uploads_room_line(caps: AccountCaps) -> str | None:
    """For ``config check`` and ``auth status``: flickr.privacy and the account's caps cannot
    both hold (a free account with non-public uploads), said before any upload is refused."""
    if not caps.non_public or caps.account.max_non_public is None:
        return None
    _, room = caps.room()
    return (f"warning: flickr.privacy is {caps.privacy}, but a free {caps.label} account keeps "
            f"at most {caps.account.max_non_public} non-public photos "
            f"({caps.account.non_public or 0} used, {room} left): set flickr.privacy: public "
            f"to upload the rest, or upgrade to Flickr Pro")
