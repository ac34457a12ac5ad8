"""``photosync watch`` as a subprocess with no remote: sd_notify, signals, the lock, status."""

from __future__ import annotations

import json
import signal
import socket
from pathlib import Path

import pytest

from tests.daemon.conftest import put, wait_for
from tests.daemon.process import Daemon


@pytest.fixture
def daemon(tmp_path: Path, isolated_env):
    root = tmp_path / "photos"
    root.mkdir()
    config = tmp_path / "config.yaml"
    config.write_text(f"library:\n  root: {root}\nstate_dir: {tmp_path / 'state'}\n"
                      f"daemon:\n  settle_seconds: 0.3\n  web:\n    listen: 127.0.0.1:0\n")
    d = Daemon(config, tmp_path / "state", isolated_env, tmp_path / "watch.log")
    d.root = root
    yield d
    d.kill()


def test_sd_notify_ready_status_watchdog_and_stopping_arrive_on_the_socket(daemon, tmp_path):
    address = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(15)
    daemon.start({"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "600000"})
    messages: list[str] = []

    def receive_until(token: str) -> None:
        while not any(token in m for m in messages):
            messages.append(sock.recv(4096).decode())
    receive_until("READY=1")
    assert any("STATUS=" in m for m in messages)
    receive_until("WATCHDOG=1")
    assert any(f"MAINPID={daemon.proc.pid}" in m for m in messages)
    daemon.stop()
    receive_until("STOPPING=1")
    sock.close()


def test_sighup_with_a_broken_config_keeps_running_then_a_good_one_applies(daemon):
    daemon.start()
    wait_for(lambda: daemon.status().get("last_scan"), message="the first scan")
    good = daemon.config.read_text()
    daemon.config.write_text(good + "daemon:\n  settle_seconds: [oops\n")
    daemon.signal(signal.SIGHUP)
    wait_for(lambda: daemon.status().get("config_error"), message="the reload error")
    assert "config reload failed" in daemon.status()["config_error"]
    assert daemon.proc.poll() is None
    put(daemon.root, "a.jpg", 1)  # still watching with the old config
    wait_for(lambda: daemon.status().get("batches") == 1, message="a batch after the bad reload")
    daemon.config.write_text(good)
    daemon.signal(signal.SIGHUP)
    wait_for(lambda: daemon.status().get("config_error") is None)
    assert "config reloaded" in daemon.log()
    assert daemon.stop() < 10


def test_one_instance_per_state_dir_and_status_while_running(daemon, cli):
    daemon.start()
    second = cli("--config", str(daemon.config), "watch", timeout=30)
    assert second.returncode == 2
    assert "already running" in second.stderr and str(daemon.proc.pid) in second.stderr
    one_shot = cli("--config", str(daemon.config), "sync", "--dry-run", timeout=30)
    assert one_shot.returncode == 2 and "photosync watch" in one_shot.stderr, one_shot.stderr
    assert "asked to sync now" not in one_shot.stderr  # a dry run does not nudge the daemon
    nudge = cli("--config", str(daemon.config), "sync", timeout=30)
    assert nudge.returncode == 2 and "asked to sync now" in nudge.stderr, nudge.stderr
    wait_for(lambda: "asked to sync now" in daemon.log(), message="the daemon's SIGUSR1 sync")
    status = cli("--config", str(daemon.config), "status", "--json", timeout=30)
    assert status.returncode == 0, status.stderr
    doc = json.loads(status.stdout)
    assert doc["daemon"]["running"] and doc["daemon"]["pid"] == daemon.proc.pid
    assert doc["daemon"]["mode"] == "inotify"
    text = cli("--config", str(daemon.config), "status", timeout=30)
    assert f"running (pid {daemon.proc.pid}" in text.stdout
    assert daemon.stop() < 10
    after = json.loads(cli("--config", str(daemon.config), "status", "--json", timeout=30).stdout)
    assert after["daemon"]["running"] is False


def test_sigint_stops_too(daemon):
    daemon.start()
    daemon.signal(signal.SIGINT)
    assert daemon.proc.wait(10) == 0
    assert daemon.status()["state"] == "stopped"


def test_a_damaged_state_database_stops_the_daemon_with_one_line_exit_2(daemon, cli):
    daemon.state.mkdir(mode=0o700)
    (daemon.state / "photosync.db").write_bytes(b"garbage, not a database" * 200)
    result = cli("--config", str(daemon.config), "watch", timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    damaged = [line for line in result.stderr.splitlines() if "is damaged" in line]
    assert len(damaged) == 1 and "(file is not a database)" in damaged[0], result.stderr


def test_status_json_keeps_its_daemon_keys_while_running_and_after(daemon, cli):
    """The ``daemon`` part of ``photosync status --json`` is a contract: the same keys whether
    the status file is read by the old dict code or the DaemonStatus record."""
    daemon.start()
    wait_for(lambda: daemon.status().get("last_scan"), message="the first scan")
    put(daemon.root, "a.jpg", 1)
    wait_for(lambda: daemon.status().get("batches") == 1, message="a batch")
    doc = json.loads(cli("--config", str(daemon.config), "status", "--json", timeout=30).stdout)
    assert set(doc) == {"daemon", "remotes", "failed", "unreadable", "last_run"}
    assert set(doc["daemon"]) == {"running", "pid", "started", "mode", "pending", "scanning",
                                  "batches", "last_batch", "config_error", "warning",
                                  "uptime_seconds"}
    assert doc["daemon"]["batches"] == 1 and doc["daemon"]["last_batch"]["files"] == 1
    daemon.stop()
    after = json.loads(cli("--config", str(daemon.config), "status", "--json", timeout=30).stdout)
    assert set(after["daemon"]) == {"running", "pid", "other_process", "stopped"}
    assert after["daemon"]["stopped"] >= doc["daemon"]["started"]
