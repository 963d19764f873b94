"""Normalization of typed text and ASR transcripts into one token form.

Typed ("What's the 7:30 slot at Joe's?") and spoken ("whats the seven thirty slot at joes") input end up
alike: lowercase, apostrophes dropped, fillers removed, number words as digits. Every token keeps the
character span of the words it came from, so entities can quote the user's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.understanding.lexicon import FILLERS

_UNITS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS: dict[str, int] = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
                         "seventy": 70, "eighty": 80, "ninety": 90}
_ORDINALS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}
MONTHS: dict[str, int] = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "aug": 8, "september": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}

# a.m./p.m. first so "p.m." is one token; then clock times, numeric dates, decimals, words.
_TOKEN_RE = re.compile(r"[ap]\.m\.?|\d{1,2}:\d{2}|\d{1,2}/\d{1,2}\b|\d+\.\d+|[a-z0-9]+(?:'[a-z]+)*", re.IGNORECASE)
_DIGITS_SUFFIX_RE = re.compile(r"^(\d{1,2})(am|pm)$")


@dataclass(frozen=True)
class Token:
    text: str  # normalized form
    start: int  # span in the original text
    end: int


@dataclass(frozen=True)
class Normalized:
    original: str
    tokens: tuple[Token, ...]

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.tokens)

    def token_offsets(self) -> list[int]:
        """Start offset of each token inside `text` (tokens are joined by single spaces)."""
        offsets, pos = [], 0
        for t in self.tokens:
            offsets.append(pos)
            pos += len(t.text) + 1
        return offsets

    def quote(self, first: int, last: int) -> str:
        """The user's own words for tokens first..last (inclusive)."""
        return self.original[self.tokens[first].start:self.tokens[last].end]


def _raw_tokens(text: str) -> list[Token]:
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    out: list[Token] = []
    for m in _TOKEN_RE.finditer(text):
        word = m.group(0).lower()
        if word[0] in "ap" and word[1:2] == ".":  # a.m. / p.m.
            out.append(Token(word[0] + "m", m.start(), m.end()))
            continue
        split = _DIGITS_SUFFIX_RE.match(word)
        if split:  # "7pm" -> "7" "pm"
            cut = m.start() + len(split.group(1))
            out.append(Token(split.group(1), m.start(), cut))
            out.append(Token(split.group(2), cut, m.end()))
            continue
        out.append(Token(word.replace("'", ""), m.start(), m.end()))
    return out


def _join(tokens: list[Token], text: str) -> Token:
    return Token(text, tokens[0].start, tokens[-1].end)


def _numbers(tokens: list[Token]) -> list[Token]:
    """Number words to digits: "twenty two" -> 22, "seven thirty" -> 7 30, "the twenty second" -> the 22nd."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        word = tokens[i].text
        nxt = tokens[i + 1].text if i + 1 < len(tokens) else ""
        prev = out[-1].text if out else ""
        ordinal_context = prev in ("the", "of") or prev in MONTHS
        if word in _TENS and nxt in _UNITS and 0 < _UNITS[nxt] < 10:
            out.append(_join(tokens[i:i + 2], str(_TENS[word] + _UNITS[nxt])))
            i += 2
            continue
        if word in _TENS and nxt in _ORDINALS and _ORDINALS[nxt] < 10 and ordinal_context:
            out.append(_join(tokens[i:i + 2], _ordinal(_TENS[word] + _ORDINALS[nxt])))
            i += 2
            continue
        if word in _TENS:
            out.append(Token(str(_TENS[word]), tokens[i].start, tokens[i].end))
        elif word in _UNITS:
            out.append(Token(str(_UNITS[word]), tokens[i].start, tokens[i].end))
        elif word in _ORDINALS and ordinal_context:
            out.append(Token(_ordinal(_ORDINALS[word]), tokens[i].start, tokens[i].end))
        else:
            out.append(tokens[i])
        i += 1
    return out


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def normalize(text: str) -> Normalized:
    tokens = [t for t in _raw_tokens(text) if t.text not in FILLERS]
    tokens = [Token("tonight", t.start, t.end) if t.text == "tonights" else t for t in tokens]
    return Normalized(text, tuple(_numbers(tokens)))
