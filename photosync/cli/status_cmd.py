"""``photosync status``: is the daemon running, how did the last syncs go, what keeps failing."""

from __future__ import annotations

import argparse
import json

from photosync.cli.app import App
from photosync.daemon.status import collect, render


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("status", help="the daemon, the last sync per remote, failed items")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(func=run_status)


def run_status(app: App) -> int:
    report = collect(app.config)
    print(json.dumps(report.to_dict(), indent=2, sort_keys=True) if app.args.json
          else render(report))
    return 0
