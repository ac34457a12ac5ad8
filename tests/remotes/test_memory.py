"""MemoryRemote passes the contract: as itself, and configured like Flickr and like Drive."""

from __future__ import annotations

import pytest

from photosync.remotes.base import Capabilities
from photosync.remotes.memory import MemoryRemote
from photosync.remotes.pace import RateLimiter

from .contract import Harness, RemoteContract

FLICKR_LIKE = Capabilities(hashes=frozenset(), changes_report_deletions=False)
DRIVE_LIKE = Capabilities(hashes=frozenset({"md5"}), exclusive_albums=True, ordered_albums=False)


def memory_factory(capabilities: Capabilities | None = None):
    def make(page_size: int = 50, limiter: RateLimiter | None = None) -> Harness:
        remote = MemoryRemote(page_size=page_size, limiter=limiter, capabilities=capabilities)
        return Harness(remote, inject=remote.inject, api_calls=lambda: sum(remote.calls.values()))
    return make


class TestMemory(RemoteContract):
    @pytest.fixture
    def make_remote(self):
        return memory_factory()


class TestMemoryFlickrLike(RemoteContract):
    @pytest.fixture
    def make_remote(self):
        return memory_factory(FLICKR_LIKE)


class TestMemoryDriveLike(RemoteContract):
    @pytest.fixture
    def make_remote(self):
        return memory_factory(DRIVE_LIKE)


# -- what only MemoryRemote can show (its seeding seams) ----------------------------------------

from photosync.emulators.images import make_image  # noqa: E402
from photosync.errors import Conflict  # noqa: E402
from photosync.remotes.base import CursorExpired, changes_since, list_all  # noqa: E402


def test_albums_made_by_the_user_are_never_deleted() -> None:
    remote = MemoryRemote()
    item = remote.seed(make_image(1), "a.jpg", albums=("Family",))
    album = remote.list_albums()[0]
    assert not album.owned_by_us and album.item_ids == (item.id,)
    with pytest.raises(Conflict):
        remote.delete_album(album.id)
    assert remote.list_albums() == [album]


def test_expired_cursor_asks_for_a_full_listing() -> None:
    remote = MemoryRemote()
    cursor = list_all(remote).cursor
    remote.seed(make_image(1), "a.jpg")
    remote.forget_changes()
    with pytest.raises(CursorExpired):
        changes_since(remote, cursor)
    with pytest.raises(CursorExpired):
        changes_since(remote, "not-a-cursor")


def test_changes_come_in_pages() -> None:
    remote = MemoryRemote(page_size=2)
    cursor = list_all(remote).cursor
    ids = {remote.seed(make_image(n), f"{n}.jpg").id for n in range(5)}
    first = remote.changes_page(cursor)
    assert first.more and len(first.changed) == 2
    assert {i.id for i in changes_since(remote, cursor).changed} == ids


def test_unknown_date_falls_back_to_upload_time() -> None:
    remote = MemoryRemote(clock=lambda: 1_600_000_000.0)
    dated = remote.seed(make_image(1), "a.png")
    assert not dated.date_taken_known and dated.date_taken is not None
    video = remote.seed(b"\x00\x00\x00\x18ftypmp42", "clip.mp4")
    assert video.media == "video" and video.mime == "video/mp4"
