"""Watcher filtering and coverage, the sd_notify client, and the scan's hold hook."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from photosync.config import LibraryConfig
from photosync.daemon.notify import Notifier
from photosync.daemon.watcher import Watcher, count_folders, inotify_watches_held, limit_message, relevant
from photosync.library.rules import compile_rules
from photosync.library.scan import scan
from photosync.state.db import open_db
from tests.daemon.conftest import put, wait_for

RULES = compile_rules(LibraryConfig(root=Path("/lib"), exclude=[r"^\.", "^Private$"]))


def test_relevant_paths_follow_the_exclude_rules():
    assert relevant("/lib", RULES, "/lib/2020/a.jpg", False) == "2020/a.jpg"
    assert relevant("/lib", RULES, "/lib/2020", True) == "2020"
    assert relevant("/lib", RULES, "/lib/Private/a.jpg", False) is None
    assert relevant("/lib", RULES, "/lib/x/Private", True) is None
    assert relevant("/lib", RULES, "/lib/x/@eaDir/a.jpg", False) is None
    assert relevant("/lib", RULES, "/lib/x/a.jpg.part", False) is None
    assert relevant("/lib", RULES, "/lib/x/notes.txt", False) is None
    assert relevant("/lib", RULES, "/elsewhere/a.jpg", False) is None
    assert relevant("/lib", RULES, "/lib", True) is None


def test_the_watcher_reports_changes_in_folders_created_later(tmp_path):
    for i in range(5):
        (tmp_path / f"d{i}" / "sub").mkdir(parents=True)
    seen: list[tuple[str, object, bool]] = []
    watcher = Watcher(tmp_path, RULES, lambda rel, writing, is_dir: seen.append((rel, writing, is_dir)))
    watcher.start()
    try:
        assert inotify_watches_held() >= count_folders(str(tmp_path)) == 11
        put(tmp_path, "new/deeper/a.jpg", 1)
        put(tmp_path, "Private/b.jpg", 2)
        # A file written before watchdog watched its new folder comes as a synthetic "created"
        # (writing None, settled by time); one written after, as a close (writing False).
        wait_for(lambda: any(rel == "new/deeper/a.jpg" and writing is not True
                             for rel, writing, _ in seen))
        time.sleep(0.2)
        assert not any("Private" in rel for rel, _, _ in seen)
        assert ("new", None, True) in seen
    finally:
        watcher.stop()


def test_the_limit_message_names_the_sysctl_and_a_value():
    text = limit_message(50_000, 8_000)
    assert "/proc/sys/fs/inotify/max_user_watches" in text and "fs.inotify.max_user_watches=" in text
    needed = int(text.split("at least ")[1].split()[0])
    assert needed >= 42_000 and needed % 1024 == 0


def test_notifier_sends_datagrams_and_is_a_no_op_without_a_socket(tmp_path):
    address = str(tmp_path / "n.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(address)
    server.settimeout(5)
    notifier = Notifier(address, watchdog_usec="2000000", watchdog_pid=str(os.getpid()))
    assert notifier.watchdog_seconds == 2
    notifier.ready("first sync started")
    assert server.recv(1024).decode().startswith("READY=1\nSTATUS=first sync started")
    notifier.status("x")
    notifier.status("x")  # unchanged: not sent again
    notifier.keepalive()
    assert server.recv(1024) == b"STATUS=x" and server.recv(1024) == b"WATCHDOG=1"
    notifier.reloading()
    reloading = server.recv(1024).decode().split("\n")
    assert reloading[0] == "RELOADING=1" and reloading[1].startswith("MONOTONIC_USEC=")
    assert abs(int(reloading[1].split("=")[1]) - time.monotonic_ns() // 1000) < 5_000_000
    assert Notifier("", watchdog_usec="", watchdog_pid="").send("READY=1") is False
    assert Notifier(address, watchdog_usec="5", watchdog_pid="1").watchdog_seconds is None  # not us
    server.close()


def test_scan_hold_leaves_files_for_later_without_marking_them_gone(tmp_path):
    root = tmp_path / "lib"
    put(root, "kept.jpg", 1)
    library = LibraryConfig(root=root)
    conn = open_db(tmp_path / "state")
    scan(conn, library)
    put(root, "kept.jpg", 2)  # rewritten in place, and a new file: both still being written
    put(root, "new.jpg", 3)
    result = scan(conn, library, hold=lambda entry: True)
    assert sorted(result.held) == ["kept.jpg", "new.jpg"] and not result.gone and not result.new
    rows = {r["path"]: r["status"] for r in conn.execute("SELECT path, status FROM files")}
    assert rows == {"kept.jpg": "present"}
    result = scan(conn, library)
    assert result.new == 1 and result.changed == 1
