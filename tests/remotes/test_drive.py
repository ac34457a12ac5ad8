"""DriveRemote against the Drive emulator: the whole contract suite, then what only Drive has."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from photosync.emulators import start
from photosync.emulators.drive_client import admin, mint_credentials
from photosync.remotes.drive import DriveRemote
from photosync.remotes.pace import RateLimiter

from .contract import Fault, Harness, RemoteContract

# A protocol method -> the emulator request its first fault should hit: (method id, URL part).
TARGETS = {"upload": ("drive.files.create", "/upload/"), "replace": ("drive.files.update", "/upload/"),
           "download": ("drive.files.get", ""), "delete": ("drive.files.update", "")}
RANDOM_KINDS = ("http_500", "http_502", "http_503", "reset", "reset_mid_body")  # no 30 s Retry-After


def inject(url: str, rates: dict[str, float], fault: Fault) -> None:
    """A contract Fault as emulator faults. Random rates are per HTTP request and a protocol call
    makes about two, so they are halved (a lost-response rate on one method: a quarter, spread
    over every request as ``reset_mid_body``)."""
    if fault.rate > 0:
        if fault.lost_response:
            rates["reset_mid_body"] = rates.get("reset_mid_body", 0) + fault.rate / 4
        else:
            for kind in RANDOM_KINDS:
                rates[kind] = rates.get(kind, 0) + fault.rate / 2 / len(RANDOM_KINDS)
        admin(url, "faults", {"seed": fault.seed, "rates": rates})
        return
    method, part = TARGETS.get(fault.method, ("*", ""))
    kind = "reset_mid_body" if fault.lost_response else "http_503"
    admin(url, "faults", {"once": [{"kind": kind, "method": method, "path": part, "times": fault.times}]})


@pytest.fixture
def drive_remotes():
    """``make(page_size, limiter, **options)`` -> (remote, emulator URL), each on its own emulator."""
    servers = []

    def make(page_size: int = 50, limiter: RateLimiter | None = None, **options) -> tuple[DriveRemote, str]:
        server = start("drive", auto_approve=True)
        servers.append(server)
        remote = DriveRemote(mint_credentials(server.url), server.url, "Photos", page_size=page_size,
                             limiter=limiter, timeout=5.0, **options)
        return remote, server.url
    yield make
    for server in servers:
        server.stop()


class TestDrive(RemoteContract):
    @pytest.fixture
    def make_remote(self, drive_remotes):
        def make(page_size: int = 50, limiter: RateLimiter | None = None) -> Harness:
            remote, url = drive_remotes(page_size, limiter)
            rates: dict[str, float] = {}
            return Harness(remote, inject=lambda fault: inject(url, rates, fault),
                           api_calls=lambda: admin(url, "calls")["total"])
        return make
