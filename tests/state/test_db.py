"""The state database: pragmas, versioned migrations with a backup, transactions."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
import stat
from pathlib import Path

import pytest

from photosync.errors import UsageError
from photosync.state import db
from photosync.state.db import MIGRATIONS, Migration, open_db, schema_version, transaction


def test_open_creates_private_dir_and_sets_pragmas(tmp_path: Path):
    state = tmp_path / "state" / "nested"
    conn = open_db(state)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == db.BUSY_TIMEOUT_MS
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema_version() == len(MIGRATIONS)
    row = conn.execute("SELECT 1 AS one").fetchone()
    assert row["one"] == 1  # sqlite3.Row
    conn.close()
    assert not list(state.glob("*.bak-*"))  # a fresh database is not backed up


def test_reopen_is_idempotent(tmp_path: Path):
    open_db(tmp_path).close()
    conn = open_db(tmp_path)
    assert db.current_version(conn) == schema_version()
    assert not list(tmp_path.glob("*.bak-*"))


def _old_database(state: Path, version: int) -> None:
    """A database as an older photosync left it: only the first ``version`` migrations."""
    state.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db.db_path(state), isolation_level=None)
    for step in MIGRATIONS[:version]:
        for statement in step.statements:
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("INSERT INTO files (path, status, first_seen, updated, md5) "
                 "VALUES ('a.jpg', 'present', 1, 1, 'abc')")
    conn.close()


def test_migrating_an_older_database_backs_it_up_and_keeps_data(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch):
    _old_database(tmp_path, 1)

    def fill(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO extra (file_id, note) SELECT id, 'r-' || path FROM files")

    new = [Migration("extra", ("CREATE TABLE extra (file_id INTEGER REFERENCES files(id), "
                               "note TEXT)",), fill)]
    monkeypatch.setattr(db, "MIGRATIONS", MIGRATIONS + new)  # every real migration, then one more
    conn = open_db(tmp_path)
    assert db.current_version(conn) == len(MIGRATIONS) + 1
    assert conn.execute("SELECT md5 FROM files WHERE path = 'a.jpg'").fetchone()["md5"] == "abc"
    assert conn.execute("SELECT note FROM extra").fetchone()[0] == "r-a.jpg"
    backup = tmp_path / "photosync.db.bak-v1"
    assert backup.exists() and stat.S_IMODE(backup.stat().st_mode) == 0o600
    old = sqlite3.connect(backup)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    assert old.execute("SELECT md5 FROM files").fetchone()[0] == "abc"
    assert not old.execute("SELECT name FROM sqlite_master WHERE name = 'extra'").fetchall()


def test_a_failing_migration_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _old_database(tmp_path, 1)
    bad = [Migration("half done", ("CREATE TABLE half (x)", "INSERT INTO nowhere VALUES (1)"))]
    monkeypatch.setattr(db, "MIGRATIONS", MIGRATIONS[:1] + bad)
    with pytest.raises(UsageError, match="unusable"):
        open_db(tmp_path)
    conn = sqlite3.connect(db.db_path(tmp_path))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert not conn.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchall()
    assert conn.execute("SELECT count(*) FROM files").fetchone()[0] == 1


def test_a_newer_database_is_refused(tmp_path: Path):
    open_db(tmp_path).close()
    conn = sqlite3.connect(db.db_path(tmp_path))
    conn.execute(f"PRAGMA user_version = {schema_version() + 5}")
    conn.close()
    with pytest.raises(UsageError, match="newer than this photosync"):
        open_db(tmp_path)


def test_transaction_commits_or_rolls_back(tmp_path: Path):
    conn = open_db(tmp_path)
    with transaction(conn):
        conn.execute("INSERT INTO scans (root, started) VALUES (?, ?)", ("/a", 1.0))
    with pytest.raises(RuntimeError):
        with transaction(conn):
            conn.execute("INSERT INTO scans (root, started) VALUES (?, ?)", ("/b", 2.0))
            raise RuntimeError("boom")
    assert [r["root"] for r in conn.execute("SELECT root FROM scans")] == ["/a"]


class _InterruptedAtBegin:
    """A connection on which Ctrl-C lands just as BEGIN returns (Python checks for signals
    there): the transaction is open, and the exception comes before the body."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def execute(self, sql: str, *args):
        cursor = self.conn.execute(sql, *args)
        if sql.startswith("BEGIN"):
            raise KeyboardInterrupt
        return cursor


def test_ctrl_c_as_begin_returns_leaves_no_transaction_open(tmp_path: Path):
    conn = open_db(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        with transaction(_InterruptedAtBegin(conn)):  # type: ignore[arg-type]
            raise AssertionError("the body never runs")
    assert not conn.in_transaction
    with transaction(conn):  # what the salvage of finished transfers does next
        conn.execute("INSERT INTO scans (root, started) VALUES (?, ?)", ("/a", 1.0))
    assert [r["root"] for r in conn.execute("SELECT root FROM scans")] == ["/a"]


def test_a_nested_transaction_is_refused_without_undoing_the_outer_one(tmp_path: Path):
    conn = open_db(tmp_path)
    with transaction(conn):
        conn.execute("INSERT INTO scans (root, started) VALUES (?, ?)", ("/a", 1.0))
        with pytest.raises(sqlite3.OperationalError):
            with transaction(conn):
                pass
        assert conn.in_transaction
    assert [r["root"] for r in conn.execute("SELECT root FROM scans")] == ["/a"]


def test_gone_rows_may_share_a_path_live_rows_may_not(tmp_path: Path):
    conn = open_db(tmp_path)
    insert = "INSERT INTO files (path, status, first_seen, updated) VALUES (?, ?, 0, 0)"
    with transaction(conn):
        conn.execute(insert, ("a.jpg", "gone"))
        conn.execute(insert, ("a.jpg", "gone"))
        conn.execute(insert, ("a.jpg", "present"))
    with pytest.raises(sqlite3.IntegrityError):
        with transaction(conn):
            conn.execute(insert, ("a.jpg", "failed"))


def test_rolling_backups_keep_the_newest_three_at_most_one_an_hour(tmp_path: Path):
    conn = open_db(tmp_path)
    start = time.time()
    made = [db.rolling_backup(conn, tmp_path, start + hours * 3600) for hours in (0, 0.5, 1, 2, 3)]
    assert made[1] is None and all(made[i] for i in (0, 2, 3, 4))
    kept = db.backups(tmp_path)
    assert kept == [made[4], made[3], made[2]]  # newest first; the oldest went
    for path in kept:
        assert path.stat().st_mode & 0o777 == 0o600
        copy = sqlite3.connect(path)
        assert copy.execute("PRAGMA user_version").fetchone()[0] == db.schema_version()
        copy.close()
    conn.close()


def _dry_run_holding_a_copy(state_dir: Path) -> tuple[subprocess.Popen, Path]:
    """Another process with a dry run's copy open: returns it and the copy's folder."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from photosync.state.db import open_scratch_copy; "
         "c = open_scratch_copy(sys.argv[1]); print(c.folder, flush=True); time.sleep(60)",
         str(state_dir)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, Path(proc.stdout.readline().strip())


def test_a_killed_dry_runs_copy_is_removed_by_the_next_one_a_live_one_is_not(tmp_path: Path):
    open_db(tmp_path).close()
    killed, abandoned = _dry_run_holding_a_copy(tmp_path)
    running, live = _dry_run_holding_a_copy(tmp_path)
    try:
        killed.kill()
        killed.wait()
        assert abandoned.is_dir() and (abandoned / "photosync.db").exists()
        copy = db.open_scratch_copy(tmp_path)
        assert not abandoned.exists() and live.is_dir() and copy.folder.is_dir()
        copy.close()
        assert not copy.folder.exists() and live.is_dir()
    finally:
        running.kill()
        running.wait()
