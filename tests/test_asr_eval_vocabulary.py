"""bench/asr_eval's vocabularies: the store's is what the running stack hears, and it covers the sets that need it."""

from __future__ import annotations

from bench.asr_eval.blind_sentences import BLIND
from bench.asr_eval.run import store_vocabulary
from gateway.speech.embedded.language_model import normalize
from gateway.understanding.demo_vocabulary import DEMO_FRIENDS, demo_vocabulary
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
