"""``photosync sync``: scan, list, plan and execute; ``--dry-run`` only reports."""

from __future__ import annotations

import argparse

from photosync.cli.app import App
from photosync.remotes import registry


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("sync", help="sync the library with Flickr and Google Drive once")
    parser.add_argument(
        "--dry-run", action="store_true", help="report what would happen and why; change nothing"
    )
    parser.add_argument("--json", action="store_true", help="print the report as one JSON document")
    parser.add_argument(
        "--full", action="store_true", help="list the remotes fully instead of their changes"
    )
    parser.add_argument(
        "--remote",
        choices=sorted(registry.REMOTES),
        action="append",
        help="only this remote (repeatable)",
    )
    parser.add_argument(
        "--direction", choices=["up", "down", "both"], help="narrow the configured direction"
    )
    parser.add_argument(
        "--force-deletes",
        action="store_true",
        help="this run only: make the planned deletions even past sync.max_delete "
        "or sync.max_delete_percent (a deliberate mass delete)",
    )
    parser.set_defaults(func=run_sync)


def run_sync(app: App) -> int:
    # Imported here: every command's start-up would otherwise pay for the whole sync engine.
    from photosync.cli.progress import ScanProgressDisplay, action_progress, terminal_output
    from photosync.daemon.status import refuse_while_watching
    from photosync.sync.report import render
    from photosync.sync.run import SyncOptions, sync

    args = app.args
    direction = {"up": "upload", "down": "download"}.get(args.direction, args.direction)
    options = SyncOptions(
        args.dry_run, args.full, args.remote, direction, force_deletes=args.force_deletes
    )
    refuse_while_watching(app.config.state_dir, nudge=not args.dry_run)  # README: "photosync watch"
    display = ScanProgressDisplay(quiet=args.quiet or args.json)
    with terminal_output():
        try:
            report = sync(
                app.config,
                options,
                progress=None if args.json else action_progress,
                scan_progress=display,
            )
        finally:
            display.close()
    print(render(report, args.json))
    return report.exit_code
