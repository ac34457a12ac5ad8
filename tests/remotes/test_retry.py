"""RetryingRemote: what is retried, how long it waits, and lost responses never doubling work."""

from __future__ import annotations

from pathlib import Path

import pytest

from photosync.emulators.images import make_image
from photosync.errors import (AuthorizationNeeded, ItemError, NotFound, RemoteUnavailable,
                              TransientError)
from photosync.remotes.base import list_all
from photosync.remotes.faults import Fault
from photosync.remotes.memory import MemoryRemote
from photosync.remotes.pace import RateLimiter
from photosync.remotes.retry import RetryingRemote

from .contract import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def memory(clock: FakeClock) -> MemoryRemote:
    return MemoryRemote(limiter=RateLimiter(None, clock=clock, sleep=clock.sleep))


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "p.jpg"
    path.write_bytes(make_image("retry"))
    return path


def wrap(remote, clock: FakeClock, **kwargs) -> RetryingRemote:
    return RetryingRemote(remote, sleep=clock.sleep, **kwargs)


def test_transient_errors_are_retried_with_growing_jittered_waits(memory, clock) -> None:
    memory.inject(Fault("list_albums", times=5))
    assert wrap(memory, clock, initial=1.0, maximum=60.0).list_albums() == []
    assert memory.calls["list_albums"] == 6
    assert len(clock.sleeps) == 5
    assert all(0 <= s <= min(60.0, 2 ** n) for n, s in enumerate(clock.sleeps, start=1))
    assert len(set(clock.sleeps)) > 1  # jitter


def test_retry_after_is_a_minimum_and_holds_the_limiter(memory, clock) -> None:
    memory.inject(Fault("list_albums", retry_after=30.0))
    wrap(memory, clock, initial=0.01, maximum=0.1).list_albums()
    assert clock.sleeps[0] == 30.0
    start = clock.now
    memory.limiter.hold(5.0)
    memory.limiter.acquire()
    assert clock.now == start + 5.0


class Refusing:
    """A remote whose every call fails with one given error (counting calls)."""

    def __init__(self, error: Exception):
        self.name, self.error, self.calls = "refusing", error, 0
        base = MemoryRemote()
        self.capabilities, self.limiter = base.capabilities, base.limiter

    def list_albums(self):
        self.calls += 1
        raise self.error


@pytest.mark.parametrize("error", [AuthorizationNeeded("token revoked"), ItemError("too big"),
                                   NotFound("gone")])
def test_permanent_errors_are_not_retried(clock, error) -> None:
    remote = Refusing(error)
    with pytest.raises(type(error)):
        wrap(remote, clock).list_albums()
    assert remote.calls == 1 and clock.sleeps == []


def test_exhausted_retries_raise_the_last_error_then_the_remote_is_unavailable(clock) -> None:
    remote = Refusing(TransientError("503"))
    retrying = wrap(remote, clock, attempts=3, give_up_after=2)
    with pytest.raises(TransientError):
        retrying.list_albums()
    assert remote.calls == 3
    with pytest.raises(RemoteUnavailable):
        retrying.list_albums()
    with pytest.raises(RemoteUnavailable):  # no more requests to a remote that is down
        retrying.list_albums()
    assert remote.calls == 6


def test_a_success_resets_the_failure_count(memory, clock) -> None:
    retrying = wrap(memory, clock, attempts=2, give_up_after=2)
    memory.inject(Fault("list_albums", times=2))
    with pytest.raises(TransientError):
        retrying.list_albums()
    retrying.list_albums()
    memory.inject(Fault("list_albums", times=2))
    with pytest.raises(TransientError):
        retrying.list_albums()


def test_lost_upload_is_found_by_signature_not_sent_again(memory, clock, photo) -> None:
    memory.inject(Fault("upload", lost_response=True))
    item = wrap(memory, clock).upload(photo, "p.jpg", "Trip", "sig")
    assert memory.calls["upload"] == 1 and memory.calls["find_by_signature"] == 1
    assert [i.id for i in list_all(memory).items] == [item.id]
    assert item.albums == ("Trip",)


def test_upload_failing_before_storing_is_sent_again(memory, clock, photo) -> None:
    memory.inject(Fault("upload", times=2))
    item = wrap(memory, clock).upload(photo, "p.jpg", None, "sig")
    assert memory.calls["upload"] == 3
    assert [i.id for i in list_all(memory).items] == [item.id]


def test_failing_lookup_never_leads_to_a_blind_upload(memory, clock, photo) -> None:
    memory.inject(Fault("upload", lost_response=True))
    memory.inject(Fault("find_by_signature", times=2))
    wrap(memory, clock).upload(photo, "p.jpg", None, "sig")
    assert memory.calls["upload"] == 1
    assert len(list_all(memory).items) == 1


class AlbumStepLost(MemoryRemote):
    """An upload that is stored but whose album step never happened (Flickr: two requests)."""

    def upload(self, path, name, album, signature):
        super().upload(path, name, None, signature)
        raise TransientError("connection reset after the upload, before addPhoto")


def test_recovered_upload_is_put_into_its_album(clock, photo) -> None:
    remote = AlbumStepLost()
    item = wrap(remote, clock).upload(photo, "p.jpg", "Trip", "sig")
    assert item.albums == ("Trip",)
    assert list_all(remote).items[0].albums == ("Trip",)
    assert [a.title for a in remote.list_albums()] == ["Trip"]


def test_lost_create_album_is_not_doubled(memory, clock, photo) -> None:
    item = memory.upload(photo, "p.jpg", None, "sig")
    memory.inject(Fault("create_album", lost_response=True))
    album = wrap(memory, clock).create_album("Trip", item.id)
    assert [a.id for a in memory.list_albums()] == [album.id]


def test_lost_delete_counts_as_done(memory, clock, photo) -> None:
    item = memory.upload(photo, "p.jpg", None, "sig")
    memory.inject(Fault("delete", lost_response=True))
    wrap(memory, clock).delete(item.id)
    assert list_all(memory).items == []
    with pytest.raises(NotFound):  # but a first-attempt NotFound is reported
        wrap(memory, clock).delete(item.id)


def test_pages_are_retried_one_by_one(clock, photo) -> None:
    memory = MemoryRemote(page_size=1)
    for n in range(3):
        memory.upload(photo, f"{n}.jpg", None, f"sig{n}")
    memory.inject(Fault("list_page", rate=0.5, seed=1))
    assert len(list_all(wrap(memory, clock, attempts=20)).items) == 3
    assert memory.faults.injected > 0


def test_on_retry_reports_each_retry(memory, clock) -> None:
    seen = []
    memory.inject(Fault("list_albums", times=2))
    wrap(memory, clock, on_retry=lambda m, e, d: seen.append((m, type(e)))).list_albums()
    assert seen == [("list_albums", TransientError)] * 2
