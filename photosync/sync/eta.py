"""How long the work left will take at the quota in force: days-long first syncs are normal
(Flickr allows 3,600 calls an hour), so the report, ``photosync status`` and the dashboard say
``Flickr: 812,345 photos to go, about 9.4 days at 3,600 calls/hour``.

A photo costs one call of the remote's budget (a Flickr upload is one call, its album share is
measured at 0.04 by bench/bench_first_sync_calls.py; a Flickr download spends one tag write, its
file costs none; a Drive upload or download is one request, two for a resumable upload): the
estimate is the quota alone, not the bandwidth.
"""

from __future__ import annotations

from photosync.config import Config
from photosync.remotes.pace import limiter_for
from photosync.sync.actions import TRANSFERS, Action, Plan
from photosync.sync.done import Outcome

CALLS_PER_PHOTO = 1.0


def calls_per_hour(config: Config, remote: str) -> float | None:
    """The quota in force for ``remote`` (its limiter's rate), None where none is configured."""
    try:
        rate = limiter_for(remote, config).rate
    except ValueError:
        return None
    return rate * 3600 if rate else None


def photos_to_go(plan: Plan | None, outcomes: list[Outcome]) -> int | None:
    """Transfers planned and not done (failed, never reached after the remote stopped, or
    postponed past ``sync.max_operations``); None when the remote could not even be planned."""
    if plan is None:
        return None

    def key(a: Action) -> tuple[str, str | None, str | None]:
        return a.kind, a.path, a.remote_id
    planned = {key(a) for a in plan.actions if a.kind in TRANSFERS}
    done = {key(o.action) for o in outcomes if o.error is None and o.action.kind in TRANSFERS}
    return len(planned - done) + plan.postponed


def eta_seconds(photos: int, per_hour: float) -> float:
    return photos * CALLS_PER_PHOTO / per_hour * 3600


def describe(label: str, photos: int, per_hour: float | None) -> str:
    """``Flickr: 812,345 photos to go, about 9.4 days at 3,600 calls/hour``."""
    line = f"{label}: {photos:,} photo{'s' if photos != 1 else ''} to go"
    if not photos or not per_hour:
        return line
    return f"{line}, about {_duration(eta_seconds(photos, per_hour))} at {per_hour:,.0f} calls/hour"


def _duration(seconds: float) -> str:
    if seconds < 90 * 60:
        return f"{max(1, round(seconds / 60))} minute{'s' if round(seconds / 60) > 1 else ''}"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"
