"""bin/check-service: run against a tmp layout of an installed service, it names each problem
with the command that fixes it, and passes a layout that is right."""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "bin" / "check-service"
ME = pwd.getpwuid(os.getuid()).pw_name


@pytest.fixture
def base():
    """A layout folder other users can enter (a tmp_path's parents are private to its owner)."""
    folder = Path(tempfile.mkdtemp(prefix="photosync-check-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def install(base: Path, user: str = ME, group: str | None = None, umask: str = "0002",
            writable: str | None = None) -> dict[str, Path]:
    """A service installed as the README says, under ``base`` instead of / (every file 0600/0700
    owned by whoever runs the test)."""
    paths = {"unit": base / "photosync.service", "config": base / "etc" / "config.yaml",
             "program": base / "bin" / "photosync", "library": base / "photo",
             "state": base / "var-lib" / "photosync", "secrets": base / "etc" / "drive-client.json"}
    for folder in ("library", "state"):
        paths[folder].mkdir(parents=True, mode=0o700)
    paths["library"].chmod(0o2770)
    paths["program"].parent.mkdir()
    paths["config"].parent.mkdir()
    paths["program"].symlink_to(sys.executable)
    client = {"client_id": "x", "client_secret": "y", "auth_uri": "https://a",
              "token_uri": "https://t"}
    paths["secrets"].write_text(json.dumps({"installed": client}))
    paths["config"].write_text(f"""library:
  root: {paths['library']}
state_dir: {paths['state']}
flickr:
  api_key: key
  api_secret: secret
drive:
  client_secrets: {paths['secrets']}
""")
    tokens = paths["state"] / "tokens"
    tokens.mkdir(mode=0o700)
    for name in ("flickr", "drive"):
        (tokens / f"{name}.json").write_text("{}")
        (tokens / f"{name}.json").chmod(0o600)
    unit = (REPO / "systemd" / "photosync.service").read_text()
    group = group or grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name
    unit = (unit.replace("User=photosync\nGroup=photosync", f"User={user}\nGroup={group}")
            .replace("/usr/local/bin/photosync", str(paths["program"]))
            .replace("/etc/photosync/config.yaml", str(paths["config"]))
            .replace("UMask=0002", f"UMask={umask}")
            .replace("ReadWritePaths=-/volume1/photo",
                     f"ReadWritePaths=-{writable or paths['library']}"))
    paths["unit"].write_text(unit)
    return paths


def check(paths: dict[str, Path], base: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--unit", str(paths["unit"]),
                           "--var-lib", str(base / "var-lib")],
                          capture_output=True, text=True, timeout=60)


def fixes(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("FIX: ")]


def test_a_set_up_as_the_readme_says_has_nothing_to_fix(base):
    result = check(install(base), base)
    assert fixes(result) == [] and result.returncode == 0, result.stdout + result.stderr
    assert "new downloads: -rw-rw-r--" in result.stdout
    assert result.stdout.endswith("nothing to fix\n")


def test_each_problem_is_named_with_its_fix(base):
    try:
        grp.getgrnam("nogroup")
    except KeyError:
        pytest.skip("no group nogroup on this machine")
    # The service's own group is not the library's group (the README's photosync vs users).
    paths = install(base, group="nogroup", umask="0027", writable="/volume1/photo")
    paths["program"].unlink()
    (paths["state"] / "tokens" / "flickr.json").chmod(0o644)
    (paths["state"] / "tokens" / "drive.json").unlink()
    paths["library"].chmod(0o770)  # no setgid: downloads would get the service user's group
    result = check(paths, base)
    assert result.returncode == 1, result.stdout + result.stderr
    out = "\n".join(fixes(result))
    program, token = paths["program"], paths["state"] / "tokens" / "flickr.json"
    assert f"ExecStart= runs {program}, which does not exist or cannot be run: " \
           f"sudo ln -sf /opt/photosync/bin/photosync {program}" in out
    assert f"token {token} (-rw-r--r-- " in out and f"sudo chmod 600 {token}" in out
    assert (f"drive is not authorized ({paths['state']}/tokens/drive.json does not exist): "
            f"sudo -u {ME} {program} --config {paths['config']} auth drive --no-browser") in out
    assert (f"library.root {paths['library']} is not in the unit's ReadWritePaths= "
            "(/volume1/photo)") in out
    assert "UMask=0027 gives downloads -rw-r-----: group " in out
    assert "cannot change them: set UMask=0002" in out
    share = grp.getgrgid(paths["library"].stat().st_gid).gr_name
    assert (f"new downloads would belong to group nogroup, not {share} (the group of "
            f"{paths['library']}): sudo find {paths['library']} -type d -exec chmod g+s {{}} +"
            ) in out
    assert result.stdout.endswith(f"{len(fixes(result))} thing(s) to fix\n")


def test_what_the_service_user_cannot_read_is_named(base):
    nobody = "nobody"
    try:
        pwd.getpwnam(nobody)
    except KeyError:
        pytest.skip("no user nobody on this machine")
    paths = install(base, user=nobody)
    for path in paths["config"], paths["secrets"]:
        path.chmod(0o600)  # owned by whoever runs the test, not by nobody
    result = check(paths, base)
    out = "\n".join(fixes(result))
    assert f"config {paths['config']} (-rw------- " in out
    assert f"is not readable by user nobody: sudo chgrp nobody {paths['config']} && " \
           f"sudo chmod 0640 {paths['config']}" in out
    assert f"drive.client_secrets {paths['secrets']} (-rw------- " in out
    assert f"state_dir {paths['state']} (" in out
    assert f"sudo chown -R nobody: {paths['state']}" in out
    assert f"library.root {paths['library']} (" in out and "is not writable by user nobody" in out


def test_a_missing_service_user_is_reported_with_the_command_that_makes_it(base):
    paths = install(base)
    unit = paths["unit"].read_text().replace(f"User={ME}", "User=photosync-no-such-user")
    paths["unit"].write_text(unit)
    result = check(paths, base)
    assert result.returncode == 1
    assert ("FIX: user photosync-no-such-user does not exist (nothing below can be checked as that "
            "user): sudo useradd --system --home-dir /var/lib/photosync --shell /usr/sbin/nologin "
            "photosync-no-such-user") in result.stdout
    assert "Traceback" not in result.stderr


def test_client_secrets_in_a_home_folder_is_hidden_from_the_service(base):
    paths = install(base)
    text = paths["config"].read_text().replace(str(paths["secrets"]), "/root/drive-client.json")
    paths["config"].write_text(text)
    result = check(paths, base)
    assert ("FIX: drive.client_secrets /root/drive-client.json is below /root, which the unit "
            "hides (ProtectHome=yes): move it to /etc/photosync/drive-client.json") in result.stdout
