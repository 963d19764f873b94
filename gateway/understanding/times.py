"""A small grammar for the days and times people say when they talk about eating out.

dateparser handles written dates well but not spoken dining phrases ("tonight at seven thirty",
"quarter to eight", "next friday at 6", "at 7" meaning 7 pm), so this grammar reads normalized tokens
(see text.py) directly. Conventions, chosen for dining:
- a bare hour 1-10 is in the evening ("at 7" = 19:00); 11 and 12 are as said, unless the sentence is about
  the morning (breakfast, brunch) or the night ("11 tonight");
- a time with no day is today, or tomorrow when that time has already passed;
- a bare weekday is its next occurrence after today; "this <weekday>" may be today; "next <weekday>" is the
  one of next week when the bare weekday would still fall in the current week;
- "midnight" belongs to the evening before (tonight at midnight = 00:00 tomorrow);
- of several days, one after "to" wins ("move it from saturday to sunday" = sunday), else the first;
- numeric dates are US order (6/12 = June 12); "5th avenue" is an address, not a date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from gateway.understanding.text import MONTHS

WEEKDAYS: dict[str, int] = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
                            "saturday": 5, "sunday": 6}
_MORNING = frozenset({"morning", "breakfast", "brunch"})
_EVENING = frozenset({"tonight", "evening", "night", "dinner", "supper"})
# Prepositions after which a bare number is an hour ("at 7", "by 8", "push it back to 9").
_TIME_PREPS = frozenset({"at", "by", "around", "to", "til", "till", "until", "about", "like", "before", "after"})
# Words after a number that make it a count, not an hour.
_COUNT_WORDS = frozenset({"people", "persons", "person", "guests", "of", "more", "minutes", "minute", "mins",
                          "hours", "hour", "days", "day", "miles", "mile", "km", "kilometers", "blocks", "friends",
                          "adults", "kids", "others", "seats", "pax", "nights", "weeks", "th", "st", "nd", "rd"})
_TO = frozenset({"to", "until", "till"})
_DAY_WORDS = frozenset({"tonight", "today", "tomorrow", "night", "evening", *WEEKDAYS})
_STREET_WORDS = frozenset({"avenue", "ave", "street", "st", "floor", "place", "road", "boulevard"})
_NUMERIC_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})$")
_ORDINAL_RE = re.compile(r"^(\d{1,2})(st|nd|rd|th)$")
_CLOCK_RE = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass
class When:
    day: date | None = None
    clock: time | None = None
    day_shift: int = 0  # +1 for midnight
    used: set[int] = field(default_factory=set)  # token indexes that belong to the expression

    def resolve(self, now: datetime) -> tuple[str | None, str | None]:
        """(date_time, date) as ISO strings; at most one of them is set."""
        if self.clock is None:
            return None, self.day.isoformat() if self.day else None
        tz = now.tzinfo
        day = self.day
        if day is None:
            day = now.date()
            if datetime.combine(day, self.clock, tz) + timedelta(days=self.day_shift) < now:
                day += timedelta(days=1)
        moment = datetime.combine(day + timedelta(days=self.day_shift), self.clock, tz)
        return moment.isoformat(), None


def _int(word: str) -> int | None:
    return int(word) if word.isdigit() else None


def _hour_is_plausible(h: int | None) -> bool:
    return h is not None and 1 <= h <= 12


def _next_weekday(today: date, weekday: int, mode: str) -> date:
    ahead = (weekday - today.weekday()) % 7
    if mode == "this":
        return today + timedelta(days=ahead)
    if ahead == 0:
        ahead = 7
    if mode == "next" and today.weekday() + ahead <= 6:  # still this week: "next" means the week after
        ahead += 7
    return today + timedelta(days=ahead)


def _day_of_month(today: date, month: int | None, day_num: int) -> date | None:
    try:
        if month is None:
            candidate = date(today.year, today.month, day_num)
            if candidate < today:
                nm = today.month % 12 + 1
                candidate = date(today.year + (nm == 1), nm, day_num)
            return candidate
        candidate = date(today.year, month, day_num)
        return candidate if candidate >= today else date(today.year + 1, month, day_num)
    except ValueError:
        return None


def _day_at(words: list[str], i: int, today: date) -> tuple[date, set[int]] | None:
    """The day expression that starts (or whose key word is) at token i, with the tokens it covers."""
    n = len(words)
    w = words[i]
    nxt = words[i + 1] if i + 1 < n else ""
    prev = words[i - 1] if i else ""
    if w == "day" and nxt == "after" and i + 2 < n and words[i + 2] == "tomorrow":
        return today + timedelta(days=2), {i, i + 1, i + 2}
    if w in ("today", "tonight"):
        return today, {i}
    if w == "this" and nxt in ("evening", "afternoon", "morning"):
        return today, {i, i + 1}
    if w in ("tomorrow", "tomorrows", "tmrw"):
        return today + timedelta(days=1), {i}
    if w in WEEKDAYS:
        mode = prev if prev in ("this", "next") else "bare"
        return _next_weekday(today, WEEKDAYS[w], mode), {i} | ({i - 1} if mode != "bare" else set())
    if w in MONTHS and nxt:
        m = _ORDINAL_RE.match(nxt)
        num = int(m.group(1)) if m else _int(nxt)
        if num is not None and 1 <= num <= 31:
            day = _day_of_month(today, MONTHS[w], num)
            return (day, {i, i + 1}) if day else None
    m = _NUMERIC_DATE_RE.match(w)  # US order: 6/12 is June 12th
    if m and 1 <= int(m.group(1)) <= 12:
        day = _day_of_month(today, int(m.group(1)), int(m.group(2)))
        return (day, {i}) if day else None
    m = _ORDINAL_RE.match(w)
    if m and nxt not in _STREET_WORDS:  # "5th avenue" is an address
        month = None
        used = {i}
        if nxt == "of" and i + 2 < n and words[i + 2] in MONTHS:
            month = MONTHS[words[i + 2]]
            used |= {i + 1, i + 2}
        if month is not None or prev in ("the", "on"):
            day = _day_of_month(today, month, int(m.group(1)))
            return (day, used) if day else None
    return None


def _find_day(words: list[str], today: date, when: When) -> None:
    """The first day mentioned, except that a day after "to" wins: "move it from saturday to sunday"."""
    found: list[tuple[date, set[int]]] = []
    for i in range(len(words)):
        hit = _day_at(words, i, today)
        if hit is not None and not (hit[1] & {j for _, used in found for j in used}):
            found.append(hit)
    if not found:
        return
    chosen = found[0]
    for day, used in found:
        start = min(used)
        before = words[start - 2:start] if start >= 2 else ["", *words[:start]]
        if before[-1:] and (before[-1] in _TO or (before == ["to", "the"])):
            chosen = (day, used)
            break
    when.day = chosen[0]
    when.used |= chosen[1]


def _find_clock(words: list[str], when: When) -> tuple[int, int, str | None] | None:
    """(hour, minute, "am"/"pm"/None) of the first time of day, marking its tokens as used."""
    n = len(words)
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < n else ""
        prev = words[i - 1] if i else ""
        after = words[i + 2] if i + 2 < n else ""
        if w in ("noon", "midday"):
            when.used.add(i)
            return 12, 0, "pm"
        if w == "midnight":
            when.used.add(i)
            when.day_shift = 1
            return 0, 0, "am"
        if w in ("half", "quarter") and nxt in ("past", "after", "to") and _hour_is_plausible(_int(after)):
            h = int(after)
            when.used |= {i, i + 1, i + 2}
            if nxt == "to":
                return (h - 1 if h > 1 else 12), 45, _meridiem(words, i + 3, when)
            return h, 30 if w == "half" else 15, _meridiem(words, i + 3, when)
        m = _CLOCK_RE.match(w)
        if m and int(m.group(1)) <= 23:
            when.used.add(i)
            return int(m.group(1)), int(m.group(2)), _meridiem(words, i + 1, when)
        hour = _int(w)
        if hour is None or not _hour_is_plausible(hour):
            continue
        h = hour
        if nxt in ("am", "pm"):
            when.used |= {i, i + 1}
            return h, 0, nxt
        if nxt == "oclock":
            when.used |= {i, i + 1}
            return h, 0, _meridiem(words, i + 2, when)
        if nxt == "oh" and after.isdigit() and len(after) == 1:  # "seven oh five"
            when.used |= {i, i + 1, i + 2}
            return h, int(after), _meridiem(words, i + 3, when)
        minute_follows = nxt.isdigit() and len(nxt) == 2 and int(nxt) < 60
        # "for six thirty" is a time: a party size is never followed by minutes
        if minute_follows and (prev in _TIME_PREPS or prev in _DAY_WORDS or prev == "for" or after in ("am", "pm")):
            when.used |= {i, i + 1}
            return h, int(nxt), _meridiem(words, i + 2, when)
        # "at 7", and "tonight 7" / "friday 8" in clipped speech
        if (prev in _TIME_PREPS or prev in _DAY_WORDS) and nxt not in _COUNT_WORDS:
            when.used.add(i)
            return h, 0, None
    return None


def _meridiem(words: list[str], i: int, when: When) -> str | None:
    if i < len(words) and words[i] in ("am", "pm"):
        when.used.add(i)
        return words[i]
    return None


def _to_24h(hour: int, minute: int, meridiem: str | None, words: list[str]) -> time | None:
    if hour > 23 or minute > 59:
        return None
    if meridiem == "am":
        hour = 0 if hour == 12 else hour
    elif meridiem == "pm" and hour < 12:
        hour += 12
    elif hour <= 12:
        morning = any(w in _MORNING for w in words)
        evening = any(w in _EVENING for w in words)
        if morning and 6 <= hour <= 11:
            pass
        elif hour <= 10 or (hour == 11 and evening):
            hour += 12
    return time(hour % 24, minute)


def parse_when(words: list[str], now: datetime) -> When:
    """Find the first day and the first time of day in normalized words; `now` is aware, in the user's zone."""
    when = When()
    _find_day(words, now.date(), when)
    clock = _find_clock(words, when)
    if clock is not None:
        when.clock = _to_24h(*clock, words)
    return when
