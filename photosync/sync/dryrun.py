"""``--dry-run``: the real executor with its I/O left out, so both reports come from one path.

Like restic's dry-run backend, each action here returns what the real one would (an upload a
remote item under a made-up id, a download the file name it would get and a pair) without
touching the remote or the library; the executor records it into the run's private in-memory
copy of the database as usual. The album phase then plans from those pairs, as after a real run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from photosync.remotes.base import Remote, RemoteItem
from photosync.sync.actions import AlbumKind, DeleteRemote, Pair, ReplaceRemote, Retag, Upload
from photosync.sync.execute import Done, Executor

NEW = "new:"  # the made-up id of a dry run's upload


@dataclass
class DryRun(Executor):
    """An executor that changes nothing outside the in-memory database."""

    def _upload(self, a: Upload) -> Done:
        exclusive = self.remote.capabilities.exclusive_albums
        item = RemoteItem(f"{NEW}{a.path}", a.name, a.size, a.md5, a.signature,
                          albums=(a.album,) if exclusive and a.album else ())
        return Done([Pair(item.id, a.signature, a.path, None, a.album)], items=[item])

    def _replace_remote(self, a: ReplaceRemote) -> Done:
        return Done([Pair(a.remote_id, a.signature, a.path, a.pair.version, a.album)])

    def _fetch(self, item: RemoteItem, dest: Path, overwrite: bool) -> str:
        """The picture a download would bring: the remote's tag, else one made up for it."""
        return item.signature or f"{NEW}{item.id}"

    def _delete_remote(self, a: DeleteRemote) -> Done:
        return Done(forget=[a.remote_id], removed=[a.remote_id])

    def _retag(self, a: Retag) -> Done:
        return Done()

    def _tag(self, remote_ids: tuple[str, ...], signature: str) -> None:
        return None

    def _to_trash(self, path: Path, keep: bool) -> Path:
        return path

    def _album_action(self, a: AlbumKind) -> None:
        return None


def read_only(backend: Remote) -> None:
    """A dry run leaves a backend's own cache files in state_dir (Flickr's album index) as they
    were: it changes nothing, not even a cache."""
    index = getattr(backend, "index", None)
    if index is not None and hasattr(index, "persist"):
        index.persist = False
