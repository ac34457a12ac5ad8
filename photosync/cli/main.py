"""Entry point: the argument parser, the command table, and the one place errors become messages."""

from __future__ import annotations

import argparse
import logging
import sys
from types import ModuleType

from photosync import __version__
from photosync.cli import (auth_cmd, config_cmd, duplicates_cmd, mirror_cmd, scan_cmd, status_cmd,
                           sync_cmd, watch_cmd)
from photosync.cli.app import App
from photosync.errors import EXIT_PARTIAL, ConfigError, PhotosyncError
from photosync.log import redact, setup

# The command table: each module has ``register(subparsers)``; order is the --help order.
COMMANDS: list[ModuleType] = [config_cmd, scan_cmd, duplicates_cmd, sync_cmd, auth_cmd, watch_cmd,
                              status_cmd, mirror_cmd]

log = logging.getLogger("photosync")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="photosync",
        description="Keep a local photo library in sync with Flickr and Google Drive.",
        epilog="Exit codes: 0 success, 1 finished but some items failed, 2 usage or config error, "
               "3 a remote could not be used (unreachable, authorization needed or revoked).")
    parser.add_argument("--config", metavar="PATH",
                        help="config file (default: $PHOTOSYNC_CONFIG or "
                             "$XDG_CONFIG_HOME/photosync/config.yaml)")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-v", "--verbose", action="count", default=0, help="more detail (-vv: libraries too)")
    verbosity.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    parser.add_argument("--version", action="version", version=f"photosync {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup(-1 if args.quiet else args.verbose)
    try:
        return int(args.func(App(args)) or 0)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"photosync: {redact(problem)}", file=sys.stderr)
        return exc.exit_code
    except PhotosyncError as exc:
        print(f"photosync: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("photosync: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_PARTIAL


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
