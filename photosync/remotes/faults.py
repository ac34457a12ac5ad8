"""Injected faults: the test seam shared by MemoryRemote and the emulators.

A :class:`Fault` says which protocol method (or ``"*"``) fails, how often, and whether the
request takes effect before its answer is lost. A :class:`FaultPlan` decides, call by call,
whether to fail; MemoryRemote consults one directly and an emulator can consult one from its
admin route, so the contract suite injects the same faults into every backend.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """``times`` next calls of ``method`` fail, or (``rate`` > 0) each call with that probability.

    ``lost_response``: the remote does the work, then the answer is lost (the caller sees a
    TransientError although an upload was stored). Meaningful for methods that change things.
    """

    method: str = "*"
    times: int = 1
    rate: float = 0.0
    lost_response: bool = False
    seed: int = 0
    retry_after: float | None = None


class FaultPlan:
    """Thread-safe bookkeeping of pending faults; ``take(method)`` says whether this call fails."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counted: list[list] = []  # [fault, remaining]
        self._random: list[tuple[Fault, random.Random]] = []
        self.injected = 0  # faults fired so far

    def add(self, fault: Fault) -> None:
        with self._lock:
            if fault.rate > 0:
                self._random.append((fault, random.Random(fault.seed)))
            elif fault.times > 0:
                self._counted.append([fault, fault.times])

    def clear(self) -> None:
        with self._lock:
            self._counted.clear()
            self._random.clear()

    def take(self, method: str) -> Fault | None:
        """The fault to apply to this call of ``method``, or None to let it through."""
        with self._lock:
            for entry in self._counted:
                fault, remaining = entry
                if remaining > 0 and fault.method in ("*", method):
                    entry[1] -= 1
                    self.injected += 1
                    return fault
            for fault, rng in self._random:
                if fault.method in ("*", method) and rng.random() < fault.rate:
                    self.injected += 1
                    return fault
        return None
