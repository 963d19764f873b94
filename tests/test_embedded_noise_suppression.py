"""The recogniser's streaming noise suppressor: exact reconstruction, streaming, and what it removes."""

from __future__ import annotations

import numpy as np
import pytest

from gateway.speech.embedded.noise_suppression import NoiseSuppressor
from tests import audio

RATE = audio.RATE


def run(suppressor: NoiseSuppressor, signal: np.ndarray, chunk: int = 320) -> np.ndarray:
    parts = [suppressor.process(signal[i:i + chunk]) for i in range(0, signal.shape[0], chunk)]
    return np.concatenate([*parts, suppressor.flush()])


def band_power(signal: np.ndarray, low_hz: float, high_hz: float) -> float:
    spectrum = np.abs(np.fft.rfft(signal)) ** 2
    freqs = np.fft.rfftfreq(signal.shape[0], 1 / RATE)
    return float(spectrum[(freqs >= low_hz) & (freqs < high_hz)].sum())


def test_without_suppression_the_output_is_the_input_sample_for_sample() -> None:
    signal = np.random.default_rng(1).normal(0, 3000, RATE)
    out = run(NoiseSuppressor(gain_floor=1.0), signal)
    assert out.shape == signal.shape
    assert np.abs(out - signal).max() < 1e-6


@pytest.mark.parametrize("chunk", [1, 160, 511, 4000])
def test_chunking_does_not_change_the_output(chunk: int) -> None:
    signal = np.random.default_rng(2).normal(0, 2000, RATE // 2)
    assert np.allclose(run(NoiseSuppressor(), signal, chunk), run(NoiseSuppressor(), signal, 320))


def test_steady_noise_is_suppressed_and_a_tone_in_it_kept() -> None:
    t = np.arange(2 * RATE) / RATE
    noise = np.random.default_rng(3).normal(0, 1000, size=(t.shape[0],))
    tone = np.where(t >= 0.5, 3000 * np.sin(2 * np.pi * 440 * t), 0.0)  # the noise alone first, as in a pre-roll
    mixed = np.asarray(noise + tone)
    out = run(NoiseSuppressor(), mixed)
    late = slice(RATE, 2 * RATE)
    noise_before = band_power(noise[late], 1000, 8000)
    noise_after = band_power(out[late], 1000, 8000)  # no tone up there: what is left is noise
    assert 10 * np.log10(noise_before / noise_after) > 6
    tone_ratio = band_power(out[late], 430, 450) / band_power(mixed[late], 430, 450)
    assert abs(10 * np.log10(tone_ratio)) < 1.5


def test_digital_silence_before_speech_leaves_the_speech_alone() -> None:
    speech = np.frombuffer(audio.silence(300) + audio.speech("book a table for two"), dtype="<i2").astype(float)
    out = run(NoiseSuppressor(), speech)
    assert 10 * np.log10(np.sum(speech ** 2) / np.sum(out ** 2)) < 0.5


def test_flush_without_input_gives_nothing() -> None:
    assert NoiseSuppressor().flush().shape == (0,)


@pytest.mark.parametrize("gain_floor", [0.0, -0.5, 1.5])
def test_a_gain_floor_outside_zero_to_one_is_refused(gain_floor: float) -> None:
    with pytest.raises(ValueError, match="gain_floor"):
        NoiseSuppressor(gain_floor=gain_floor)
