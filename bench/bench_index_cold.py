"""Cold index of 300 generated 12-megapixel JPEGs vs `find | xargs -P <cores> identify -format '%#\\n'`.

Target: photosync / baseline <= 1.10 (ImageMagick's decode is the floor; we add nothing).
Files are generated once into $PHOTOSYNC_BENCH_CACHE (/tmp/photosync-bench) and reused.
Both sides read from the page cache (every file is read once before timing).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from index_fixtures import CACHE, cores, read_all, run_cli, timed_shell, write_config

COUNT = int(os.environ.get("BENCH_COLD_COUNT", "300"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
WIDTH, HEIGHT = 4000, 3000  # 12 MP
ROOT = CACHE / ("cold-12mp" if COUNT == 300 else f"cold-12mp-{COUNT}")


def make_one(index: int) -> None:
    """A camera-like 12 MP JPEG (noise, so it weighs a few MB like a real photo)."""
    from wand.image import Image

    from photosync.emulators.images import make_image
    path = ROOT / f"{index // 50:02d}" / f"IMG_{index:04d}.jpg"
    if path.exists():
        return
    shared = CACHE / "cold-12mp" / path.relative_to(ROOT)
    if shared.exists():  # a smaller run reuses the full set's files
        path.parent.mkdir(parents=True, exist_ok=True)
        os.link(shared, path)
        return
    with Image(blob=make_image(index, 400, 300, fmt="png")) as img:
        img.resize(WIDTH, HEIGHT)
        img.noise("gaussian", attenuate=0.6)
        img.format = "jpeg"
        img.compression_quality = 90
        data = img.make_blob()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.rename(path)


def generate() -> None:
    missing = [i for i in range(COUNT) if not (ROOT / f"{i // 50:02d}" / f"IMG_{i:04d}.jpg").exists()]
    if missing:
        print(f"generating {len(missing)} 12 MP JPEGs into {ROOT} (once)...", flush=True)
        with ProcessPoolExecutor(cores()) as pool:
            list(pool.map(make_one, missing))


def baseline(batch: int) -> tuple[float, list[str]]:
    """The issue's baseline; -n 1 (one file per identify) parallelises, a bare xargs would not."""
    command = (f"find {ROOT} -name '*.jpg' -print0 | xargs -0 -n {batch} -P {cores()} "
               f"identify -format '%#\\n'")
    out = CACHE / "identify.out"
    seconds = timed_shell(f"{command} > {out}")
    return seconds, out.read_text().split()


def photosync_scan() -> tuple[float, int, set[str]]:
    work = CACHE / "cold-run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    config = write_config(work, ROOT, work / "state")
    wall, rss, code, out, err = run_cli(config, "scan")
    if code != 0:
        raise SystemExit(f"photosync scan failed (exit {code}): {out} {err[-2000:]}")
    db = sqlite3.connect(work / "state" / "photosync.db")
    signatures = {r[0] for r in db.execute("SELECT signature FROM files WHERE status = 'present'")}
    return wall, rss, signatures


def main() -> int:
    generate()
    read_all(ROOT)
    size = sum(p.stat().st_size for p in ROOT.rglob("*.jpg")) / COUNT / 1e6
    print(f"{COUNT} JPEGs of {WIDTH}x{HEIGHT}, {size:.1f} MB each on average, {cores()} cores; "
          f"load average before: {os.getloadavg()[0]:.2f}")
    bases, ours = [], []
    for attempt in range(ROUNDS):  # interleaved, so a busy moment hurts both sides alike
        seconds, identified = baseline(1)
        bases.append(seconds)
        wall, rss, signatures = photosync_scan()
        ours.append(wall)
        print(f"round {attempt + 1}: identify {seconds:.2f} s, photosync scan {wall:.2f} s "
              f"(peak RSS of the scanning process {rss} MB)", flush=True)
    same = signatures == set(identified) and len(identified) == COUNT
    base, wall = min(bases), min(ours)
    print(f"baseline find | xargs -n 1 -P {cores()} identify -format '%#\\n': {base:.2f} s (best)")
    print(f"photosync scan (cold, CLI end to end): {wall:.2f} s (best), {COUNT / wall:.1f} files/s")
    print(f"signatures equal to identify's: {same}")
    ratio = wall / base
    print(f"ratio photosync / baseline = {ratio:.3f} (target <= 1.10): "
          f"{'OK' if ratio <= 1.10 else 'MISSED'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
