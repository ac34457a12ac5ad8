"""``photosync trash list|restore|purge``: the photos a sync replaced or deleted locally."""

from __future__ import annotations

import argparse
import json
import time

from photosync.cli.app import App
from photosync.errors import UsageError
from photosync.sync import trash


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("trash", help="list, restore or purge the library's .photosync-trash")
    actions = parser.add_subparsers(dest="trash_action", metavar="ACTION", required=True,
                                    help="what to do with the trash")
    listing = actions.add_parser("list", help="the runs in the trash and their files")
    listing.add_argument("--json", action="store_true", help="print one JSON document")
    listing.set_defaults(func=run_list)
    restore = actions.add_parser("restore", help="put files of a run back where they were")
    restore.add_argument("run", type=int, metavar="RUN", help="the run number (run-N)")
    restore.add_argument("paths", nargs="*", metavar="PATH",
                         help="paths inside the run's folder (default: all its files)")
    restore.set_defaults(func=run_restore)
    purge = actions.add_parser("purge", help="delete runs from the trash for good")
    purge.add_argument("runs", nargs="*", type=int, metavar="RUN", help="the run numbers")
    which = purge.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every run in the trash")
    which.add_argument("--expired", action="store_true",
                       help="the runs older than sync.trash_days (what the daemon purges daily)")
    purge.set_defaults(func=run_purge)


def run_list(app: App) -> int:
    found = trash.runs(app.config.library.root)
    if app.args.json:
        print(json.dumps({"runs": [{"run": t.run, "created": t.created, "bytes": t.size,
                                    "files": [{"path": f.path, "bytes": f.size} for f in t.files]}
                                   for t in found]}, indent=2))
        return 0
    if not found:
        print("the trash is empty")
    for t in found:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(t.created))
        print(f"run-{t.run}  {when}  {len(t.files)} file(s), {t.size} B")
        for f in t.files:
            print(f"  {f.path}  {f.size} B")
    return 0


def run_restore(app: App) -> int:
    root = app.config.library.root
    for f in trash.select(root, app.args.run, app.args.paths):
        dest = trash.restore(root, f)
        print(f"restored {f.path} -> {dest.relative_to(root).as_posix()}")
    return 0


def run_purge(app: App) -> int:
    args, root = app.args, app.config.library.root
    if args.expired:
        runs = trash.purge_expired(root, app.config.sync.trash_days)
        print(f"purged {len(runs)} run(s) older than sync.trash_days "
              f"({app.config.sync.trash_days} days)" + (f": {runs}" if runs else ""))
        return 0
    if args.all:
        numbers = [t.run for t in trash.runs(root, with_files=False)]
    elif args.runs:
        numbers = args.runs
    else:
        raise UsageError("say which runs to purge: RUN numbers, --all or --expired")
    for number in numbers:
        freed = trash.purge(root, number)
        print(f"purged run-{number} ({freed} B)")
    return 0
