"""Drive's change feed: a sequence number per change, one entry per file at its latest change.

A page token is a position in the sequence; ``changes.list`` walks forward from it, skips entries
that a later change of the same file superseded (Drive reports a file once, in its current
state), and hands out ``newStartPageToken`` only on its last page.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Change:
    seq: int
    file_id: str
    owner: str
    time: float
    removed: bool


class ChangeLog:
    def __init__(self) -> None:
        self.next_seq = 1
        self.entries: list[Change] = []
        self.latest: dict[str, int] = {}  # file id -> seq of its newest change

    def record(self, file_id: str, owner: str, when: float, removed: bool = False) -> None:
        self.entries.append(Change(self.next_seq, file_id, owner, when, removed))
        self.latest[file_id] = self.next_seq
        self.next_seq += 1

    def start_token(self) -> str:
        return str(self.next_seq)

    def page(self, token: int, owner: str, size: int, include_removed: bool,
             visible: Callable[[Change], bool]) -> tuple[list[Change], str | None, str | None]:
        """(changes, nextPageToken, newStartPageToken): exactly one of the tokens is set."""
        start = bisect.bisect_left(self.entries, token, key=lambda c: c.seq)
        out: list[Change] = []
        for index in range(start, len(self.entries)):
            change = self.entries[index]
            if self.latest.get(change.file_id) != change.seq or change.owner != owner:
                continue
            if (change.removed and not include_removed) or not visible(change):
                continue
            if len(out) == size:
                return out, str(change.seq), None
            out.append(change)
        return out, None, str(self.next_seq)

    def snapshot(self) -> dict[str, Any]:
        live = [c for c in self.entries if self.latest.get(c.file_id) == c.seq]
        return {"next_seq": self.next_seq,
                "entries": [[c.seq, c.file_id, c.owner, c.time, c.removed] for c in live]}

    @classmethod
    def restore(cls, state: dict[str, Any]) -> ChangeLog:
        log = cls()
        log.next_seq = state["next_seq"]
        log.entries = [Change(*row) for row in state["entries"]]
        log.latest = {c.file_id: c.seq for c in log.entries}
        return log
