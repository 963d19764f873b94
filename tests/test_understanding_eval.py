"""Understanding accuracy on the held-out utterances (an accuracy test: latency is measured by
`luna understand --eval`, never asserted here), and the separation of training and held-out data."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from gateway.understanding import INTENTS, Understander
from gateway.understanding.evaluation import Report, evaluate, load_examples
from gateway.understanding.text import normalize
from gateway.understanding.understander import ENTITY_KEYS, TRAINING_FILE, training_rows

DATA = Path(__file__).parent / "data" / "understanding"
HELDOUT = DATA / "heldout.jsonl"
# A second held-out set, written later in a looser style (more ASR noise, venues rare in training).
CHALLENGE = DATA / "challenge.jsonl"


@pytest.fixture(scope="module")
def understander() -> Understander:
    return Understander()


@pytest.fixture(scope="module")
def report(understander: Understander) -> Report:
    return evaluate(understander, load_examples(HELDOUT))


def test_all_held_out_utterances_together(understander: Understander) -> None:
    both = evaluate(understander, load_examples(HELDOUT) + load_examples(CHALLENGE))
    assert both.total >= 300
    assert both.intent_accuracy >= 0.97, both.summary()
    assert both.entity_f1 >= 0.93, both.summary()
    assert both.oos_recall >= 0.90, both.summary()


def test_heldout_intent_accuracy(report: Report) -> None:
    assert report.intent_accuracy >= 0.97, report.summary()


def test_heldout_entity_f1(report: Report) -> None:
    assert report.entity_f1 >= 0.93, report.summary()


def test_heldout_out_of_scope_recall(report: Report) -> None:
    assert report.oos_total >= 25
    assert report.oos_recall >= 0.90, report.summary()


def test_every_intent_is_scored(report: Report) -> None:
    assert set(report.intent_f1) == set(INTENTS)


def test_labelled_sets_are_large_valid_and_cover_every_intent() -> None:
    heldout, train = load_examples(HELDOUT), load_examples(TRAINING_FILE)
    assert len(heldout) + len(train) >= 400
    for examples in (heldout, train):
        counts = Counter(ex.intent for ex in examples)
        assert set(counts) == set(INTENTS)
        for ex in examples:
            assert ex.now is not None and ex.now.tzinfo is not None
            assert set(ex.entities) <= set(ENTITY_KEYS), ex.text
    # ASR-style text: lowercase, no punctuation
    assert sum(ex.text == ex.text.lower() and not any(c in ex.text for c in ",.?!") for ex in heldout) >= 100


def test_training_never_sees_a_heldout_sentence() -> None:
    held = {normalize(json.loads(line)["text"]).text
            for path in (HELDOUT, CHALLENGE) for line in path.read_text().splitlines() if line.strip()}
    leaked = sorted({text for text, _ in training_rows() if normalize(text).text in held})
    assert leaked == []
