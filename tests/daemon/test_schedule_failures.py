"""Per-remote backoff (pure, fake clock) and the failed/parked items (real SQLite)."""

from __future__ import annotations

import random

import pytest

from photosync.daemon import failures
from photosync.daemon.schedule import RemoteSchedule, Timing
from photosync.state.db import open_db
from photosync.sync.execute import Outcome
from photosync.sync.actions import Action, Upload
from photosync.sync.plan import Plan


class Clock:
    def __init__(self):
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def schedule(clock: Clock) -> RemoteSchedule:
    return RemoteSchedule("flickr", "Flickr", Timing(poll=900, first_backoff=30, max_backoff=1800,
                                                     auth_retry=3600), clock, random.Random(1))


def test_a_fresh_schedule_syncs_at_once_then_on_its_poll_timer():
    clock = Clock()
    s = schedule(clock)
    assert s.reason_to_start() == "changes"
    s.started()
    assert s.reason_to_start() is None  # never twice at once
    s.finished("ok")
    assert s.reason_to_start() is None
    clock.t += 899
    assert s.reason_to_start() is None
    clock.t += 1
    assert s.reason_to_start() == "poll"
    s.changed_locally()
    assert s.reason_to_start() == "changes"


def test_an_unavailable_remote_backs_off_exponentially_and_recovers():
    clock = Clock()
    s = schedule(clock)
    waits = []
    for _ in range(8):
        s.started()
        s.finished("unavailable", "HTTP 503")
        waits.append(s.retry_at - clock.t)
        s.changed_locally()  # local changes do not break the backoff
        assert s.reason_to_start() is None and s.state == "backing off"
        clock.t = s.retry_at
        assert s.reason_to_start() == "retry"
    assert waits[0] == pytest.approx(30, rel=0.21) and waits[1] == pytest.approx(60, rel=0.21)
    assert all(b >= a * 0.6 for a, b in zip(waits, waits[1:]))
    assert max(waits) <= 1800 * 1.2
    s.started()
    s.finished("ok")
    assert s.retry_at is None and s.failures_in_a_row == 0


def test_revoked_authorization_is_retried_rarely_unless_forced():
    clock = Clock()
    s = schedule(clock)
    s.started()
    s.finished("auth", "token revoked")
    assert s.state == "waiting for authorization"
    clock.t += 3599
    assert s.reason_to_start() is None
    s.force()
    assert s.reason_to_start() == "changes"


def upload(path: str, signature: str) -> Action:
    return Upload(remote="flickr", reason="new locally", path=path, signature=signature,
                  name=path.rsplit("/", 1)[-1])


@pytest.fixture
def conn(tmp_path):
    c = open_db(tmp_path / "state")
    yield c
    c.close()


def test_a_failing_item_waits_then_is_parked_until_it_changes(conn):
    now = 5000.0
    bad = upload("bad.jpg", "sig1")
    good = upload("good.jpg", "sig2")
    for attempt in (1, 2):
        plan = failures.filter_plan(conn, "flickr", Plan("flickr", [bad, good]), now=now)
        assert [a.kind for a in plan.actions] == ["upload", "upload"]
        retry = failures.record(conn, "flickr", [Outcome(bad, "HTTP 500"), Outcome(good)],
                                max_attempts=3, first_delay=60, now=now)
        assert retry == now + 60 * 4 ** (attempt - 1)
        waiting = failures.filter_plan(conn, "flickr", Plan("flickr", [bad]), now=now + 1)
        assert waiting.actions[0].kind == "skip" and "retried at" in waiting.actions[0].reason
        now = retry
    failures.record(conn, "flickr", [Outcome(bad, "HTTP 500")], max_attempts=3, first_delay=60, now=now)
    [row] = failures.listing(conn)
    assert row["parked"] and row["attempts"] == 3 and row["path"] == "bad.jpg"
    parked = failures.filter_plan(conn, "flickr", Plan("flickr", [bad]), now=now + 10**6)
    assert parked.actions[0].kind == "skip" and "parked after 3" in parked.actions[0].reason
    # the file changed (new signature): a fresh start
    changed = upload("bad.jpg", "sig1-edited")
    plan = failures.filter_plan(conn, "flickr", Plan("flickr", [changed]), now=now)
    assert plan.actions[0].kind == "upload" and failures.listing(conn) == []


def test_an_item_that_no_longer_needs_doing_is_forgotten_and_unpark_all(conn):
    bad = upload("bad.jpg", "s")
    for _ in range(3):
        failures.record(conn, "drive", [Outcome(bad, "boom")], max_attempts=3, first_delay=1, now=1.0)
    failures.record(conn, "flickr", [Outcome(bad, "boom")], max_attempts=3, first_delay=1, now=1.0)
    failures.filter_plan(conn, "drive", Plan("drive", []), now=2.0)  # the file was deleted
    assert [f["remote"] for f in failures.listing(conn)] == ["flickr"]
    assert failures.unpark_all(conn) == 1 and failures.listing(conn) == []
