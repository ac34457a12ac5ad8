"""The shipped systemd units: what the issue asks of them, and systemd's own verdict on them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "systemd"
HARDENING = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
             "PrivateTmp": "yes"}


def directives(name: str) -> dict[str, list[str]]:
    """Key -> every value assigned to it (systemd keys may repeat)."""
    out: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


@pytest.mark.parametrize("name", ["photosync.service", "photosync-sync.service"])
def test_services_run_as_a_dedicated_user_hardened_with_the_library_writable(name):
    d = directives(name)
    assert d["User"] == ["photosync"] and d["Group"] == ["photosync"]
    for key, value in HARDENING.items():
        assert d[key] == [value], key
    assert d["StateDirectory"] == ["photosync"]
    assert any(p.lstrip("-") == "/volume1/photo" for v in d["ReadWritePaths"] for p in v.split())
    assert "--config /etc/photosync/config.yaml" in d["ExecStart"][0]


def test_the_daemon_unit_is_type_notify_with_a_watchdog_and_restart():
    d = directives("photosync.service")
    assert d["Type"] == ["notify"] and d["Restart"] == ["on-failure"]
    assert d["ExecStart"][0].endswith(" watch") and "HUP" in d["ExecReload"][0]
    assert int(d["WatchdogSec"][0]) >= 60
    assert int(d["TimeoutStopSec"][0]) > 10  # the daemon stops within 10 s; systemd waits longer


def test_the_timer_starts_the_one_shot():
    service, timer = directives("photosync-sync.service"), directives("photosync-sync.timer")
    assert service["Type"] == ["oneshot"] and service["ExecStart"][0].endswith(" sync")
    assert timer["OnCalendar"] and timer["Persistent"][0] in ("true", "yes")  # a missed night runs at boot
    assert timer["WantedBy"] == ["timers.target"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verify_finds_nothing(tmp_path):
    for unit in UNITS.iterdir():  # ExecStart must name an existing program for verify
        text = unit.read_text().replace("/usr/local/bin/photosync", shutil.which("true") or "/bin/true")
        (tmp_path / unit.name).write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())],
                            capture_output=True, text=True, timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "Unknown" in line or "ignoring" in line or "rror" in line or "not" in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["photosync.service", "photosync-sync.service"])
def test_the_readme_install_puts_the_program_where_the_unit_runs_it(name):
    readme = (UNITS.parent / "README.md").read_text()
    d = directives(name)
    program = d["ExecStart"][0].split()[0]
    assert f"ln -sf /opt/photosync/bin/photosync {program}" in readme
    assert "auth drive --no-browser" in readme and "drive.client_secrets: /etc/photosync/" in readme
    # Downloads readable and changeable by the group sharing the library (README: who can read).
    assert d["UMask"] == ["0002"]
