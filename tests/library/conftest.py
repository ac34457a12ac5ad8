"""A small photo library in tmp_path and a one-call scan."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable

import pytest

from photosync.config import LibraryConfig
from photosync.emulators.images import make_image
from photosync.library.scan import ScanResult, scan
from photosync.state.db import open_db


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    return folder


@pytest.fixture
def conn(tmp_path: Path):
    connection = open_db(tmp_path / "state")
    yield connection
    connection.close()


def write_photo(root: Path, rel: str, seed: int | str | None = None, data: bytes | None = None, **kw) -> Path:
    """Write a generated photo (or ``data``) at ``root/rel``."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = kw.pop("fmt", None) or {"png": "png", "gif": "gif", "tif": "tiff", "tiff": "tiff",
                                  "heic": "heic"}.get(rel.rsplit(".", 1)[-1].lower(), "jpeg")
    path.write_bytes(data if data is not None else make_image(seed if seed is not None else rel,
                                                              fmt=fmt, **kw))
    return path


@pytest.fixture
def run_scan(conn: sqlite3.Connection, root: Path) -> Callable[..., ScanResult]:
    def go(**library: object) -> ScanResult:
        return scan(conn, LibraryConfig(root=root, **library), workers=2)
    return go


def table(conn: sqlite3.Connection, status: str | None = None) -> dict[str, sqlite3.Row]:
    sql = "SELECT * FROM files" + (" WHERE status = ?" if status else "")
    return {r["path"]: r for r in conn.execute(sql, (status,) if status else ())}


@pytest.fixture
def put(root: Path) -> Callable[..., Path]:
    """``put("2024/a.jpg", seed=..., data=..., **make_image_args)`` writes under the root."""
    return lambda rel, seed=None, data=None, **kw: write_photo(root, rel, seed, data, **kw)


@pytest.fixture
def rows(conn: sqlite3.Connection) -> Callable[..., dict[str, sqlite3.Row]]:
    """``rows(status=None)``: the files table by path."""
    return lambda status=None: table(conn, status)
