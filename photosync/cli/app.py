"""What every command receives: parsed arguments and the config, loaded on first use."""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from photosync import config as config_mod
from photosync.log import register_secret
from photosync.state.private import make_private

log = logging.getLogger("photosync")


@dataclass
class App:
    args: argparse.Namespace
    _warned: set[str] = field(default_factory=set)

    @cached_property
    def config(self) -> config_mod.Config:
        """The validated config; commands that never touch it never require a file."""
        cfg = config_mod.load(Path(self.args.config) if self.args.config else None)
        for secret in cfg.secrets():
            register_secret(secret)
        make_private(cfg.state_dir)
        fs_type = config_mod.remote_filesystem_type(cfg.state_dir)
        if fs_type:
            log.warning(
                "state_dir %s is on a network filesystem (%s): SQLite locking is unreliable "
                "there; put state_dir on a local disk",
                cfg.state_dir,
                fs_type,
            )
        return cfg
