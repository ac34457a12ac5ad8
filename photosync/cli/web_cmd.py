"""``photosync web url``: the dashboard's address, with a one-time login link."""

from __future__ import annotations

import argparse
import sys

from photosync.cli.app import App
from photosync.daemon.status import read_status, running_daemon
from photosync.errors import UsageError
from photosync.web import access


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("web", help="the dashboard that `photosync watch` serves")
    actions = parser.add_subparsers(dest="web_action", metavar="ACTION", required=True,
                                    help="what to do")
    url = actions.add_parser("url", help="print the dashboard's address with a one-time login "
                                         "link (valid 10 minutes)")
    url.set_defaults(func=run_url)


def run_url(app: App) -> int:
    cfg = app.config
    web = cfg.daemon.web
    if not web.enabled:
        raise UsageError("the dashboard is off (daemon.web.enabled: false in the config)")
    doc = read_status(cfg.state_dir)
    base = doc.web if doc is not None and running_daemon(cfg.state_dir) else None
    if not base:
        host, _, port = web.listen.rpartition(":")
        if port == "0":
            raise UsageError("photosync watch is not running, and daemon.web.listen picks a free "
                             "port at start: start the daemon first")
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        base = f"http://{host}:{port}/"
        print("photosync watch is not running: the link works once it is", file=sys.stderr)
    code = access.one_time_code(access.token(cfg.state_dir))
    print(f"{base}login/once?code={code}")
    return 0
