"""The config file: schema, shipped defaults, validation with FILE:LINE for every problem.

The schema is the dataclasses below: a field's type is what the YAML must hold, its default is the
shipped default, its metadata says whether it is required, secret, or needs an extra check. The
loader reports *all* problems at once (like vdirsyncer), each as ``FILE:LINE: key: what to do``.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Protocol

import platformdirs
import yaml

from photosync.errors import ConfigError, UsageError

APP = "photosync"
Direction = Literal["both", "upload", "download"]  # which way a remote syncs (one word set)
Check = Callable[[Any], "str | None"]  # returns a problem description, or None when fine


def _meta(*, required: bool = False, secret: bool = False, check: Check | None = None,
          env: str | None = None) -> dict[str, Any]:
    return {"required": required, "secret": secret, "check": check, "env": env}


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


@dataclass
class LibraryConfig:
    root: Path = field(default=Path(), metadata=_meta(required=True, check=_existing_dir))
    exclude: list[str] = field(default_factory=lambda: [r"^\.", "^__", "^@eaDir$", "^#recycle$"],
                               metadata=_meta(check=_regexes))
    exclude_in_title: list[str] = field(default_factory=lambda: ["^_"], metadata=_meta(check=_regexes))
    extensions: list[str] = field(default_factory=lambda: [
        "jpg", "jpeg", "png", "gif", "tif", "tiff", "heic", "heif", "webp"])
    album_separator: str = "/"
    root_album: str | None = None
    follow_symlinks_outside_root: bool = False
    workers: int = field(default=0, metadata=_meta(check=_not_negative))  # decode processes; 0: all cores


class RemoteSection(Protocol):
    """What every remote's section (``flickr:``, ``drive:``) has, as the sync engine reads it."""

    enabled: bool
    direction: Direction
    download_dir: str


@dataclass
class FlickrConfig:
    enabled: bool = False
    api_key: str | None = field(default=None, metadata=_meta(secret=True, env="PHOTOSYNC_FLICKR_API_KEY"))
    api_secret: str | None = field(default=None,
                                   metadata=_meta(secret=True, env="PHOTOSYNC_FLICKR_API_SECRET"))
    endpoint: str = field(default="https://www.flickr.com", metadata=_meta(check=_url))
    direction: Direction = "both"
    privacy: Literal["private", "friends", "family", "friends_family", "public"] = "private"
    download_dir: str = "From Flickr"
    download_into_album: bool = True
    adopt_albums: bool = False
    rate_limit_per_hour: int = field(default=3600, metadata=_meta(check=_positive))
    mirror_page_size: int = field(default=500, metadata=_meta(check=_positive))  # 1-500


@dataclass
class DriveConfig:
    enabled: bool = False
    client_secrets: Path = Path("~/.config/photosync/drive-client.json")
    endpoint: str = field(default="https://www.googleapis.com", metadata=_meta(check=_url))
    folder: str = "Photos"
    direction: Direction = "both"
    scope: str = "https://www.googleapis.com/auth/drive"
    download_dir: str = "From Google Drive"
    rate_limit_per_second: float = field(default=10.0, metadata=_meta(check=_positive))


@dataclass
class SyncConfig:
    on_local_delete: Literal["keep", "delete-remote"] = "keep"
    on_remote_delete: Literal["keep", "delete-local"] = "keep"
    max_delete: int = field(default=50, metadata=_meta(check=_not_negative))
    max_delete_percent: float = field(default=50.0, metadata=_meta(check=_percent))
    workers: int = field(default=4, metadata=_meta(check=_positive))
    max_operations: int = field(default=0, metadata=_meta(check=_not_negative))
    wait: float = field(default=0.0, metadata=_meta(check=_not_negative))
    full_every_hours: float = field(default=24.0, metadata=_meta(check=_positive))


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


@dataclass
class Config:
    library: LibraryConfig = field(default_factory=LibraryConfig, metadata=_meta(required=True))
    state_dir: Path = field(default_factory=lambda: platformdirs.user_state_path(APP))
    flickr: FlickrConfig = field(default_factory=FlickrConfig)
    drive: DriveConfig = field(default_factory=DriveConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    source: Path | None = None  # the file this was read from; not a config key

    def secrets(self) -> list[str]:
        """Every secret value in this config, for the log redaction filter."""
        return [v for v in (self.flickr.api_key, self.flickr.api_secret) if v]


def default_path() -> Path:
    """``--config`` beats ``PHOTOSYNC_CONFIG`` beats ``$XDG_CONFIG_HOME/photosync/config.yaml``."""
    env = os.environ.get("PHOTOSYNC_CONFIG")
    if env:
        return Path(env)
    return platformdirs.user_config_path(APP) / "config.yaml"


def load(path: Path | None = None) -> Config:
    """Read, validate and return the config; raise ConfigError listing every problem."""
    path = Path(path) if path else default_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"config error: {path}: no such file; copy config/photosync.example.yaml "
                         f"there or pass --config PATH") from None
    except IsADirectoryError:
        raise UsageError(f"config error: {path}: is a folder; give the path of the YAML file") from None
    except OSError as exc:
        raise UsageError(f"config error: {path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise UsageError(f"config error: {path}:{line}: not valid UTF-8 (byte 0x{raw[exc.start]:02x}); "
                         f"save the file as UTF-8") from None
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
    lines = _line_map(node)
    if data is None:
        data = {}
    problems: list[str] = []
    builder = _Builder(path, lines, problems)
    for key, line, first in _duplicate_keys(node):
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


def _cross_checks(config: Config, builder: "_Builder") -> None:
    flickr = config.flickr
    if flickr.enabled:
        for key, env in (("api_key", "PHOTOSYNC_FLICKR_API_KEY"), ("api_secret", "PHOTOSYNC_FLICKR_API_SECRET")):
            if not getattr(flickr, key):
                builder.problem(("flickr",), f"flickr.{key} is missing: set it, or the environment "
                                             f"variable {env}, or set flickr.enabled: false")
    if not config.library.album_separator:
        builder.problem(("library", "album_separator"), "library.album_separator must not be empty")


def _line_map(node: yaml.Node | None, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """Map each key path to the 1-based line it stands on."""
    lines: dict[tuple[str, ...], int] = {}
    if node is None:
        return lines
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = path + (str(key_node.value),)
            lines.update(_line_map(value_node, child))
            lines[child] = key_node.start_mark.line + 1
    return lines


def _duplicate_keys(node: yaml.Node | None, path: tuple[str, ...] = ()
                    ) -> list[tuple[tuple[str, ...], int, int]]:
    """Keys given twice in one mapping (YAML loaders silently keep the last): (key, line, first)."""
    found: list[tuple[tuple[str, ...], int, int]] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            name, line = str(key_node.value), key_node.start_mark.line + 1
            if name in seen:
                found.append((path + (name,), line, seen[name]))
            seen.setdefault(name, line)
            found += _duplicate_keys(value_node, path + (name,))
    return found


class _Builder:
    """Turns plain YAML data into the dataclasses, collecting problems instead of stopping."""

    def __init__(self, path: Path, lines: dict[tuple[str, ...], int], problems: list[str]):
        self.path = path
        self.lines = lines
        self.problems = problems

    def problem(self, key: tuple[str, ...], message: str) -> None:
        probe = key
        while probe not in self.lines and probe:
            probe = probe[:-1]
        line = self.lines.get(probe, 1)
        self.problems.append(f"config error: {self.path}:{line}: {message}")

    def build(self, cls: type, data: dict[str, Any], key: tuple[str, ...]) -> Any:
        hints = typing.get_type_hints(cls)
        known = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
        for name in data:
            if name not in known:
                dotted = ".".join(key + (str(name),))
                close = difflib.get_close_matches(str(name), list(known), n=1)
                hint = f"; did you mean {'.'.join(key + (close[0],))!r}?" if close else \
                    f"; known keys here: {', '.join(known)}"
                self.problem(key + (str(name),), f"unknown key {dotted!r}{hint}")
        values: dict[str, Any] = {}
        for name, fld in known.items():
            sub = key + (name,)
            meta = fld.metadata or {}
            env = meta.get("env")
            if env and os.environ.get(env):
                values[name] = os.environ[env]
                continue
            if name not in data:
                if meta.get("required"):
                    self.problem(key, f"{'.'.join(sub)} is required")
                continue
            value = self.convert(hints[name], data[name], sub)
            if value is _INVALID:
                continue
            check = meta.get("check")
            problem = check(value) if check else None
            if problem:
                self.problem(sub, f"{'.'.join(sub)}: {problem}")
                continue
            values[name] = value
        try:
            return cls(**values)
        except TypeError:  # a required field was missing; keep going with the defaults
            return cls(**{k: v for k, v in values.items() if k not in _required(cls)})

    def convert(self, hint: Any, value: Any, key: tuple[str, ...]) -> Any:
        dotted = ".".join(key)
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if dataclasses.is_dataclass(hint):
            if value is None:
                return hint()
            if not isinstance(value, dict):
                self.problem(key, f"{dotted} must be a mapping of keys")
                return _INVALID
            return self.build(hint, value, key)
        if origin in (typing.Union, types.UnionType):
            if value is None and type(None) in args:
                return None
            return self.convert(next(a for a in args if a is not type(None)), value, key)
        if origin is Literal:
            if value not in args:
                self.problem(key, f"{dotted} must be one of {', '.join(map(str, args))} (got {value!r})")
                return _INVALID
            return value
        if origin is list:
            if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
                self.problem(key, f"{dotted} must be a list of strings")
                return _INVALID
            return [str(v) for v in value]
        if hint is Path:
            if not isinstance(value, str) or not value:
                self.problem(key, f"{dotted} must be a path (a string)")
                return _INVALID
            return _resolve_path(value, self.path)
        if hint is bool:
            if not isinstance(value, bool):
                self.problem(key, f"{dotted} must be true or false (got {value!r})")
                return _INVALID
            return value
        if hint in (int, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                    (hint is int and not isinstance(value, int)):
                self.problem(key, f"{dotted} must be {'a whole number' if hint is int else 'a number'} "
                                  f"(got {value!r})")
                return _INVALID
            return hint(value)
        if hint is str:
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                self.problem(key, f"{dotted} must be a string (got {value!r})")
                return _INVALID
            return str(value)
        raise AssertionError(f"unsupported schema type {hint!r}")


_INVALID = object()


def _required(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls) if (f.metadata or {}).get("required")}


def _resolve_path(value: str, config_path: Path) -> Path:
    """Expand ``~`` and ``$VARS``; a relative path is relative to the config file's folder."""
    expanded = Path(os.path.expandvars(os.path.expanduser(value)))
    if not expanded.is_absolute():
        expanded = config_path.resolve().parent / expanded
    return expanded


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
            elif (fld.metadata or {}).get("secret") and value:
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
    network = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "fuse.sshfs", "9p", "afs", "glusterfs"}
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
                if (str(probe) + "/").startswith(mount_point.rstrip("/") + "/") and len(mount_point) >= len(best):
                    best, best_type = mount_point, parts[2]
    except OSError:
        return None
    return best_type if best_type in network else None
