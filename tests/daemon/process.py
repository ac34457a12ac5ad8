"""``photosync watch`` as a real subprocess: start, signal, read its status and its log."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.daemon.conftest import wait_for


class Daemon:
    def __init__(self, config: Path, state: Path, env: dict[str, str], log: Path):
        self.config, self.state, self.env, self.log_path = config, state, env, log
        self.proc: subprocess.Popen | None = None

    def start(self, extra_env: dict[str, str] | None = None) -> "Daemon":
        env = {**self.env, **(extra_env or {})}
        self.log_file = open(self.log_path, "a")
        self.proc = subprocess.Popen([sys.executable, "-m", "photosync", "--config", str(self.config),
                                      "watch"], stdout=self.log_file, stderr=subprocess.STDOUT, env=env)
        wait_for(lambda: self.status().get("pid") == self.proc.pid or self.proc.poll() is not None,
                 30, "the daemon to start")
        assert self.proc.poll() is None, self.log()
        return self

    def status(self) -> dict:
        try:
            return json.loads((self.state / "daemon.json").read_text())
        except (OSError, ValueError):
            return {}

    def remote(self, name: str) -> dict:
        return self.status().get("remotes", {}).get(name, {})

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def stop(self, timeout: float = 10.0) -> float:
        """SIGTERM; returns how long it took to exit (the test fails past ``timeout``)."""
        began = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"photosync watch did not stop within {timeout} s:\n{self.log()}")
        self.log_file.close()
        assert code == 0, (code, self.log())
        return time.monotonic() - began

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if getattr(self, "log_file", None):
            self.log_file.close()

