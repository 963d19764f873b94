"""Voice activity per 20 ms frame: webrtcvad, gated by signal energy.

webrtcvad keeps saying "speech" for roughly 60-120 ms after a sound stops
(its hangover), which would let a 150 ms click look like 250 ms of speech.
Frames are therefore also required to be louder than an absolute floor and
than the running background level, which removes the hangover tail.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import webrtcvad

from gateway.audio.codec import ASR_RATE

FRAME_MS = 20
FRAME_BYTES = 2 * ASR_RATE * FRAME_MS // 1000
# About -50 dBFS: quieter frames are silence whatever webrtcvad says.
ABSOLUTE_FLOOR_RMS = 100.0
# A voiced frame must be this many times louder than the background estimate.
BACKGROUND_RATIO = 2.0


@dataclass(frozen=True)
class Frame:
    pcm: bytes
    voiced: bool
    rms: float


class FrameVad:
    """Splits a 16 kHz PCM16 stream into 20 ms frames and classifies each one."""

    def __init__(self, aggressiveness: int) -> None:
        self._vad = webrtcvad.Vad(aggressiveness)
        self._pending = b""
        self._background = 0.0

    def push(self, pcm16: bytes) -> list[Frame]:
        self._pending += pcm16
        frames: list[Frame] = []
        while len(self._pending) >= FRAME_BYTES:
            pcm, self._pending = self._pending[:FRAME_BYTES], self._pending[FRAME_BYTES:]
            frames.append(self._classify(pcm))
        return frames

    def _classify(self, pcm: bytes) -> Frame:
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
        rms = float(np.sqrt(np.mean(samples * samples)))
        vad_says = self._vad.is_speech(pcm, ASR_RATE)
        voiced = vad_says and rms >= ABSOLUTE_FLOOR_RMS and rms >= BACKGROUND_RATIO * self._background
        if not vad_says:
            # Background level follows non-speech frames: quickly down, slowly up.
            rate = 0.3 if rms < self._background else 0.05
            self._background += rate * (rms - self._background)
        return Frame(pcm, voiced, rms)
