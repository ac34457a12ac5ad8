"""Hypothesis: random histories of local and remote changes with syncs in between.

Whatever happens, after a sync (keep policies): every local picture is on the remote, every
remote picture is in the library (unless that side deleted it since the last sync), a second sync
plans nothing, no photo the test did not delete itself ever disappears from either side, a local
file is only ever overwritten by a remote edit (its old version then waits in the trash), and the
plan does not depend on the order the remote lists its items in. Syncs with injected faults may
fail items, but lose or double nothing, and the next clean sync converges. Albums: after every
sync each paired remote photo sits in exactly the album of its local file (copies elsewhere are
no move), and no ``delete_album`` is planned for a folder that still holds a photo or, where
albums are folders (Drive), an album folder below it.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from photosync.config import parse
from photosync.emulators.images import make_image
from photosync.library.decode import decode_file
from photosync.library.rules import album_for, compile_rules, media_for
from photosync.remotes.base import Page, list_all
from photosync.remotes.faults import Fault
from photosync.remotes.memory import MemoryRemote
from photosync.state.db import open_db
from photosync.state.pairs import load_pairs
from photosync.sync.run import SyncOptions, sync
from tests.media_files import make_video

# "0 copies" sorts before the others; "2023" holds only album folders (issue 15)
FOLDERS = ["", "A", "A/sub", "B", "_hidden_title", "0 copies", "2023/Summer"]
PARENTS = ["", "2026", "A", "2023"]  # where folder moves put a folder


def signature_of(data: bytes, tmp: Path, name: str = "probe.jpg") -> str:
    """The sync key of ``data`` as a file called ``name``: a photo's pixel signature, a video's
    SHA-256 (issue 19)."""
    return key_of(tmp / f"probe{Path(name).suffix}", data)


def key_of(path: Path, data: bytes | None = None) -> str:
    if data is not None:
        path.write_bytes(data)
    decoded = decode_file(str(path), media_for(path.name))
    return decoded.signature or decoded.sha256


def content_for(name: str, seed: str, tmp: Path) -> bytes:
    """New bytes for a file called ``name``: a generated photo, or a real video (ffmpeg)."""
    if not name.endswith(".mp4"):
        return make_image(seed)
    return make_video(tmp / f"made-{seed}.mp4", seed).read_bytes()


class SyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="photosync-hyp-"))
        self.root = self.tmp / "lib"
        self.root.mkdir()
        self.config = parse(f"library:\n  root: {self.root}\nstate_dir: {self.tmp / 'state'}\n",
                            self.tmp / "config.yaml")
        self.remote = self.make_remote()
        self.download_dir = "Downloads"
        self.counter = 0
        self.synced_once = False
        self.deleted_remote_sigs: set[str] = set()  # kept locally by on_remote_delete: keep

    def make_remote(self):
        return MemoryRemote(page_size=3)

    def seed_remote(self, data: bytes, name: str, album: str | None) -> None:
        """A photo added on the remote by someone else (in a user's album)."""
        self.remote.seed(data, name, albums=(album,) if album else ())

    def content(self, item_id: str) -> bytes:
        return self.remote.content(item_id)

    def move_remote_item(self, item_id: str, album: str) -> None:
        """The user puts a photo in an album of their own on the remote."""
        self.remote.seed_album(album, [item_id])

    def start_faults(self, seed: int) -> None:
        """About one request in five fails from now on (some after the work was done)."""
        self.remote.inject(Fault("*", rate=0.1, seed=seed))
        self.remote.inject(Fault("*", rate=0.1, seed=seed + 1, lost_response=True))

    def stop_faults(self) -> None:
        self.remote.faults.clear()

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _local_files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*") if p.suffix in (".jpg", ".mp4")
                      and ".photosync-trash" not in p.parts)

    def _sync(self, expect: tuple[int, ...] = (0,), remote=None, **options):
        remote = remote or self.remote
        report = sync(self.config, SyncOptions(remotes=[self.remote.name], **options),
                      factory=lambda n, c: remote)
        assert report.exit_code in expect, [(o.action, o.error) for r in report.remotes for o in r.outcomes]
        return report

    def _local_bytes(self) -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in self._local_files()}

    def _trash(self) -> set[bytes]:
        return {p.read_bytes() for p in (self.root / ".photosync-trash").rglob("*") if p.is_file()}

    def _check_nothing_lost(self, before_local: dict[Path, bytes], before_remote: set[str]) -> None:
        """No local file gone; one changed only by a remote edit, its old bytes in the trash."""
        trash = self._trash()
        for path, data in before_local.items():
            assert path.exists(), path
            assert path.read_bytes() == data or data in trash, path
        after_remote = {i.id for i in list_all(self.remote).items}
        assert before_remote <= after_remote

    @rule(folder=st.sampled_from(FOLDERS))
    def add_local(self, folder: str) -> None:
        self.counter += 1
        target = self.root / folder / f"p{self.counter}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(make_image(f"local-{self.counter}"))

    @rule(folder=st.sampled_from(FOLDERS))
    def add_local_video(self, folder: str) -> None:
        self.counter += 1
        target = self.root / folder / f"v{self.counter}.mp4"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content_for(target.name, f"local-video-{self.counter}", self.tmp))

    @precondition(lambda self: self._local_files())
    @rule(data=st.data(), folder=st.sampled_from(FOLDERS))
    def move_local(self, data, folder: str) -> None:
        source = data.draw(st.sampled_from(self._local_files()))
        target = self.root / folder / source.name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            source.rename(target)

    @precondition(lambda self: self._local_files())
    @rule(data=st.data())
    def duplicate_local(self, data) -> None:
        source = data.draw(st.sampled_from(self._local_files()))
        shutil.copyfile(source, source.with_name(f"copy-{source.name}"))

    @precondition(lambda self: self._local_files())
    @rule(data=st.data(), folder=st.sampled_from(FOLDERS))
    def copy_local(self, data, folder: str) -> None:
        """``cp -p`` into another folder: the original stays where it is (issue 15.1)."""
        source = data.draw(st.sampled_from(self._local_files()))
        self.counter += 1
        target = self.root / folder / f"{source.stem} copy{self.counter}{source.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)

    @precondition(lambda self: self._local_folders())
    @rule(data=st.data(), parent=st.sampled_from(PARENTS))
    def move_folder(self, data, parent: str) -> None:
        """``mv Solo 2026/``: a whole folder (with its subfolders) under another parent."""
        source = data.draw(st.sampled_from(self._local_folders()))
        target = self.root / parent / source.name
        if not target.exists() and source not in target.parents:
            target.parent.mkdir(parents=True, exist_ok=True)
            source.rename(target)

    def _local_folders(self) -> list[Path]:
        return sorted({p.parent for p in self._local_files()} - {self.root})

    @precondition(lambda self: self._local_files())
    @rule(data=st.data())
    def edit_local(self, data) -> None:
        self.counter += 1
        target = data.draw(st.sampled_from(self._local_files()))
        target.write_bytes(content_for(target.name, f"edit-{self.counter}", self.tmp))

    @precondition(lambda self: len(self._local_files()) > 1)  # an empty library is a safety stop
    @rule(data=st.data())
    def delete_local(self, data) -> None:
        data.draw(st.sampled_from(self._local_files())).unlink()

    @rule(album=st.sampled_from([None, "A", "Remote album"]))
    def add_remote(self, album: str | None) -> None:
        self.counter += 1
        self.seed_remote(make_image(f"remote-{self.counter}"), f"r{self.counter}.jpg", album)

    @rule(album=st.sampled_from([None, "A"]))
    def add_remote_video(self, album: str | None) -> None:
        self.counter += 1
        name = f"rv{self.counter}.mp4"
        self.seed_remote(content_for(name, f"remote-video-{self.counter}", self.tmp), name, album)

    @precondition(lambda self: self.synced_once)
    @rule(data=st.data())
    def delete_remote(self, data) -> None:
        items = list_all(self.remote).items
        if len(items) > 1:  # a remote that lists empty is a safety stop
            victim = data.draw(st.sampled_from(sorted(items, key=lambda i: i.id)))
            self.deleted_remote_sigs.add(self._sig(victim))
            self.remote.delete(victim.id)

    @precondition(lambda self: self.synced_once)
    @rule(data=st.data())
    def edit_remote(self, data) -> None:
        """Another machine running photosync replaces a photo's content on the remote."""
        items = sorted(list_all(self.remote).items, key=lambda i: i.id)
        if not items:
            return
        victim = data.draw(st.sampled_from(items))
        self.counter += 1
        path = self.tmp / f"edit-{self.counter}.{'mp4' if victim.media == 'video' else 'jpg'}"
        path.write_bytes(content_for(path.name, f"remote-edit-{self.counter}", self.tmp))
        self.remote.replace(victim.id, path, key_of(path))
        path.unlink()

    @precondition(lambda self: self.synced_once)
    @rule(data=st.data())
    def duplicate_remote(self, data) -> None:
        items = sorted(list_all(self.remote).items, key=lambda i: i.id)
        if items:
            source = data.draw(st.sampled_from(items))
            self.counter += 1
            ext = "mp4" if source.media == "video" else "jpg"
            self.seed_remote(self.content(source.id), f"dup{self.counter}.{ext}", None)

    @precondition(lambda self: self.synced_once)
    @rule(data=st.data(), album=st.sampled_from(["Elsewhere", "A"]))
    def move_remote(self, data, album: str) -> None:
        items = sorted(list_all(self.remote).items, key=lambda i: i.id)
        if items:
            self.move_remote_item(data.draw(st.sampled_from(items)).id, album)

    @rule(seed=st.integers(0, 1000))
    def sync_with_faults(self, seed: int) -> None:
        """Requests fail at random: items may fail (exit 1), nothing is lost or doubled."""
        before_local, before_remote = self._local_bytes(), {i.id for i in list_all(self.remote).items}
        self.start_faults(seed)
        try:
            self._sync(expect=(0, 1, 4))
        finally:
            self.stop_faults()
        self._check_nothing_lost(before_local, before_remote)

    def _check_listing_order(self) -> None:
        """The same dry-run plan whether the remote lists its items forwards or backwards."""
        def actions(remote) -> list[tuple]:
            report = self._sync(expect=(0, 1), remote=remote, dry_run=True, full_listing=True)
            self._check_album_deletions(report)
            plan = report.remotes[0].plan
            return sorted((a.kind, a.path, a.remote_id, a.album, getattr(a, "members", getattr(
                a, "duplicates", ()))) for a in plan.actions) \
                + sorted(plan.messages) if plan else []
        assert actions(self.remote) == actions(_Reversed(self.remote))

    @rule()
    def sync_and_check(self) -> None:
        self._check_listing_order()
        before_local = self._local_bytes()
        before_remote = {i.id for i in list_all(self.remote).items}
        staying = {p.remote_id: p.path for p in self._pairs()
                   if self._holds(p.path, p.signature)}
        self._check_album_deletions(self._sync())
        self.synced_once = True
        # a photo whose own path still held its picture has not moved (copies elsewhere are
        # no move, whatever their paths sort as)
        moved = {p.remote_id: p.path for p in self._pairs()
                 if p.remote_id in staying and p.path != staying[p.remote_id]}
        assert not moved, (moved, staying)
        self._check_nothing_lost(before_local, before_remote)
        # converged: the same set of pictures on both sides, except the kept deletions
        local_sigs = {key_of(p) for p in self._local_files()}
        remote_sigs = {self._sig(i) for i in list_all(self.remote).items}
        missing = local_sigs - remote_sigs - self.deleted_remote_sigs
        assert not missing, missing
        self._check_albums()
        # a second sync right after plans nothing; it may only learn the content version of a
        # photo it uploaded (Flickr's upload answer has none: the listing tells it)
        unversioned = {p.remote_id: p for p in self._pairs() if p.version is None}
        report = self._sync()
        busy = [a for r in report.remotes for a in (r.plan.actions if r.plan else []) if a.kind != "skip"]
        relinks = [p for r in report.remotes for p in (r.plan.relink if r.plan else [])
                   if replace(p, version=None) != unversioned.get(p.remote_id)]
        assert busy == [] and relinks == [], (busy, relinks)

    def _album_of(self, path: str) -> str | None:
        """The album of a local file by the library's rules; None in the download folder."""
        album = album_for(compile_rules(self.config.library), tuple(path.split("/")[:-1]))
        return None if album == self.download_dir else album

    def _check_albums(self) -> None:
        """Each paired remote photo sits in exactly the album of its own local file, among the
        albums photosync made (a user's own album of the same title is reported and left alone,
        so a photo is then in none of ours)."""
        pairs = self._pairs()
        listed = self.remote.list_albums()
        ours = [a for a in listed if a.owned_by_us]
        foreign = {a.title for a in listed if not a.owned_by_us}
        for pair in pairs:
            assert self._holds(pair.path, pair.signature), pair
            album = self._album_of(pair.path)
            holding = {a.title for a in ours if pair.remote_id in a.item_ids}
            if album in foreign and album not in {a.title for a in ours}:
                assert holding == set(), (pair, holding)
            else:
                assert holding == ({album} if album else set()), (pair, holding)

    def _pairs(self) -> list:
        """The pairs in sync, from the state database."""
        if not (self.tmp / "state").exists():
            return []
        conn = open_db(self.tmp / "state")
        try:
            return [p for p in load_pairs(conn, self.remote.name) if p.status == "synced"]
        finally:
            conn.close()

    def _holds(self, path: str, signature: str) -> bool:
        local = self.root / path
        return local.is_file() and key_of(local) == signature

    def _check_album_deletions(self, report) -> None:
        """No album is deleted while its folder holds a photo; where albums are folders, none
        while an album folder lies below it."""
        local_albums = {self._album_of(p.relative_to(self.root).as_posix())
                        for p in self._local_files()}
        nested = {a.title for a in self.remote.list_albums()} | local_albums - {None}
        for action in report.remotes[0].plan.actions if report.remotes[0].plan else []:
            if action.kind != "delete_album":
                continue
            assert action.album not in local_albums, action
            if self.remote.capabilities.exclusive_albums:
                below = [t for t in nested if t.startswith(action.album + "/")]
                assert not below, (action, below)

    def _sig(self, item) -> str:
        name = "probe.mp4" if item.media == "video" else "probe.jpg"
        return item.signature or signature_of(self.content(item.id), self.tmp, name)


class _Reversed:
    """A remote whose full listing comes in the opposite order, in one page."""

    def __init__(self, inner):
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def list_page(self, token):
        listing = list_all(self._inner)
        return Page(list(reversed(listing.items)), None, listing.cursor)


TestSyncMachine = SyncMachine.TestCase
TestSyncMachine.settings = settings(max_examples=20, stateful_step_count=10, deadline=None,
                                    derandomize=True,
                                    suppress_health_check=list(HealthCheck))
