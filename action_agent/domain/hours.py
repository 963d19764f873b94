"""Opening hours: is a venue open at a moment, does a whole seating fit, and the hours in words.

Hours are intervals in the venue's local time, per weekday, in minutes after midnight. A close
minute above 1440 means the venue closes after midnight, on the next calendar day.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from action_agent.domain.views import OpeningHoursView

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MINUTES_PER_DAY = 1440


def _intervals_around(hours: Iterable[OpeningHoursView], local: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Opening intervals (local, aware) starting on the day before `local`'s date or on that date."""
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    for day_offset in (-1, 0):
        day_start = midnight + timedelta(days=day_offset)
        weekday = day_start.weekday()
        for h in hours:
            if h.weekday == weekday:
                yield (_at_minute(day_start, h.open_minute), _at_minute(day_start, h.close_minute))


def _at_minute(day_start: datetime, minute: int) -> datetime:
    # Wall-clock arithmetic in the venue's zone: "11 PM" stays 11 PM across DST changes.
    naive = day_start.replace(tzinfo=None) + timedelta(minutes=minute)
    return naive.replace(tzinfo=day_start.tzinfo)


def is_open_at(hours: Iterable[OpeningHoursView], time_zone: str, at: datetime) -> bool:
    """Whether the venue is open at the instant `at` (aware)."""
    local = at.astimezone(ZoneInfo(time_zone))
    return any(start <= local < end for start, end in _intervals_around(hours, local))


def open_interval_containing(
    hours: Iterable[OpeningHoursView], time_zone: str, start: datetime, duration: timedelta
) -> tuple[datetime, datetime] | None:
    """The opening interval holding all of [start, start + duration], or None when the venue closes in between."""
    local = start.astimezone(ZoneInfo(time_zone))
    local_end = local + duration
    for open_at, close_at in _intervals_around(hours, local):
        if open_at <= local and local_end <= close_at:
            return open_at, close_at
    return None


def closes_at(hours: Iterable[OpeningHoursView], time_zone: str, at: datetime) -> datetime | None:
    """When the venue next closes, if it is open at `at`."""
    local = at.astimezone(ZoneInfo(time_zone))
    ends = [end for start, end in _intervals_around(hours, local) if start <= local < end]
    return max(ends) if ends else None


def intervals_on_local_day(
    hours: Iterable[OpeningHoursView], time_zone: str, day: datetime
) -> list[tuple[datetime, datetime]]:
    """Opening intervals overlapping the local calendar day of `day` (including last night's late hours)."""
    local = day.astimezone(ZoneInfo(time_zone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    next_midnight = _at_minute(midnight, MINUTES_PER_DAY)
    return sorted((s, e) for s, e in _intervals_around(hours, local) if e > midnight and s < next_midnight)


def format_minute(minute: int) -> str:
    """600 -> "10 AM", 1170 -> "7:30 PM", 1440 -> "midnight", 1560 -> "2 AM"."""
    minute %= MINUTES_PER_DAY
    if minute == 0:
        return "midnight"
    if minute == 720:
        return "noon"
    hour, mins = divmod(minute, 60)
    suffix = "AM" if hour < 12 else "PM"
    hour12 = hour % 12 or 12
    return f"{hour12} {suffix}" if mins == 0 else f"{hour12}:{mins:02d} {suffix}"


def format_time(value: datetime) -> str:
    return format_minute(value.hour * 60 + value.minute)


def _day_range(days: list[int]) -> str:
    if len(days) == 7:
        return "Daily"
    if len(days) == 1:
        return DAY_NAMES[days[0]]
    if len(days) == 2:
        return f"{DAY_NAMES[days[0]]} and {DAY_NAMES[days[1]]}"
    return f"{DAY_NAMES[days[0]]} to {DAY_NAMES[days[-1]]}"


def hours_in_words(hours: Iterable[OpeningHoursView]) -> str:
    """E.g. "Monday to Thursday 5 PM to 11 PM, Friday and Saturday 5 PM to 2 AM, closed Sunday"."""
    by_day: dict[int, tuple[tuple[int, int], ...]] = {
        d: tuple(sorted((h.open_minute, h.close_minute) for h in hours if h.weekday == d)) for d in range(7)
    }
    if not any(by_day.values()):
        return "Closed"
    # Group runs of consecutive days with identical hours.
    groups: list[tuple[list[int], tuple[tuple[int, int], ...]]] = []
    for day in range(7):
        if groups and groups[-1][1] == by_day[day] and groups[-1][0][-1] == day - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], by_day[day]))
    if len(groups) > 1 and groups[0][1] == groups[-1][1]:
        # The week wraps: "Sunday to Thursday" reads better than "Monday to Thursday, ..., Sunday".
        groups[0] = (groups[-1][0] + groups[0][0], groups[0][1])
        groups.pop()
    parts: list[str] = []
    closed: list[str] = []
    for days, intervals in groups:
        if not intervals:
            closed.extend(DAY_NAMES[d] for d in days)
            continue
        spans = " and ".join(f"{format_minute(o)} to {format_minute(c)}" for o, c in intervals)
        parts.append(f"{_day_range(days)} {spans}")
    if closed:
        parts.append("closed " + " and ".join(closed) if len(closed) <= 2 else "closed " + ", ".join(closed))
    return ", ".join(parts)
