"""Reports a user can act on (issue 15), through the CLI against the emulators."""

from __future__ import annotations

import json

from tests.scenarios.conftest import admin


def test_a_size_flickr_does_not_give_is_shown_as_unknown_not_0_b(world):
    admin(world.flickr_url, "seed", {"seed": 2, "accounts": ["testuser"], "photos": 1,
                                     "albums": 0, "video_ratio": 0, "collections": False})
    doc = world.sync("--dry-run", "--remote", "flickr")
    [download] = [a for a in doc["actions"] if a["action"] == "download"]
    assert download["bytes"] is None
    text = world.run("sync", "--dry-run", "--remote", "flickr").stdout
    [row] = [line for line in text.splitlines() if line.startswith("  download ")]
    assert row.split()[-1] == "unknown" and "0 B" not in row, text
