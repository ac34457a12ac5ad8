"""``photosync scan``: update the local index; list the files that failed, with reasons."""

from __future__ import annotations

import argparse
import sys

from photosync.cli.app import App
from photosync.cli.progress import ScanProgressDisplay
from photosync.errors import EXIT_OK, EXIT_PARTIAL
from photosync.library.scan import scan
from photosync.state.db import open_db
from photosync.state.lock import StateLock


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "scan", help="index the library folder: new, changed, moved, gone photos"
    )
    parser.set_defaults(func=run_scan)


def run_scan(app: App) -> int:
    cfg = app.config
    display = ScanProgressDisplay(quiet=app.args.quiet)
    with StateLock(cfg.state_dir):
        conn = open_db(cfg.state_dir)
        try:
            result = scan(conn, cfg.library, progress=display)
        finally:
            display.close()
            conn.close()
    print(f"scan: {result.summary()}")
    for failure in result.failed:
        print(f"{failure.path}: {failure.reason}", file=sys.stderr)
    return EXIT_PARTIAL if result.failed else EXIT_OK
