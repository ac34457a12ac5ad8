"""Each remote's account as last learnt (migration 8): Flickr's kind, limits and usage.

Written by a sync (the kind and limits on a full listing, the usage every run) and read by
``photosync status``, ``config check`` and the planner, so none of them asks Flickr again.
"""

from __future__ import annotations

import json
import sqlite3

from photosync.remotes.flickr_account import FlickrAccount
from photosync.state.db import transaction


def save_account(conn: sqlite3.Connection, remote: str, account: FlickrAccount,
                 now: float) -> None:
    with transaction(conn):
        conn.execute("INSERT INTO remote_accounts (remote, data, updated) VALUES (?, ?, ?) "
                     "ON CONFLICT (remote) DO UPDATE SET data = excluded.data, "
                     "updated = excluded.updated",
                     (remote, json.dumps(account.to_dict()), now))


def load_account(conn: sqlite3.Connection, remote: str) -> FlickrAccount | None:
    row = conn.execute("SELECT data FROM remote_accounts WHERE remote = ?", (remote,)).fetchone()
    return FlickrAccount.from_dict(json.loads(row[0])) if row else None
