"""Shared by the index benchmarks: generated libraries cached under /tmp, timing, CLI runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path(os.environ.get("PHOTOSYNC_BENCH_CACHE", "/tmp/photosync-bench"))


def cores() -> int:
    return len(os.sched_getaffinity(0))


def write_config(folder: Path, root: Path, state: Path) -> Path:
    config = folder / "config.yaml"
    config.write_text(f"library:\n  root: {root}\nstate_dir: {state}\n")
    return config


def run_cli(config: Path, *args: str) -> tuple[float, int, int, str, str]:
    """Run ``photosync -q --config CONFIG ARGS``: (wall s, peak RSS MiB, exit code, stdout, stderr).

    The RSS is the CLI process's own high-water mark (with any decode workers it reaped).
    """
    out_path, err_path = CACHE / "cli.out", CACHE / "cli.err"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "photosync", "-q", "--config", str(config),
                                 *args], stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss // 1024, proc.returncode, out_path.read_text(), err_path.read_text()


def timed_shell(command: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, shell=True, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def read_all(root: Path) -> None:
    """Put every file in the page cache, so both sides time decoding, not the disk."""
    subprocess.run(f"find {root} -type f -print0 | xargs -0 cat > /dev/null", shell=True, check=True)
