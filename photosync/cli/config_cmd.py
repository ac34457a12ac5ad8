"""``photosync config check``: validate the config and print it with secrets masked."""

from __future__ import annotations

import argparse

import yaml

from photosync import config as config_mod
from photosync.cli.app import App


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("config", help="check the config file")
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True,
                                    help="what to do with the config")
    check = actions.add_parser("check", help="validate the config and print the effective values")
    check.set_defaults(func=check_config)


def check_config(app: App) -> int:
    cfg = app.config
    print(f"# {cfg.source}: OK")
    print(yaml.safe_dump(config_mod.effective(cfg), sort_keys=False, allow_unicode=True), end="")
    return 0
