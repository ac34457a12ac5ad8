"""The planner given only the unsettled part of the state (``state.focus``) decides exactly what
it decides given everything: the same actions, pairs, notes and guard rails; and what focus
adopts by signature tag beforehand is exactly what the whole plan pairs by tag alone.

Random states are written into a real state database (files, pairs, the listing cache through
``state.listings``), then planned both ways and compared.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from photosync.remotes.base import Capabilities, RemoteItem
from photosync.state.db import open_db, transaction
from photosync.state.focus import focus, keyed_files, stem_twins
from photosync.state.listings import cached_items, replace_cache
from photosync.state.pairs import load_pairs, save_pairs
from photosync.sync.actions import Pair
from photosync.sync.plan import plan
from photosync.sync.policy import Evidence, Policy

PICTURES = 5
PATHS = ["a/IMG_0.jpg", "a/IMG_1.jpg", "b/IMG_0.jpg", "b/IMG_2.jpg", "c/clip.mov", "c/x.jpg"]
WHEN = datetime(2021, 6, 1, 12, 0, 0)


def sig(n: int) -> str:
    return f"S{n}"


# A state in sync (picture k at PATHS[k], paired as r{k} and listed), then changed at random.
synced = st.sets(st.integers(0, len(PATHS) - 1), max_size=len(PATHS))
file_edits = st.dictionaries(st.sampled_from(PATHS),
                             st.one_of(st.none(), st.integers(0, PICTURES - 1)), max_size=3)
# Edits of item / pair k, each changing one thing: (field, value).
item_edits = st.dictionaries(st.integers(0, 8), st.lists(st.one_of(
    st.tuples(st.just(0), st.one_of(st.none(), st.integers(0, PICTURES - 1))),  # tag
    st.tuples(st.just(1), st.integers(0, PICTURES - 1)),  # content (name, date, md5)
    st.tuples(st.just(2), st.booleans()),  # date known
    st.tuples(st.just(3), st.sampled_from(["pending", "failed", "gone"])),
    st.tuples(st.just(4), st.just("other"))), min_size=1, max_size=2), max_size=3)  # album
pair_edits = st.dictionaries(st.integers(0, 7), st.lists(st.one_of(
    st.tuples(st.just(0), st.integers(0, PICTURES - 1)),  # signature
    st.tuples(st.just(1), st.sampled_from(PATHS)),
    st.tuples(st.just(2), st.sampled_from(["other", None])),  # version
    st.tuples(st.just(3), st.sampled_from(["other", None])),  # album
    st.tuples(st.just(4), st.sampled_from(["local_deleted", "remote_deleted", "gone"]))),
    min_size=1, max_size=2), max_size=3)


def _edit(base: tuple, changes: list[tuple[int, object]]) -> tuple:
    for where, value in changes:
        base = (*base[:where], value, *base[where + 1:])
    return base


def _state(base: set[int], file_changes: dict, item_changes: dict, pair_changes: dict
           ) -> tuple[dict[str, int], list[tuple], list[tuple]]:
    files = {PATHS[k]: k % PICTURES for k in base}
    items = {k: (k % PICTURES, k % PICTURES, True, None, None) for k in base}
    pairs = {k: (k % PICTURES, PATHS[k], "same", "same", "synced") for k in base}
    for path, picture in file_changes.items():
        files.pop(path, None) if picture is None else files.__setitem__(path, picture)
    for rid, change in item_changes.items():
        edited = _edit(items.get(rid, (rid % PICTURES, rid % PICTURES, True, None, None)), change)
        items.pop(rid, None) if edited[3] == "gone" else items.__setitem__(rid, edited)
    for rid, change in pair_changes.items():
        edited = _edit(pairs.get(rid, (rid % PICTURES, PATHS[rid % len(PATHS)], "same", "same",
                                       "synced")), change)
        pairs.pop(rid, None) if edited[4] == "gone" else pairs.__setitem__(rid, edited)
    return (files, [(rid, *i) for rid, i in sorted(items.items())],
            [(rid, *p) for rid, p in sorted(pairs.items())])


def _write_files(conn, files: dict[str, int]) -> None:
    now = time.time()
    with transaction(conn):
        for path, n in files.items():
            video = path.endswith(".mov")
            conn.execute(
                "INSERT INTO files (path, size, md5, sha256, signature, date_taken, media, album, "
                "status, first_seen, updated) VALUES (?, 10, ?, ?, ?, ?, ?, ?, 'present', ?, ?)",
                (path, f"m{n}", sig(n) if video else f"h{n}", None if video else sig(n),
                 (WHEN + timedelta(minutes=n)).isoformat(), "video" if video else "photo",
                 path.split("/")[0], now, now))


def _item(i: tuple, ) -> RemoteItem:
    rid, tag, picture, known, state, album = i
    extra = {"video_state": state} if state else {}
    folder = PATHS[rid].split("/")[0] if rid < len(PATHS) else "a"
    return RemoteItem(id=f"r{rid}", name=f"IMG_{picture}.jpg", md5=f"m{picture}",
                      signature=sig(tag) if tag is not None else None,
                      date_taken=WHEN + timedelta(minutes=picture), date_taken_known=known,
                      albums=(album or folder,), extra=extra)


def _pair(p: tuple) -> Pair:
    rid, n, path, version, album, status = p
    return Pair(f"r{rid}", sig(n), path,
                {"same": f"m{n}", "other": "m9", None: None}[version],
                {"same": path.split("/")[0], "other": "z", None: None}[album], status)


def _decisions(result) -> tuple:
    return (result.actions, sorted(result.relink, key=repr), sorted(result.forget),
            result.notes, result.messages, result.aborted, result.withheld)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=synced, file_changes=file_edits, item_changes=item_edits, pair_changes=pair_edits,
       md5=st.booleans(), complete=st.booleans(), uploads=st.booleans())
def test_the_focused_plan_is_the_whole_plan(tmp_path_factory, base, file_changes, item_changes,
                                            pair_changes, md5, complete, uploads):
    files, items, pairs = _state(base, file_changes, item_changes, pair_changes)
    state = Path(tmp_path_factory.mktemp("focus"))
    conn = open_db(state)
    try:
        _write_files(conn, files)
        save_pairs(conn, "r", [_pair(p) for p in pairs])
        replace_cache(conn, "r", _pages([_item(i) for i in items]), 0.0)
        caps = Capabilities(hashes=frozenset({"md5"}) if md5 else frozenset())
        policy = Policy(remote="r", label="Remote", capabilities=caps,
                        direction="both" if uploads else "download", max_delete=1)
        whole = plan(keyed_files(conn), cached_items(conn, "r"),
                     load_pairs(conn, "r"), policy, Evidence(listing_complete=complete))
        before = set(load_pairs(conn, "r"))
        seen = focus(conn, "r", 0.0)
        adopted = set(load_pairs(conn, "r")) - before
        assert seen.adopted == len(adopted)
        part = plan(seen.local, seen.items, seen.pairs, policy,
                    Evidence(listing_complete=complete, settled=seen.settled,
                             videos_sent=seen.videos_sent))
        ids = {p.remote_id for p in adopted}
        whole.actions = [a for a in whole.actions
                         if not (a.remote_id in ids and a.reason == "matched by signature")]
        whole.relink = [p for p in whole.relink if p not in adopted]
        assert _decisions(part) == _decisions(whole)
    finally:
        conn.close()


def _pages(items: list[RemoteItem]):
    yield items
    return "cursor"


def test_a_pair_in_sync_is_left_out_and_counted(tmp_path):
    conn = open_db(tmp_path)
    _write_files(conn, {"a/IMG_0.jpg": 0, "a/IMG_1.jpg": 1})
    save_pairs(conn, "r", [Pair("r0", "S0", "a/IMG_0.jpg", "m0", "a"),
                           Pair("r1", "S1", "a/IMG_1.jpg", "old", "a")])
    replace_cache(conn, "r", _pages([_item((0, 0, 0, True, None, None)),
                                     _item((1, 1, 1, True, None, None))]), 0.0)
    seen = focus(conn, "r", 0.0)
    assert seen.settled == 1 and [p.remote_id for p in seen.pairs] == ["r1"]
    assert [f.path for f in seen.local] == ["a/IMG_1.jpg"] and [i.id for i in seen.items] == ["r1"]
    assert (seen.local_total, seen.items_total, seen.in_sync) == (2, 2, 2)


def test_a_lost_database_is_paired_by_tag_in_sql_and_then_settled(tmp_path):
    conn = open_db(tmp_path)
    _write_files(conn, {"a/IMG_0.jpg": 0, "a/IMG_1.jpg": 1, "b/IMG_0.jpg": 1})
    replace_cache(conn, "r", _pages([_item((0, 0, 0, True, None, None)),
                                     _item((1, 1, 1, True, None, None))]), 0.0)
    seen = focus(conn, "r", 5.0)
    assert seen.adopted == 1 and seen.settled == 1  # picture 1 has two files: the planner's
    assert load_pairs(conn, "r")[0] == Pair("r0", "S0", "a/IMG_0.jpg", "m0", "a")
    assert [i.id for i in seen.items] == ["r1"] and len(seen.local) == 2


def test_live_photo_candidates_follow_a_move(tmp_path):
    conn = open_db(tmp_path)
    _write_files(conn, {"a/IMG_0.jpg": 0, "c/clip.mov": 1, "c/x.jpg": 2})
    assert stem_twins(conn) == []
    with transaction(conn):  # the scanner records a move as a new path for the same row
        conn.execute("UPDATE files SET path = 'a/img_0.mov' WHERE path = 'c/clip.mov'")
    assert sorted(f.path for f in stem_twins(conn)) == ["a/IMG_0.jpg", "a/img_0.mov"]
