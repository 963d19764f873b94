"""Date/time resolution in the user's time zone, relative to the request's `now`.

The gateway normally sends ISO values (date_time with offset, or a date); verbatim phrases
("tomorrow at 7", "next Friday evening") are parsed with dateparser against the same `now`,
so results are deterministic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dateparser

# A bare "at 7" for a meal means the evening.
EVENING_BARE_HOURS = range(1, 11)
# "at 7", "7:30", "7pm", "19:00", or a bare "7": a clock time, not a day of the month.
CLOCK = re.compile(
    r"(?:\bat\s+(?P<h1>\d{1,2})(?::(?P<m1>\d{2}))?|\b(?P<h2>\d{1,2}):(?P<m2>\d{2})|\b(?P<h3>\d{1,2})(?::(?P<m3>\d{2}))?"
    r"\s*(?=[ap]\.?m\b))\s*(?P<meridiem>[ap]\.?m\.?)?|^\s*(?P<h4>\d{1,2})\s*$",
    re.IGNORECASE,
)
PART_OF_DAY = {"tonight": time(19), "evening": time(19), "dinner": time(19), "lunch": time(12, 30),
               "noon": time(12), "brunch": time(11), "breakfast": time(9), "morning": time(9)}


class TimeZoneError(ValueError):
    """The request names a time zone that does not exist."""


@dataclass(frozen=True)
class When:
    """What a phrase or ISO value pinned down: a full instant, or only a day."""

    at: datetime | None = None
    day: date | None = None


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TimeZoneError(f"unknown time zone {name!r}") from exc


def resolve_when(date_time: str | None, day: str | None, now: datetime, tz: ZoneInfo) -> When | None:
    """An aware instant from `date_time` (ISO or phrase) or a day from `day`; None when unparseable."""
    for text in (date_time, day):
        if not text or not text.strip():
            continue
        text = text.strip()
        try:
            return When(day=date.fromisoformat(text))
        except ValueError:
            pass
        instant = _iso_datetime(text, tz) or _phrase(text, now, tz)
        if instant is not None:
            return When(at=instant)
        parsed_day = _phrase_day(text, now, tz)
        if parsed_day is not None:
            return When(day=parsed_day)
    return None


def on_day(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)


def _iso_datetime(text: str, tz: ZoneInfo) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def _clock(text: str) -> tuple[time, str] | None:
    """The time of day in a phrase and the phrase without it."""
    match = CLOCK.search(text)
    if match is None:
        return None
    hour = int(next(g for g in (match["h1"], match["h2"], match["h3"], match["h4"]) if g is not None))
    minute = int(match["m1"] or match["m2"] or match["m3"] or 0)
    meridiem = (match["meridiem"] or "").replace(".", "").lower()
    if hour > 23 or minute > 59 or (meridiem and not 1 <= hour <= 12):
        return None
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    elif not meridiem and hour in EVENING_BARE_HOURS:
        hour += 12  # a bare "at 7" for a meal means the evening
    return time(hour, minute), (text[: match.start()] + " " + text[match.end():]).strip()


def _phrase(text: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    lowered = text.lower()
    found = _clock(lowered)
    if found is None:
        part = next((w for w in PART_OF_DAY if re.search(rf"\b{w}\b", lowered)), None)
        if part is None:
            return None
        found = (PART_OF_DAY[part], re.sub(rf"\b{part}\b", " ", lowered).strip())
    clock, rest = found
    rest = re.sub(r"\b(?:at|in the|this|for)\b", " ", rest).strip()
    day = _phrase_day(rest, now, tz) if rest else None
    value = on_day(day or now.astimezone(tz).date(), clock, tz)
    if day is None and value < now:
        value += timedelta(days=1)  # "at 7" said after 7 PM means tomorrow
    return value


def _phrase_day(text: str, now: datetime, tz: ZoneInfo) -> date | None:
    if not text.strip():
        return None
    if re.search(r"\b(?:today|tonight)\b", text, re.IGNORECASE):
        return now.astimezone(tz).date()
    settings = {"RELATIVE_BASE": now.astimezone(tz).replace(tzinfo=None), "PREFER_DATES_FROM": "future"}
    parsed = dateparser.parse(text, languages=["en"], settings=settings)
    return parsed.date() if parsed else None
