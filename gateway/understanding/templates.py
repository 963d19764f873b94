"""Expansion of the phrasing patterns in data/templates.txt into training sentences.

A pattern like "[cancel|drop] my [reservation|booking] [at {venue}|]" stands for every combination of its
choices; slots are filled with sample values. Long patterns are sampled, with a fixed seed, so the training
set is the same on every run.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import zlib
from pathlib import Path

from gateway.understanding.demo_vocabulary import DEMO_FRIENDS, demo_vocabulary

TEMPLATES_FILE = Path(__file__).with_name("data") / "templates.txt"
PER_PATTERN = int(os.environ.get("LUNA_UNDERSTAND_PER_PATTERN", "40"))
# Each pattern has its own random stream (seeded by its text), so editing one pattern leaves the sentences
# of every other pattern unchanged.
_SEED = int(os.environ.get("LUNA_UNDERSTAND_SEED", "20260514"))

_FILLERS: dict[str, tuple[str, ...]] = {
    "person": (*DEMO_FRIENDS, *(n.lower() for n in DEMO_FRIENDS)),
    "when": ("tonight", "tomorrow", "tomorrow night", "tonight at 7", "tomorrow at 8 pm", "on friday",
             "saturday at seven thirty", "at 7:30", "next tuesday", "at noon", "on may 20th", "sunday at 6",
             "this weekend", "at eight", "friday night", "tomorrow for lunch", "on the 22nd", "at 6 30 pm"),
    "party": ("for two", "for 4", "for six people", "for a party of 8", "for 3", "for just me",
              "for me and my wife", "party of 5", "for 10 people", "for the two of us", "for twelve"),
    "cuisine": ("italian", "sushi", "thai", "mexican", "tacos", "indian", "curry", "ramen", "chinese", "korean",
                "pho", "french", "greek", "steak", "seafood", "pizza", "burgers", "vegetarian", "vegan", "coffee",
                "bbq", "middle eastern", "spanish", "tapas", "japanese", "mediterranean", "american"),
    "price": ("cheap", "fancy", "upscale", "mid range", "affordable", "high end", "budget", "pricey", "moderate"),
    "dist": ("nearby", "near me", "around here", "close by", "within 2 miles", "within 5 km", "in walking distance",
             "close to me"),
    "code": ("ABC123", "LX7Q2K", "x y z 4 5 6", "LUN482", "q w e one two three", "B7K9P2"),
    "occasion": ("anniversary", "birthday", "date night", "business"),
    "meal": ("dinner", "lunch", "brunch"),
}
_GROUP_RE = re.compile(r"\[([^\]]*)\]")
_SLOT_RE = re.compile(r"\{(\w+)\}")


def _venue_fillers() -> tuple[str, ...]:
    names: list[str] = []
    for venue in demo_vocabulary().venues:
        names += [venue.name, venue.name.lower(), *venue.aliases]
    return tuple(names)


def expand_pattern(pattern: str, rng: random.Random, limit: int = PER_PATTERN) -> list[str]:
    """Up to `limit` sentences of one pattern, slots filled."""
    parts: list[list[str]] = []
    pos = 0
    for m in _GROUP_RE.finditer(pattern):
        parts.append([pattern[pos:m.start()]])
        parts.append(m.group(1).split("|"))
        pos = m.end()
    parts.append([pattern[pos:]])
    total = 1
    for p in parts:
        total *= len(p)
    if total <= limit:
        combos = list(itertools.product(*parts))
    else:
        seen: set[tuple[str, ...]] = set()
        while len(seen) < limit:
            seen.add(tuple(rng.choice(p) for p in parts))
        combos = sorted(seen)
    fillers = {**_FILLERS, "venue": _venue_fillers()}
    out = []
    for combo in combos:
        text = " ".join("".join(combo).split())
        text = _SLOT_RE.sub(lambda m: rng.choice(fillers[m.group(1)]), text)
        if text:
            out.append(text)
    return out


def template_sentences(path: Path = TEMPLATES_FILE) -> list[tuple[str, str]]:
    """(sentence, intent) pairs from every pattern of the file, in file order."""
    intent = ""
    rows: list[tuple[str, str]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("="):
            intent = line[1:].strip()
            continue
        rng = random.Random(_SEED ^ zlib.crc32(line.encode()))
        rows += [(s, intent) for s in expand_pattern(line, rng)]
    return rows
