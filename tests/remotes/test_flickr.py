"""FlickrRemote against the Flickr emulator: the whole contract suite, then what only Flickr has."""

from __future__ import annotations

from pathlib import Path

import pytest

from photosync.emulators import start
from photosync.emulators.flickr_testing import admin
from photosync.remotes.flickr import FlickrRemote
from photosync.remotes.pace import RateLimiter

from .contract import Fault, Harness, RemoteContract

# A protocol method -> the emulator method its one-shot fault hits, and the fault kinds
# (before the request takes effect, after it: the answer lost).
TARGETS = {"upload": ("upload", "http_503", "reset_mid_body"),
           "replace": ("replace", "http_503", "reset_mid_body"),
           "download": ("static", "http_503", "truncate"),
           "delete": ("flickr.photos.delete", "http_503", "reset_mid_body")}
RANDOM_KINDS = ("http_500", "http_502", "http_503", "reset", "reset_mid_body")  # no 30 s Retry-After


def inject(url: str, rates: dict[str, float], fault: Fault) -> None:
    """A contract Fault as emulator faults. Random rates are per HTTP request and a protocol call
    makes two or three, so they are spread thinner (a lost-response rate on one method becomes
    ``reset_mid_body`` on every request: harsher than asked)."""
    if fault.rate > 0:
        if fault.lost_response:
            rates["reset_mid_body"] = rates.get("reset_mid_body", 0) + fault.rate / 4
        else:
            for kind in RANDOM_KINDS:
                rates[kind] = rates.get(kind, 0) + fault.rate / 2 / len(RANDOM_KINDS)
        admin(url, "faults", {"seed": fault.seed, "rates": rates})
        return
    method, before, after = TARGETS.get(fault.method, ("*", "http_503", "reset_mid_body"))
    kind = after if fault.lost_response or fault.method == "download" else before
    admin(url, "faults", {"once": [{"kind": kind, "method": method, "times": fault.times}]})


@pytest.fixture
def flickr_remotes():
    """``make(page_size, limiter, **options)`` -> (remote, emulator URL), each on its own emulator."""
    servers = []

    def make(page_size: int = 50, limiter: RateLimiter | None = None, username: str = "testuser",
             perms: str = "delete", **options) -> tuple[FlickrRemote, str]:
        server = start("flickr", auto_approve=True, rate_limit=0)
        servers.append(server)
        return remote_for(server.url, page_size, limiter, username, perms, **options), server.url
    yield make
    for server in servers:
        server.stop()


def remote_for(url: str, page_size: int = 50, limiter: RateLimiter | None = None,
               username: str = "testuser", perms: str = "delete", **options) -> FlickrRemote:
    minted = admin(url, "token", {"username": username, "perms": perms})
    return FlickrRemote(minted["api_key"], minted["api_secret"], minted["oauth_token"],
                        minted["oauth_token_secret"], url, page_size=page_size, limiter=limiter,
                        **options)


class TestFlickr(RemoteContract):
    @pytest.fixture
    def make_remote(self, flickr_remotes):
        def make(page_size: int = 50, limiter: RateLimiter | None = None) -> Harness:
            remote, url = flickr_remotes(page_size, limiter)
            rates: dict[str, float] = {}
            return Harness(remote, inject=lambda fault: inject(url, rates, fault),
                           api_calls=lambda: admin(url, "calls")["total"])
        return make
