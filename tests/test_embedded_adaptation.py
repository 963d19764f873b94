"""Speaker adaptation of the acoustic model (MLLR): the model files, the estimate, and pocketsphinx using it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gateway.speech.embedded.adaptation import (
    AdaptationStatistics,
    ModelTransform,
    acoustic_model,
    aligned_frames,
    stream_features,
)
from gateway.speech.embedded.asr import DecoderPool, DecoderSettings, PocketsphinxRecognizer, clean, make_decoder
from gateway.speech.embedded.engine import EmbeddedEngine
from tests import audio


@pytest.fixture(scope="module")
def engine() -> Iterator[EmbeddedEngine]:
    eng = EmbeddedEngine()
    yield eng
    eng.close()


def _turn(text: str, voice: str = "en-us", speed: int = 150) -> bytes:
    """A turn as the recogniser hands it to pocketsphinx: silence around the speech, a faint noise floor."""
    pcm = audio.silence(200) + audio.speech(text, voice=voice, speed=speed) + audio.silence(300)
    samples = np.frombuffer(pcm, dtype="<i2") + np.random.default_rng(0).normal(0.0, 100.0, len(pcm) // 2)
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


def _decode(decoder: object, pcm: bytes) -> str:
    decoder.start_utt()  # type: ignore[attr-defined]
    decoder.process_raw(pcm, False, True)  # type: ignore[attr-defined]
    decoder.end_utt()  # type: ignore[attr-defined]
    hyp = decoder.hyp()  # type: ignore[attr-defined]
    return clean(hyp.hypstr) if hyp is not None else ""


def test_the_model_files_read_as_pocketsphinx_reads_them() -> None:
    model = acoustic_model()
    codebooks, streams, densities, dimensions = model.means.shape
    assert (streams, densities, dimensions) == (3, 128, 13)
    assert model.variances.shape == model.means.shape and (model.variances > 0).all()
    # one codebook per context-independent phone, in the mdef's order
    assert len(model.codebook_of_phone) == codebooks
    assert {"SIL", "AH", "K", "ZH"} <= set(model.codebook_of_phone)
    # each senone's mixture weights are a distribution in every stream (up to the 8-bit quantisation)
    totals = np.exp(model.log_weights).sum(axis=1)
    assert totals.shape[0] == streams and np.allclose(totals, 1.0, atol=0.1)


def test_feature_streams_are_sphinx_cepstra_deltas_and_second_deltas() -> None:
    ramp = np.tile(np.arange(20.0)[:, None], (1, 13))  # every coefficient rises by one a frame
    cepstra, deltas, second = stream_features(ramp)
    assert np.allclose(cepstra.mean(axis=0), 0.0)  # mean-normalised over the turn
    assert np.allclose(deltas[3:-3], 4.0)  # c[t+2] - c[t-2]
    assert np.allclose(second[3:-3], 0.0)  # a straight line has no curvature
    assert np.allclose(deltas[0], 2.0)  # edges repeat the first frame


def _sample_turn(transform: ModelTransform, frames: int, seed: int,
                 spread: float = 1.0) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Frames drawn from the model's own mixtures with their means moved by `transform` and their deviations from
    them scaled by `spread`."""
    model = acoustic_model()
    rng = np.random.default_rng(seed)
    speech = [cb for name, cb in model.codebook_of_phone.items() if name.isalpha() and name != "SIL"]
    codebooks = rng.choice(speech, size=frames)
    senones = 3 * codebooks + 1  # the middle state of each phone's context-independent HMM
    streams = []
    for s in range(3):
        weights = np.exp(model.log_weights[s][:, senones]).T
        chosen = [rng.choice(128, p=w / w.sum()) for w in weights]
        means = model.means[codebooks, s, chosen] @ transform.matrices[s].T + transform.offsets[s]
        deviations = rng.normal(size=means.shape) * np.sqrt(model.variances[codebooks, s, chosen])
        streams.append(means + spread * deviations)
    return streams, senones, codebooks


def test_the_estimate_recovers_a_known_shift_and_scaling_of_the_means() -> None:
    sigma = np.sqrt(np.median(acoustic_model().variances, axis=(0, 2)))  # [stream, dimension]: a typical spread
    truth = ModelTransform(tuple(np.diag(np.linspace(0.9, 1.1, 13)) for _ in range(3)),
                          (sigma[0] * np.linspace(-0.5, 0.5, 13), sigma[1] * 0.3, np.zeros(13)))
    statistics = AdaptationStatistics()
    for seed in range(4):
        statistics.add_streams(*_sample_turn(truth, 1500, seed))
    estimate = statistics.estimate()
    assert statistics.frames == 6000
    # one pass from the unadapted model's posteriors (what a speaker's turns give) recovers most of a shift
    for s in range(3):
        assert (np.abs(estimate.offsets[s] - truth.offsets[s]) < 0.15 * sigma[s]).all(), s
        assert np.abs(estimate.matrices[s] - truth.matrices[s]).max() < 0.1, s
    assert np.corrcoef(estimate.offsets[0], truth.offsets[0])[0, 1] > 0.95
    moved = estimate.offsets[0] @ truth.offsets[0] / (truth.offsets[0] @ truth.offsets[0])
    assert 0.5 < moved < 1.2
    # taking each turn's posteriors under the estimate so far (as the pool does) gets closer
    refined, current = AdaptationStatistics(), None
    for seed in range(4):
        refined.add_streams(*_sample_turn(truth, 1500, seed), current=current)
        current = refined.estimate()
    assert current is not None
    for s in range(2):
        refined_error = np.abs(current.offsets[s] - truth.offsets[s]).max()
        assert refined_error < np.abs(estimate.offsets[s] - truth.offsets[s]).max(), s
    # and with no shift at all it stays close to the model as it is
    still = AdaptationStatistics()
    still.add_streams(*_sample_turn(ModelTransform((np.eye(13),) * 3, (np.zeros(13),) * 3), 3000, 7))
    unchanged = still.estimate()
    for s in range(3):
        assert np.abs(unchanged.matrices[s] - np.eye(13)).max() < 0.1, s
        assert (np.abs(unchanged.offsets[s]) < 0.1 * sigma[s]).all(), s


def test_the_variance_scales_follow_the_spread_of_the_frames() -> None:
    identity = ModelTransform((np.eye(13),) * 3, (np.zeros(13),) * 3)
    # frames 0.7 as spread out have 0.49 of the variance: one pass from the model's own posteriors sees part of it
    for spread, low, high in ((1.0, 0.9, 1.1), (0.7, 0.45, 0.8)):
        statistics = AdaptationStatistics()
        for seed in range(3):
            statistics.add_streams(*_sample_turn(identity, 1500, seed, spread))
        scales = statistics.estimate(variances=True).variance_scales
        assert scales is not None
        assert all(low < np.median(scale) < high for scale in scales), (spread, scales)
    assert statistics.estimate().variance_scales is None  # means only, unless asked


def test_the_transform_file_is_pocketsphinx_s_mllr_format(tmp_path: Path) -> None:
    scales = (np.full(13, 0.5), np.ones(13), np.ones(13))
    ModelTransform((2 * np.eye(13),) * 3, (np.arange(13.0),) * 3, scales).write(str(tmp_path / "t.txt"))
    lines = (tmp_path / "t.txt").read_text().splitlines()
    assert lines[:3] == ["1", "3", "13"]  # one class, three streams, the first of 13 dimensions
    assert len(lines) == 2 + 3 * (1 + 13 + 1 + 1)  # per stream: its length, A's rows, b, the variance scales
    assert lines[3].split()[:2] == ["2", "0"] and lines[16].split()[:3] == ["0", "1", "2"]
    assert lines[17].split() == ["0.5"] * 13


def test_pocketsphinx_decodes_with_a_transform(engine: EmbeddedEngine) -> None:
    settings = DecoderSettings()
    pcm = _turn("cancel my reservation at sushi zen")
    identity = ModelTransform((np.eye(13),) * 3, (np.zeros(13),) * 3)
    assert _decode(make_decoder(engine.model, settings, transform=identity), pcm) == \
        "cancel my reservation at sushi zen"
    # a transform that moves every mean far away is applied too: the words are lost
    far = ModelTransform((np.eye(13),) * 3, (np.full(13, 30.0),) * 3)
    assert _decode(make_decoder(engine.model, settings, transform=far), pcm) != "cancel my reservation at sushi zen"


def test_a_turn_aligns_state_by_state_and_the_decoder_decodes_on(engine: EmbeddedEngine, tmp_path: Path) -> None:
    decoder = make_decoder(engine.model, DecoderSettings(), cepstra_dir=str(tmp_path))
    pcm = _turn("invite priya and marcus to dinner")
    aligned = aligned_frames(decoder, "invite priya and marcus to dinner", pcm, str(tmp_path))
    assert aligned is not None
    cepstra, senones, codebooks = aligned
    assert cepstra.shape[1] == 13 and abs(cepstra.shape[0] - len(pcm) // 320) <= 3  # 100 frames a second
    assert (senones >= 0).mean() > 0.95 and (codebooks >= 0).mean() > 0.95
    model = acoustic_model()
    speech = codebooks[(codebooks >= 0) & (codebooks != model.silence)]
    assert len(set(speech.tolist())) >= 10  # the phones of the sentence, not one long silence
    # words outside the dictionary do not align, and nothing is left behind
    assert aligned_frames(decoder, "zzqx blorft", pcm, str(tmp_path)) is None
    assert _decode(decoder, pcm) == "invite priya and marcus to dinner"


ADAPTATION_TURNS = ["book a table for four at olive garden tonight", "cancel my reservation at sushi zen",
                    "invite priya and marcus to dinner", "how far is golden dragon from here"]


def _speak(pool: DecoderPool, speaker: str | None, text: str, voice: str = "en-gb+f2",
           speed: int = 180) -> PocketsphinxRecognizer:
    recognizer = PocketsphinxRecognizer(pool, speaker)
    for frame in audio.chunks(audio.silence(200) + audio.speech(text, voice=voice, speed=speed) + audio.silence(300)):
        recognizer.accept(frame)
    recognizer.finish()
    pool.wait_for_adaptation()
    return recognizer


def test_a_speakers_turns_adapt_the_model_their_later_turns_decode_with(engine: EmbeddedEngine) -> None:
    settings = replace(DecoderSettings(), adaptation_turns=3)
    pool = DecoderPool(engine.model, settings)
    try:
        first = _speak(pool, "alice", ADAPTATION_TURNS[0])
        assert first.transform is None  # nothing learnt before the first turn
        assert pool.speaker_transform("alice", 1.0) is not None
        later = [_speak(pool, "alice", text) for text in ADAPTATION_TURNS[1:]]
        assert all(r.transform is not None for r in later)
        # adaptation stops after adaptation_turns turns; the transform stays the speaker's
        assert pool.adaptation_turns("alice", 1.0) == settings.adaptation_turns
        assert pool.speaker_transform("alice", 1.0) == later[-1].transform
        # turns with no speaker, or with adaptation off, adapt nothing
        assert _speak(pool, None, ADAPTATION_TURNS[0]).transform is None
        off = DecoderPool(engine.model, replace(settings, adaptation_turns=0))
        assert _speak(off, "alice", ADAPTATION_TURNS[0]).transform is None
        assert off.speaker_transform("alice", 1.0) is None
        off.close()
    finally:
        pool.close()


def test_a_turn_that_does_not_align_adds_nothing_and_loses_nothing(engine: EmbeddedEngine) -> None:
    pool = DecoderPool(engine.model, DecoderSettings())
    try:
        pool.adapt("bob", 1.0, pool.generation, "zzqx blorft", _turn("invite priya and marcus to dinner"))
        assert pool.adaptation_turns("bob", 1.0) == 1 and pool.speaker_transform("bob", 1.0) is None
        # a stale generation (the vocabulary changed since the turn) is not aligned at all
        pool.adapt("bob", 1.0, pool.generation - 1, "invite priya and marcus to dinner", _turn("invite priya"))
        assert pool.adaptation_turns("bob", 1.0) == 1
        recognizer = _speak(pool, "bob", ADAPTATION_TURNS[2], voice="en-us", speed=150)
        assert pool.speaker_transform("bob", 1.0) is not None and recognizer.transform is None
    finally:
        pool.close()


def test_turns_too_long_to_keep_are_not_adapted_on(engine: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PocketsphinxRecognizer, "_MAX_ADAPTED_S", 0.5)  # every turn below is longer
    pool = DecoderPool(engine.model, DecoderSettings())
    try:
        for text in ADAPTATION_TURNS:
            assert _speak(pool, "carol", text).transform is None
        assert pool.adaptation_turns("carol", 1.0) == 0
    finally:
        pool.close()


def test_a_transform_waits_for_enough_speech(engine: EmbeddedEngine) -> None:
    pool = DecoderPool(engine.model, replace(DecoderSettings(), adaptation_min_frames=10**6))
    try:
        pool.adapt("dave", 1.0, pool.generation, "invite priya and marcus to dinner",
                   _turn("invite priya and marcus to dinner"))
        assert pool.adaptation_turns("dave", 1.0) == 1 and pool.speaker_transform("dave", 1.0) is None
    finally:
        pool.close()


def test_few_adapted_decoders_stay_pooled(engine: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DecoderPool, "MAX_ADAPTED_IDLE", 1)
    pool = DecoderPool(engine.model, DecoderSettings())
    try:
        transforms = [ModelTransform((np.eye(13),) * 3, (np.zeros(13),) * 3) for _ in range(2)]
        given_back = []
        for transform in transforms:
            decoder, generation = pool.take(1.0, transform)
            pool.give_back(decoder, generation, 1.0, transform)
            given_back.append(decoder)
        plain, _ = pool.take()
        pool.give_back(plain, pool.generation)
        # only the latest speaker's decoder is kept; the plain one does not count against the cap
        assert pool.take(1.0, transforms[1])[0] is given_back[1]
        assert pool.take(1.0, transforms[0])[0] is not given_back[0]
        assert pool.take()[0] is plain
    finally:
        pool.close()
