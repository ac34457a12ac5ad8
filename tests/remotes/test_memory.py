"""MemoryRemote passes the contract: as itself, and configured like Flickr and like Drive."""

from __future__ import annotations

import pytest

from photosync.remotes.base import Capabilities
from photosync.remotes.memory import MemoryRemote
from photosync.remotes.pace import RateLimiter

from .contract import Harness, RemoteContract

FLICKR_LIKE = Capabilities(hashes=frozenset(), changes_report_deletions=False, max_page_size=500)
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
