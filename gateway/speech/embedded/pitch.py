"""Streaming estimate of a speaker's median pitch, to choose the recogniser's vocal-tract-length warp.

The acoustic model fits adult male voices best; higher-pitched voices (most women, children) have shorter
vocal tracts and formants shifted up, which a frequency warp of the front end undoes. Pitch is a cheap,
robust proxy for that: an autocorrelation peak per 32 ms frame, median over the first voiced frames.
"""

from __future__ import annotations

import numpy as np

FRAME = 512  # samples per analysis frame at 16 kHz (32 ms): at least two periods of a 70 Hz voice
_MIN_LAG, _MAX_LAG = 16000 // 400, 16000 // 70  # pitch range 70-400 Hz at 16 kHz
_MIN_RMS = 300.0  # PCM16 units (~ -40 dBFS): quieter frames are silence or background
_MIN_PEAK = 0.45  # normalised autocorrelation of a voiced frame; white noise at 15 dB SNR stays below


def frame_pitch(frame: np.ndarray) -> float | None:
    """Pitch (Hz) of one frame of 16 kHz samples, or None when the frame is unvoiced or too quiet."""
    x = frame.astype(np.float64)
    x -= x.mean()
    if np.sqrt(np.mean(x * x)) < _MIN_RMS:
        return None
    spectrum = np.fft.rfft(x, 2 * len(x))
    ac = np.fft.irfft(spectrum * np.conj(spectrum))[:_MAX_LAG + 1]
    if ac[0] <= 0:
        return None
    lag = _MIN_LAG + int(np.argmax(ac[_MIN_LAG:]))
    return 16000.0 / lag if ac[lag] / ac[0] >= _MIN_PEAK else None


class PitchTracker:
    """Feeds on 16 kHz PCM16 in chunks of any size; `median` is set once `voiced_frames` voiced frames are seen.

    Frames are cut from the sample stream itself, so the result does not depend on how the audio is chunked.
    """

    def __init__(self, voiced_frames: int = 12) -> None:
        self._needed = voiced_frames
        self._pitches: list[float] = []
        self._rest = np.zeros(0, dtype=np.int16)
        self.median: float | None = None

    def feed(self, samples: np.ndarray) -> float | None:
        if self.median is not None:
            return self.median
        data = np.concatenate([self._rest, samples])
        n = len(data) // FRAME
        for i in range(n):
            f0 = frame_pitch(data[i * FRAME:(i + 1) * FRAME])
            if f0 is not None:
                self._pitches.append(f0)
                if len(self._pitches) >= self._needed:
                    self.median = float(np.median(self._pitches))
                    return self.median
        self._rest = data[n * FRAME:]
        return None

    def best_guess(self) -> float | None:
        """The median so far (for an utterance that ended before enough voiced frames)."""
        return self.median if self.median is not None else (float(np.median(self._pitches)) if self._pitches
                                                              else None)
