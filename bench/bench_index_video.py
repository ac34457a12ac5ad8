"""Indexing videos (issue 19): bounded by reading the bytes, memory flat in the file size.

Measures:
- ``photosync scan`` of BENCH_VIDEO_GB (2) GB of videos (8 files) against ``sha256sum`` of the
  same files, side by side, in MB/s: target within 1.2x of sha256sum (the index computes MD5
  and SHA-256 in one read);
- peak RSS of the process that indexes one BENCH_VIDEO_BIG_GB (4) GB video: target < 100 MB.
The videos are real MP4s (ffmpeg) grown with a trailing ``free`` box; BENCH_VIDEO_SPARSE=1 (the
default) makes that padding sparse (quick to make, no disk used: both sides then measure hashing,
not the disk); 0 writes real random bytes. Everything is deleted afterwards.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from photosync.config import LibraryConfig
from photosync.library.scan import scan
from photosync.state.db import open_db

GB = 1024**3
TOTAL = float(os.environ.get("BENCH_VIDEO_GB", "2"))
BIG = float(os.environ.get("BENCH_VIDEO_BIG_GB", "4"))
SPARSE = os.environ.get("BENCH_VIDEO_SPARSE", "1") == "1"
FILES = 8


def make_video(path: Path, size: int, seed: int) -> None:
    """A real MP4 of ``size`` bytes: ffmpeg's clip, then a ``free`` box to the size."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=64x48:rate=10:duration=0.3", "-metadata", f"title={seed}",
                    "-c:v", "mpeg4", str(path)], check=True)
    start = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.seek(start)
        fh.write(struct.pack(">I4s", min(size - start, 2**32 - 1), b"free"))
        if SPARSE:
            fh.truncate(size)
            return
        while fh.tell() < size:
            fh.write(os.urandom(min(8 << 20, size - fh.tell())))


def timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def index_vs_sha256sum(folder: Path) -> None:
    library = folder / "library"
    library.mkdir()
    for i in range(FILES):
        make_video(library / f"VID_{i:04d}.mp4", int(TOTAL * GB / FILES), i)
    files = sorted(str(p) for p in library.iterdir())
    megabytes = sum(os.path.getsize(f) for f in files) / 1e6
    baseline = timed(lambda: subprocess.run(["sha256sum", *files], check=True,
                                            capture_output=True))
    conn = open_db(folder / "state")
    ours = timed(lambda: scan(conn, LibraryConfig(root=library)))
    indexed = conn.execute("SELECT COUNT(*) FROM files WHERE media = 'video' AND sha256 IS NOT "
                           "NULL").fetchone()[0]
    conn.close()
    assert indexed == FILES, indexed
    ratio = ours / baseline
    print(f"index {megabytes:.0f} MB of video in {FILES} files ({'sparse' if SPARSE else 'real'}"
          f" bytes): photosync scan {megabytes / ours:.0f} MB/s ({ours:.1f} s), sha256sum "
          f"{megabytes / baseline:.0f} MB/s ({baseline:.1f} s): {ratio:.2f}x "
          f"(target <= 1.2x) {'OK' if ratio <= 1.2 else 'OVER'}")
    shutil.rmtree(library)


def rss_of_one_big_video(folder: Path) -> None:
    path = folder / "BIG.mp4"
    make_video(path, int(BIG * GB), 99)
    code = ("import resource, sys; from photosync.library.decode import decode_file; "
            "d = decode_file(sys.argv[1], 'video'); assert d.error is None and d.sha256, d; "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, str(path)], check=True,
                         capture_output=True, text=True)
    seconds = time.perf_counter() - start
    rss_mb = int(out.stdout.strip()) / 1024
    print(f"index one {BIG:.0f} GB video: peak RSS {rss_mb:.0f} MB (target < 100 MB) "
          f"{'OK' if rss_mb < 100 else 'OVER'}, {BIG * GB / 1e6 / seconds:.0f} MB/s")
    path.unlink()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="photosync-bench-video-") as tmp:
        index_vs_sha256sum(Path(tmp))
        rss_of_one_big_video(Path(tmp))


if __name__ == "__main__":
    main()
