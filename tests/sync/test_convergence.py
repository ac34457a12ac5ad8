"""Hypothesis: random histories of local and remote changes with syncs in between.

Whatever happens, after a sync (keep policies): every local picture is on the remote, every
remote picture is in the library (unless that side deleted it since the last sync), a second sync
plans nothing, and no photo the test did not delete itself ever disappears from either side.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from photosync.config import parse
from photosync.emulators.images import make_image
from photosync.library.decode import decode_file
from photosync.remotes.base import list_all
from photosync.remotes.memory import MemoryRemote
from photosync.sync.run import SyncOptions, sync

FOLDERS = ["", "A", "A/sub", "B", "_hidden_title"]


def signature_of(data: bytes, tmp: Path) -> str:
    path = tmp / "probe.jpg"
    path.write_bytes(data)
    return decode_file(str(path)).signature


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

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _local_files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*.jpg") if ".photosync-trash" not in p.parts)

    def _sync(self):
        report = sync(self.config, SyncOptions(remotes=[self.remote.name]), factory=lambda n, c: self.remote)
        assert report.exit_code == 0, [(o.action, o.error) for r in report.remotes for o in r.outcomes]
        return report

    @rule(folder=st.sampled_from(FOLDERS))
    def add_local(self, folder: str) -> None:
        self.counter += 1
        target = self.root / folder / f"p{self.counter}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(make_image(f"local-{self.counter}"))

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
    @rule(data=st.data())
    def edit_local(self, data) -> None:
        self.counter += 1
        target = data.draw(st.sampled_from(self._local_files()))
        target.write_bytes(make_image(f"edit-{self.counter}"))

    @precondition(lambda self: len(self._local_files()) > 1)  # an empty library is a safety stop
    @rule(data=st.data())
    def delete_local(self, data) -> None:
        data.draw(st.sampled_from(self._local_files())).unlink()

    @rule(album=st.sampled_from([None, "A", "Remote album"]))
    def add_remote(self, album: str | None) -> None:
        self.counter += 1
        self.seed_remote(make_image(f"remote-{self.counter}"), f"r{self.counter}.jpg", album)

    @precondition(lambda self: self.synced_once)
    @rule(data=st.data())
    def delete_remote(self, data) -> None:
        items = list_all(self.remote).items
        if len(items) > 1:  # a remote that lists empty is a safety stop
            victim = data.draw(st.sampled_from(sorted(items, key=lambda i: i.id)))
            self.deleted_remote_sigs.add(self._sig(victim))
            self.remote.delete(victim.id)

    @rule()
    def sync_and_check(self) -> None:
        before_local = {p: p.read_bytes() for p in self._local_files()}
        before_remote = {i.id for i in list_all(self.remote).items}
        self._sync()
        self.synced_once = True
        # nothing disappeared, nothing was overwritten
        for path, data in before_local.items():
            assert path.exists() and path.read_bytes() == data, path
        after_remote = {i.id for i in list_all(self.remote).items}
        assert before_remote <= after_remote
        # converged: the same set of pictures on both sides, except the kept deletions
        local_sigs = {decode_file(str(p)).signature for p in self._local_files()}
        remote_sigs = {self._sig(i) for i in list_all(self.remote).items}
        missing = local_sigs - remote_sigs - self.deleted_remote_sigs
        assert not missing, missing
        # albums follow folders: each local photo's remote copy is in the album of its folder
        # (a user's own album of the same title is reported and left alone, so it is not checked)
        foreign = {a.title for a in self.remote.list_albums() if not a.owned_by_us}
        albums = {a.title: set(a.item_ids) for a in self.remote.list_albums() if a.owned_by_us}
        by_sig = {}
        for i in list_all(self.remote).items:
            by_sig.setdefault(self._sig(i), set()).add(i.id)
        firsts: dict[str, Path] = {}  # duplicates: the photo's album is its first path's folder
        for path in self._local_files():
            firsts.setdefault(decode_file(str(path)).signature, path)
        for path in firsts.values():
            folder = path.parent.relative_to(self.root).as_posix()
            album = "/".join(p for p in folder.split("/") if p not in ("", ".") and not p.startswith("_")) or None
            sig = decode_file(str(path)).signature
            if album and album not in foreign and album != self.download_dir and sig in by_sig \
                    and sig not in self.deleted_remote_sigs:
                assert by_sig[sig] & albums.get(album, set()), (path, album, albums)
        # a second sync right after plans nothing
        report = self._sync()
        busy = [a for r in report.remotes for a in (r.plan.actions if r.plan else []) if a.kind != "skip"]
        relinks = [p for r in report.remotes for p in (r.plan.relink if r.plan else [])]
        assert busy == [] and relinks == [], (busy, relinks)

    def _sig(self, item) -> str:
        return item.signature or signature_of(self.content(item.id), self.tmp)


TestSyncMachine = SyncMachine.TestCase
TestSyncMachine.settings = settings(max_examples=20, stateful_step_count=10, deadline=None,
                                    derandomize=True,
                                    suppress_health_check=list(HealthCheck))
