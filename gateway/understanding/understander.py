"""Understander: one utterance in, the intent (spec §7.1), a confidence and typed entities (§7.2) out."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from gateway.understanding import entities as ex
from gateway.understanding.classifier import IntentClassifier
from gateway.understanding.demo_vocabulary import demo_vocabulary
from gateway.understanding.lexicon import OUT_OF_SCOPE_WORDS
from gateway.understanding.names import FriendMatcher, VenueMatcher
from gateway.understanding.templates import TEMPLATES_FILE, template_sentences
from gateway.understanding.text import Normalized, normalize
from gateway.understanding.times import parse_when
from luna_common.vocabulary import Vocabulary

INTENTS: tuple[str, ...] = (
    "make_booking", "modify_booking", "cancel_booking", "check_booking", "get_recommendations", "search_venue",
    "venue_info", "check_availability", "find_friends", "send_invite", "respond_invite", "check_invites",
    "get_directions", "estimate_travel", "greeting", "thanks", "help", "confirm", "deny", "unclear",
)
ENTITY_KEYS: tuple[str, ...] = (
    "venue_name", "person_name", "date_time", "date", "party_size", "cuisine", "price_level", "distance",
    "distance_km", "occasion", "response", "confirmation_code",
)
DEFAULT_TZ = "America/New_York"
TRAINING_FILE = Path(__file__).with_name("data") / "train.jsonl"

# Below this probability the best intent is not trusted: the answer is "unclear" and the caller asks again.
# Chosen by cross-validation on the training data (see `luna understand --cv`), never on the held-out set.
MIN_CONFIDENCE = 0.25
# Intents whose entities mean nothing to the action agent (and out-of-scope words must not leak into slots).
_NO_ENTITIES = frozenset({"greeting", "thanks", "help", "unclear"})

# A bare "cancel" answers a question (spec §7.1 lists it under deny); "cancel my booking" is cancel_booking.
_BARE_REPLIES: dict[str, str] = {"cancel": "deny", "cancel please": "deny", "please cancel": "deny"}

EntityValue = str | int | float


@dataclass(frozen=True)
class Understanding:
    text: str
    intent: str
    confidence: float
    entities: dict[str, EntityValue] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "intent": self.intent, "confidence": round(self.confidence, 4),
                "entities": dict(self.entities)}


@dataclass
class _Analysis:
    """What the extractors found before the intent is known, plus the masked text the classifier reads."""

    entities: dict[str, EntityValue]
    masked: str


class _Matchers:
    def __init__(self, vocabulary: Vocabulary) -> None:
        self.venues = VenueMatcher(vocabulary)
        self.friends = FriendMatcher(vocabulary)


def _analyse(norm: Normalized, matchers: _Matchers, now: datetime) -> _Analysis:
    words = [t.text for t in norm.tokens]
    found: dict[str, EntityValue] = {}
    mask: dict[int, str] = {}  # token index -> placeholder the classifier sees instead

    def claim(indexes: set[int], placeholder: str) -> None:
        for i in sorted(indexes):
            mask[i] = placeholder if i == min(indexes) else ""

    code = ex.confirmation_code(words)
    if code is not None:
        found["confirmation_code"] = code.value
        claim(code.indexes, "zcode")
    venue = matchers.venues.find(words, set(mask))
    if venue is not None:
        found["venue_name"] = venue.canonical
        claim(set(range(venue.first, venue.last + 1)), "zvenue")
    else:
        reference = ex.venue_reference(words, set(mask))
        if reference is not None:
            found["venue_name"] = norm.quote(reference.first, reference.last)
            claim(reference.indexes, "zvenue")
    # Party size before times: "party size to 3" is not 3 o'clock ("for 8 pm" is left to the times).
    party = ex.party_size(words, set(mask))
    if party is not None:
        found["party_size"] = party.value
        mask.update({i: "znum" for i in party.indexes if words[i].isdigit()})
    # Times read the words with names masked out ("Sushi Zen on 5th" is not the 5th of the month).
    when = parse_when([w if i not in mask else "_" for i, w in enumerate(words)], now)
    date_time, day = when.resolve(now)
    if date_time:
        found["date_time"] = date_time
    elif day:
        found["date"] = day
    for i in when.used:
        if words[i][0].isdigit():
            mask[i] = "ztime"
    blocked = set(mask)
    person = matchers.friends.find(words, blocked)
    if person is not None:
        found["person_name"] = person[0]
        claim({person[1]}, "zperson")
    blocked = set(mask)
    simple: list[tuple[str, ex.Found[Any] | None]] = [
        ("cuisine", ex.cuisine(words, blocked)),
        ("price_level", ex.price_level(words, blocked)),
        ("occasion", ex.occasion(words, blocked)),
    ]
    nearby, km = ex.distance(words, blocked)
    simple += [("distance", nearby), ("distance_km", km)]
    for key, hit in simple:
        if hit is not None:
            found[key] = hit.value
    masked = " ".join(
        mask[i] if i in mask else ("znum" if w[0].isdigit() else w) for i, w in enumerate(words)
    )
    return _Analysis(found, " ".join(masked.split()))


def _load_training(path: Path) -> list[tuple[str, str]]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                rows.append((str(row["text"]), str(row["intent"])))
    return rows


def masked_text(text: str, matchers: _Matchers | None = None) -> str:
    """The form of `text` the classifier reads (training uses the demo vocabulary its sentences were written for)."""
    now = datetime(2026, 1, 1, 12, tzinfo=ZoneInfo(DEFAULT_TZ))  # masking does not depend on the date
    return _analyse(normalize(text), matchers or _demo_matchers(), now).masked


@lru_cache(maxsize=1)
def _demo_matchers() -> _Matchers:
    return _Matchers(demo_vocabulary())


def training_rows(path: Path = TRAINING_FILE, templates: Path = TEMPLATES_FILE) -> list[tuple[str, str]]:
    """(sentence, intent): the hand-written sentences, then those expanded from the phrasing patterns."""
    return _load_training(path) + template_sentences(templates)


_TRAINING_LOCK = threading.Lock()


def trained_classifier(path: Path = TRAINING_FILE, templates: Path = TEMPLATES_FILE) -> IntentClassifier:
    """The classifier trained on the repository's training data, shared by every Understander of the process
    (the lock keeps Understanders built at once in worker threads from training it twice)."""
    with _TRAINING_LOCK:
        return _train(path, templates)


@lru_cache(maxsize=4)
def _train(path: Path, templates: Path) -> IntentClassifier:
    rows = training_rows(path, templates)
    return IntentClassifier().fit([masked_text(t) for t, _ in rows], [i for _, i in rows])


class Understander:
    def __init__(self, vocabulary: Vocabulary | None = None, *, training_file: Path = TRAINING_FILE,
                 min_confidence: float = MIN_CONFIDENCE) -> None:
        self._classifier = trained_classifier(training_file)
        self._min_confidence = min_confidence
        self._lock = threading.Lock()
        self._matchers = _Matchers(vocabulary or demo_vocabulary())

    def update_vocabulary(self, vocabulary: Vocabulary) -> None:
        """Use new venue and friend names from now on (rebuilds two small look-up tables, no retraining)."""
        matchers = _Matchers(vocabulary)
        with self._lock:
            self._matchers = matchers

    def understand(self, text: str, now: datetime | None = None, tz: str = DEFAULT_TZ) -> Understanding:
        """Intent, confidence and entities of `text`. Relative days resolve against `now` in zone `tz`
        (a naive `now` is taken as local time in `tz`; None means the current time)."""
        zone = ZoneInfo(tz)
        local = datetime.now(zone) if now is None else (
            now.replace(tzinfo=zone) if now.tzinfo is None else now.astimezone(zone))
        norm = normalize(text)
        if not norm.tokens:
            return Understanding(text, "unclear", 1.0, {})
        analysis = _analyse(norm, self._matchers, local)
        intent, confidence = self._classifier.predict(analysis.masked)
        if norm.text in _BARE_REPLIES:
            intent, confidence = _BARE_REPLIES[norm.text], 1.0
        elif "venue_name" not in analysis.entities and any(t.text in OUT_OF_SCOPE_WORDS for t in norm.tokens):
            intent = "unclear"
        if confidence < self._min_confidence:
            intent = "unclear"
        entities = {} if intent in _NO_ENTITIES else analysis.entities
        if intent == "respond_invite":
            response = ex.invite_response([t.text for t in norm.tokens])
            if response is not None:
                entities["response"] = response
        ordered = {k: entities[k] for k in ENTITY_KEYS if k in entities}
        return Understanding(text, intent, confidence, ordered)
