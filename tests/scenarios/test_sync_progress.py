"""`photosync sync` on a terminal: several bars (a scan, Flickr, Drive, a second scan) one after
the other, each left on its own line, none drawn over another (issue 15)."""

from __future__ import annotations

import pyte

from tests.cli.test_scan_progress import on_a_terminal
from tests.scenarios.conftest import admin


def screen_of(output: str, rows: int = 24, columns: int = 100) -> list[str]:
    """The lines a terminal shows once ``output`` is drawn (cursor moves and \\r applied)."""
    screen = pyte.Screen(columns, rows)
    stream = pyte.Stream(screen)
    stream.feed(output.replace("\n", "\r\n"))  # the pty's onlcr: \n also returns the carriage
    return [line.rstrip() for line in screen.display]


def test_bars_of_a_sync_do_not_overwrite_each_other(world, isolated_env):
    for n in range(3):
        world.photo(f"Trip/p{n}.jpg", 200 + n)
    admin(world.flickr_url, "seed", {"seed": 4, "accounts": ["testuser"], "photos": 2,
                                     "albums": 0, "video_ratio": 0, "collections": False})
    # one retried Drive upload: its log line is printed while the Drive bar is drawn
    admin(world.drive_url, "faults", {"once": [{"kind": "http_503", "method": "drive.files.create",
                                                "path": "/upload/"}]})
    code, output = on_a_terminal(["--config", str(world.config), "sync"], isolated_env)
    assert code == 0, output
    lines = [line for line in screen_of(output, rows=100) if line]
    shown = lines[:lines.index(next(line for line in lines if line.startswith("Library:")))]
    retry = [line for line in shown if "retry 1 of 7" in line]
    assert len(retry) == 1 and "Google Drive: uploading p" in retry[0], shown
    bars = [line for line in shown if line not in retry]
    # every bar is on its own line, finished: the first scan's is not drawn over by the second
    assert [line.split(":")[0] for line in bars] == [
        "scan", "Flickr", "Flickr albums", "Google Drive", "scan", "Google Drive"], shown
    assert all("100%|" in line for line in bars), shown
