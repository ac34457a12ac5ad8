"""The contract every remote passes (MemoryRemote, Flickr and Drive against their emulators).

In the spirit of vdirsyncer's ``StorageTests`` and rclone's fstests: one base class of tests, and
per backend a ~15-line subclass that provides one fixture, ``make_remote``::

    class TestMemory(RemoteContract):
        @pytest.fixture
        def make_remote(self):
            def make(page_size: int = 50, limiter: RateLimiter | None = None) -> Harness:
                remote = MemoryRemote(page_size=page_size, limiter=limiter)
                return Harness(remote, inject=remote.inject,
                               api_calls=lambda: sum(remote.calls.values()))
            return make

``make`` returns a fresh remote on a fresh (empty) account each time. ``page_size`` is a hint for
the backend's page size (per_page / pageSize) so pagination is exercised with few items;
``limiter`` must be handed to the backend, which calls it before every request. ``inject`` takes
a :class:`Fault`; the suite uses: ``Fault(method, times=1)`` (the next call of that protocol
method fails before it takes effect), ``Fault("upload", lost_response=True)`` (stored, then the
answer is lost), and ``Fault("*"/method, rate=r, seed=s[, lost_response])`` (random faults).
``api_calls()`` is the number of requests the service has received so far.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import pytest
from wand.image import Image

from photosync.emulators.images import make_image
from photosync.errors import Conflict, NotFound, TransientError
from photosync.remotes.base import Remote, RemoteItem, changes_since, list_all
from photosync.remotes.faults import Fault
from photosync.remotes.files import safe_destination
from photosync.atomic import is_partial
from photosync.remotes.names import remote_extension
from photosync.remotes.pace import RateLimiter
from photosync.remotes.pool import run_pool
from photosync.remotes.retry import RetryingRemote
from tests.media_files import make_video, pad_video

__all__ = ["Fault", "FakeClock", "Harness", "RemoteContract"]


@dataclass
class Harness:
    """What a backend's glue hands the suite: the remote and its two test seams."""

    remote: Remote
    inject: Callable[[Fault], None]
    api_calls: Callable[[], int]


class FakeClock:
    """A clock that only moves when someone sleeps: rate limits and backoff tested in no time."""

    def __init__(self, start: float = 1000.0):
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(0.0, seconds)


class RecordingLimiter(RateLimiter):
    """A limiter that notes the (fake) time of every request it lets through."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.times: list[float] = []

    def acquire(self) -> None:
        super().acquire()
        self.times.append(self.clock())


@dataclass(frozen=True)
class Photo:
    path: Path
    signature: str
    date_taken: datetime

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()


def patient(remote: Remote) -> RetryingRemote:
    """The retry wrapper with instant sleeps and enough attempts to ride out a 20% fault rate."""
    return RetryingRemote(remote, attempts=12, initial=0.01, maximum=0.05, give_up_after=1000,
                          sleep=lambda _s: None)


class RemoteContract:
    """Subclass with a ``make_remote`` fixture (see the module docstring)."""

    # -- fixtures and helpers --------------------------------------------------------------
    @pytest.fixture
    def h(self, make_remote) -> Harness:
        return make_remote()

    @pytest.fixture
    def photo(self, tmp_path: Path) -> Callable[..., Photo]:
        folder = tmp_path / "local"
        folder.mkdir()

        def make(seed: int, name: str | None = None) -> Photo:
            taken = datetime(2021, 5, 1 + seed % 28, 10, seed % 60, 7)
            data = make_image(f"contract-{seed}", date_taken=taken)
            path = folder / (name or f"photo-{seed}.jpg")
            path.write_bytes(data)
            with Image(blob=data) as img:
                return Photo(path, img.signature, taken)
        return make

    @pytest.fixture
    def video(self, tmp_path: Path) -> Callable[..., Photo]:
        """A real small MP4 (or MOV) made by ffmpeg; its sync key is its bytes' SHA-256."""
        def make(seed: int, name: str | None = None, size: int | None = None) -> Photo:
            taken = datetime(2021, 5, 1 + seed % 28, 10, seed % 60, 7)
            path = make_video(tmp_path / "videos" / (name or f"clip-{seed}.mp4"), seed, taken)
            if size is not None:
                pad_video(path, size)
            sha = hashlib.sha256()
            with open(path, "rb") as fh:
                while chunk := fh.read(4 << 20):
                    sha.update(chunk)
            return Photo(path, sha.hexdigest(), taken)
        return make

    @staticmethod
    def by_signature(remote: Remote) -> dict[str, RemoteItem]:
        return {item.signature: item for item in list_all(remote).items if item.signature}

    # -- round trip and listings -----------------------------------------------------------
    def test_round_trip_is_byte_identical(self, h: Harness, photo, tmp_path: Path) -> None:
        p = photo(1)
        item = h.remote.upload(p.path, p.path.name, None, p.signature)
        assert item.name in (p.path.name, p.path.stem)
        assert item.signature == p.signature
        assert item.media == "photo"
        assert item.size in (None, len(p.data))
        if "md5" in h.remote.capabilities.hashes:
            assert item.md5 == hashlib.md5(p.data).hexdigest()
        dest = h.remote.download(item.id, tmp_path / "down" / "copy.jpg")
        assert dest.read_bytes() == p.data

    def test_videos_round_trip_with_their_key(self, h: Harness, video, tmp_path: Path) -> None:
        clip = video(1, "IMG_0001.MOV")
        item = h.remote.upload(clip.path, clip.path.name, None, clip.signature)
        assert item.signature == clip.signature and item.media == "video"
        listed = self.by_signature(h.remote)[clip.signature]
        assert listed.id == item.id and listed.media == "video"
        if "md5" in h.remote.capabilities.hashes:
            assert listed.md5 == hashlib.md5(clip.data).hexdigest()
        assert [i.id for i in h.remote.find_by_signature(clip.signature)] == [item.id]
        dest = h.remote.download(item.id, tmp_path / "down" / f"copy.{remote_extension(listed)}")
        assert dest.read_bytes() == clip.data

    def test_a_big_video_interrupted_and_retried_is_stored_once(self, h: Harness, video) -> None:
        """200 MB cut off after it was stored (the answer lost), then sent again: one item."""
        clip = video(2, size=200 * 1024 * 1024)
        h.inject(Fault("upload", lost_response=True))
        item = patient(h.remote).upload(clip.path, clip.path.name, None, clip.signature)
        listed = list_all(h.remote).items
        assert [i.id for i in listed] == [item.id] and listed[0].signature == clip.signature
        assert listed[0].size in (None, 200 * 1024 * 1024)

    def test_listing_shows_uploads_with_their_metadata(self, h: Harness, photo) -> None:
        assert list_all(h.remote).items == []
        photos = [photo(i) for i in range(3)]
        ids = {h.remote.upload(p.path, p.path.name, None, p.signature).id for p in photos}
        listed = list_all(h.remote).items
        assert {i.id for i in listed} == ids
        for p in photos:
            item = self.by_signature(h.remote)[p.signature]
            assert item.date_taken == p.date_taken and item.date_taken_known
            assert item.size in (None, len(p.data))
            assert item.updated > 0

    def test_listing_pages_cover_everything_once(self, make_remote, photo) -> None:
        h = make_remote(page_size=3)
        photos = [photo(i) for i in range(8)]
        for p in photos:
            h.remote.upload(p.path, p.path.name, None, p.signature)
        before = h.api_calls()
        listed = list_all(h.remote).items
        assert h.api_calls() - before >= 3  # ceil(8 / 3) pages
        assert sorted(i.signature for i in listed) == sorted(p.signature for p in photos)
        assert len({i.id for i in listed}) == 8

    # -- change feed -----------------------------------------------------------------------
    def test_changes_report_uploads_retags_and_deletions(self, h: Harness, photo) -> None:
        a, b, c = photo(1), photo(2), photo(3)
        item_b = h.remote.upload(b.path, b.path.name, None, b.signature)
        item_c = h.remote.upload(c.path, c.path.name, None, c.signature)
        cursor = list_all(h.remote).cursor
        item_a = h.remote.upload(a.path, a.path.name, None, a.signature)
        h.remote.set_signature(item_b.id, "f" * 64)
        h.remote.delete(item_c.id)
        changes = changes_since(h.remote, cursor)
        changed = {i.id: i for i in changes.changed}
        assert item_a.id in changed
        assert changed[item_b.id].signature == "f" * 64
        assert item_c.id not in changed
        if h.remote.capabilities.changes_report_deletions:
            assert changes.removed_ids == [item_c.id]
        again = changes_since(h.remote, changes.cursor)
        assert again.changed == [] and again.removed_ids == []

    def test_changes_report_replaced_content(self, h: Harness, photo) -> None:
        if not h.remote.capabilities.replace_in_place:
            pytest.skip("no replace in place")
        a, a2 = photo(1), photo(2, name="photo-1-edited.jpg")
        item = h.remote.upload(a.path, a.path.name, None, a.signature)
        cursor = list_all(h.remote).cursor
        h.remote.replace(item.id, a2.path, a2.signature)
        changed = {i.id: i for i in changes_since(h.remote, cursor).changed}
        assert changed[item.id].signature == a2.signature
        assert changed[item.id].size in (None, len(a2.data))

    # -- signatures ------------------------------------------------------------------------
    def test_find_by_signature(self, h: Harness, photo) -> None:
        a, b = photo(1), photo(2)
        item_a = h.remote.upload(a.path, a.path.name, None, a.signature)
        h.remote.upload(b.path, b.path.name, None, b.signature)
        assert [i.id for i in h.remote.find_by_signature(a.signature)] == [item_a.id]
        assert h.remote.find_by_signature("0" * 64) == []

    def test_retag_replaces_the_signature(self, h: Harness, photo) -> None:
        a = photo(1)
        item = h.remote.upload(a.path, a.path.name, None, a.signature)
        new = "e" * 64
        h.remote.set_signature(item.id, new)
        h.remote.set_signature(item.id, new)  # idempotent
        assert [i.id for i in h.remote.find_by_signature(new)] == [item.id]
        assert h.remote.find_by_signature(a.signature) == []
        assert self.by_signature(h.remote)[new].id == item.id

    def test_replace_keeps_id_and_albums(self, h: Harness, photo, tmp_path: Path) -> None:
        if not h.remote.capabilities.replace_in_place:
            pytest.skip("no replace in place")
        a, a2 = photo(1), photo(2, name="other.jpg")
        item = h.remote.upload(a.path, a.path.name, "Trip", a.signature)
        replaced = h.remote.replace(item.id, a2.path, a2.signature)
        assert replaced.id == item.id and replaced.signature == a2.signature
        listed = self.by_signature(h.remote)[a2.signature]
        assert listed.id == item.id
        if h.remote.capabilities.albums:
            assert "Trip" in listed.albums
        assert h.remote.download(item.id, tmp_path / "r.jpg").read_bytes() == a2.data

    # -- deletion and missing items -------------------------------------------------------------
    def test_delete_and_not_found(self, h: Harness, photo, tmp_path: Path) -> None:
        a = photo(1)
        item = h.remote.upload(a.path, a.path.name, None, a.signature)
        h.remote.delete(item.id)
        assert list_all(h.remote).items == []
        with pytest.raises(NotFound):
            h.remote.delete(item.id)
        with pytest.raises(NotFound):
            h.remote.download(item.id, tmp_path / "gone.jpg")
        with pytest.raises(NotFound):
            h.remote.set_signature(item.id, "d" * 64)
        assert not (tmp_path / "gone.jpg").exists()

    # -- albums -----------------------------------------------------------------------------
    def test_album_lifecycle(self, h: Harness, photo) -> None:
        if not h.remote.capabilities.albums:
            pytest.skip("no albums")
        a, b = photo(1), photo(2)
        item_a = h.remote.upload(a.path, a.path.name, None, a.signature)
        item_b = h.remote.upload(b.path, b.path.name, None, b.signature)
        album = h.remote.create_album("Trip", item_a.id)
        assert album.owned_by_us and album.title == "Trip" and album.item_ids == (item_a.id,)
        h.remote.add_to_album(album.id, item_b.id)
        h.remote.add_to_album(album.id, item_b.id)  # idempotent
        assert self.album(h, album.id).item_ids == (item_a.id, item_b.id)
        assert all("Trip" in i.albums for i in list_all(h.remote).items)
        if h.remote.capabilities.ordered_albums:
            h.remote.reorder_album(album.id, [item_b.id, item_a.id])
            assert self.album(h, album.id).item_ids == (item_b.id, item_a.id)
        h.remote.remove_from_album(album.id, item_a.id)
        assert self.album(h, album.id).item_ids == (item_b.id,)
        assert "Trip" not in self.by_signature(h.remote)[a.signature].albums
        h.remote.delete_album(album.id)
        assert album.id not in {x.id for x in h.remote.list_albums()}
        assert {i.id for i in list_all(h.remote).items} == {item_a.id, item_b.id}

    def test_upload_into_album_creates_it_once(self, h: Harness, photo) -> None:
        if not h.remote.capabilities.albums:
            pytest.skip("no albums")
        a, b = photo(1), photo(2)
        item_a = h.remote.upload(a.path, a.path.name, "2021/Trip", a.signature)
        item_b = h.remote.upload(b.path, b.path.name, "2021/Trip", b.signature)
        assert "2021/Trip" in item_a.albums
        albums = [x for x in h.remote.list_albums() if x.title == "2021/Trip"]
        assert len(albums) == 1 and albums[0].owned_by_us
        assert set(albums[0].item_ids) == {item_a.id, item_b.id}

    def test_album_membership_follows_exclusive_albums(self, h: Harness, photo) -> None:
        """Exclusive (Drive folders): joining an album leaves the old one. Otherwise (Flickr
        sets): the item is in both, and leaving one keeps it in the other."""
        if not h.remote.capabilities.albums:
            pytest.skip("no albums")
        a = photo(1)
        item = h.remote.upload(a.path, a.path.name, "One", a.signature)
        other = h.remote.create_album("Two", item.id)
        assert other.item_ids == (item.id,)
        albums = self.by_signature(h.remote)[a.signature].albums
        if h.remote.capabilities.exclusive_albums:
            assert albums == ("Two",)
            return
        assert sorted(albums) == ["One", "Two"]
        one = next(x for x in h.remote.list_albums() if x.title == "One")
        h.remote.add_to_album(one.id, item.id)  # already there: a no-op
        h.remote.remove_from_album(other.id, item.id)
        assert self.by_signature(h.remote)[a.signature].albums == ("One",)
        assert self.album(h, one.id).item_ids == (item.id,)

    def test_edit_album_adds_and_orders_keeping_other_members(self, h: Harness, photo) -> None:
        """One edit adds the missing photos and orders the album; a member the edit does not
        name (someone else's) stays, after them."""
        if not h.remote.capabilities.albums:
            pytest.skip("no albums")
        a, b, c = (h.remote.upload(p.path, p.path.name, None, p.signature)
                   for p in (photo(1), photo(2), photo(3)))
        album = h.remote.create_album("Trip", a.id)
        h.remote.add_to_album(album.id, b.id)  # not ours to order: it must stay
        h.remote.edit_album(album.id, [c.id, a.id])
        h.remote.edit_album(album.id, [c.id, a.id])  # idempotent
        members = self.album(h, album.id).item_ids
        if h.remote.capabilities.ordered_albums:
            assert members == (c.id, a.id, b.id)
        else:
            assert sorted(members) == sorted((a.id, b.id, c.id))

    @staticmethod
    def album(h: Harness, album_id: str):
        return next(x for x in h.remote.list_albums() if x.id == album_id)

    # -- the local side of downloads ---------------------------------------------------------
    UNSAFE = ["../../escape.jpg", "a/b\\c.jpg", "CON.jpg", ".hidden.jpg", "tab\tand\x01ctl.jpg",
              "日本語 фото.jpg", "x" * 300 + ".jpg", "..", "  "]

    def test_unsafe_names_download_inside_the_root(self, h: Harness, photo, tmp_path: Path) -> None:
        root = tmp_path / "library"
        root.mkdir()
        album = "../../outside" if h.remote.capabilities.albums else None
        for n, name in enumerate(self.UNSAFE):
            p = photo(n)
            h.remote.upload(p.path, name, album, p.signature)
        before = set(tmp_path.iterdir())
        for item in list_all(h.remote).items:
            folders = item.albums[0].split("/") if item.albums else []
            assert remote_extension(item) in ("jpg", "jpeg")
            dest = safe_destination(root, folders, item.name, remote_extension(item))
            h.remote.download(item.id, dest)
            assert dest.resolve().is_relative_to(root.resolve())
            assert len(dest.name.encode()) <= 255
        assert set(tmp_path.iterdir()) == before
        written = [f for f in root.rglob("*") if f.is_file()]
        assert len(written) == len(self.UNSAFE)

    def test_download_never_overwrites_unless_asked(self, h: Harness, photo, tmp_path: Path) -> None:
        a = photo(1)
        item = h.remote.upload(a.path, a.path.name, None, a.signature)
        dest = tmp_path / "existing.jpg"
        dest.write_bytes(b"precious")
        with pytest.raises(Conflict):
            h.remote.download(item.id, dest)
        assert dest.read_bytes() == b"precious"
        h.remote.download(item.id, dest, overwrite=True)
        assert dest.read_bytes() == a.data
        assert not any(is_partial(f.name) for f in tmp_path.iterdir())

    def test_failed_download_leaves_nothing(self, h: Harness, photo, tmp_path: Path) -> None:
        a = photo(1)
        item = h.remote.upload(a.path, a.path.name, None, a.signature)
        h.inject(Fault("download"))
        dest = tmp_path / "new" / "folder" / "a.jpg"
        with pytest.raises(TransientError):
            h.remote.download(item.id, dest)
        assert not (tmp_path / "new").exists()
        assert patient(h.remote).download(item.id, dest).read_bytes() == a.data

    # -- failures: no partial items, no duplicates ------------------------------------------
    def test_interrupted_upload_leaves_no_item(self, h: Harness, photo) -> None:
        a = photo(1)
        h.inject(Fault("upload"))
        with pytest.raises(TransientError):
            h.remote.upload(a.path, a.path.name, None, a.signature)
        assert list_all(h.remote).items == []
        h.inject(Fault("upload"))
        item = patient(h.remote).upload(a.path, a.path.name, None, a.signature)
        assert [i.id for i in list_all(h.remote).items] == [item.id]

    def test_lost_upload_response_is_not_duplicated(self, h: Harness, photo) -> None:
        a = photo(1)
        album = "Trip" if h.remote.capabilities.albums else None
        h.inject(Fault("upload", lost_response=True))
        item = patient(h.remote).upload(a.path, a.path.name, album, a.signature)
        listed = list_all(h.remote).items
        assert [i.id for i in listed] == [item.id]
        if album:
            assert album in listed[0].albums

    def test_fault_rate_reaches_the_same_end_state(self, make_remote, photo, tmp_path) -> None:
        photos = [photo(i) for i in range(6)]
        clean = make_remote()
        faulty = make_remote()
        faulty.inject(Fault("upload", rate=0.2, seed=3, lost_response=True))
        faulty.inject(Fault("*", rate=0.2, seed=11))
        states = [self.scenario(patient(x.remote), photos, tmp_path / str(n))
                  for n, x in enumerate((clean, faulty))]
        assert states[0] == states[1]

    def scenario(self, remote: Remote, photos: list[Photo], out: Path) -> list[tuple]:
        """A little of everything; returns the end state as comparable data."""
        albums = remote.capabilities.albums
        items = [remote.upload(p.path, p.path.name, "Trip" if albums and n < 3 else None,
                               p.signature) for n, p in enumerate(photos)]
        remote.set_signature(items[0].id, "a" * 64)
        remote.delete(items[1].id)
        if remote.capabilities.replace_in_place:
            remote.replace(items[2].id, photos[1].path, photos[1].signature)
        if albums:
            remote.create_album("Best", items[4].id)
            remote.add_to_album(next(a.id for a in remote.list_albums() if a.title == "Best"),
                                items[5].id)
        state = []
        for item in list_all(remote).items:
            data = remote.download(item.id, out / f"{item.id}.jpg").read_bytes()
            state.append((item.name, item.signature, hashlib.md5(data).hexdigest(),
                          tuple(sorted(item.albums))))
        return sorted(state)

    # -- pacing and concurrency ------------------------------------------------------------------
    def test_rate_limit_is_respected(self, make_remote, photo) -> None:
        clock = FakeClock()
        limiter = RecordingLimiter(5.0, burst=2, clock=clock, sleep=clock.sleep)
        h = make_remote(page_size=2, limiter=limiter)
        start = h.api_calls()
        for n in range(4):
            p = photo(n)
            h.remote.upload(p.path, p.path.name, None, p.signature)
        list_all(h.remote)
        h.remote.find_by_signature("0" * 64)
        assert limiter.acquired >= h.api_calls() - start > 0  # every request went through it
        for t in limiter.times:  # at most burst + rate * 1 s in any one-second window
            assert sum(1 for u in limiter.times if t <= u < t + 1.0) <= 2 + 5

    def test_concurrent_uploads(self, h: Harness, photo) -> None:
        photos = [photo(i) for i in range(8)]
        outcomes = list(run_pool(photos, lambda p: h.remote.upload(p.path, p.path.name, None,
                                                                   p.signature), workers=4))
        assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
        assert len({o.result.id for o in outcomes}) == 8
        assert sorted(self.by_signature(h.remote)) == sorted(p.signature for p in photos)
