"""``photosync config check``: validate the config and print it with secrets masked."""

from __future__ import annotations

import argparse
import sys
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
    warning = _flickr_caps_warning(cfg) if cfg.flickr.enabled else None
    if warning:
        print(warning, file=sys.stderr)
    return 0


def _flickr_caps_warning(cfg: config_mod.Config) -> str | None:
    """flickr.privacy against the Flickr account as the last sync learnt it (no request made:
    `photosync auth status` asks Flickr itself)."""
    from photosync.state.accounts import load_account
    from photosync.state.db import db_path, open_db
    from photosync.sync.caps import AccountCaps, uploads_room_line

    if not db_path(cfg.state_dir).exists():
        return None
    conn = open_db(cfg.state_dir)
    try:
        account = load_account(conn, "flickr")
    finally:
        conn.close()
    if account is None:
        return None
    section = cfg.flickr
    return uploads_room_line(AccountCaps("Flickr", account, section.privacy, section.cap_order,
                                         tuple(section.cap_albums)))


def _check_client_secrets(cfg: config_mod.Config) -> None:
    """`auth drive` needs the file; say now (not at the first authorization) when it is wrong."""
    from photosync.auth.drive_auth import read_client_secrets  # OAuth libraries: only here

    try:
        read_client_secrets(Path(cfg.drive.client_secrets).expanduser())
    except UsageError as exc:
        raise ConfigError([f"config error: {cfg.source}: {exc}"]) from None
