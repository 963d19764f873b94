"""Venue and friend names, matched tolerantly against what was said.

Exact matches on token windows come first (cheap dictionary look-ups); only when none is found does
rapidfuzz compare windows with the known names, so "carabbas" or "olive gardin" from a speech
recogniser still resolve to the canonical name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from gateway.understanding.lexicon import NICKNAMES, NOT_NAMES
from luna_common.vocabulary import Vocabulary

_MAX_WINDOW = 5
# Windows never start or end on these words: names do not, and skipping them keeps fuzzy matching fast.
_EDGE_STOP = frozenset({
    "a", "an", "at", "to", "for", "in", "on", "of", "my", "me", "i", "is", "and", "with", "from", "it", "there",
    "tonight", "tomorrow", "today", "please", "book", "table", "reservation", "booking", "near", "how", "get",
})
_FUZZY_MIN_SCORE = 86.0


def name_key(text: str) -> str:
    """The comparison form of a name: lowercase words, apostrophes dropped ("Joe's Pizza" -> "joes pizza")."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("'", "").replace("\u2019", "")))


@dataclass(frozen=True)
class Match:
    canonical: str
    first: int  # token index range, inclusive
    last: int
    score: float


class VenueMatcher:
    def __init__(self, vocabulary: Vocabulary) -> None:
        self._by_key: dict[str, str] = {}
        for venue in vocabulary.venues:
            for surface in (venue.name, *venue.aliases):
                key = name_key(surface)
                if not key:
                    continue
                self._by_key.setdefault(key, venue.name)
                if key.startswith("the "):  # people drop the article: "blue plate"
                    self._by_key.setdefault(key[4:], venue.name)
        self._keys = list(self._by_key)

    def find(self, words: list[str], blocked: set[int]) -> Match | None:
        """The best venue mention in the words, longest exact match first, then the best fuzzy one."""
        n = len(words)
        for size in range(min(_MAX_WINDOW, n), 0, -1):
            for i in range(n - size + 1):
                if blocked & set(range(i, i + size)):
                    continue
                key = " ".join(words[i:i + size])
                if key in self._by_key:
                    return Match(self._by_key[key], i, i + size - 1, 100.0)
                if key.endswith("s") and key[:-1] in self._by_key:  # "olive gardens", "starbucks" said twice
                    return Match(self._by_key[key[:-1]], i, i + size - 1, 100.0)
        best: Match | None = None
        for size in range(1, min(_MAX_WINDOW, n) + 1):
            for i in range(n - size + 1):
                if words[i] in _EDGE_STOP or words[i + size - 1] in _EDGE_STOP:
                    continue
                if blocked & set(range(i, i + size)):
                    continue
                window = " ".join(words[i:i + size])
                if len(window) < 5:
                    continue
                hit = process.extractOne(window, self._keys, scorer=fuzz.ratio, score_cutoff=_FUZZY_MIN_SCORE)
                if hit is not None and (best is None or hit[1] > best.score):
                    best = Match(self._by_key[hit[0]], i, i + size - 1, float(hit[1]))
        return best


class FriendMatcher:
    def __init__(self, vocabulary: Vocabulary) -> None:
        self._names: dict[str, str] = {name_key(n): n for n in vocabulary.friend_names if name_key(n)}
        for nick, full in NICKNAMES.items():
            if full in vocabulary.friend_names:
                self._names.setdefault(nick, full)

    def _match_word(self, word: str) -> str | None:
        if word in NOT_NAMES or len(word) < 3 or word.isdigit():
            return None
        for form in (word, word[:-1] if word.endswith("s") else ""):  # possessive without apostrophe: "johns"
            if form in self._names:
                return self._names[form]
        for form in (word, word[:-1] if word.endswith("s") else ""):
            if len(form) < 4 or form in NOT_NAMES:
                continue
            for key, name in self._names.items():
                # One edit, same first letter: "sarrah", "pria", "markus"; never a different word entirely.
                if key[0] == form[0] and Levenshtein.distance(form, key) <= 1 + (len(key) >= 6):
                    return name
        return None

    def find(self, words: list[str], blocked: set[int]) -> tuple[str, int] | None:
        for i, word in enumerate(words):
            if i in blocked:
                continue
            name = self._match_word(word)
            if name is not None:
                return name, i
        return None
