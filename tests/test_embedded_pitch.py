"""Pitch tracking that picks the recogniser's vocal-tract-length warp."""

from __future__ import annotations

import numpy as np
import pytest

from gateway.speech.embedded.pitch import FRAME, PitchTracker, frame_pitch
from tests import audio


def tone(hz: float, seconds: float, amplitude: float = 8000.0) -> np.ndarray:
    t = np.arange(int(16000 * seconds)) / 16000.0
    # a few harmonics, like a voice, so the autocorrelation peak is not trivially the only one
    wave = np.sin(2 * np.pi * hz * t) + np.sin(4 * np.pi * hz * t) / 2 + np.sin(6 * np.pi * hz * t) / 3
    return (amplitude * wave).astype(np.int16)


@pytest.mark.parametrize("hz", [100.0, 120.0, 210.0, 240.0])
def test_frame_pitch_finds_the_fundamental(hz: float) -> None:
    assert frame_pitch(tone(hz, 0.1)[:FRAME]) == pytest.approx(hz, rel=0.05)


def test_quiet_frames_and_white_noise_are_unvoiced() -> None:
    assert frame_pitch(np.zeros(FRAME, dtype=np.int16)) is None
    noise = np.random.default_rng(1).normal(0, 3000, FRAME).astype(np.int16)
    assert frame_pitch(noise) is None


def test_tracker_result_does_not_depend_on_chunking() -> None:
    samples = np.frombuffer(audio.speech("book a table for two tonight", voice="en-us+f3", speed=170), dtype="<i2")
    results = []
    for size in (320, 333, 5000):
        tracker = PitchTracker()
        for i in range(0, len(samples), size):
            tracker.feed(samples[i:i + size])
        results.append(tracker.best_guess())
    assert results[0] is not None and results[0] > 170  # a high voice
    assert results[1] == results[0] and results[2] == results[0]


def test_low_voice_is_low() -> None:
    tracker = PitchTracker()
    tracker.feed(np.frombuffer(audio.speech("book a table for two tonight", voice="en-us+m3", speed=140), dtype="<i2"))
    guess = tracker.best_guess()
    assert guess is not None and guess < 170
