"""Flickr photosets (albums) and collections.

Flickr's album rules kept here: a new set lists first; ``addPhoto`` of a member is error 3;
``editPhotos`` replaces the whole list (which must hold the primary); an album whose last photo
leaves is deleted. Collections are read-only in the public API (the seed creates them).
"""

from __future__ import annotations

from typing import Any

from photosync.emulators import flickr_format as fmt
from photosync.emulators.flickr_calls import Call, method
from photosync.emulators.flickr_format import content
from photosync.emulators.flickr_spec import ApiError
from photosync.emulators.flickr_state import Collection, Photoset


def _own_set(call: Call) -> Photoset:
    pset = call.state.photosets.get(call.arg("photoset_id"))
    if pset is None or pset.owner != call.viewer:
        raise ApiError(1)
    return pset


def _set_record(call: Call, pset: Photoset, extras: set[str]) -> dict[str, Any]:
    primary = call.state.photos[pset.primary]
    videos = sum(1 for pid in pset.photos if call.state.photos[pid].media == "video")
    record: dict[str, Any] = {
        "id": pset.id,
        "owner": pset.owner,
        "username": call.state.accounts[pset.owner].username,
        "primary": pset.primary,
        "secret": primary.secret,
        "server": primary.server,
        "farm": fmt.FARM,
        "count_views": "0",
        "count_comments": "0",
        "count_photos": len(pset.photos) - videos,
        "count_videos": videos,
        "title": content(pset.title),
        "description": content(pset.description),
        "can_comment": 0,
        "date_create": str(pset.created),
        "date_update": str(pset.updated),
        "photos": len(pset.photos) - videos,
        "videos": videos,
        "visibility_can_see_set": 1,
        "needs_interstitial": 0,
    }
    if extras:
        record["primary_photo_extras"] = {
            k: v
            for k, v in call.record(primary, extras).items()
            if k not in ("id", "owner", "secret", "server", "farm", "title")
        }
    return record


@method("flickr.photosets.getList")
def get_list(call: Call) -> dict[str, Any]:
    nsid = call.user(code=1, default_me=True)
    sets = [call.state.photosets[s] for s in call.state.set_order.get(nsid, [])]
    if "page" in call.args or "per_page" in call.args:
        page, per_page = fmt.paging(call.args, 500)
        chunk, pages = fmt.page_of(sets, page, per_page)
    else:
        page, per_page, pages, chunk = 1, len(sets), 1, sets
    extras = fmt.parse_extras(call.arg("primary_photo_extras"))
    out = {
        "page": page,
        "pages": pages,
        "perpage": per_page,
        "total": len(sets),
        "photoset": [_set_record(call, s, extras) for s in chunk],
    }
    if nsid == call.viewer:
        out["cancreate"] = 1
    return {"photosets": out}


@method("flickr.photosets.getPhotos")
def get_photos(call: Call) -> dict[str, Any]:
    pset = call.state.photosets.get(call.arg("photoset_id"))
    if pset is None:
        raise ApiError(1)
    if call.arg("user_id") and call.arg("user_id") not in (pset.owner, "me"):
        raise ApiError(2 if call.arg("user_id") not in call.state.accounts else 1)
    photos = call.state.derived(  # once per state version, not once per page
        ("set", pset.id, call.viewer, call.arg("privacy_filter"), call.arg("media")),
        lambda: call.visible([call.state.photos[pid] for pid in pset.photos]))
    listing = call.listing(photos, total_as_text=True, default_per_page=500)
    for record in listing["photo"]:  # the set names the owner once; its photos do not
        record.pop("owner", None)
        record["isprimary"] = "1" if record["id"] == pset.primary else "0"
    listing["per_page"] = listing["perpage"]
    owner = call.state.accounts[pset.owner]
    return {
        "photoset": {
            "id": pset.id,
            "primary": pset.primary,
            "owner": pset.owner,
            "ownername": owner.username,
            "title": pset.title,
            **listing,
        }
    }


@method("flickr.photosets.create")
def create(call: Call) -> dict[str, Any]:
    if not call.arg("title"):
        raise ApiError(1)
    primary = call.photo("primary_photo_id", code=2, owned=True)
    pset = call.state.create_set(
        call.viewer or "", call.arg("title"), call.arg("description"), primary.id, call.now
    )
    return {"photoset": {"id": pset.id, "url": f"{call.base}/photos/{pset.owner}/sets/{pset.id}/"}}


@method("flickr.photosets.addPhoto")
def add_photo(call: Call) -> dict[str, Any]:
    pset = _own_set(call)
    photo = call.photo(code=2, owned=True)
    if photo.id in pset.photos:
        raise ApiError(3)
    call.state.set_photos(pset, pset.photos + [photo.id])
    pset.updated = call.now
    return {}


@method("flickr.photosets.removePhoto")
def remove_photo(call: Call) -> dict[str, Any]:
    pset = _own_set(call)
    photo = call.photo(code=2, owned=True)
    if photo.id not in pset.photos:
        raise ApiError(3)
    pset.updated = call.now
    call.state.remove_from_set(pset, photo.id)
    return {}


@method("flickr.photosets.removePhotos")
def remove_photos(call: Call) -> dict[str, Any]:
    pset = _own_set(call)
    ids = [i.strip() for i in call.arg("photo_ids").split(",") if i.strip()]
    if not ids or any(i not in pset.photos for i in ids):
        raise ApiError(2)
    pset.updated = call.now
    for photo_id in ids:
        if pset.id in call.state.photosets:
            call.state.remove_from_set(pset, photo_id)
    return {}


@method("flickr.photosets.editPhotos")
def edit_photos(call: Call) -> dict[str, Any]:
    pset = _own_set(call)
    ids = list(dict.fromkeys(i.strip() for i in call.arg("photo_ids").split(",") if i.strip()))
    primary = call.state.photos.get(call.arg("primary_photo_id"))
    if primary is None or primary.owner != call.viewer:
        raise ApiError(3)
    if not ids:
        raise ApiError(5)
    for photo_id in ids:
        photo = call.state.photos.get(photo_id)
        if photo is None or photo.owner != call.viewer:
            raise ApiError(2)
    if primary.id not in ids:
        raise ApiError(4)
    call.state.set_photos(pset, ids)
    pset.primary, pset.updated = primary.id, call.now
    return {}


@method("flickr.photosets.editMeta")
def edit_meta(call: Call) -> dict[str, Any]:
    pset = _own_set(call)
    pset.title = call.arg("title")
    if "description" in call.args:
        pset.description = call.arg("description")
    pset.updated = call.now
    call.state.touch()
    return {}


@method("flickr.photosets.delete")
def delete(call: Call) -> dict[str, Any]:
    call.state.delete_set(_own_set(call))
    return {}


@method("flickr.collections.getTree")
def get_tree(call: Call) -> dict[str, Any]:
    nsid = call.user(code=1, default_me=True)
    wanted = call.arg("collection_id", "0")
    roots = call.state.collection_roots.get(nsid, [])
    if wanted not in ("", "0"):
        coll = call.state.collections.get(wanted)
        if coll is None or coll.owner != nsid:
            raise ApiError(2)
        roots = [wanted]
    return {"collections": {"collection": [_tree(call, call.state.collections[c]) for c in roots]}}


def _tree(call: Call, coll: Collection) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": coll.id,
        "title": coll.title,
        "description": coll.description,
        # absolute, as Flickr's (combo.staticflickr.com/pw/images/...)
        "iconlarge": f"{call.base}/pw/images/collection_default_l.gif",
        "iconsmall": f"{call.base}/pw/images/collection_default_s.gif",
    }
    if coll.children:
        node["collection"] = [_tree(call, call.state.collections[c]) for c in coll.children]
    else:
        node["set"] = [
            {
                "id": s,
                "title": call.state.photosets[s].title,
                "description": call.state.photosets[s].description,
            }
            for s in coll.sets
            if s in call.state.photosets
        ]
    return node
