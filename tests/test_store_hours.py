"""Opening hours: open at an instant, whole seatings, past-midnight closing, closed days, hours in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from action_agent.domain.hours import (
    closes_at,
    format_minute,
    hours_in_words,
    intervals_on_local_day,
    is_open_at,
    open_interval_containing,
)
from action_agent.domain.views import OpeningHoursView

NY = ZoneInfo("America/New_York")
TZ = "America/New_York"
# 2030-01-11 is a Friday.
FRIDAY = datetime(2030, 1, 11, tzinfo=NY)
SEATING = timedelta(minutes=90)


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    return (FRIDAY + timedelta(days=day_offset)).replace(hour=hour, minute=minute)


def hours(*rows: tuple[int, int, int]) -> tuple[OpeningHoursView, ...]:
    return tuple(OpeningHoursView(*r) for r in rows)


# Weekdays 5 PM-11 PM; Friday and Saturday until 2 AM; closed Sunday.
LATE = hours(*[(d, 1020, 1380) for d in range(4)], (4, 1020, 1560), (5, 1020, 1560))


@pytest.mark.parametrize(("moment", "expected"), [
    (at(0, 16, 59), False),
    (at(0, 17), True),
    (at(0, 23, 30), True),  # Friday runs late
    (at(1, 1, 59), True),  # Saturday 1:59 AM still belongs to Friday night
    (at(1, 2), False),  # closing is exclusive
    (at(1, 12), False),
    (at(2, 1), True),  # Sunday 1 AM: Saturday night's late hours
    (at(2, 19), False),  # closed Sunday
    (at(3, 0, 30), False),  # Monday 0:30: Sunday had no late hours
    (at(3, 22, 59), True),
    (at(3, 23), False),
])
def test_is_open_at_handles_past_midnight_and_closed_days(moment, expected):
    assert is_open_at(LATE, TZ, moment) is expected
    assert is_open_at(LATE, TZ, moment.astimezone(UTC)) is expected


def test_a_seating_must_fit_inside_one_opening():
    assert open_interval_containing(LATE, TZ, at(0, 21, 30), SEATING) is not None
    assert open_interval_containing(LATE, TZ, at(1, 0, 30), SEATING) == (at(0, 17), at(1, 2))
    assert open_interval_containing(LATE, TZ, at(1, 0, 31), SEATING) is None
    assert open_interval_containing(LATE, TZ, at(3, 21, 30), SEATING) == (at(3, 17), at(3, 23))
    assert open_interval_containing(LATE, TZ, at(3, 21, 31), SEATING) is None
    # Split lunch and dinner: a seating cannot span the afternoon break.
    split = hours((0, 690, 900), (0, 1050, 1350))
    assert open_interval_containing(split, TZ, at(3, 13, 30), SEATING) is not None
    assert open_interval_containing(split, TZ, at(3, 14), SEATING) is None


def test_closing_time_and_day_intervals():
    assert closes_at(LATE, TZ, at(0, 22)) == at(1, 2)
    assert closes_at(LATE, TZ, at(2, 12)) is None
    saturday = intervals_on_local_day(LATE, TZ, at(1, 12))
    assert saturday == [(at(0, 17), at(1, 2)), (at(1, 17), at(2, 2))]
    assert intervals_on_local_day(LATE, TZ, at(3, 12)) == [(at(3, 17), at(3, 23))]


def test_hours_in_words():
    assert hours_in_words(LATE) == (
        "Monday to Thursday 5 PM to 11 PM, Friday and Saturday 5 PM to 2 AM, closed Sunday")
    assert hours_in_words(hours(*[(d, 660, 1380) for d in range(7)])) == "Daily 11 AM to 11 PM"
    wrap = hours(*[(d, 660, 1380) for d in (0, 1, 2, 3, 6)], (4, 660, 1500), (5, 660, 1500))
    assert hours_in_words(wrap) == "Sunday to Thursday 11 AM to 11 PM, Friday and Saturday 11 AM to 1 AM"
    split = hours(*[(d, 690, 900) for d in range(1, 7)], *[(d, 1050, 1350) for d in range(1, 7)])
    assert hours_in_words(split) == "Tuesday to Sunday 11:30 AM to 3 PM and 5:30 PM to 10:30 PM, closed Monday"
    assert hours_in_words(()) == "Closed"


@pytest.mark.parametrize(("minute", "words"), [
    (0, "midnight"), (720, "noon"), (600, "10 AM"), (1170, "7:30 PM"), (1440, "midnight"), (1560, "2 AM"),
])
def test_format_minute(minute, words):
    assert format_minute(minute) == words


def test_hours_follow_local_wall_clock_across_dst():
    # 2030-03-10: clocks in New York jump from 2 AM to 3 AM. 7 PM stays 7 PM local.
    daily = hours(*[(d, 1020, 1380) for d in range(7)])
    dst_day = datetime(2030, 3, 10, 19, tzinfo=NY)
    assert is_open_at(daily, TZ, dst_day)
    assert dst_day.utcoffset() == timedelta(hours=-4)
