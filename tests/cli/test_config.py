"""Config validation through the CLI: every problem is one line with FILE:LINE, exit code 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from photosync.auth.drive_auth import CLIENT_KEYS


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    return folder


def test_valid_config_prints_effective_values_with_secrets_masked(cli, tmp_path, root):
    cfg = write(tmp_path, f"library:\n  root: {root}\nflickr:\n  api_key: KEY123456789\n"
                          f"  api_secret: SECRET987654321\n")
    result = cli("--config", str(cfg), "config", "check")
    assert result.returncode == 0, result.stderr
    assert "KEY123456789" not in result.stdout + result.stderr
    assert "SECRET987654321" not in result.stdout + result.stderr
    assert "api_key: '********'" in result.stdout
    assert "on_local_delete: keep" in result.stdout
    assert "max_delete: 50" in result.stdout
    assert f"root: {root}" in result.stdout


@pytest.mark.parametrize("body,line,needle", [
    ("library:\n  root: {root}\n  exlude: []\n", 3, "unknown key 'library.exlude'; did you mean 'library.exclude'?"),
    ("library:\n  root: {root}\nsync:\n  workers: many\n", 4, "sync.workers must be a whole number"),
    ("library:\n  root: {root}\n  exclude: ['(unclosed']\n", 3, "library.exclude: invalid regex '(unclosed'"),
    ("state_dir: /tmp/x\n", 1, "library is required"),
    ("library:\n  exclude: []\n", 1, "library.root is required"),
    ("library:\n  root: /no/such/folder\n", 2, "library.root: folder '/no/such/folder' does not exist"),
    ("library:\n  root: {root}/a.jpg\n", 2, "library.root: '{root}/a.jpg' is a file, not a folder"),
    ("library:\n  root: {root}\n  root: /tmp\n", 3, "library.root is set twice (first on line 2)"),
    ("sync:\n  workers: 2\nlibrary:\n  root: {root}\nsync:\n  max_delete: 3\n", 5,
     "sync is set twice (first on line 1)"),
    ("library:\n  root: {root}\n  extensions: jpg\n", 3, "library.extensions must be a list of strings"),
    ("library: [a, b]\n", 1, "library must be a mapping of keys"),
    ("library:\n  root: {root}\n  exclude_in_title: ['[a-']\n", 3,
     "library.exclude_in_title: invalid regex '[a-'"),
    ("library:\n  root: {root}\nsync:\n  max_delete: true\n", 4, "sync.max_delete must be a whole number"),
    ("library:\n  root: {root}\nstate_dir: 5\n", 3, "state_dir must be a path"),
    ("libary:\n  root: {root}\n", 1, "unknown key 'libary'; did you mean 'library'?"),
    ("library:\n  root: {root}\nsync:\n  on_local_delete: nuke\n", 4,
     "sync.on_local_delete must be one of keep, delete-remote"),
    ("library:\n  root: {root}\nflickr:\n  enabled: yes please\n", 4, "flickr.enabled must be true or false"),
    ("library:\n  root: {root}\nflickr:\n  endpoint: ftp://x\n", 3, "flickr.api_key is missing"),
    ("library:\n  root: {root}\ndrive:\n  endpoint: nowhere\n", 4, "drive.endpoint: 'nowhere' is not an http(s) URL"),
    ("library:\n  root: {root}\ndrive:\n  media: [photo, movie]\n", 4,
     "drive.media: unknown kind 'movie': list some of photo, video, live_clip, raw"),
])
def test_each_problem_is_one_line_with_file_and_line(cli, tmp_path, root, body, line, needle):
    (root / "a.jpg").write_bytes(b"x")
    cfg = write(tmp_path, body.format(root=root))
    result = cli("--config", str(cfg), "config", "check")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"photosync: config error: {cfg}:{line}: " in result.stderr
    assert needle.format(root=root) in result.stderr


def test_all_problems_are_reported_together(cli, tmp_path, root):
    cfg = write(tmp_path, f"library:\n  root: {root}\n  bogus: 1\nsync:\n  max_delete: -1\n  workers: 0\n")
    result = cli("--config", str(cfg), "config", "check")
    assert result.returncode == 2
    lines = [l for l in result.stderr.splitlines() if "config error" in l]
    assert len(lines) == 3, result.stderr
    assert f"{cfg}:3:" in lines[0] and f"{cfg}:5:" in lines[1] and f"{cfg}:6:" in lines[2]


def test_broken_yaml_names_line_and_column(cli, tmp_path):
    cfg = write(tmp_path, "library:\n  root: [unclosed\n")
    result = cli("--config", str(cfg), "config", "check")
    assert result.returncode == 2
    assert f"photosync: config error: {cfg}:3:1: invalid YAML" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_that_is_not_utf8_or_not_a_file(cli, tmp_path, root):
    cfg = tmp_path / "latin1.yaml"
    cfg.write_bytes(f"library:\n  root: {root}\n  root_album: \xe9t\xe9\n".encode("latin-1"))
    result = cli("--config", str(cfg), "config", "check")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"photosync: config error: {cfg}:3: not valid UTF-8 (byte 0xe9)" in result.stderr
    folder = cli("--config", str(tmp_path), "config", "check")
    assert folder.returncode == 2
    assert f"photosync: config error: {tmp_path}: is a folder" in folder.stderr


def in_namespace_with_mounts(mounts: str, args: list[str], env: dict[str, str]):
    """Run photosync in a private mount namespace whose /proc/mounts says ``mounts``: the state
    dir can be "on NFS" without an NFS server (root only; the namespace dies with the process)."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare(1) to give photosync its own /proc/mounts")
    fake = Path(env["HOME"]) / "fakeproc"
    fake.mkdir()
    (fake / "mounts").write_text(mounts)
    script = f'mount --bind "{fake}" /proc && exec "$0" -m photosync "$@"'
    return subprocess.run(["unshare", "-m", "sh", "-c", script, sys.executable, *args], env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("fs_type, warned", [("nfs4", True), ("cifs", True), ("ext4", False)])
def test_state_dir_on_a_network_filesystem_is_warned_about(isolated_env, tmp_path, root, fs_type,
                                                            warned):
    state = tmp_path / "state dir"
    cfg = write(tmp_path, f"library:\n  root: {root}\nstate_dir: {state}\n")
    mounts = (f"/dev/sda1 / ext4 rw 0 0\n"
              f"nas:/export {str(tmp_path).replace(' ', chr(92) + '040')} {fs_type} rw 0 0\n")
    result = in_namespace_with_mounts(mounts, ["--config", str(cfg), "config", "check"], isolated_env)
    assert result.returncode == 0, result.stderr
    warning = f"state_dir {state} is on a network filesystem ({fs_type}): SQLite locking is unreliable"
    assert (warning in result.stderr) is warned, result.stderr


def test_missing_config_file_says_where_it_looked(cli, tmp_path):
    result = cli("config", "check")
    assert result.returncode == 2
    assert "config.yaml: no such file" in result.stderr
    assert "photosync.example.yaml" in result.stderr


def test_env_variable_chooses_config_and_supplies_secrets(cli, tmp_path, root):
    cfg = write(tmp_path, f"library:\n  root: {root}\nflickr: {{}}\n")
    result = cli("config", "check", env={"PHOTOSYNC_CONFIG": str(cfg),
                                         "PHOTOSYNC_FLICKR_API_KEY": "envkey123456",
                                         "PHOTOSYNC_FLICKR_API_SECRET": "envsecret123456"})
    assert result.returncode == 0, result.stderr
    assert "enabled: true" in result.stdout
    assert "envkey123456" not in result.stdout


def test_xdg_default_path_is_used(cli, isolated_env, root):
    folder = Path(isolated_env["XDG_CONFIG_HOME"]) / "photosync"
    folder.mkdir()
    (folder / "config.yaml").write_text(f"library:\n  root: {root}\n")
    result = cli("config", "check")
    assert result.returncode == 0, result.stderr
    assert str(Path(isolated_env["XDG_STATE_HOME"]) / "photosync") in result.stdout


def test_shipped_example_is_valid_apart_from_its_root_and_client_secrets(cli, tmp_path, root):
    example = (Path(__file__).parents[2] / "config" / "photosync.example.yaml").read_text()
    secrets = tmp_path / "drive-client.json"
    secrets.write_text(json.dumps({"installed": {k: "x" for k in CLIENT_KEYS}}))
    cfg = write(tmp_path, example.replace("/volume1/photo", str(root))
                .replace("~/.config/photosync/drive-client.json", str(secrets)))
    result = cli("--config", str(cfg), "config", "check")
    assert result.returncode == 0, result.stderr


def test_version_and_help_list_only_working_commands(cli):
    result = cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("photosync ")
    result = cli("--help")
    assert result.returncode == 0
    assert "Exit codes" in result.stdout


def test_unknown_command_is_a_usage_error(cli):
    result = cli("frobnicate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
