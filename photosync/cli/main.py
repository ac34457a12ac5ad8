"""Entry point: the argument parser, the command table, and the one place errors become messages."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sqlite3
import sys
import threading
from typing import Any

from photosync import __version__
from photosync.cli.app import App
from photosync.errors import EXIT_INTERRUPTED, EXIT_PARTIAL, EXIT_USAGE, ConfigError, PhotosyncError
from photosync.log import redact, setup

# The command table: command name -> module in photosync.cli with ``register(subparsers)``; the
# order is the --help order. Only the module of the command being run is imported (start-up time
# matters: a warm `photosync scan` of 100,000 files takes well under a second).
COMMANDS: dict[str, str] = {
    "config": "config_cmd",
    "scan": "scan_cmd",
    "duplicates": "duplicates_cmd",
    "sync": "sync_cmd",
    "auth": "auth_cmd",
    "watch": "watch_cmd",
    "status": "status_cmd",
    "mirror": "mirror_cmd",
    "history": "history_cmd",
    "trash": "trash_cmd",
    "web": "web_cmd",
    "notify": "notify_cmd",
}

log = logging.getLogger("photosync")


def _command_in(argv: list[str]) -> str | None:
    """The command named on the command line (skipping global options), if it is a known one."""
    tokens = iter(argv)
    for token in tokens:
        if token == "--config":
            next(tokens, None)
        elif not token.startswith("-"):
            return token if token in COMMANDS else None
    return None


class _Commands(argparse._SubParsersAction):
    """Subcommands whose own --help opens with the one-line help they have in the list."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        kwargs.setdefault("description", kwargs.get("help"))
        return super().add_parser(name, **kwargs)


class CommandParser(argparse.ArgumentParser):
    """The parser of photosync and (as argparse makes subparsers of the parent's class) of every
    subcommand, at any depth."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.register("action", "parsers", _Commands)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="photosync",
        description="Keep a local photo library in sync with Flickr and Google Drive.",
        epilog="Exit codes: 0 success, 1 finished but some items failed, 2 usage or config error, "
        "3 a remote could not be used (unreachable, authorization needed or revoked), "
        "130 interrupted (Ctrl-C).",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: $PHOTOSYNC_CONFIG or $XDG_CONFIG_HOME/photosync/config.yaml)",
    )
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-v", "--verbose", action="count", default=0, help="more detail (-vv: libraries too)"
    )
    verbosity.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    parser.add_argument("--version", action="version", version=f"photosync {__version__}")
    sub = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        required=True,
        help="`photosync COMMAND --help` tells more",
    )
    chosen = _command_in(sys.argv[1:] if argv is None else argv)
    for name, module in COMMANDS.items():
        if chosen in (None, name):
            importlib.import_module(f"photosync.cli.{module}").register(sub)
    return parser


def _first_interrupt(signum: int, frame: object) -> None:
    """Ctrl-C: stop gracefully (KeyboardInterrupt unwinds: transfers in flight are waited for and
    recorded, the lock and the database are closed). A second Ctrl-C stops at once."""
    signal.signal(signal.SIGINT, _second_interrupt)
    raise KeyboardInterrupt


def _second_interrupt(signum: int, frame: object) -> None:
    """Ctrl-C again while stopping: exit now, as rclone does. Nothing is lost: every file is
    written to a temporary name and renamed when complete, and SQLite commits are atomic (the
    same as a kill -9, which the tests cover)."""
    os.write(2, b"photosync: interrupted again: stopping now\n")
    os._exit(EXIT_INTERRUPTED)


def _interrupts_handled() -> None:
    """Once the interruption is handled only exiting is left: ignore further Ctrl-Cs. (At exit
    Python puts SIGINT back to the default action, so a late one would turn the clean 130 into
    a death by signal, which scripts and systemd read differently.)"""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def main(argv: list[str] | None = None) -> int:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _first_interrupt)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    setup(-1 if args.quiet else args.verbose)
    app = App(args)
    try:
        return int(args.func(app) or 0)
    except sqlite3.DatabaseError as exc:
        from photosync.state.db import damaged, is_damaged

        if not is_damaged(exc):
            raise
        print(f"photosync: {damaged(app.config.state_dir, exc)}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"photosync: {redact(problem)}", file=sys.stderr)
        return exc.exit_code
    except PhotosyncError as exc:
        print(f"photosync: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        _interrupts_handled()
        print("photosync: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_PARTIAL


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
