"""``photosync config check``: validate the config and print it with secrets masked."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from photosync import config as config_mod
from photosync.cli.app import App
from photosync.errors import ConfigError, UsageError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("config", help="check the config file")
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True,
                                    help="what to do with the config")
    check = actions.add_parser("check", help="validate the config and print the effective values")
    check.set_defaults(func=check_config)


def check_config(app: App) -> int:
    cfg = app.config
    if cfg.drive.enabled:
        _check_client_secrets(cfg)
    print(f"# {cfg.source}: OK")
    print(yaml.safe_dump(config_mod.effective(cfg), sort_keys=False, allow_unicode=True), end="")
    return 0


def _check_client_secrets(cfg: config_mod.Config) -> None:
    """`auth drive` needs the file; say now (not at the first authorization) when it is wrong."""
    from photosync.auth.drive_auth import read_client_secrets  # OAuth libraries: only here

    try:
        read_client_secrets(Path(cfg.drive.client_secrets).expanduser())
    except UsageError as exc:
        raise ConfigError([f"config error: {cfg.source}: {exc}"]) from None
