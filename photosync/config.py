"""The config file: schema, shipped defaults, validation with FILE:LINE for every problem.

The schema is the dataclasses below: a field's type is what the YAML must hold, its default is the
shipped default, its metadata says whether it is required, secret, or needs an extra check. The
loader reports *all* problems at once (like vdirsyncer), each as ``FILE:LINE: key: what to do``.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import yaml

from photosync.config_yaml import Builder, duplicate_keys, line_map
from photosync.errors import ConfigError, UsageError
from photosync.remotes.bandwidth import parse_bwlimit, parse_size

APP = "photosync"
Direction = Literal["both", "upload", "download"]  # which way a remote syncs (one word set)
Check = Callable[[Any], "str | None"]  # returns a problem description, or None when fine


def _meta(*, required: bool = False, secret: bool = False, check: Check | None = None,
          env: str | None = None, off: bool = False) -> dict[str, Any]:
    """``off``: the unquoted YAML ``off`` (which YAML reads as false) means the string "off"."""
    return {"required": required, "secret": secret, "check": check, "env": env, "off": off}


def _regexes(value: list[str]) -> str | None:
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"invalid regex {pattern!r}: {exc}"
    return None


def _existing_dir(value: Path) -> str | None:
    if value.exists() and not value.is_dir():
        return f"{str(value)!r} is a file, not a folder"
    if not value.is_dir():
        return f"folder {str(value)!r} does not exist (is the share mounted?)"
    return None


def _url(value: str) -> str | None:
    if not re.match(r"^https?://[^/\s]+", value):
        return f"{value!r} is not an http(s) URL"
    return None


def _positive(value: float) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _not_negative(value: float) -> str | None:
    return None if value >= 0 else "must be 0 or more"


def _percent(value: float) -> str | None:
    return None if 0 <= value <= 100 else "must be from 0 to 100 (a percentage)"


def _size(value: str) -> str | None:
    try:
        parse_size(value)
    except ValueError as exc:
        return str(exc)
    return None


def _bwlimit(value: str) -> str | None:
    try:
        parse_bwlimit(value)
    except ValueError as exc:
        return str(exc)
    return None


def _trash_days(value: int) -> str | None:
    if value == 0 or value >= 7:
        return None
    return ("must be 0 (keep the trash for good) or 7 or more: purging is never automatic below "
            "7 days; `photosync trash purge` empties it sooner by hand")


def _listen(value: str) -> str | None:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        return f"{value!r} is not HOST:PORT (e.g. 127.0.0.1:8765; port 0: any free port)"
    return None


# What a camera and a phone put on the NAS besides photos, indexed by default (issue 19).
# Also what the index takes for a video or a RAW file, whatever library.extensions lists.
DEFAULT_VIDEO_EXTENSIONS = ("mp4", "mov", "m4v", "avi", "mts", "m2ts", "3gp", "mkv", "mpg", "mpeg",
                            "wmv", "webm")
DEFAULT_RAW_EXTENSIONS = ("cr2", "cr3", "crw", "nef", "nrw", "arw", "srf", "sr2", "raf", "orf",
                          "rw2", "dng", "pef", "srw", "x3f", "3fr", "iiq", "erf", "kdc", "mos",
                          "mrw", "rwl")
# The kinds of file a remote's ``media`` rule lists (``flickr.media``, ``drive.media``).
MEDIA_KINDS = ("photo", "video", "live_clip", "raw")


def _media(value: list[str]) -> str | None:
    unknown = [v for v in value if v not in MEDIA_KINDS]
    if unknown:
        return (f"unknown kind {unknown[0]!r}: list some of {', '.join(MEDIA_KINDS)} "
                f"(e.g. [photo, video])")
    return None


@dataclass
class LibraryConfig:
    root: Path = field(default=Path(), metadata=_meta(required=True, check=_existing_dir))
    exclude: list[str] = field(default_factory=lambda: [r"^\.", "^__", "^@eaDir$", "^#recycle$"],
                               metadata=_meta(check=_regexes))
    exclude_in_title: list[str] = field(default_factory=lambda: ["^_"],
                                        metadata=_meta(check=_regexes))
    extensions: list[str] = field(default_factory=lambda: [
        "jpg", "jpeg", "png", "gif", "tif", "tiff", "heic", "heif", "webp",
        *DEFAULT_VIDEO_EXTENSIONS, *DEFAULT_RAW_EXTENSIONS])
    album_separator: str = "/"
    root_album: str | None = None
    follow_symlinks_outside_root: bool = False
    # decode processes; 0: all cores
    workers: int = field(default=0, metadata=_meta(check=_not_negative))


class RemoteSection(Protocol):
    """What every remote's section (``flickr:``, ``drive:``) has, as the sync engine reads it."""

    enabled: bool
    direction: Direction
    download_dir: str
    media: list[str]


@dataclass
class FlickrConfig:
    enabled: bool = False
    api_key: str | None = field(default=None,
                                metadata=_meta(secret=True, env="PHOTOSYNC_FLICKR_API_KEY"))
    api_secret: str | None = field(default=None,
                                   metadata=_meta(secret=True, env="PHOTOSYNC_FLICKR_API_SECRET"))
    endpoint: str = field(default="https://www.flickr.com", metadata=_meta(check=_url))
    direction: Direction = "both"
    # Which kinds of file go to (and come from) Flickr: RAW is refused there (upload error 5);
    # Live Photo clips would fill a free account's 1,000 items with 3-second videos.
    media: list[str] = field(default_factory=lambda: ["photo", "video"],
                             metadata=_meta(check=_media))
    privacy: Literal["private", "friends", "family", "friends_family", "public"] = "private"
    download_dir: str = "From Flickr"
    download_into_album: bool = True
    adopt_albums: bool = False
    # Under a free account's caps (1,000 items, 50 non-public): which photos go up. Unset: the
    # newest, and the run fails until the user chooses (README, "Free Flickr accounts").
    cap_order: Literal["newest", "oldest"] | None = None
    cap_albums: list[str] = field(default_factory=list)  # these albums go up first
    # Photos whose original Flickr withholds (a free account's): keep the largest size it allows
    # as a preview in library.rules.PREVIEWS_DIR (never a library photo, never uploaded).
    download_previews: bool = False
    rate_limit_per_hour: int = field(default=3600, metadata=_meta(check=_positive))
    mirror_page_size: int = field(default=500, metadata=_meta(check=_positive))  # 1-500


@dataclass
class DriveConfig:
    enabled: bool = False
    client_secrets: Path = Path("~/.config/photosync/drive-client.json")
    endpoint: str = field(default="https://www.googleapis.com", metadata=_meta(check=_url))
    folder: str = "Photos"
    direction: Direction = "both"
    media: list[str] = field(default_factory=lambda: list(MEDIA_KINDS),
                             metadata=_meta(check=_media))
    scope: str = "https://www.googleapis.com/auth/drive"
    download_dir: str = "From Google Drive"
    rate_limit_per_second: float = field(default=10.0, metadata=_meta(check=_positive))
    app_in_testing: bool = False  # the OAuth app is in "Testing": its tokens die after 7 days


@dataclass
class SyncConfig:
    on_local_delete: Literal["keep", "delete-remote"] = "keep"
    on_remote_delete: Literal["keep", "delete-local"] = "keep"
    max_delete: int = field(default=50, metadata=_meta(check=_not_negative))
    max_delete_percent: float = field(default=50.0, metadata=_meta(check=_percent))
    workers: int = field(default=4, metadata=_meta(check=_positive))
    max_operations: int = field(default=0, metadata=_meta(check=_not_negative))
    upload_order: Literal["newest", "oldest", "path"] = "newest"  # which photos go up first
    wait: float = field(default=0.0, metadata=_meta(check=_not_negative))
    full_every_hours: float = field(default=24.0, metadata=_meta(check=_positive))
    trash_days: int = field(default=30, metadata=_meta(check=_trash_days))
    # bytes one run may move, uploads and downloads together ("50G"; "off"); see bandwidth.py
    max_transfer: str = field(default="off", metadata=_meta(check=_size, off=True))
    # bytes per second for all transfers together, or a day timetable ("08:00,1M 23:00,off")
    bwlimit: str = field(default="off", metadata=_meta(check=_bwlimit, off=True))


@dataclass
class WebConfig:
    enabled: bool = True
    listen: str = field(default="127.0.0.1:8765", metadata=_meta(check=_listen))
    password: str | None = field(default=None, metadata=_meta(secret=True))


@dataclass
class NotifyConfig:
    urls: list[str] = field(default_factory=list, metadata=_meta(secret=True))
    failed_runs: int = field(default=3, metadata=_meta(check=_positive))  # runs failing in a row


@dataclass
class DaemonConfig:
    settle_seconds: float = field(default=10.0, metadata=_meta(check=_not_negative))
    poll_minutes: float = field(default=15.0, metadata=_meta(check=_positive))
    max_batch_delay_seconds: float = field(default=60.0, metadata=_meta(check=_positive))
    rescan_seconds: float = field(default=60.0, metadata=_meta(check=_positive))
    max_attempts: int = field(default=3, metadata=_meta(check=_positive))
    retry_seconds: float = field(default=60.0, metadata=_meta(check=_positive))
    max_backoff_minutes: float = field(default=30.0, metadata=_meta(check=_positive))
    auth_retry_minutes: float = field(default=60.0, metadata=_meta(check=_positive))
    web: WebConfig = field(default_factory=WebConfig)


@dataclass
class Config:
    library: LibraryConfig = field(default_factory=LibraryConfig, metadata=_meta(required=True))
    state_dir: Path = field(default_factory=lambda: _platformdirs().user_state_path(APP))
    flickr: FlickrConfig = field(default_factory=FlickrConfig)
    drive: DriveConfig = field(default_factory=DriveConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    source: Path | None = None  # the file this was read from; not a config key

    def secrets(self) -> list[str]:
        """Every secret value in this config, for the log redaction filter."""
        return [v for v in (self.flickr.api_key, self.flickr.api_secret, self.daemon.web.password,
                            *self.notify.urls) if v]


def _platformdirs() -> Any:
    """Imported when a default path is needed: not at every start-up (4 ms of a warm scan)."""
    import platformdirs

    return platformdirs


def default_path() -> Path:
    """``--config`` beats ``PHOTOSYNC_CONFIG`` beats ``$XDG_CONFIG_HOME/photosync/config.yaml``."""
    env = os.environ.get("PHOTOSYNC_CONFIG")
    if env:
        return Path(env)
    return _platformdirs().user_config_path(APP) / "config.yaml"


def load(path: Path | None = None) -> Config:
    """Read, validate and return the config; raise ConfigError listing every problem."""
    path = Path(path) if path else default_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"config error: {path}: no such file; copy config/photosync.example.yaml "
                         f"there or pass --config PATH") from None
    except IsADirectoryError:
        raise UsageError(f"config error: {path}: is a folder; give the path of the YAML file") \
            from None
    except OSError as exc:
        raise UsageError(f"config error: {path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise UsageError(f"config error: {path}:{line}: not valid UTF-8 "
                         f"(byte 0x{raw[exc.start]:02x}); save the file as UTF-8") from None
    return parse(text, path)


def parse(text: str, path: Path) -> Config:
    """Validate YAML text as a config; ``path`` names it in messages and anchors relative paths."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"config error: {where}: invalid YAML: {problem}"]) from None
    lines = line_map(node)
    if data is None:
        data = {}
    problems: list[str] = []
    builder = Builder(path, lines, problems)
    for key, line, first in duplicate_keys(node):
        problems.append(f"config error: {path}:{line}: {'.'.join(key)} is set twice (first on "
                        f"line {first}); keep one")
    if not isinstance(data, dict):
        builder.problem((), "the file must be a mapping of keys (library:, flickr:, ...)")
        raise ConfigError(problems)
    config = builder.build(Config, data, ())
    config.source = path
    for name in ("flickr", "drive"):
        if name in data and isinstance(data[name], dict) and "enabled" not in data[name]:
            getattr(config, name).enabled = True  # a section that is present means "use it"
    _cross_checks(config, builder)
    if problems:
        raise ConfigError(problems)
    return config


def _cross_checks(config: Config, builder: Builder) -> None:
    flickr = config.flickr
    if flickr.enabled:
        for key, env in (("api_key", "PHOTOSYNC_FLICKR_API_KEY"),
                         ("api_secret", "PHOTOSYNC_FLICKR_API_SECRET")):
            if not getattr(flickr, key):
                builder.problem(("flickr",), f"flickr.{key} is missing: set it, or the environment "
                                             f"variable {env}, or set flickr.enabled: false")
    web = config.daemon.web
    if web.enabled and not web.password and not _loopback(web.listen):
        builder.problem(("daemon", "web", "listen"),
                        f"daemon.web.listen {web.listen!r} is reachable from other machines: set "
                        f"daemon.web.password too, or listen on 127.0.0.1")
    if not config.library.album_separator:
        builder.problem(("library", "album_separator"), "library.album_separator must not be empty")


def _loopback(listen: str) -> bool:
    host = listen.rpartition(":")[0].strip("[]")
    return host in ("localhost", "::1") or host.startswith("127.")


def effective(config: Config) -> dict[str, Any]:
    """The config as plain data with every secret masked, for ``photosync config check``."""
    def walk(obj: Any) -> Any:
        out: dict[str, Any] = {}
        for fld in dataclasses.fields(obj):
            if fld.name == "source":
                continue
            value = getattr(obj, fld.name)
            if dataclasses.is_dataclass(value):
                out[fld.name] = walk(value)
            elif fld.metadata.get("secret") and value:
                out[fld.name] = "********"
            elif isinstance(value, Path):
                out[fld.name] = str(value)
            else:
                out[fld.name] = value
        return out
    return walk(config)


def remote_filesystem_type(path: Path) -> str | None:
    """The network filesystem type (nfs, cifs, ...) ``path`` lives on, or None for a local one.

    SQLite's locking is unreliable on network filesystems, so the state must stay local.
    """
    network = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "fuse.sshfs", "9p", "afs",
               "glusterfs"}
    probe = path.resolve()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    best, best_type = "", None
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            for line in mounts:
                parts = line.split()
                if len(parts) < 3:
                    continue
                mount_point = parts[1].replace("\\040", " ")
                inside = (str(probe) + "/").startswith(mount_point.rstrip("/") + "/")
                if inside and len(mount_point) >= len(best):
                    best, best_type = mount_point, parts[2]
    except OSError:
        return None
    return best_type if best_type in network else None
