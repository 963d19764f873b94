"""Rewrite text so a synthesiser speaks it naturally: times, prices, confirmation codes, ordinals, numbers.

"Table for 4 at 7:30 PM, code ABC123, $12.50" →
"Table for four at seven thirty PM, code A B C one two three, twelve dollars fifty".
The same number words are used to normalise names for the recogniser's language model.
"""

from __future__ import annotations

import re

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINAL_WORDS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                  "nine": "ninth", "twelve": "twelfth"}


def number_words(n: int) -> str:
    """Cardinal number in words: 1234 → "one thousand two hundred thirty four"."""
    if n < 0:
        return "minus " + number_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("" if ones == 0 else " " + _ONES[ones])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _ONES[hundreds] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    for size, name in ((10**9, "billion"), (10**6, "million"), (1000, "thousand")):
        if n >= size:
            high, rest = divmod(n, size)
            return number_words(high) + " " + name + ("" if rest == 0 else " " + number_words(rest))
    raise AssertionError("unreachable")


def ordinal_words(n: int) -> str:
    """21 → "twenty first"."""
    words = number_words(n).split()
    last = words[-1]
    if last in _ORDINAL_WORDS:
        words[-1] = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def digits_words(digits: str) -> str:
    """"123" → "one two three" (each digit on its own, as codes are read)."""
    return " ".join(_ONES[int(d)] for d in digits)


def time_words(hour: int, minute: int, meridiem: str = "") -> str:
    """7, 30, "pm" → "seven thirty PM"; 7, 5 → "seven oh five"; 19, 0 → "seven PM"; 12, 0 → "noon"."""
    suffix = meridiem.replace(".", "").strip().upper()
    if not suffix and hour >= 13:
        hour, suffix = hour - 12, "PM"
    elif not suffix and hour == 0:
        hour, suffix = 12, "AM"
    if minute == 0 and hour == 12 and suffix in ("", "PM"):
        return "noon"
    if minute == 0 and hour == 12 and suffix == "AM":
        return "midnight"
    if minute == 0:
        spoken = number_words(hour) + ("" if suffix else " o'clock")
    elif minute < 10:
        spoken = f"{number_words(hour)} oh {number_words(minute)}"
    else:
        spoken = f"{number_words(hour)} {number_words(minute)}"
    return f"{spoken} {suffix}" if suffix else spoken


def decimal_words(text: str) -> str:
    """"4.5" → "four point five"; "1,200" → "one thousand two hundred"."""
    whole, _, frac = text.replace(",", "").partition(".")
    spoken = number_words(int(whole or "0"))
    return f"{spoken} point {digits_words(frac)}" if frac else spoken


def _price(match: re.Match[str]) -> str:
    dollars = int(match.group(1).replace(",", ""))
    cents = int((match.group(2) or "0").ljust(2, "0")[:2])
    unit = "dollar" if dollars == 1 else "dollars"
    if cents == 0:
        return f"{number_words(dollars)} {unit}"
    if dollars == 0:
        return f"{number_words(cents)} cents"
    return f"{number_words(dollars)} {unit} {number_words(cents)}"


def _code(match: re.Match[str]) -> str:
    """Letters spelled, digits one by one: "ABC-123" → "A B C one two three"."""
    token = match.group(0)
    if not (any(c.isdigit() for c in token) and any(c.isalpha() for c in token)):
        return token  # a plain number or an all-caps word, not a code
    out = []
    for ch in match.group(0):
        if ch.isdigit():
            out.append(_ONES[int(ch)])
        elif ch.isalpha():
            out.append(ch.upper())
    return " ".join(out)


def _ordinal(match: re.Match[str]) -> str:
    return ordinal_words(int(match.group(1)))


_UNITS = {"km": "kilometers", "mi": "miles", "min": "minutes", "mins": "minutes", "hr": "hours", "hrs": "hours",
          "%": "percent"}

_PRICE_RE = re.compile(r"\$\s?(\d[\d,]*)(?:\.(\d{1,2}))?\b")
# 7:30, 7:30pm, 7 PM, 7:30 p.m. (a bare "7" without a colon or meridiem is a plain number)
_MERIDIEM = r"([AaPp](?:\.[Mm]\.|[Mm]))"  # pm, PM, p.m. (a sentence's full stop after "PM" stays)
_TIME_RE = re.compile(rf"\b(\d{{1,2}}):(\d{{2}})\s?{_MERIDIEM}?(?![\w])|\b(\d{{1,2}})()\s?{_MERIDIEM}(?![\w])")
# Codes are capitals and digits mixed (ABC123, LUNA-7K2P, 4F); _code leaves tokens without both alone.
_CODE_RE = re.compile(r"\b[A-Z0-9]+(?:-[A-Z0-9]+)*\b")
_ORDINAL_RE = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")
_UNIT_RE = re.compile(r"\b(\d[\d,]*(?:\.\d+)?)\s?(km|mi|mins?|hrs?|%)(?![\w])")
_NUMBER_RE = re.compile(r"\b\d[\d,]*(?:\.\d+)?\b")


def _time_any(match: re.Match[str]) -> str:
    if match.group(1) is not None:
        return time_words(int(match.group(1)), int(match.group(2)), match.group(3) or "")
    return time_words(int(match.group(4)), 0, match.group(6))


def speakable(text: str) -> str:
    """Text with digits and symbols rewritten as the words a person would say."""
    text = _PRICE_RE.sub(_price, text)
    text = _TIME_RE.sub(_time_any, text)
    text = _CODE_RE.sub(_code, text)
    text = _ORDINAL_RE.sub(_ordinal, text)
    text = _UNIT_RE.sub(lambda m: f"{decimal_words(m.group(1))} {_UNITS[m.group(2)]}", text)
    text = _NUMBER_RE.sub(lambda m: decimal_words(m.group(0)), text)
    return re.sub(r"[ \t]{2,}", " ", text.replace("&", " and "))
