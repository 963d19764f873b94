"""Test audio: synthetic 16 kHz mono PCM16 speech, silence and noise (spec §14.4).

Speech comes from espeak-ng (`--stdout`, 22050 Hz WAV) resampled by sox to 16 kHz mono.
Generated speech is cached under var/test-audio keyed by its arguments, so repeated
test runs do not pay for synthesis again. Noise is seeded from its arguments so
tests are reproducible.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import wave
from pathlib import Path

import numpy as np

RATE = 16000
_REPO = Path(__file__).resolve().parent.parent
CACHE_DIR = Path(os.environ.get("LUNA_TEST_AUDIO_CACHE", _REPO / "var" / "test-audio"))


def speech(text: str, voice: str = "en-us", speed: int = 160, rate: int = RATE) -> bytes:
    """PCM16 mono at `rate` of `text` spoken by espeak-ng (voice e.g. "en-us", "en-us+m3", "en-gb+f2")."""
    key = hashlib.sha256(f"{text}\0{voice}\0{speed}\0{rate}".encode()).hexdigest()[:24]
    path = CACHE_DIR / f"{key}.pcm"
    if path.exists():
        return path.read_bytes()
    espeak = subprocess.run(["espeak-ng", "--stdout", "-v", voice, "-s", str(speed), text],
                            check=True, capture_output=True)
    # sox reads espeak-ng's WAV from stdin and writes raw signed 16-bit mono at the target rate.
    pcm = subprocess.run(["sox", "-t", "wav", "-", "-t", "raw", "-r", str(rate), "-e", "signed-integer",
                          "-b", "16", "-c", "1", "-"], input=espeak.stdout, check=True, capture_output=True).stdout
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pcm)
    tmp.replace(path)  # atomic, so parallel test processes never read a half-written file
    return pcm


def silence(ms: int, rate: int = RATE) -> bytes:
    return bytes(2 * (rate * ms // 1000))


def noise(ms: int, level: float = 0.1, rate: int = RATE, seed: int | None = None) -> bytes:
    """White Gaussian noise with RMS `level` of full scale (0.1 ≈ -20 dBFS)."""
    n = rate * ms // 1000
    rng = np.random.default_rng(seed if seed is not None else (ms * 1_000_003 + int(level * 1e6)))
    samples = rng.normal(0.0, level * 32767.0, n)
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


def mix(speech_pcm: bytes, noise_pcm: bytes) -> bytes:
    """Sum two PCM16 signals sample by sample (noise looped/truncated to the speech's length), with clipping."""
    a = np.frombuffer(speech_pcm, dtype="<i2").astype(np.int32)
    b = np.frombuffer(noise_pcm, dtype="<i2").astype(np.int32)
    if len(b) == 0:
        return speech_pcm
    if len(b) < len(a):
        b = np.tile(b, len(a) // len(b) + 1)
    return np.clip(a + b[: len(a)], -32768, 32767).astype("<i2").tobytes()


def rms(pcm: bytes) -> float:
    a = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(a * a))) if len(a) else 0.0


TURN_PAD_MS = 300  # silence either side of speech, as the gateway's VAD hands a turn over (pre-roll, hangover)


def turn(speech_pcm: bytes, snr_db: float | None = None, seed: int = 0) -> bytes:
    """A turn as the gateway hands it over: speech with TURN_PAD_MS either side and, when `snr_db` is given, white
    noise over all of it (background noise does not start with the speech) at `snr_db` below the speech's level."""
    padded = silence(TURN_PAD_MS) + speech_pcm + silence(TURN_PAD_MS)
    if snr_db is None:
        return padded
    level = rms(speech_pcm) / 32767.0 / (10 ** (snr_db / 20))
    return mix(padded, noise(len(padded) * 1000 // (2 * RATE), level, seed=seed))


def chunks(pcm: bytes, ms: int = 20, rate: int = RATE) -> list[bytes]:
    """Split PCM16 into frames of `ms` milliseconds, as a client would stream them."""
    step = 2 * rate * ms // 1000
    return [pcm[i:i + step] for i in range(0, len(pcm), step)]


def write_wav(path: str | Path, pcm: bytes, rate: int = RATE) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
