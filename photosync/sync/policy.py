"""What steers one remote's plan: the settings (:class:`Policy`, from the config) and what this
run knows (:class:`Evidence`, from the scan and the listing).

Policy's defaults are the config's own (``SyncConfig``, ``LibraryConfig``, ``FlickrConfig``), so a
default is written once; :meth:`Policy.from_config` fills it from a remote's typed section.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from photosync.config import (
    MEDIA_KINDS,
    Config,
    Direction,
    FlickrConfig,
    LibraryConfig,
    RemoteSection,
    SyncConfig,
)
from photosync.library.rules import normalise_extensions
from photosync.remotes.base import Capabilities

# Where a remote with no config section of its own (the memory remote of the tests and the demo)
# puts remote-only photos; every configured remote has its own ``download_dir``.
UNCONFIGURED_DOWNLOADS = "Downloads"


def _default_extensions() -> frozenset[str]:
    return frozenset(normalise_extensions(LibraryConfig().extensions))


@dataclass(frozen=True)
class Policy:
    """The settings that steer one remote's plan."""

    remote: str  # "flickr", "drive", "memory"
    label: str  # "Flickr", "Google Drive": for reasons
    capabilities: Capabilities
    # None: ``--direction`` asked for a way the config does not allow, so neither way.
    direction: Direction | None = "both"
    on_local_delete: str = SyncConfig.on_local_delete
    on_remote_delete: str = SyncConfig.on_remote_delete
    max_delete: int = SyncConfig.max_delete
    max_delete_percent: float = SyncConfig.max_delete_percent  # of the photos in sync, per side
    max_operations: int = SyncConfig.max_operations  # transfers per remote per run; 0: unlimited
    upload_order: str = SyncConfig.upload_order  # newest / oldest date taken first, or by path
    download_dir: str = UNCONFIGURED_DOWNLOADS  # for remote items in no album
    download_into_album: bool = True  # False: every remote-only photo goes to download_dir
    album_separator: str = LibraryConfig.album_separator
    extensions: frozenset[str] = field(default_factory=_default_extensions)
    # The kinds of file this remote sends and receives (``flickr.media``, ``drive.media``).
    media: frozenset[str] = frozenset(MEDIA_KINDS)

    @property
    def uploads(self) -> bool:
        return self.direction in ("both", "upload")

    @property
    def downloads(self) -> bool:
        return self.direction in ("both", "download")

    @classmethod
    def from_config(cls, config: Config, name: str, label: str, capabilities: Capabilities,
                    section: RemoteSection | None, requested: Direction | None) -> Policy:
        """One remote's policy; ``requested`` (``--direction``) narrows the configured one."""
        configured: Direction = section.direction if section is not None else "both"
        sync = config.sync
        return cls(
            remote=name, label=label, capabilities=capabilities,
            direction=narrow(configured, requested),
            on_local_delete=sync.on_local_delete, on_remote_delete=sync.on_remote_delete,
            max_delete=sync.max_delete, max_delete_percent=sync.max_delete_percent,
            max_operations=sync.max_operations, upload_order=sync.upload_order,
            download_dir=section.download_dir if section is not None else UNCONFIGURED_DOWNLOADS,
            download_into_album=not isinstance(section, FlickrConfig)
            or section.download_into_album,
            album_separator=config.library.album_separator,
            extensions=frozenset(normalise_extensions(config.library.extensions)),
            media=frozenset(section.media) if section is not None else frozenset(MEDIA_KINDS))


def narrow(configured: Direction, requested: Direction | None) -> Direction | None:
    """``--direction`` can only narrow what the config allows, never widen it."""
    if requested in (None, "both"):
        return configured
    return requested if configured in ("both", requested) else None


@dataclass(frozen=True)
class Evidence:
    """What this run knows for sure, and what it already did: not settings, so not in Policy."""

    listing_complete: bool = True  # False: absence from the listing proves nothing
    local_complete: bool = True  # False: the scan had errors, a missing file proves nothing
    force_deletes: bool = False  # this run only: neither max_delete nor max_delete_percent holds
    transfers_done: int = 0  # already made this run (a second pass has only the rest)
    live_clips: frozenset[str] = frozenset()  # paths of the Live Photo clips the scan found
    # Pairs plainly in sync left out of the planner's inputs with their file and item
    # (``state.focus``): counted by the guard rails, otherwise nothing to decide about them.
    settled: int = 0
    videos_sent: bool = False  # a pair left out shows a video: videos went there before
