"""Flickr methods that change a photo: tags, title/description, dates, delete.

Every change bumps the photo's ``lastupdate`` (what ``photos.recentlyUpdated`` lists by).
Other users' photos are "not found" for these methods, as on Flickr.
"""

from __future__ import annotations

from typing import Any

from photosync.emulators import flickr_tags
from photosync.emulators.flickr_calls import Call, format_taken, method, parse_date
from photosync.emulators.flickr_spec import ApiError
from photosync.emulators.flickr_state import FlickrState, Photo

GRANULARITIES = (0, 4, 6, 8)


def changed(state: FlickrState, photo: Photo, now: int) -> None:
    """Record a change: Flickr's lastupdate never goes backwards."""
    photo.lastupdate = max(now, photo.lastupdate)
    state.touch()


def add_tags(state: FlickrState, photo: Photo, text: str, author: str) -> bool:
    """Add the tags in ``text`` that the photo lacks; False when that would exceed 75 tags."""
    have = {t.raw.lower() for t in photo.tags}
    new = []
    for raw in flickr_tags.parse_tag_string(text):
        if raw.lower() not in have:
            have.add(raw.lower())
            new.append(raw)
    if len(photo.tags) + len(new) > flickr_tags.MAX_TAGS:
        return False
    photo.tags.extend(state.new_tag(photo, raw, author) for raw in new)
    return True


@method("flickr.photos.addTags")
def photos_add_tags(call: Call) -> dict[str, Any]:
    photo = call.photo(owned=True)
    if not add_tags(call.state, photo, call.arg("tags"), call.viewer or ""):
        raise ApiError(2)
    changed(call.state, photo, call.now)
    return {}


@method("flickr.photos.setTags")
def photos_set_tags(call: Call) -> dict[str, Any]:
    photo = call.photo(owned=True)
    old = photo.tags
    photo.tags = []
    if not add_tags(call.state, photo, call.arg("tags"), call.viewer or ""):
        photo.tags = old
        raise ApiError(2)
    changed(call.state, photo, call.now)
    return {}


@method("flickr.photos.removeTag")
def photos_remove_tag(call: Call) -> dict[str, Any]:
    tag_id = call.arg("tag_id")
    parts = tag_id.split("-")
    photo = call.state.photos.get(parts[1]) if len(parts) == 3 else None
    if photo is None or photo.owner != call.viewer or not any(t.id == tag_id for t in photo.tags):
        raise ApiError(1)
    photo.tags = [t for t in photo.tags if t.id != tag_id]
    changed(call.state, photo, call.now)
    return {}


@method("flickr.photos.setMeta")
def photos_set_meta(call: Call) -> dict[str, Any]:
    photo = call.photo(owned=True)
    if "title" not in call.args and "description" not in call.args:
        raise ApiError(2)
    photo.title = call.args.get("title", photo.title)
    photo.description = call.args.get("description", photo.description)
    changed(call.state, photo, call.now)
    return {}


@method("flickr.photos.setDates")
def photos_set_dates(call: Call) -> dict[str, Any]:
    photo = call.photo(owned=True)
    posted, taken, granularity = (
        call.arg(a) for a in ("date_posted", "date_taken", "date_taken_granularity")
    )
    if not (posted or taken or granularity):
        raise ApiError(2)
    if granularity and (not granularity.isdigit() or int(granularity) not in GRANULARITIES):
        raise ApiError(3)
    if posted and (not posted.isdigit() or int(posted) > call.now):
        raise ApiError(4)
    when = parse_date(taken) if taken else None
    if taken and (when is None or taken.isdigit()):
        raise ApiError(5)
    if posted:
        photo.dateupload = int(posted)
    if when:
        photo.datetaken, photo.takenunknown = format_taken(when), 0
    if granularity:
        photo.granularity = int(granularity)
    changed(call.state, photo, call.now)
    return {}


@method("flickr.photos.delete")
def photos_delete(call: Call) -> dict[str, Any]:
    call.state.delete_photo(call.photo(owned=True))
    return {}
