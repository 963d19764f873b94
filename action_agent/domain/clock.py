"""The domain's notion of "now", injectable so tests and the seed can pin time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def require_aware(value: datetime, what: str) -> datetime:
    """Reject naive datetimes: every time in the domain must carry its zone."""
    from action_agent.domain.errors import InvalidRequest

    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRequest(f"{what} must include a time zone")
    return value
