"""bin/setup-system (the first step of `make test` / `make demo`): idempotent, and without root it
names exactly the missing Debian packages and stops."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "bin" / "setup-system"


def run(env: dict[str, str], as_nobody: bool = False) -> subprocess.CompletedProcess:
    prefix: list[str] = []
    if as_nobody:
        if os.geteuid() != 0 or not shutil.which("setpriv"):
            pytest.skip("needs root and setpriv(1) to run the script as another user")
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    return subprocess.run([*prefix, "sh", str(SCRIPT)], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)


def test_nothing_to_do_when_everything_is_installed():
    result = run({})
    assert result.returncode == 0 and result.stderr == "" and result.stdout == ""


def test_without_root_it_names_the_missing_package_and_stops():
    result = run({"PHOTOSYNC_SYSTEM_PACKAGES": "imagemagick photosync-no-such-package"},
                 as_nobody=True)
    assert result.returncode == 1
    assert "photosync needs these Debian packages: photosync-no-such-package" in result.stderr
    assert "apt-get install -y photosync-no-such-package" in result.stderr
    assert "installing" not in result.stderr  # it did not try


@pytest.mark.parametrize("known,package", [("libmagickwand-6.q16-7t64", "libmagickwand-6.q16-7t64"),
                                           ("libmagickwand-6.q16-6", "libmagickwand-6.q16-6")])
def test_it_names_the_magickwand_package_of_the_release_and_python3_venv(known, package):
    """Ubuntu 24.04's apt knows only the 7t64 name, Debian 12's only the -6 one (dpkg and
    apt-cache here answer as on a fresh machine of that release)."""
    bin_dir = Path(tempfile.mkdtemp(prefix="photosync-fake-apt-"))  # nobody must reach it
    bin_dir.chmod(0o755)
    (bin_dir / "apt-cache").write_text(f'#!/bin/sh\n[ "$2" = "{known}" ]\n')
    (bin_dir / "dpkg-query").write_text("#!/bin/sh\nexit 1\n")  # nothing installed
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    try:
        result = run({"PATH": f"{bin_dir}:{os.environ['PATH']}", "PHOTOSYNC_SYSTEM_PACKAGES": ""},
                     as_nobody=True)
    finally:
        shutil.rmtree(bin_dir)
    assert result.returncode == 1
    assert f"apt-get install -y {package} imagemagick ffmpeg python3-venv" in result.stderr
