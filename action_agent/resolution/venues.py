"""Venue resolution (spec §7.3): conversation context, then the user's history, then fuzzy names.

"book it" / "that place" is the venue last mentioned or recommended; "the Italian place we went
to last week" is the user's most recent past booking of that cuisine; anything else is matched
against names and aliases with rapidfuzz.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process, utils

from luna_common.vocabulary import VenueName

# A match this good is taken without asking.
ACCEPT_SCORE = 88.0
# Two candidates this close to each other are ambiguous.
AMBIGUITY_MARGIN = 6.0
# Below this a candidate is not worth suggesting.
SUGGEST_SCORE = 55.0

REFERRING = re.compile(
    r"^(?:it|there|here|that|this|them|the same|same)(?: one| place| restaurant| spot| venue| bar| cafe)?$"
    r"|^(?:that|this|the|same)(?: same)? (?:place|restaurant|spot|venue|bar|cafe|one)$"
)
HISTORY = re.compile(r"\b(?:we went|i went|we were|i was|we ate|last time|last week|before|again|usual)\b")
PLACE_WORDS = {"place", "restaurant", "spot", "venue", "the", "that", "this", "one", "bar", "cafe", "joint"}


@dataclass(frozen=True)
class Mentioned:
    """A venue the conversation has referred to, with its cuisines, most recent first."""

    venue_id: int
    name: str
    cuisines: tuple[str, ...] = ()


@dataclass(frozen=True)
class VenueResolution:
    outcome: Literal["found", "ambiguous", "not_found"]
    venue_id: int | None = None
    name: str = ""
    # How it was found: "name", "context" or "history".
    source: str = ""
    options: list[str] = field(default_factory=list)  # ambiguous: the candidates' names
    suggestions: list[str] = field(default_factory=list)  # not found: names to offer


def normalise(text: str) -> str:
    return utils.default_process(text)


def is_referring(text: str) -> bool:
    return bool(REFERRING.match(normalise(text)))


def cuisine_in(text: str, cuisines: Sequence[str]) -> str | None:
    words = set(normalise(text).split())
    for cuisine in sorted(cuisines, key=len, reverse=True):
        if set(normalise(cuisine).split()) <= words:
            return cuisine
    return None


def resolve_venue(
    text: str,
    catalog: Sequence[VenueName],
    mentioned: Sequence[Mentioned] = (),
    history: Sequence[Mentioned] = (),
) -> VenueResolution:
    """Resolve `text` (a name or referring words). `mentioned`/`history`: most recent first."""
    phrase = normalise(text)
    if not phrase or is_referring(phrase):
        if mentioned:
            return VenueResolution("found", mentioned[0].venue_id, mentioned[0].name, "context")
        return VenueResolution("not_found", name=text, suggestions=[m.name for m in history[:2]])
    all_cuisines = sorted({c for v in catalog for c in v.cuisines})
    cuisine = cuisine_in(phrase, all_cuisines)
    from_history = bool(HISTORY.search(phrase))
    # "that Italian place" describes rather than names a venue: look at the conversation, then the past.
    if wants_history(phrase, all_cuisines):
        pools = [("history", history), ("context", mentioned)]
        if not from_history:
            pools.reverse()
        for source, pool in pools:
            for m in pool:
                if cuisine is None or cuisine in m.cuisines:
                    return VenueResolution("found", m.venue_id, m.name, source)
    result = _by_name(phrase, catalog)
    if result.outcome == "not_found":
        return VenueResolution("not_found", name=text.strip(), suggestions=result.suggestions)
    return result


def _by_name(phrase: str, catalog: Sequence[VenueName]) -> VenueResolution:
    for venue in catalog:
        if any(normalise(label) == phrase for label in (venue.name, *venue.aliases)):
            return VenueResolution("found", venue.venue_id, venue.name, "name")
    labels = [(venue.venue_id, venue.name, normalise(label))
              for venue in catalog for label in (venue.name, *venue.aliases)]
    scored = process.extract(phrase, [label for _, _, label in labels], scorer=fuzz.WRatio, limit=None,
                             score_cutoff=SUGGEST_SCORE)
    best: dict[int, tuple[float, str]] = {}
    for _label, score, index in scored:
        venue_id, name, _ = labels[index]
        if score > best.get(venue_id, (-1.0, ""))[0]:
            best[venue_id] = (score, name)
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[1][1]))
    if not ranked:
        return VenueResolution("not_found", name=phrase)
    top_id, (top_score, top_name) = ranked[0]
    close = [name for _, (score, name) in ranked if top_score - score < AMBIGUITY_MARGIN and score >= ACCEPT_SCORE]
    if top_score >= ACCEPT_SCORE and len(close) == 1:
        return VenueResolution("found", top_id, top_name, "name")
    if len(close) > 1:
        return VenueResolution("ambiguous", options=close[:3])
    return VenueResolution("not_found", name=phrase, suggestions=[name for _, (_, name) in ranked[:3]])


def wants_history(text: str, cuisines: Sequence[str]) -> bool:
    """Whether `text` may refer to a place the user has been ("the Italian place we went to")."""
    phrase = normalise(text)
    cuisine = cuisine_in(phrase, cuisines)
    return bool(HISTORY.search(phrase)) or (cuisine is not None
                                            and set(phrase.split()) <= PLACE_WORDS | set(cuisine.split()))
