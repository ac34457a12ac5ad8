"""The decode pool: results for every file, and a worker crash costs only the file that caused it."""

from __future__ import annotations

import os
from pathlib import Path

from photosync.emulators.images import make_image
from photosync.library.decode import decode_file
from photosync.library.outcome import Decoded
from photosync.library.pool import DecodePool


def crash_on_bomb(path: str, media: str) -> Decoded:
    """Stands in for an ImageMagick segfault on a hostile file."""
    if path.endswith("bomb.jpg"):
        os._exit(139)
    return decode_file(path, media)


def test_every_file_comes_back_once(tmp_path: Path):
    paths = []
    for i in range(12):
        paths.append(tmp_path / f"{i}.jpg")
        paths[-1].write_bytes(make_image(i))
    results = {}
    with DecodePool(2, window_per_worker=2) as pool:
        for i, path in enumerate(paths):
            results.update(pool.submit(i, str(path), "photo"))
        results.update(pool.finish())
    assert sorted(results) == list(range(12))
    assert all(r.error is None and r.signature for r in results.values())
    assert pool.submitted == pool.completed == 12


def test_a_crashing_file_fails_alone(tmp_path: Path):
    names = ["a.jpg", "bomb.jpg", "b.jpg", "c.jpg", "d.jpg"]
    for name in names:
        (tmp_path / name).write_bytes(make_image(name))
    results = {}
    with DecodePool(2, function=crash_on_bomb) as pool:
        for name in names:
            results.update(pool.submit(name, str(tmp_path / name), "photo"))
        results.update(pool.finish())
    assert set(results) == set(names)
    assert results["bomb.jpg"].error == "ImageMagick crashed while decoding it"
    assert all(results[n].error is None and results[n].signature for n in names if n != "bomb.jpg")
