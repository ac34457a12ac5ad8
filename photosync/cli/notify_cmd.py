"""``photosync notify test``: send one alert through every ``notify.urls`` entry."""

from __future__ import annotations

import argparse

from photosync.cli.app import App
from photosync.notify.alerts import send_test


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("notify", help="alerts (notify.urls, through Apprise)")
    actions = parser.add_subparsers(dest="notify_action", metavar="ACTION", required=True,
                                    help="what to do")
    test = actions.add_parser("test", help="send a test alert to notify.urls now")
    test.set_defaults(func=run_test)


def run_test(app: App) -> int:
    send_test(app.config.notify.urls)
    print(f"test alert sent to {len(app.config.notify.urls)} notify URL(s)")
    return 0
