"""``photosync watch``: the long-running service (see photosync/daemon/service.py)."""

from __future__ import annotations

import argparse
import logging
import os

from photosync.cli.app import App
from photosync.daemon.service import Service


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "watch", help="sync now, then keep syncing as photos arrive (the service)",
        description="Run as a service: a full sync at start, then new and changed photos are "
                    "synced once settled, and the remotes are polled. SIGHUP reloads the config, "
                    "SIGUSR1 syncs everything now.")
    parser.set_defaults(func=run_watch)


def run_watch(app: App) -> int:
    service = Service(app.config)
    code = service.run()
    if service.abandoned:  # transfer threads still busy: leave now, the next start resumes them
        logging.shutdown()
        os._exit(code)
    return code
