"""Rescan after renaming a folder of 1,000 photos: no file may be decoded or hashed again."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

from index_fixtures import CACHE

COUNT = 1000


def main() -> int:
    from photosync.config import LibraryConfig
    from photosync.emulators.images import make_image
    from photosync.library.scan import scan
    from photosync.state.db import open_db

    work = CACHE / "rename-run"
    shutil.rmtree(work, ignore_errors=True)
    album = work / "photos" / "2024" / "Holiday"
    album.mkdir(parents=True)
    for i in range(COUNT):
        (album / f"IMG_{i:04d}.jpg").write_bytes(make_image(f"rename{i}", 48, 32))
    conn = open_db(work / "state")
    library = LibraryConfig(root=work / "photos")
    first = scan(conn, library)
    print(f"first scan: {first.summary()}")
    os.rename(album, album.with_name("Holiday in Crete"))
    start = time.perf_counter()
    second = scan(conn, library)
    wall = time.perf_counter() - start
    print(f"after renaming the folder: {second.summary()}")
    print(f"files decoded/hashed again: {second.decoded} (target 0): "
          f"{'OK' if second.decoded == 0 else 'MISSED'}; moved {second.moved} of {COUNT}; "
          f"{wall:.2f} s")
    albums = {r[0] for r in conn.execute("SELECT album FROM files WHERE status = 'present'")}
    print(f"albums now: {sorted(albums)}")
    ok = second.decoded == 0 and second.moved == COUNT and albums == {"2024/Holiday in Crete"}
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
