"""Config validation through the CLI: every problem is one line with FILE:LINE, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest


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
    ("library:\n  root: {root}\nsync:\n  on_local_delete: nuke\n", 4,
     "sync.on_local_delete must be one of keep, delete-remote"),
    ("library:\n  root: {root}\nflickr:\n  enabled: yes please\n", 4, "flickr.enabled must be true or false"),
    ("library:\n  root: {root}\nflickr:\n  endpoint: ftp://x\n", 3, "flickr.api_key is missing"),
    ("library:\n  root: {root}\ndrive:\n  endpoint: nowhere\n", 4, "drive.endpoint: 'nowhere' is not an http(s) URL"),
])
def test_each_problem_is_one_line_with_file_and_line(cli, tmp_path, root, body, line, needle):
    cfg = write(tmp_path, body.format(root=root))
    result = cli("--config", str(cfg), "config", "check")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"photosync: config error: {cfg}:{line}: " in result.stderr
    assert needle in result.stderr


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


def test_shipped_example_is_valid_apart_from_its_root(cli, tmp_path, root):
    example = (Path(__file__).parents[2] / "config" / "photosync.example.yaml").read_text()
    cfg = write(tmp_path, example.replace("/volume1/photo", str(root)))
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
