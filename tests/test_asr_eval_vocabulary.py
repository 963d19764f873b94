"""bench/asr_eval's evaluation sets and vocabularies: the sets are well formed, and the store's vocabulary (what the
running stack hears) covers the sets that need it."""

from __future__ import annotations

import pytest

from bench.asr_eval.blind2_sentences import BLIND2
from bench.asr_eval.blind3_sentences import BLIND3
from bench.asr_eval.blind_sentences import BLIND
from bench.asr_eval.run import _score_words, store_vocabulary
from bench.asr_eval.sentences import IN_DOMAIN, TEST
from gateway.speech.embedded.language_model import normalize
from gateway.understanding.demo_vocabulary import DEMO_FRIENDS, demo_vocabulary
from gateway.understanding.understander import INTENTS
from luna_common.vocabulary import Vocabulary


def _venue_names(vocabulary: Vocabulary) -> set[str]:
    return {normalize(n) for v in vocabulary.venues for n in (v.name, *v.aliases)}


def test_store_vocabulary_has_the_seeded_city_and_the_sets_friends() -> None:
    store = store_vocabulary()
    assert len(store.venues) > 3 * len(demo_vocabulary().venues)
    assert set(DEMO_FRIENDS) <= set(store.friend_names)
    assert store.version and store.version != demo_vocabulary().version


def test_first_blind_set_names_venues_only_the_store_has() -> None:
    store, demo = _venue_names(store_vocabulary()), _venue_names(demo_vocabulary())
    keys = {k for _, _, ks in BLIND for k in ks}
    assert {"kaito sushi", "chez colette", "tandoor palace"} <= keys & store
    assert not {"kaito sushi", "chez colette", "tandoor palace"} & demo


@pytest.mark.parametrize("items", [IN_DOMAIN, TEST, BLIND, BLIND2, BLIND3], ids=["dev", "test", "blind", "blind2",
                                                                                  "blind3"])
def test_evaluation_sets_are_well_formed(items: list[tuple[str, str | None, tuple[str, ...]]]) -> None:
    """A key phrase missing from its sentence, or an intent the understanding does not know, would skew the
    benchmark's key recall and intent accuracy without any error."""
    for text, intent, keys in items:
        assert text == text.lower() and not any(c.isdigit() for c in text), text
        assert intent is None or intent in INTENTS, (text, intent)
        for key in keys:  # matched as the benchmark matches them, on its scored words
            assert f" {' '.join(_score_words(key))} " in f" {' '.join(_score_words(text))} ", (text, key)
