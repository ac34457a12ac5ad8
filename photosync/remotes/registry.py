"""The one table of remotes: config section name -> label and the backend that serves it."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from photosync.config import Config
from photosync.remotes.base import Remote

# name -> (label for humans, "module:factory"); a factory takes (config, state_dir) -> Remote.
REMOTES: dict[str, tuple[str, str]] = {
    "flickr": ("Flickr", "photosync.remotes.flickr:from_config"),
    "drive": ("Google Drive", "photosync.remotes.drive:from_config"),
}


def label(name: str) -> str:
    return REMOTES.get(name, (name.capitalize(), ""))[0]


def section(config: Config, name: str) -> Any:
    """The config section of remote ``name`` (``config.flickr``, ``config.drive``)."""
    return getattr(config, name)


def enabled(config: Config) -> list[str]:
    return [name for name in REMOTES if section(config, name).enabled]


def build(name: str, config: Config, state_dir: Path | None = None) -> Remote:
    """The backend for ``name``, authorized from the tokens in ``state_dir``."""
    module_name, factory = REMOTES[name][1].split(":")
    module = importlib.import_module(module_name)
    return getattr(module, factory)(config, Path(state_dir or config.state_dir))
