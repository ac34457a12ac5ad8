"""The Flickr side of a mirror: whose stream, and every request the mirror makes, counted.

All requests go through the remotes' Flickr client (per-thread flickrapi on ``flickr.endpoint``,
the one rate limiter, error mapping) and the same retry policy as sync (``RetryingRemote``).
``--me`` uses the token of ``photosync auth flickr`` (private photos too); ``--username`` and
``--user-id`` use the API key alone and so see public photos only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from photosync.errors import AuthorizationNeeded, NotFound, UsageError
from photosync.mirror.photo import EXTRAS, MirrorPhoto, video_original_url
from photosync.remotes.bandwidth import shared
from photosync.remotes.flickr import best_original, fetch_file, largest_size
from photosync.remotes.flickr_api import FlickrClient
from photosync.remotes.flickr_items import as_list, as_text
from photosync.remotes.pace import limiter_for
from photosync.remotes.retry import RetryingRemote


@dataclass(frozen=True)
class Who:
    """What the command line named: exactly one of the three."""

    username: str | None = None
    user_id: str | None = None
    me: bool = False


@dataclass(frozen=True)
class Stream:
    nsid: str
    username: str | None
    owner_view: bool  # True: we are the owner (private photos, originals, Video Originals)


class _Wire:
    """What RetryingRemote needs of the thing it wraps (the mirror calls the client directly)."""

    name = "flickr"
    capabilities = None

    def __init__(self, limiter: Any):
        self.limiter = limiter


class FlickrSource:
    """The mirror's requests to Flickr; thread-safe; counts API calls and file downloads."""

    def __init__(self, client: FlickrClient, page_size: int = 500,
                 retry: RetryingRemote | None = None):
        self.client = client
        self.page_size = max(1, min(int(page_size), 500))
        self.retry = retry or RetryingRemote(_Wire(client.limiter))  # type: ignore[arg-type]
        self._lock = threading.Lock()
        self.api_calls = 0
        self.downloads = 0

    @classmethod
    def from_config(cls, config: Any, who: Who) -> tuple[FlickrSource, dict[str, Any] | None]:
        """The source and, for ``--me``, the stored token (``AuthorizationNeeded`` if none)."""
        section = config.flickr
        if not section.api_key or not section.api_secret:
            raise UsageError("Flickr is not configured: set flickr.api_key and flickr.api_secret "
                             "(or PHOTOSYNC_FLICKR_API_KEY / PHOTOSYNC_FLICKR_API_SECRET)")
        token = _stored_token(config) if who.me else None
        held = token or {}
        client = FlickrClient(str(section.api_key), str(section.api_secret),
                              str(held.get("oauth_token") or ""),
                              str(held.get("oauth_token_secret") or ""), section.endpoint,
                              limiter_for("flickr", config),
                              user_nsid=str(held.get("user_nsid") or ""),
                              bandwidth=shared(config.sync.bwlimit),
                              perms=str(held.get("perms") or "read"))
        return cls(client, section.mirror_page_size), token

    # -- requests ------------------------------------------------------------------------------
    def call(self, method: str, **args: Any) -> dict[str, Any]:
        """One API method, retried like sync's; every attempt counted."""
        def attempt() -> dict[str, Any]:
            self._count(api=1)
            return self.client.call(method, **args)
        return self.retry.call(method, attempt)

    def _count(self, api: int = 0, files: int = 0) -> None:
        with self._lock:
            self.api_calls += api
            self.downloads += files

    def resolve(self, who: Who, token: dict[str, Any] | None, cached: Any = None) -> Stream:
        """Whose stream; ``cached`` (the mirror's stored row) saves the findByUsername call."""
        if who.me:
            assert token is not None
            return Stream(str(token["user_nsid"]), str(token.get("username") or "") or None, True)
        if who.user_id:
            return Stream(who.user_id, None, False)
        if cached is not None and cached.username == who.username and not cached.owner_view:
            return Stream(cached.user_nsid, who.username, False)
        try:
            answer = self.call("people.findByUsername", username=who.username)
        except NotFound:
            raise UsageError(f"Flickr has no user called {who.username!r}") from None
        return Stream(as_text((answer.get("user") or {}).get("nsid")), who.username, False)

    def photos_page(self, nsid: str, page: int, per_page: int | None = None,
                    **filters: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """One page of ``people.getPhotos`` with every extra: (records, the ``photos`` box)."""
        answer = self.call("people.getPhotos", user_id=nsid, extras=EXTRAS,
                           per_page=per_page or self.page_size, page=page, not_found=(1, 2),
                           **filters)
        box = answer.get("photos") or {}
        return as_list(box.get("photo")), box

    def recently_updated(self, since: int, page: int
                         ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The caller's photos changed (or uploaded) at or after ``since``, one page."""
        answer = self.call("photos.recentlyUpdated", min_date=max(since, 1), extras=EXTRAS,
                           per_page=self.page_size, page=page)
        box = answer.get("photos") or {}
        return as_list(box.get("photo")), box

    def albums(self, nsid: str) -> list[dict[str, Any]]:
        answer = self.call("photosets.getList", user_id=nsid)
        return as_list((answer.get("photosets") or {}).get("photoset"))

    def album_members(self, set_id: str, nsid: str) -> list[str]:
        """The photo ids of one album, in album order (only those we may see)."""
        members: list[str] = []
        page = 1
        while True:
            box = self.call("photosets.getPhotos", photoset_id=set_id, user_id=nsid, page=page,
                            per_page=500).get("photoset") or {}
            photos = as_list(box.get("photo"))
            members.extend(as_text(p.get("id")) for p in photos)
            if not photos or page >= int(as_text(box.get("pages")) or 1):
                return list(dict.fromkeys(members))
            page += 1

    def collections(self, nsid: str) -> list[dict[str, Any]]:
        answer = self.call("collections.getTree", user_id=nsid, not_found=(1, 2))
        return as_list((answer.get("collections") or {}).get("collection"))

    def comments(self, photo_id: str) -> dict[str, Any]:
        return self.call("photos.comments.getList", photo_id=photo_id)

    def download(self, photo: MirrorPhoto, dest: Path) -> int:
        """The best file of ``photo`` into ``dest`` (replacing it atomically); its size.

        The first attempt uses the listing's URL; a retry asks getSizes again (the file may have
        moved), which also turns a photo deleted meanwhile into NotFound instead of retries.
        """
        attempts = 0

        def attempt() -> int:
            nonlocal attempts
            attempts += 1
            url = photo.url or video_original_url(self.client.endpoints.www, photo)
            media = photo.media
            if url is None or attempts > 1:
                self._count(api=1)
                url, media = self._best(photo)
            self._count(files=1)
            fetch_file(self.client, url, dest, f"download of {photo.id}",
                       verify_image=media == "photo", overwrite=True, fsync_folder=False)
            return dest.stat().st_size
        return self.retry.call("download", attempt)

    def _best(self, photo: MirrorPhoto) -> tuple[str, str]:
        """(URL, media) from getSizes: the Original, or for a preview the largest size offered
        (never a smaller size for a photo listed with its original)."""
        if not photo.preview:
            return best_original(self.client, photo.id)
        size = largest_size(self.client, photo.id)
        return size.url, size.media


def _stored_token(config: Any) -> dict[str, Any]:
    """The token ``photosync auth flickr`` stored, which ``--me`` needs."""
    from photosync.auth.tokens import TokenStore

    token = TokenStore(Path(config.state_dir)).load("flickr")
    if not token or not token.get("oauth_token") or not token.get("user_nsid"):
        raise AuthorizationNeeded("--me needs an authorized account: run `photosync auth flickr`")
    return token
