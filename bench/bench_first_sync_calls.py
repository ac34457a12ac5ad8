"""API calls of a first sync, counted by the emulators: Flickr calls per uploaded photo
(target <= 1.05 for 10,000 photos in 200 albums) and Drive requests per upload (target: one,
no per-file listing), through the CLI against both emulators (each in its own process).

With ``--baseline REV`` the same first sync is run a second time with the code of git revision
REV (``git archive`` into a temporary folder), so the old way is measured side by side.

Usage: bench_first_sync_calls.py [--photos 10000] [--albums 200] [--baseline REV]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path

from bench_remote_uploads import emulator  # the emulator in its own process
from bench_sync import setup  # the config and tokens of a sync against both emulators

from photosync.emulators import admin
from photosync.emulators.images import make_image

TARGET = 1.05
REPO = Path(__file__).resolve().parent.parent


def make_library(root: Path, photos: int, albums: int) -> None:
    """``photos`` distinct tiny photos spread over ``albums`` folders (years / album names)."""
    start = datetime(2012, 1, 1)
    for i in range(photos):
        album = i % albums
        path = root / f"{2012 + album % 10}" / f"Album {album:03d}" / f"IMG_{i:06d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make_image(f"first-{i}", 32, 24, date_taken=start + timedelta(minutes=i)))


def methods(url: str) -> dict[str, int]:
    return admin(url, "calls")["methods"]


def spent(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {m: n - before.get(m, 0) for m, n in sorted(after.items())
            if n != before.get(m, 0) and not m.startswith("/_admin")}


def first_sync(lib: Path, photos: int, albums: int, code: Path | None
               ) -> tuple[dict[str, int], dict[str, int], float]:
    """One first sync of the library at ``lib`` (copied per run by hard links), with the
    current code or the package folder ``code``; the calls each emulator saw."""
    import time

    with tempfile.TemporaryDirectory() as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        flickr = stack.enter_context(emulator("flickr", 0))
        drive = stack.enter_context(emulator("drive", 0))
        config = setup(tmp, flickr, drive)
        subprocess.run(["cp", "-al", str(lib), str(tmp / "lib")], check=True)
        env = dict(os.environ)
        if code is not None:
            env["PYTHONPATH"] = str(code)
        before = (methods(flickr), methods(drive))
        began = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "photosync", "-q", "--config",
                                 str(config), "sync"], capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - began
        if result.returncode != 0:
            raise SystemExit(f"sync failed ({result.returncode}): {result.stderr[-2000:]}")
        sets = admin(flickr, "state?hashes=0")["photosets"]
        assert len(sets) == albums and sum(len(s["photos"]) for s in sets) == photos, \
            "the albums on Flickr do not hold every photo"
        return spent(before[0], methods(flickr)), spent(before[1], methods(drive)), seconds


def old_code(rev: str, folder: Path) -> Path:
    """The photosync package of git revision ``rev``, extracted into ``folder``."""
    folder.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "photosync"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def report(label: str, calls: dict[str, int], photos: int, unit: str) -> float:
    total = sum(calls.values())
    per = total / photos
    print(f"{label}: {total:,} {unit} for {photos:,} uploads = {per:.3f} per photo")
    print("   " + ", ".join(f"{m.removeprefix('flickr.')} {n:,}" for m, n in calls.items()))
    return per


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=10_000)
    parser.add_argument("--albums", type=int, default=200)
    parser.add_argument("--baseline", metavar="REV", help="also measure git revision REV")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        lib = Path(tmp_name) / "lib"
        make_library(lib, args.photos, args.albums)
        print(f"first sync of {args.photos:,} photos in {args.albums} albums to Flickr and Drive")
        flickr, drive, seconds = first_sync(lib, args.photos, args.albums, None)
        print(f"this code ({seconds:.0f} s):")
        per = report("  Flickr", flickr, args.photos, "API calls")
        report("  Drive", drive, args.photos, "requests")
        verdict = "OK" if per <= TARGET else "MISSED"
        print(f"  Flickr calls per uploaded photo {per:.3f} (target <= {TARGET}): {verdict}")
        if args.baseline:
            old = old_code(args.baseline, Path(tmp_name) / "old")
            old_flickr, old_drive, seconds = first_sync(lib, args.photos, args.albums, old)
            print(f"revision {args.baseline} ({seconds:.0f} s):")
            old_per = report("  Flickr", old_flickr, args.photos, "API calls")
            report("  Drive", old_drive, args.photos, "requests")
            print(f"ratio this code / {args.baseline}: Flickr {per / old_per:.2f} "
                  f"({old_per / per:.1f}x fewer calls)")
    return 0 if per <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
