"""When to try Qwen again after it failed: exponential backoff, shared by the gateway's sessions."""

from __future__ import annotations

import random
import time
from collections.abc import Callable


class RetryPolicy:
    """Closed while Qwen is healthy; after a failure, closed again only once the backoff has passed.

    One instance per gateway process: new sessions start on the embedded engine while Qwen is
    backing off, and sessions that fell back may switch back at a turn boundary once `available()`.
    """

    def __init__(
        self,
        initial_seconds: float = 15.0,
        factor: float = 2.0,
        max_seconds: float = 600.0,
        jitter: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.initial_seconds = initial_seconds
        self.factor = factor
        self.max_seconds = max_seconds
        self.jitter = jitter
        self._clock = clock
        self._rng = rng
        self.consecutive_failures = 0
        self.retry_at = 0.0

    def available(self) -> bool:
        return self._clock() >= self.retry_at

    def seconds_until_retry(self) -> float:
        return max(0.0, self.retry_at - self._clock())

    def record_failure(self) -> float:
        """Note a failure; return the seconds until the next attempt."""
        self.consecutive_failures += 1
        delay = min(self.max_seconds, self.initial_seconds * self.factor ** (self.consecutive_failures - 1))
        # Jitter spreads retries of many sessions so they do not hit the service at once.
        delay *= 1.0 + self.jitter * (2.0 * self._rng() - 1.0)
        self.retry_at = self._clock() + delay
        return delay

    def record_success(self) -> None:
        self.consecutive_failures = 0
        self.retry_at = 0.0
