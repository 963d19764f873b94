"""Slot extractors over normalized words: party size, cuisine, price, distance, occasion, invite answer,
confirmation code, and the referring words for a venue that is not named ("that Italian place we went to").

Each extractor takes the words and the token indexes already claimed by another entity (a venue name, a
time), so "Carrabba's Italian Grill" is not also the cuisine "italian" and "at 8 pm" is not a party of 8.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway.understanding.lexicon import (
    ACCEPT_PHRASES,
    CUISINE_SYNONYMS,
    DECLINE_PHRASES,
    KM_PER_UNIT,
    NEARBY_PHRASES,
    OCCASION_PHRASES,
    PRICE_WORDS,
)
from gateway.understanding.times import WEEKDAYS

T = TypeVar("T")


@dataclass(frozen=True)
class Found(Generic[T]):
    value: T
    first: int
    last: int

    @property
    def indexes(self) -> set[int]:
        return set(range(self.first, self.last + 1))


class PhraseTable(Generic[T]):
    """Longest-match look-up of multi-word phrases, scanning left to right."""

    def __init__(self, phrases: dict[str, T] | Iterable[tuple[str, T]]) -> None:
        items = phrases.items() if isinstance(phrases, dict) else phrases
        self._by_first: dict[str, list[tuple[tuple[str, ...], T]]] = {}
        for phrase, value in items:
            words = tuple(phrase.split())
            self._by_first.setdefault(words[0], []).append((words, value))
        for entries in self._by_first.values():
            entries.sort(key=lambda e: -len(e[0]))

    def first(self, words: list[str], blocked: set[int] | frozenset[int] = frozenset()) -> Found[T] | None:
        for i, w in enumerate(words):
            for phrase, value in self._by_first.get(w, ()):
                end = i + len(phrase)
                if tuple(words[i:end]) == phrase and not blocked & set(range(i, end)):
                    return Found(value, i, end - 1)
        return None


_CUISINES = PhraseTable(CUISINE_SYNONYMS)
_PRICES = PhraseTable(PRICE_WORDS)
_NEARBY = PhraseTable({p: "nearby" for p in NEARBY_PHRASES})
_OCCASIONS = PhraseTable(OCCASION_PHRASES)
_DECLINE = PhraseTable({p: "decline" for p in DECLINE_PHRASES})
_ACCEPT = PhraseTable({p: "accept" for p in ACCEPT_PHRASES})

_NUM_RE = re.compile(r"^\d+(?:\.\d+)?$")
_PEOPLE = frozenset({"people", "persons", "person", "guests", "adults", "pax", "diners", "seats", "ppl"})
_NOT_A_PARTY = frozenset({"am", "pm", "oclock", "minutes", "minute", "mins", "hours", "hour", "days", "nights",
                          "weeks", "miles", "mile", "km", "kilometers", "blocks", "more", "extra", "additional",
                          "stars", "dollars", "bucks"})
_COMPANIONS = frozenset({"wife", "husband", "partner", "girlfriend", "boyfriend", "friend", "date", "mom", "dad",
                         "mother", "father", "sister", "brother", "son", "daughter", "colleague", "boss", "fiance",
                         "fiancee", "roommate", "buddy", "plus"})
_SOLO = (("just", "me"), ("only", "me"), ("by", "myself"), ("for", "myself"), ("just", "myself"), ("solo",),
         ("me", "alone"))
_PAIR = (("both", "of", "us"), ("us", "2"), ("the", "2", "of", "us"))


def _count(word: str) -> int | None:
    if word.isdigit() and 1 <= int(word) <= 60:
        return int(word)
    return None


def party_size(words: list[str], blocked: set[int]) -> Found[int] | None:
    """The number of diners, from "for four", "party of 12", "6 people", "just me", "me and my wife"."""
    n = len(words)

    def at(i: int) -> str:
        return words[i] if 0 <= i < n else ""

    def is_count(j: int) -> int | None:
        num = _count(at(j))
        # "for 7 30" and "for 8 pm" are times, not parties
        follows = at(j + 1)
        if num is None or j in blocked or follows in _NOT_A_PARTY or follows.isdigit() or follows == "oh":
            return None
        return num

    for i, w in enumerate(words):
        if i in blocked:
            continue
        if w in ("party", "group", "table") and at(i + 1) in ("of", "for") and (num := is_count(i + 2)):
            return Found(num, i, i + 2)
        if w == "party" and at(i + 1) == "size":
            j = i + 2 + (at(i + 2) in ("to", "of", "is", "for"))
            if num := is_count(j):
                return Found(num, i, j)
        # "for 4", "seat six", "we'll be 6", "we're 5"
        starts_count = w in ("for", "seat", "fit") or (w == "be" and at(i - 1) in ("well", "will")) or (
            w == "were" or (w == "are" and at(i - 1) == "we"))
        if starts_count and (num := is_count(i + 1)):
            return Found(num, i, i + 1)
        if (num := _count(w)) and (at(i + 1) in _PEOPLE or (at(i + 1) == "of" and at(i + 2) == "us")):
            return Found(num, i, i + 1)
        if w == "me" and at(i + 1) == "and":
            j = i + 2 + (at(i + 2) == "my")
            if num := _count(at(j)):  # "me and two friends"
                return Found(num + 1, i, j)
            if at(i + 2) == "my" and at(i + 3) in _COMPANIONS:
                return Found(2, i, i + 3)
        for phrase, size in [(p, 1) for p in _SOLO] + [(p, 2) for p in _PAIR]:
            if tuple(words[i:i + len(phrase)]) == phrase:
                return Found(size, i, i + len(phrase) - 1)
    return None


def cuisine(words: list[str], blocked: set[int]) -> Found[str] | None:
    return _CUISINES.first(words, blocked)


def price_level(words: list[str], blocked: set[int]) -> Found[int] | None:
    found = _PRICES.first(words, blocked)
    # "how expensive is it", "is it pricey" ask about a venue; they do not ask for a price level.
    if found is not None and found.first > 0 and words[found.first - 1] in ("how", "it", "is", "too", "they"):
        return None
    return found


def distance(words: list[str], blocked: set[int]) -> tuple[Found[str] | None, Found[float] | None]:
    nearby = _NEARBY.first(words, blocked)
    km: Found[float] | None = None
    for i in range(len(words) - 1):
        unit = KM_PER_UNIT.get(words[i + 1])
        if unit is None or i in blocked:
            continue
        amount = words[i]
        value = float(amount) if _NUM_RE.match(amount) else 1.0 if amount in ("a", "an") else None
        if value is not None:
            km = Found(round(value * unit, 2), i, i + 1)
            break
    return nearby, km


def occasion(words: list[str], blocked: set[int]) -> Found[str] | None:
    return _OCCASIONS.first(words, blocked)


def invite_response(words: list[str]) -> str | None:
    found = _DECLINE.first(words) or _ACCEPT.first(words)
    return found.value if found else None


_CODE_CUES = frozenset({"code", "confirmation", "reference", "ref"})
_CODE_FILLER = frozenset({"code", "number", "is", "id", "confirmation", "reference", "no"})
_ALNUM_RE = re.compile(r"^(?=.*\d)(?=.*[a-z])[a-z0-9]{4,12}$")
_NOT_CODE_WORDS = frozenset({"for", "at", "is", "the", "and", "to", "on", "of", "with", "my", "from", "by", "its"})
_NOT_CODE_RE = re.compile(r"^\d+(st|nd|rd|th|am|pm|s)$")


def _code_part(word: str, nxt: str) -> bool:
    if len(word) == 1 or word.isdigit() or _ALNUM_RE.match(word):
        return True
    # a spoken letter group before digits: "code lun one two three"
    return word.isalpha() and len(word) <= 4 and word not in _NOT_CODE_WORDS and nxt.isdigit()


def confirmation_code(words: list[str]) -> Found[str] | None:
    """A booking code, typed ("LX7Q2K") or spelled out ("a b c one two three" -> "ABC123")."""
    n = len(words)
    for i, w in enumerate(words):
        if _ALNUM_RE.match(w) and not _NOT_CODE_RE.match(w):
            return Found(w.upper(), i, i)
        if w not in _CODE_CUES and w not in ("booking", "reservation"):
            continue
        j = i + 1
        while j < n and words[j] in _CODE_FILLER:
            j += 1
        start, parts = j, []
        while j < n and _code_part(words[j], words[j + 1] if j + 1 < n else ""):
            parts.append(words[j])
            j += 1
        code = "".join(parts)
        if 4 <= len(code) <= 12 and any(c.isdigit() for c in code) and (w in _CODE_CUES or len(parts[0]) > 1
                                                                         or len(parts) >= 4):
            return Found(code.upper(), start, j - 1)
    return None


_REF_HEADS = frozenset({"place", "restaurant", "spot", "joint"})
_REF_STOP = frozenset({"for", "tomorrow", "tonight", "today", "please", "and", "but", "so", "with", "on",
                       *WEEKDAYS})
_NAME_STOP = _REF_STOP | {"at", "in", "near", "around", "is", "are", "has", "have", "nearby", "to"}
_REF_SUBJECTS = frozenset({"we", "i", "you", "they", "my", "she", "he"})


def venue_reference(words: list[str], blocked: set[int]) -> Found[None] | None:
    """Words that refer to a venue without naming it: "that italian place we went to last week".

    Bare context words ("that place", "the restaurant") are left to the action agent's context and return None.
    """
    n = len(words)
    for i, w in enumerate(words):
        if w in ("called", "named") and i + 1 < n and i + 1 not in blocked and words[i + 1] not in _NAME_STOP:
            end = i + 1  # "a place called zanzibar": the name itself
            while end + 1 < min(n, i + 5) and words[end + 1] not in _NAME_STOP and end + 1 not in blocked:
                end += 1
            return Found(None, i + 1, end)
        if w not in ("that", "the", "this") or i in blocked:
            continue
        strong = w in ("that", "this") or words[i + 1:i + 2] == ["same"]
        for h in range(i + 1, min(i + 5, n)):
            if words[h] in _REF_STOP or h in blocked:
                break
            if words[h] not in _REF_HEADS:
                continue
            end = h
            if h + 1 < n and words[h + 1] in _REF_SUBJECTS:
                end = h + 1
                while end + 1 < n and words[end + 1] not in _REF_STOP:
                    end += 1
            elif h + 2 < n and words[h + 1] == "from" and words[h + 2] in ("last", "before", "yesterday", "the"):
                end = min(h + 3, n - 1) if words[h + 2] in ("last", "the") else h + 2
            described = strong and h > i + 1
            if end > h or described:
                return Found(None, i, end)
            break
    return None
