"""Per-session limits: audio may not arrive faster than real time beyond a small burst."""

from __future__ import annotations

import time
from collections.abc import Callable


class RateExceeded(Exception):
    pass


class AudioRateLimiter:
    """Token bucket in audio seconds: refills at one second per wall-clock second.

    It holds the allowed burst plus one maximal chunk, so a client streaming a
    live microphone never empties it, while one replaying a file as fast as it
    can is stopped once it is `burst_seconds` ahead of real time.
    """

    def __init__(self, burst_seconds: float, max_chunk_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.burst_seconds = burst_seconds
        self.capacity = burst_seconds + max_chunk_seconds
        self._tokens = self.capacity
        self._last: float | None = None

    def spend(self, seconds: float) -> None:
        now = self._clock()
        if self._last is not None:
            self._tokens = min(self.capacity, self._tokens + (now - self._last))
        self._last = now
        if seconds > self._tokens:
            raise RateExceeded(
                f"audio is arriving faster than real time (more than {self.burst_seconds:g} s ahead); "
                "stream audio at its natural rate"
            )
        self._tokens -= seconds
