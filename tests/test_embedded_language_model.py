"""The domain language model: n-gram estimation, ARPA output that pocketsphinx loads, corpus and pronunciations."""

from __future__ import annotations

import os
import re

import pocketsphinx
import pytest

from gateway.speech.embedded.language_model import (
    build_model,
    corpus,
    expand,
    intent_weights,
    normalize,
    slot_values,
    write_model,
)
from gateway.speech.embedded.ngram import ArpaModel, NGramCounts, estimate
from gateway.speech.embedded.pronunciation import ipa_to_cmu, pronunciations, write_dictionary
from gateway.understanding.demo_vocabulary import demo_vocabulary
from luna_common.vocabulary import VenueName, Vocabulary

SENTENCES = ["book a table at olive garden", "book a table for two", "cancel my booking", "yes", "no",
             "book a table at sushi zen tonight", "book it", "cancel it"]


def small_model(mix: dict[str, float] | None = None, weight: float = 0.0, min_backoff: float = 0.0) -> ArpaModel:
    counts = NGramCounts(3)
    for s in SENTENCES:
        counts.add(s.split(), 100.0)  # large counts, as the pattern corpus has: little mass freed by discounting
    return estimate(counts, mix, weight, min_backoff)


@pytest.mark.parametrize(("mix", "min_backoff"), [(None, 0.0), ({"weather": 0.4, "the": 0.6}, 0.0), (None, 0.2)])
def test_every_context_is_a_probability_distribution(mix: dict[str, float] | None, min_backoff: float) -> None:
    model = small_model(mix, 0.1 if mix else 0.0, min_backoff)
    vocab = [g[0] for g in model.grams[1] if g[0] != "<s>"]
    contexts = [(), ("<s>",), ("<s>", "book"), ("book", "a"), ("a", "table"), ("table", "at"), ("zebra",),
                ("weather", "the")]
    for ctx in contexts:
        total = sum(10 ** model.prob((*ctx, w)) for w in vocab)
        assert total == pytest.approx(1.0, abs=1e-6), ctx


def test_seen_continuations_beat_unseen_ones() -> None:
    model = small_model()
    assert model.prob(("a", "table", "at")) > model.prob(("a", "table", "cancel"))
    assert model.prob(("<s>", "book")) > model.prob(("<s>", "table"))


def test_min_backoff_leaves_room_for_word_orders_never_seen() -> None:
    plain, floored = small_model(), small_model(min_backoff=0.2)
    assert 10 ** plain.prob(("a", "table", "book")) < 0.01  # "a table" was only ever followed by at / for
    assert 10 ** floored.prob(("a", "table", "book")) > 10 * 10 ** plain.prob(("a", "table", "book"))
    for ctx in (("a", "table"), ("<s>", "book")):  # every context backs off with at least the floor
        backoff = floored.grams[len(ctx)][ctx][1]
        assert backoff is not None and 10 ** backoff >= 0.2 - 1e-9
    assert floored.prob(("a", "table", "at")) > floored.prob(("a", "table", "book"))  # seen still wins


@pytest.mark.parametrize("min_backoff", [-0.1, 1.0])
def test_min_backoff_outside_zero_to_one_is_refused(min_backoff: float) -> None:
    with pytest.raises(ValueError, match="min_backoff"):
        small_model(min_backoff=min_backoff)


def test_unigram_mix_adds_general_words_with_their_weight() -> None:
    plain = small_model()
    mixed = small_model({"weather": 1.0}, 0.1)
    assert ("weather",) not in plain.grams[1]
    assert 0.1 <= 10 ** mixed.prob(("weather",)) < 0.2
    assert 10 ** mixed.prob(("book",)) < 10 ** plain.prob(("book",))


def test_arpa_text_is_well_formed_and_loads_in_pocketsphinx(tmp_path) -> None:
    model = small_model({"weather": 1.0}, 0.05)
    text = model.to_arpa()
    counts = {int(n): int(c) for n, c in re.findall(r"^ngram (\d)=(\d+)$", text, re.M)}
    for n in (1, 2, 3):
        section = text.split(f"\\{n}-grams:\n", 1)[1].split("\n\n", 1)[0].splitlines()
        assert len(section) == counts[n]
        for line in section:
            fields = line.split("\t")
            assert len(fields[1].split()) == n
            assert float(fields[0]) <= 0.0
    path = tmp_path / "small.arpa"
    path.write_text(text)
    lm = pocketsphinx.NGramModel(pocketsphinx.Config(), pocketsphinx.LogMath(), str(path))
    assert lm.size() == 3
    assert lm.prob(["olive"]) > lm.prob(["xyzzy"])


def test_expand_alternatives_and_options() -> None:
    assert sorted(expand("(book|reserve) [me] a table")) == sorted(
        ["book a table", "book me a table", "reserve a table", "reserve me a table"])
    assert expand("at {venue} [(tonight|{when})]") == ["at {venue}", "at {venue} tonight", "at {venue} {when}"]
    assert expand("{friend}('s|) invite") == ["{friend}'s invite", "{friend} invite"]


def test_normalize_spells_names_as_the_recogniser_outputs_them() -> None:
    assert normalize("Carrabba's Italian Grill") == "carrabba's italian grill"
    assert normalize("Joe's 24-Hour Café!") == "joe's twenty four hour cafe"
    assert normalize("Salt & Pepper") == "salt and pepper"


def test_corpus_uses_every_venue_alias_friend_and_cuisine() -> None:
    vocab = demo_vocabulary()
    sentences = " | ".join(corpus(vocab))
    values = slot_values(vocab)
    for slot in ("venue", "friend", "cuisine"):
        for value in values[slot]:
            assert f" {value} " in f" {sentences.replace(' | ', '  ')} ", (slot, value)
    assert "blue plate" in values["venue"]  # "The Blue Plate" without the article too
    assert "carrabbas" in values["venue"]


def test_ipa_to_cmu_maps_espeak_phonemes() -> None:
    assert ipa_to_cmu("kæɹˈæbəz") == ["K", "AE", "R", "AE", "B", "AH", "Z"]
    assert ipa_to_cmu("tʃˈiːz") == ["CH", "IY", "Z"]
    assert ipa_to_cmu("ɡˈoʊldən dɹˈæɡən") == ["G", "OW", "L", "D", "AH", "N", "D", "R", "AE", "G", "AH", "N"]


def test_out_of_vocabulary_words_get_generated_pronunciations(tmp_path) -> None:
    prons = pronunciations({"olive", "carrabba's", "quokka"})
    assert prons["olive"][0] == "AA L AH V"  # CMUdict entry kept
    assert prons["carrabba's"] == ["K AE R AE B AH Z"]
    assert prons["quokka"][0].startswith("K W")
    path = tmp_path / "x.dict"
    write_dictionary(str(path), prons)
    lines = path.read_text().splitlines()
    assert "olive(2) AA L IH V" in lines


def test_names_get_espeak_readings_as_alternates() -> None:
    plain = pronunciations({"napoli", "garden"})
    named = pronunciations({"napoli", "garden"}, names={"napoli"})
    assert plain["napoli"] == ["N AE P AH L IY"]
    assert named["napoli"] == ["N AE P AH L IY", "N AE P AA L IY"]
    assert named["garden"] == plain["garden"]


def test_accent_readings_join_as_alternates() -> None:
    american = pronunciations({"party", "for", "table"})
    both = pronunciations({"party", "for", "table"}, accents=("en-gb",))
    assert both["party"] == [*american["party"], "P AA T IY"]  # the r dropped
    assert both["for"] == [*american["for"], "F AO"]
    assert both["table"] == american["table"]  # same reading: no duplicate
    only_party = pronunciations({"party", "for"}, accents=("en-gb",), accented={"party"})
    assert only_party["party"] == both["party"] and only_party["for"] == american["for"]


def test_written_model_loads_in_a_decoder_with_generated_words(tmp_path) -> None:
    vocab = Vocabulary((VenueName(1, "Quokka Osteria", ("Quokka",)),), ("Marisol",), ("italian",))
    files = write_model(vocab, str(tmp_path), general_weight=0.05, general_top=500)
    assert {"quokka", "osteria", "marisol"} <= set(files.generated)
    assert {"what", "people", "think"} <= files.words  # the general-English fallback
    decoder = pocketsphinx.Decoder(hmm=os.path.join(pocketsphinx.get_model_path(), "en-us", "en-us"),
                                   lm=files.lm_path, dict=files.dict_path, loglevel="FATAL")
    assert decoder.lookup_word("quokka") == files.generated["quokka"][0]


def test_intent_weights_lift_small_intents_to_their_minimum_share() -> None:
    weights = intent_weights({"make_booking": 9000, "greeting": 10, "deny": 1000}, min_share=0.02)
    assert weights["make_booking"] == 1.0 and weights["deny"] == 1.0  # already above 2% of 10,010
    assert weights["greeting"] * 10 == pytest.approx(0.02 * 10010)


def test_intent_weights_make_short_replies_likelier_sentence_starts() -> None:
    weighted, _ = build_model(demo_vocabulary(), min_backoff=0.0)  # the floor on backoff would blur the comparison
    plain, _ = build_model(demo_vocabulary(), min_share=0.0, min_backoff=0.0)
    for word in ("thanks", "hello", "nope"):
        assert weighted.prob(("<s>", word)) > plain.prob(("<s>", word)) + 1.0  # over ten times likelier
    assert weighted.prob(("<s>", "book")) > plain.prob(("<s>", "book")) - 0.1  # bookings barely lose
