"""``--dry-run``: the real executor with its I/O left out, so both reports come from one path.

Like restic's dry-run backend, each action here returns what the real one would (an upload a
remote item under a made-up id, a download the file name it would get and a pair) without
touching the remote or the library; the executor records it into the run's private in-memory
copy of the database as usual. The album phase then plans from those pairs, as after a real run.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from photosync.remotes.base import Album, Remote, RemoteItem
from photosync.sync.actions import AlbumKind, DeleteRemote, Pair, ReplaceRemote, Retag, Upload
from photosync.sync.done import Done
from photosync.sync.execute import Executor

NEW = "new:"  # the made-up id of a dry run's upload


@dataclass
class DryRun(Executor):
    """An executor that changes nothing outside the in-memory database."""

    # Where an album is a folder (Drive), an upload lands in it: album title -> made-up ids.
    _uploaded_into: dict[str, list[str]] = field(default_factory=dict)

    def _upload(self, a: Upload) -> Done:
        into = a.album if self.remote.capabilities.exclusive_albums else None
        item = RemoteItem(f"{NEW}{a.path}", a.name, a.size, a.md5, a.signature,
                          albums=(into,) if into else ())
        if into:
            self._uploaded_into.setdefault(into, []).append(item.id)
        return Done([Pair(item.id, a.signature, a.path, None, a.album)], items=[item])

    def list_albums(self) -> list[Album]:
        """The albums as the remote would list them after these uploads (a folder an upload
        goes to is made by the upload, as on Drive)."""
        albums = sorted(self.remote.list_albums(), key=lambda al: not al.owned_by_us)
        for title, ids in sorted(self._uploaded_into.items()):
            at = next((n for n, al in enumerate(albums) if al.title == title), None)
            if at is None:
                albums.append(Album(f"{NEW}{title}", title, tuple(ids), owned_by_us=True))
            else:
                albums[at] = replace(albums[at], item_ids=(*albums[at].item_ids, *ids))
        return albums

    def _replace_remote(self, a: ReplaceRemote) -> Done:
        return Done([Pair(a.remote_id, a.signature, a.path, a.pair.version, a.album)])

    def _fetch(self, item: RemoteItem, dest: Path, overwrite: bool) -> tuple[str, int]:
        """The picture a download would bring (the remote's tag, else one made up for it) and
        its listed size."""
        return item.signature or f"{NEW}{item.id}", item.size or 0

    def _delete_remote(self, a: DeleteRemote) -> Done:
        return Done(forget=[a.remote_id], removed=[a.remote_id])

    def _retag(self, a: Retag) -> Done:
        return Done()

    def _tag(self, item: RemoteItem, signature: str) -> None:
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
