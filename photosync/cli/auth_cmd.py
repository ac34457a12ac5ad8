"""``photosync auth flickr|drive|export|import|status|revoke``: authorize once, on any machine."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from photosync.auth import service
from photosync.auth.tokens import TokenStore
from photosync.cli.app import App
from photosync.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    from photosync.auth.browser import Prompt

REMOTES = list(service.FLOWS)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "auth", help="authorize photosync with Flickr or Google Drive; check or forget it"
    )
    auth = parser.add_subparsers(
        dest="auth_command",
        metavar="ACTION",
        required=True,
        help="a remote to authorize, or what to do with the tokens",
    )
    for name in REMOTES:
        p = auth.add_parser(name, help=f"authorize photosync with {service.label(name)} (browser)")
        _flow_options(p)
        p.set_defaults(func=run_authorize, remote=name)
    p = auth.add_parser(
        "export",
        help="authorize (or take the stored token) and write it to a file for "
        "`auth import` on another machine",
    )
    p.add_argument("remote", choices=REMOTES, help="whose token to export")
    p.add_argument("file", nargs="?", help="default: photosync-REMOTE-token.json here (mode 0600)")
    _flow_options(p)
    p.set_defaults(func=run_export)
    p = auth.add_parser("import", help="store a token file made by `photosync auth export`")
    p.add_argument("file", help="the file `photosync auth export` wrote (delete it afterwards)")
    p.set_defaults(func=run_import)
    p = auth.add_parser(
        "status", help="for each remote: authorized or not, as whom, with which access"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run_status)
    p = auth.add_parser("revoke", help="forget the stored token of a remote")
    p.add_argument("remote", choices=REMOTES, help="whose token to forget")
    p.set_defaults(func=run_revoke)


def _flow_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-browser",
        action="store_true",
        help="print the address to open on any computer, then paste back where the browser landed",
    )
    p.add_argument(
        "--port",
        type=int,
        default=0,
        help="loopback port for the browser's redirect (for an SSH tunnel; default: any free port)",
    )
    p.add_argument(
        "--timeout", type=float, default=300.0, help="seconds to wait for the browser (default 300)"
    )


def _prompt(args: argparse.Namespace) -> Prompt:
    from photosync.auth.browser import Prompt  # http.server: only for the flows

    def say(text: str) -> None:
        print(text, flush=True)

    return Prompt(
        open_browser=not args.no_browser,
        port=args.port,
        timeout=args.timeout,
        say=say,
        read_line=sys.stdin.readline,
    )


def _require_enabled(app: App, name: str) -> None:
    """Authorizing a remote the config does not use would only leave a token nothing reads."""
    if not getattr(app.config, name).enabled:
        raise UsageError(
            f"{service.label(name)} is disabled in {app.config.source}: add a {name}: "
            f"section (or set {name}.enabled: true) first"
        )


def run_authorize(app: App) -> int:
    _require_enabled(app, app.args.remote)
    token, path = service.authorize(app.args.remote, app.config, _prompt(app.args))
    flow = service.flow(app.args.remote)
    print(f"{flow.LABEL}: authorized as {flow.describe(token)}; token saved in {path}")
    return EXIT_OK


def run_export(app: App) -> int:
    name = app.args.remote
    _require_enabled(app, name)
    token = TokenStore(app.config.state_dir).load(name) or service.flow(name).authorize(
        app.config, _prompt(app.args)
    )
    path = service.export_token(name, token, Path(app.args.file or f"photosync-{name}-token.json"))
    print(
        f"Wrote the {service.label(name)} token to {path}: copy it to the other machine, run "
        f"`photosync auth import {path.name}` there, then delete it"
    )
    return EXIT_OK


def run_import(app: App) -> int:
    name, token = service.import_token(app.args.file, app.config)
    print(
        f"{service.label(name)}: imported the token of {service.flow(name).describe(token)}; "
        f"you can delete {app.args.file} now"
    )
    return EXIT_OK


def run_status(app: App) -> int:
    results, code = service.status(app.config)
    if app.args.json:
        print(json.dumps({r.remote: r.as_dict() for r in results}, indent=2))
    else:
        for result in results:
            print(result.line())
    return code


def run_revoke(app: App) -> int:
    print(service.revoke(app.args.remote, app.config))
    return EXIT_OK
