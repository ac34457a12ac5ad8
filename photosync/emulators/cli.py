"""``photosync-emulator flickr|drive``: run one emulator until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from photosync.emulators import APPS, make_app
from photosync.emulators.server import EmulatorServer

POINT_PHOTOSYNC_AT_IT = """\
To point photosync at it, with the URL printed on the `ready URL` line:
  flickr: in the config, flickr.endpoint: URL, and flickr.api_key / flickr.api_secret from
          `curl URL/_admin/credentials`
  drive:  in the config, drive.endpoint: URL, and drive.client_secrets: a file saved from
          `curl URL/_admin/credentials`; set OAUTHLIB_INSECURE_TRANSPORT=1 (http:// URLs)
then `photosync auth flickr` / `photosync auth drive` as with the real services (with
--auto-approve the authorize page says Allow at once). Admin routes: README "Emulators"."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="photosync-emulator",
        description="Serve an emulated Flickr or Google Drive API on loopback.",
        epilog=POINT_PHOTOSYNC_AT_IT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("service", choices=sorted(APPS), help="the API to emulate")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--data", type=Path, metavar="DIR", help="keep state here across restarts")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every API request")
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="probability of an injected fault per API request (0..1)",
    )
    parser.add_argument("--fault-seed", type=int, default=0, help="makes the faults reproducible")
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=None,
        help="API calls an hour per key (Flickr default 3600; 0 = none)",
    )
    parser.add_argument(
        "--auto-approve",
        action="store_true",
        help="OAuth authorize pages redirect at once, as if the user clicked Allow",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="photosync-emulator: %(message)s",
    )
    if not 0 <= args.fault_rate <= 1:
        print("photosync-emulator: --fault-rate must be between 0 and 1", file=sys.stderr)
        return 2
    app = make_app(
        args.service,
        data_dir=args.data,
        rate_limit=args.rate_limit,
        auto_approve=args.auto_approve,
        fault_rate=args.fault_rate,
        fault_seed=args.fault_seed,
        latency_ms=args.latency_ms,
    )
    try:
        server = EmulatorServer(app, args.host, args.port)
    except OSError as exc:
        print(
            f"photosync-emulator: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    print(f"ready {server.url}", flush=True)
    stop.wait()
    server.stop()
    return 0


def run() -> None:
    sys.exit(main())
