"""FlickrRemote: the Remote protocol over Flickr's REST, upload and replace endpoints.

Calls per operation (each paced by the remote's one limiter):

- listing: ``photosets.getList`` + ``photosets.getPhotos`` per changed set (see ``flickr_albums``),
  then ``people.getPhotos`` pages of 500 with every extra the sync needs (never getInfo per photo);
- changes: ``photos.recentlyUpdated`` + ``people.getPhotos(min_upload_date)`` pages (no deletions);
- upload: the upload POST (title = name without extension, privacy from config, our machine tag
  ``photosync:signature=<hex>``) and nothing else: the answer is built from what was sent (no
  ``photos.getInfo``; the original's secret, the content version, comes with the next listing);
  given an album (the retry wrapper's repair), addPhoto or photosets.create with our marker;
- albums (the sync's album phase): ``photosets.create`` then one ``photosets.editPhotos`` per
  album and run for members and order together (see ``_write_order``), never one addPhoto each;
- download: the file alone when the caller passes the photo as listed (its ``url_o``, kept in
  the listing cache: not in memory, which cost 210 bytes a photo); else, and on a retry (the
  file may have been replaced since), ``photos.getSizes`` then the file (Original; for
  videos "Video Original": a video's ``url_o`` is its poster frame). Never a smaller size: with
  no Original offered (a free account's photo since 2025-05-15) it raises ``OriginalWithheld``.
  Size-checked against Content-Length through ``atomic_download``. Against 3,600 calls an hour,
  skipping getSizes halves the cost of downloading a Flickr library.
- download_preview (``flickr.download_previews``): getSizes, then the largest size offered, for
  a photo whose original is withheld; kept apart from the library by the caller.

Flickr has no MD5: ``capabilities.hashes`` is empty and the content version is the original's
secret (``extra["content_version"]``), which Flickr changes whenever the file is replaced.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from photosync.errors import (
    AuthorizationNeeded,
    Conflict,
    ItemError,
    NotFound,
    OriginalWithheld,
    TransientError,
)
from photosync.remotes.bandwidth import Bandwidth
from photosync.remotes.base import (
    THUMBNAIL_MAX_BYTES,
    WITHHELD,
    Album,
    Capabilities,
    Changes,
    Collection,
    Page,
    RemoteItem,
)
from photosync.remotes.files import atomic_download
from photosync.remotes.flickr_account import FlickrAccount, read_account
from photosync.remotes.flickr_albums import AlbumIndex
from photosync.remotes.flickr_api import FlickrClient, _mapped, server_time
from photosync.remotes.flickr_feed import CURSOR_MARGIN, ChangeCursor, ListToken
from photosync.remotes.flickr_items import (
    COMPATIBLE,
    EXTRAS,
    MARKER,
    OUR_NAMESPACE,
    PRIVACY,
    as_int,
    as_list,
    as_text,
    item_from_info,
    item_from_record,
    item_from_upload,
    processing_state,
    signature_tag,
    title_for,
)
from photosync.remotes.pace import RateLimiter

RECENT_UPLOADS = 86400  # find_by_signature also scans the last day's uploads (search index lag)
CHUNK = 1 << 20


class FlickrRemote:
    """One Flickr account as a :class:`~photosync.remotes.base.Remote`; thread-safe."""

    name = "flickr"

    def __init__(self, api_key: str, api_secret: str, token: str, token_secret: str,
                 endpoint: str = "https://www.flickr.com", *, privacy: str = "private",
                 page_size: int = 500, limiter: RateLimiter | None = None, user_nsid: str = "",
                 username: str = "", perms: str = "delete", album_cache: Path | None = None,
                 bandwidth: Bandwidth | None = None):
        if privacy not in PRIVACY:
            raise ValueError(f"flickr privacy must be one of {', '.join(PRIVACY)}")
        self.limiter = limiter or RateLimiter(None)
        self.client = FlickrClient(api_key, api_secret, token, token_secret, endpoint, self.limiter,
                                   user_nsid=user_nsid, username=username, perms=perms,
                                   bandwidth=bandwidth)
        self.privacy = privacy
        self.page_size = max(1, min(page_size, 500))
        self.capabilities = Capabilities(hashes=frozenset(), albums=True, exclusive_albums=False,
                                         ordered_albums=True, replace_in_place=True,
                                         changes_report_deletions=False)
        self.index = AlbumIndex(self.client, self.page_size, album_cache, user_nsid)
        self._indexed = False  # album membership read in this process
        self._album_locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def retry_each_call(self, retry: Callable[[str, Callable[[], Any]], Any]) -> None:
        """Have the album refresh inside a listing or change page retry each of its calls with
        ``retry`` (the retry wrapper's policy): at a high fault rate its ~16 calls would rarely
        all succeed in one attempt of the whole page."""
        self.index.retry = retry

    def list_collections(self) -> list[Collection]:
        """The account's collection tree (``collections.getTree``: one call)."""
        answer = self.client.call("collections.getTree", user_id="me")
        tree = (answer.get("collections") or {}).get("collection")
        return [_collection(c) for c in as_list(tree)]

    def account(self) -> FlickrAccount:
        """The account's kind and limits (2 calls; its usage is counted by the caller)."""
        return read_account(self.client, server_time())

    # -- listing and changes ------------------------------------------------------------------
    def list_page(self, token: str | None) -> Page:
        if token is None:
            self.index.refresh()
            self._indexed = True
            state = ListToken(int(server_time()) - CURSOR_MARGIN)
        else:
            state = ListToken.decode(token)
        answer = self.client.call("people.getPhotos", user_id="me", extras=EXTRAS,
                                  per_page=self.page_size, page=state.page,
                                  max_upload_date=state.before)
        box = answer.get("photos") or {}
        records = as_list(box.get("photo"))
        items = self._items(records)
        if self._last(box, records, state.page):
            return Page(state.fresh(items), None, ChangeCursor(state.t).encode())
        return Page(state.fresh(items), state.next(items).encode())

    def _last(self, box: dict[str, Any], records: list[Any], page: int) -> bool:
        """A short page is the last; so is a full one when Flickr's ``pages`` says so."""
        pages = as_int(box.get("pages"), -1)
        return len(records) < self.page_size or (pages >= 0 and page >= pages)

    def changes_page(self, cursor: str) -> Changes:
        state = ChangeCursor.decode(cursor)
        if state.phase == "r":
            answer = self.client.call("photos.recentlyUpdated", min_date=max(state.t, 1),
                                      extras=EXTRAS, per_page=self.page_size, page=state.page)
        else:
            answer = self.client.call("people.getPhotos", user_id="me", extras=EXTRAS,
                                      min_upload_date=max(state.t, 1), per_page=self.page_size,
                                      page=state.page)
        box = answer.get("photos") or {}
        records = as_list(box.get("photo"))
        changed = state.take(self._items(records))
        following = state.advance(self._last(box, records, state.page))
        return Changes(changed, [], following.encode(), more=not following.done)

    def _items(self, records: list[dict[str, Any]]) -> list[RemoteItem]:
        if not records:  # a quiet change feed needs no album listing, nor the album cache
            return []
        if not self._indexed:
            self.index.refresh()
            self._indexed = True
        membership = self.index.membership()
        return [item_from_record(r, membership.get(as_text(r.get("id")), ())) for r in records]

    # -- items ------------------------------------------------------------------------------------
    def upload(self, path: Path, name: str, album: str | None, signature: str) -> RemoteItem:
        public, friend, family = PRIVACY[self.privacy]
        rsp = self.client.send_file(path, title=title_for(name),
                                    tags=signature_tag(signature), is_public=public,
                                    is_friend=friend, is_family=family)
        photo_id = (rsp.findtext("photoid") or "").strip()
        if not photo_id:
            raise TransientError(f"upload of {name}: Flickr answered without a photo id")
        if album:
            self._put_in_album(photo_id, album)
        return item_from_upload(photo_id, name, signature, (album,) if album else ())

    def replace(self, item_id: str, path: Path, signature: str) -> RemoteItem:
        self.client.send_file(path, replace_id=item_id)
        self.set_signature(item_id, signature)
        return self._info(item_id)

    def download(self, item_id: str, dest: Path, overwrite: bool = False,
                 listed: RemoteItem | None = None) -> Path:
        if not overwrite and (dest.exists() or dest.is_symlink()):
            raise Conflict(f"{dest}: already exists; not overwritten")
        known = listed.extra.get("url_o") if listed is not None and listed.media == "photo" \
            else None
        url, media = (str(known), "photo") if known else best_original(self.client, item_id)
        return fetch_file(self.client, url, dest, f"download of {item_id}",
                          verify_image=media == "photo", overwrite=overwrite)

    def thumbnail(self, item: RemoteItem) -> bytes | None:
        """The listed 150 px square (``url_q``): a static file, no API call."""
        url = item.extra.get("url_q")
        if not url:
            return None
        with self.client.open(str(url), f"thumbnail of {item.id}") as response:
            return bytes(response.raw.read(THUMBNAIL_MAX_BYTES, decode_content=True))

    def download_preview(self, item_id: str, dest: Path) -> Size:
        """The largest size Flickr offers of a photo whose original it withholds, into ``dest``
        (a preview: the caller keeps it out of the library); which size it was."""
        size = largest_size(self.client, item_id)
        fetch_file(self.client, size.url, dest, f"preview of {item_id}", overwrite=True)
        return size

    def delete(self, item_id: str) -> None:
        self.client.call("photos.delete", photo_id=item_id)
        self.index.touched()

    def find_by_signature(self, signature: str) -> list[RemoteItem]:
        """Machine-tag search; on a miss, also the last day's uploads (search may lag uploads)."""
        wanted = signature.lower()
        query = ",".join(f"{prefix}{wanted}" for prefix in COMPATIBLE)
        answer = self.client.call("photos.search", user_id="me", machine_tags=query,
                                  machine_tag_mode="any", extras=EXTRAS, per_page=500)
        found = [i for i in self._items(as_list((answer.get("photos") or {}).get("photo")))
                 if i.signature == wanted]
        if not found:
            answer = self.client.call("people.getPhotos", user_id="me", extras=EXTRAS, per_page=500,
                                      min_upload_date=int(server_time()) - RECENT_UPLOADS)
            found = [i for i in self._items(as_list((answer.get("photos") or {}).get("photo")))
                     if i.signature == wanted]
        return found

    def set_signature(self, item_id: str, signature: str, untagged: bool = False) -> None:
        """addTags alone when the listing showed no signature tag (``untagged``): no old tag to
        remove, so no getInfo for the tag ids (one API call, not two, per photo)."""
        want = signature_tag(signature)
        if untagged:
            self.client.call("photos.addTags", photo_id=item_id, tags=want)
            return
        tags = as_list((self._raw_info(item_id).get("tags") or {}).get("tag"))
        ours = [(as_text(t.get("id")), as_text(t.get("raw")).strip().lower()) for t in tags
                if as_text(t.get("raw")).strip().lower().startswith(OUR_NAMESPACE)]
        if want not in {raw for _, raw in ours}:
            self.client.call("photos.addTags", photo_id=item_id, tags=want)
        for tag_id, raw in ours:
            if raw != want:
                self.client.call("photos.removeTag", tag_id=tag_id, ignore=(1,))

    def _raw_info(self, item_id: str) -> dict[str, Any]:
        return self.client.call("photos.getInfo", photo_id=item_id).get("photo") or {}

    def _info(self, item_id: str, albums: tuple[str, ...] | None = None) -> RemoteItem:
        if albums is None:
            albums = self.index.membership().get(item_id, ())
        return item_from_info(self._raw_info(item_id), albums)

    # -- albums -----------------------------------------------------------------------------------
    def _put_in_album(self, photo_id: str, title: str) -> None:
        """Into the set called ``title``; created (ours) when missing. One creator per title."""
        with self._locks_lock:
            lock = self._album_locks.setdefault(title, threading.Lock())
        with lock:
            existing = self.index.find(title)
            if existing is not None:
                try:
                    self.add_to_album(existing.id, photo_id)
                    return
                except NotFound:  # deleted elsewhere since we listed: make it again
                    self.index.forget(existing.id)
            self.create_album(title, photo_id)

    def list_albums(self) -> list[Album]:
        self.index.refresh()
        return self.index.albums()

    def create_album(self, title: str, first_item_id: str) -> Album:
        answer = self.client.call("photosets.create", title=title, description=MARKER,
                                  primary_photo_id=first_item_id, not_found=(2,))
        set_id = as_text((answer.get("photoset") or {}).get("id"))
        self.index.created(set_id, title, first_item_id)
        return Album(set_id, title, (first_item_id,), True)

    def add_to_album(self, album_id: str, item_id: str) -> None:
        self.client.call("photosets.addPhoto", photoset_id=album_id, photo_id=item_id,
                         not_found=(1, 2), ignore=(3,))
        self.index.touched(album_id)

    def remove_from_album(self, album_id: str, item_id: str) -> None:
        self.client.call("photosets.removePhoto", photoset_id=album_id, photo_id=item_id,
                         not_found=(1, 2), ignore=(3,))
        self.index.touched(album_id)

    def reorder_album(self, album_id: str, item_ids: list[str]) -> None:
        self._write_order(album_id, item_ids, add=False)

    def edit_album(self, album_id: str, item_ids: list[str]) -> None:
        self._write_order(album_id, item_ids, add=True)

    def _write_order(self, album_id: str, item_ids: list[str], add: bool) -> None:
        """One ``photosets.editPhotos``: ``item_ids`` first (with ``add``, those not in the set
        join it), then every other member the set holds now (``AlbumIndex.current``: read
        moments ago, else re-read), so a photo someone else added is never dropped. The primary
        stays unless it left."""
        primary, members = self.index.current(album_id)
        present = set(members)
        first = [i for i in dict.fromkeys(item_ids) if add or i in present]
        chosen = set(first)
        order = first + [i for i in members if i not in chosen]
        if order == members:
            return
        if primary not in present | chosen:
            primary = order[0]
        self.client.call("photosets.editPhotos", photoset_id=album_id, primary_photo_id=primary,
                         photo_ids=",".join(order), not_found=(1, 2, 3))
        self.index.edited(album_id, primary, order)

    def delete_album(self, album_id: str) -> None:
        entry = self.index.get(album_id)
        if entry is None:
            raise NotFound(f"flickr: no album {album_id}")
        if not entry.owned:
            raise Conflict(f"album {entry.title!r} was not created by photosync; kept")
        self.client.call("photosets.delete", photoset_id=album_id)
        self.index.forget(album_id)


def fetch_file(client: FlickrClient, url: str, dest: Path, what: str, *, verify_image: bool = True,
               overwrite: bool = False, fsync_folder: bool = True) -> Path:
    """Download ``url`` (a photo file Flickr handed out) to ``dest`` atomically, size-checked
    against Content-Length and, for photos, decoded; ``dest`` appears only when complete
    (``fsync_folder``: see ``atomic_download``)."""
    response = client.open(url, what)
    size = as_int(response.headers.get("Content-Length"), -1)

    def write(out: BinaryIO) -> None:
        with _mapped(what):
            for chunk in response.iter_content(CHUNK):
                out.write(chunk)
    try:
        return atomic_download(dest, write, expected_size=size if size >= 0 else None,
                               verify_image=verify_image, overwrite=overwrite,
                               fsync_folder=fsync_folder, bandwidth=client.bandwidth)
    finally:
        response.close()


@dataclass(frozen=True)
class Size:
    """One file ``photos.getSizes`` offers: its label ("Original", "Large", "Site MP4"...)."""

    url: str
    media: str  # photo | video
    label: str
    width: int
    height: int

    @property
    def original(self) -> bool:
        return self.label in ORIGINAL_LABELS


ORIGINAL_LABELS = ("Original", "Video Original")


def offered_sizes(client: FlickrClient, item_id: str) -> list[Size]:
    """The files ``photos.getSizes`` offers the caller (one API call); a video's embeddable
    player is left out (not a file)."""
    sizes = as_list((client.call("photos.getSizes", photo_id=item_id).get("sizes") or {})
                    .get("size"))
    media = "video" if any(as_text(s.get("media")) == "video" for s in sizes) else "photo"
    return [Size(as_text(s.get("source")), media, as_text(s.get("label")),
                 as_int(s.get("width")), as_int(s.get("height"))) for s in sizes
            if media == "photo" or as_text(s.get("media")) == "video" and _is_video_file(s)]


def best_original(client: FlickrClient, item_id: str) -> tuple[str, str]:
    """(URL, media) of the Original (photos) or Video Original (videos) ``photos.getSizes``
    offers the caller; ``OriginalWithheld`` when it offers none (never a smaller size)."""
    sizes = offered_sizes(client, item_id)
    original = next((s for s in sizes if s.original), None)
    if original is not None:
        return original.url, original.media
    if not sizes or any(s.media == "video" for s in sizes):  # a video with no file yet?
        raise_if_not_ready(client, item_id)
    if not sizes:
        raise NotFound(f"flickr: item {item_id} has no downloadable size")
    raise OriginalWithheld(f"flickr: {item_id}: {WITHHELD['free_account']}", "free_account")


def largest_size(client: FlickrClient, item_id: str) -> Size:
    """The largest size offered (the Original when offered); ``VideoNotReady`` for a video Flickr
    has not processed, NotFound when there is none."""
    sizes = offered_sizes(client, item_id)
    if not sizes:
        raise_if_not_ready(client, item_id)
        raise NotFound(f"flickr: item {item_id} has no downloadable size")
    return max(sizes, key=lambda s: (s.original, s.width * s.height))


class VideoNotReady(ItemError):
    """A video Flickr has not (or could not) transcode: no file for the caller yet. Not missing:
    never uploaded again; said with its id and state, and fetched by a later run."""

    def __init__(self, item_id: str, state: str):
        self.item_id, self.state = item_id, state
        super().__init__(
            f"flickr: video {item_id} is still being processed by Flickr (video pending); "
            f"fetched by a later run" if state == "pending" else
            f"flickr: Flickr failed to process video {item_id} (video failed); only its owner "
            f"can fix it on Flickr (replace or delete it)")


def raise_if_not_ready(client: FlickrClient, item_id: str) -> None:
    """``VideoNotReady`` when the item is a video Flickr is still processing or failed to (one
    ``photos.getInfo``: asked only when getSizes offered no file)."""
    state = video_state(client, item_id)
    if state in ("pending", "failed"):
        raise VideoNotReady(item_id, state)


def video_state(client: FlickrClient, item_id: str) -> str:
    """ready, pending or failed, as photos.getInfo says (one API call)."""
    info = client.call("photos.getInfo", photo_id=item_id).get("photo") or {}
    return processing_state(info) or "ready"


def _is_video_file(size: dict[str, Any]) -> bool:
    """A video size that is a file: not the "Video Player" (its source is Flickr's embeddable
    player, ``/apps/video/stewart.swf?...``, as large as the video, never the video itself)."""
    source = as_text(size.get("source"))
    return (as_text(size.get("label")) != "Video Player" and "/apps/video/" not in source
            and ".swf" not in source.split("?", 1)[0])


def _collection(node: dict[str, Any]) -> Collection:
    return Collection(as_text(node.get("id")), as_text(node.get("title")),
                      tuple(as_text(s.get("title")) for s in as_list(node.get("set"))),
                      tuple(_collection(c) for c in as_list(node.get("collection"))))


def from_config(config: Any, state_dir: Path) -> FlickrRemote:
    """The configured Flickr remote, authorized with the token ``photosync auth flickr`` stored
    in ``state_dir`` (``AuthorizationNeeded`` when there is none or it is incomplete)."""
    from photosync.auth.tokens import TokenStore
    from photosync.remotes.bandwidth import shared
    from photosync.remotes.pace import limiter_for

    token = TokenStore(Path(state_dir)).load("flickr")
    if not token or not token.get("oauth_token") or not token.get("oauth_token_secret"):
        raise AuthorizationNeeded("Flickr is not authorized yet: run `photosync auth flickr`")
    section = config.flickr
    return FlickrRemote(section.api_key or "", section.api_secret or "", str(token["oauth_token"]),
                        str(token["oauth_token_secret"]), section.endpoint, privacy=section.privacy,
                        limiter=limiter_for("flickr", config),
                        bandwidth=shared(config.sync.bwlimit),
                        user_nsid=str(token.get("user_nsid") or ""),
                        username=str(token.get("username") or ""),
                        perms=str(token.get("perms") or "delete"),
                        album_cache=Path(state_dir) / "flickr-albums.json")
