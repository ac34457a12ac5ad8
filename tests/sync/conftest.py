"""A small real library on disk and a config pointing at it, for sync engine tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from photosync.config import Config, parse
from photosync.emulators.images import make_image


def photo(root: Path, rel: str, seed: int | str, taken: datetime | None = None) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(make_image(seed, date_taken=taken or datetime(2020, 1, 1) + timedelta(hours=hash(str(seed)) % 1000)))
    return path


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    root.mkdir()
    return root


@pytest.fixture
def make_config(tmp_path: Path, library: Path):
    def build(extra: str = "") -> Config:
        text = f"library:\n  root: {library}\nstate_dir: {tmp_path / 'state'}\n{extra}"
        return parse(text, tmp_path / "config.yaml")
    return build
