"""Fixtures shared by the whole suite: the CLI as a subprocess, isolated XDG dirs."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """XDG dirs inside tmp_path so no test touches the real user's config or state."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOSYNC_")}
    for name in ("CONFIG", "STATE", "DATA", "CACHE"):
        folder = tmp_path / "xdg" / name.lower()
        folder.mkdir(parents=True)
        env[f"XDG_{name}_HOME"] = str(folder)
        monkeypatch.setenv(f"XDG_{name}_HOME", str(folder))
    env["HOME"] = str(tmp_path / "home")
    (tmp_path / "home").mkdir()
    return env


@pytest.fixture
def cli(isolated_env: dict[str, str]):
    """Run ``photosync ARGS`` as a subprocess; returns exit code, stdout, stderr."""
    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
            input: str | None = None) -> Result:
        full_env = dict(isolated_env)
        full_env.update(env or {})
        proc = subprocess.run([sys.executable, "-m", "photosync", *args], capture_output=True,
                              text=True, env=full_env, timeout=timeout, input=input)
        return Result(proc.returncode, proc.stdout, proc.stderr)
    return run
