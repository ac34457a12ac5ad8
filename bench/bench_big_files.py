"""A big file up and down, on both emulators: the peak RSS of the process doing it stays flat
(chunked and resumable on Drive, streamed on Flickr) and no temporary copy is made.

The file is sparse (holes read as zeros, so it costs no disk) behind an MP4 header: 4 GiB for
Drive; Flickr refuses files over 1 GiB (its video limit; the emulator says so with upload error
8), so Flickr gets the largest it takes. Each transfer runs in a child process of its own, once
with the big file and once with a 1 MiB one; the difference of their peak RSS is what the big
file costs. Each emulator runs in its own process (its memory is not ours: it keeps what it is
sent). The file is deleted afterwards.

Usage: bench_big_files.py [--drive-size 4G] [--flickr-size 1G] [remotes...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_remote_uploads import emulator  # the emulator in its own process

TARGET_MB = 100  # peak RSS growth allowed for a big file over a 1 MiB one
HEADER = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"  # an MP4 ``ftyp`` box


def make_file(path: Path, size: int) -> str:
    """A sparse file of ``size`` bytes starting with an MP4 header; its MD5 (read once)."""
    with open(path, "wb") as out:
        out.write(HEADER)
        out.truncate(size)
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        while block := fh.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


def remote_for(service: str, url: str, state: Path):
    if service == "flickr":
        from photosync.emulators.flickr_testing import admin
        from photosync.remotes.flickr import FlickrRemote

        minted = admin(url, "token", {"username": "bench", "perms": "delete"})
        return FlickrRemote(minted["api_key"], minted["api_secret"], minted["oauth_token"],
                            minted["oauth_token_secret"], url)
    from photosync.emulators.drive_client import mint_credentials
    from photosync.remotes.drive import DriveRemote

    return DriveRemote(mint_credentials(url), url, "Photos", timeout=600.0)


def child(service: str, url: str, path: Path, md5: str, out: Path) -> None:
    """Upload ``path`` as the sync does (streamed, verified against ``md5``), download it back
    into ``out``; prints the seconds each took as JSON."""
    from photosync.remotes.files import sendable

    remote = remote_for(service, url, out.parent)
    began = time.perf_counter()
    with sendable(path, md5, path.stat().st_size) as source:
        item = remote.upload(source, path.name, None, f"{len(md5):02x}" + md5 * 2)
    up = time.perf_counter() - began
    began = time.perf_counter()
    remote.download(item.id, out)
    down = time.perf_counter() - began
    print(json.dumps({"up": up, "down": down, "same": out.stat().st_size == path.stat().st_size}))


def measured(service: str, url: str, path: Path, md5: str, tmp: Path) -> tuple[int, dict]:
    """(peak RSS in MiB, the child's figures) of one upload + download in a child process."""
    out = tmp / f"down-{service}-{path.name}"
    env = dict(os.environ, TMPDIR=str(tmp / "tmpdir"))
    (tmp / "tmpdir").mkdir(exist_ok=True)
    proc = subprocess.Popen([sys.executable, __file__, "--child", service, url, str(path), md5,
                             str(out)], stdout=subprocess.PIPE, text=True, env=env)
    stdout = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{service}: the transfer failed")
    out.unlink(missing_ok=True)
    assert not any((tmp / "tmpdir").iterdir()), "something was left in $TMPDIR"
    return usage.ru_maxrss // 1024, json.loads(stdout.strip().splitlines()[-1])


def size_of(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(text[:-1]) * units[text[-1].upper()]) if text[-1].upper() in units \
        else int(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drive-size", default="4G")
    parser.add_argument("--flickr-size", default="1G")
    parser.add_argument("remotes", nargs="*", default=["drive", "flickr"])
    args = parser.parse_args()
    sizes = {"drive": size_of(args.drive_size), "flickr": min(size_of(args.flickr_size), 1 << 30)}
    worst = 0
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp_name:
        tmp = Path(tmp_name)
        for service in args.remotes:
            small, big = tmp / "small.mp4", tmp / "big.mp4"
            small_md5 = make_file(small, 1 << 20)
            big_md5 = make_file(big, sizes[service])
            with emulator(service, 0) as url:
                base, _ = measured(service, url, small, small_md5, tmp)
                peak, figures = measured(service, url, big, big_md5, tmp)
            big.unlink()
            growth = peak - base
            worst = max(worst, growth)
            gib = sizes[service] / (1 << 30)
            print(f"{service}: {gib:.2f} GiB up in {figures['up']:.0f} s "
                  f"({sizes[service] / figures['up'] / 1e6:.0f} MB/s), down in "
                  f"{figures['down']:.0f} s, same size back: {figures['same']}; peak RSS "
                  f"{peak} MiB vs {base} MiB for 1 MiB: +{growth} MiB (target <= {TARGET_MB}) "
                  f"{'OK' if growth <= TARGET_MB else 'MISSED'}; nothing written to $TMPDIR")
    return 0 if worst <= TARGET_MB else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, service, url, path, md5, out = sys.argv
        child(service, url, Path(path), md5, Path(out))
    else:
        sys.exit(main())
