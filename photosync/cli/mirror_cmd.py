"""``photosync mirror flickr``: a local copy of a whole photostream (logic in photosync.mirror)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from photosync.cli.app import App
from photosync.cli.progress import action_progress
from photosync.mirror.report import MirrorStats, render
from photosync.mirror.run import MirrorOptions, mirror
from photosync.mirror.source import Who


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("mirror", help="back up a whole Flickr photostream to a folder")
    services = parser.add_subparsers(dest="service", metavar="SERVICE", required=True,
                                     help="the service to mirror from")
    flickr = services.add_parser("flickr",
                                 help="mirror a Flickr photostream (resumable, incremental)")
    who = flickr.add_mutually_exclusive_group(required=True)
    who.add_argument("--username", metavar="NAME", help="a user's public photos, by screen name")
    who.add_argument("--user-id", metavar="NSID",
                     help="a user's public photos, by NSID (12345678@N00)")
    who.add_argument("--me", action="store_true",
                     help="your own stream, private photos too (photosync auth flickr)")
    flickr.add_argument("dest", metavar="DEST", type=Path, help="the mirror folder")
    order = flickr.add_mutually_exclusive_group()
    order.add_argument("--lifo", dest="fifo", action="store_false", help="newest first (default)")
    order.add_argument("--fifo", dest="fifo", action="store_true", help="oldest first")
    only = flickr.add_mutually_exclusive_group()
    only.add_argument("--image-only", action="store_true", help="files only, no JSON sidecars")
    only.add_argument("--info-only", action="store_true", help="JSON sidecars only, no files")
    flickr.add_argument("--info-level", type=int, choices=[0, 1, 2], default=0,
                        help="0: ids, title, dates, media; 1: + description, tags, geo, privacy, "
                             "license, URLs; 2: + comments")
    flickr.add_argument("--verify", action="store_true",
                        help="check every file and re-download damaged ones")
    flickr.add_argument("--ignore-photos", action="store_true", help="videos only")
    flickr.add_argument("--ignore-videos", action="store_true", help="photos only")
    flickr.add_argument("--delete-unknown", action="store_true",
                        help="remove local photos no longer in the stream")
    flickr.add_argument("--statistics", action="store_true",
                        help="print counters at the end (and on Ctrl-C)")
    flickr.set_defaults(func=run_mirror)


def run_mirror(app: App) -> int:
    a = app.args
    options = MirrorOptions(Who(a.username, a.user_id, a.me), a.dest, a.fifo, a.image_only,
                            a.info_only, a.info_level, a.verify, a.ignore_photos, a.ignore_videos,
                            a.delete_unknown)
    stats = MirrorStats()
    try:
        mirror(app.config, options, stats, progress=None if a.quiet else action_progress)
    except KeyboardInterrupt:
        if a.statistics:
            print(render(stats, True, interrupted=True), file=sys.stderr)
        raise
    print(render(stats, a.statistics))
    return stats.exit_code
