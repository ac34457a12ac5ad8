"""``photosync duplicates [--json]``: local files that show the same picture, biggest groups
first."""

from __future__ import annotations

import argparse
import json

from photosync.cli.app import App
from photosync.state.db import open_db
from photosync.state.index import LocalFile, duplicate_groups


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "duplicates", help="list local files with the same picture (run scan first)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(func=run_duplicates)


def run_duplicates(app: App) -> int:
    conn = open_db(app.config.state_dir)
    try:
        groups = duplicate_groups(conn)
    finally:
        conn.close()
    if app.args.json:
        print(json.dumps([_group_json(g) for g in groups], indent=2, ensure_ascii=False))
        return 0
    for group in groups:
        first = group[0]  # the same form as --json: the signature, or a video's sha256
        same = f"signature {first.signature}" if first.signature else f"sha256 {first.sha256}"
        print(f"{len(group)} files, {same}")
        for file in group:
            print(f"  {file.path}  ({file.size:,} bytes)")
    print(f"{len(groups)} group(s) of duplicates" if groups else "no duplicates")
    return 0


def _group_json(group: list[LocalFile]) -> dict[str, object]:
    return {
        "signature": group[0].signature,
        "sha256": None if group[0].signature else group[0].sha256,
        "files": [{"path": f.path, "size": f.size, "id": f.id} for f in group],
    }
