"""Decoding client audio to 16 kHz mono PCM16 and encoding reply audio for the client.

Input is PCM16 mono at any common rate (resampled with soxr) or one Opus
packet per chunk (opuslib). Output is PCM16 or 20 ms Opus packets. Every
problem with client data raises AudioError with a stable code, so the
session can answer with an `error` event and carry on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import opuslib
import soxr
from luna.voice.v1 import voice_pb2

ASR_RATE = 16000
PCM_RATES: tuple[int, ...] = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
OPUS_RATES: tuple[int, ...] = (8000, 12000, 16000, 24000, 48000)
# Opus packets a client may send, in milliseconds (spec: 20 to 40 ms frames).
OPUS_MIN_MS, OPUS_MAX_MS = 20, 40
OPUS_OUT_FRAME_MS = 20


class AudioError(Exception):
    """Client audio that cannot be used; `code` is the stable error code sent to the client."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class AudioConfigError(ValueError):
    """An audio configuration the gateway does not accept (answered with INVALID_ARGUMENT)."""


def _encoding_name(encoding: int) -> str:
    known: dict[int, str] = {int(v): k for k, v in voice_pb2.AudioEncoding.items()}
    return known.get(encoding, str(encoding))


def negotiate_input(requested: voice_pb2.AudioConfig) -> voice_pb2.AudioConfig:
    """The input format this session will use; unspecified fields default to PCM16 16 kHz mono."""
    return _negotiate(requested, "input", ASR_RATE)


def negotiate_output(requested: voice_pb2.AudioConfig, default_pcm_rate: int) -> voice_pb2.AudioConfig:
    """The reply format: what the client asked for when supported, else the engine's PCM rate."""
    return _negotiate(requested, "output", default_pcm_rate)


def _negotiate(requested: voice_pb2.AudioConfig, direction: str, default_pcm_rate: int) -> voice_pb2.AudioConfig:
    encoding = requested.encoding or voice_pb2.AUDIO_ENCODING_PCM16
    if requested.channels not in (0, 1):
        raise AudioConfigError(f"{direction} audio must be mono (channels=1), got channels={requested.channels}")
    if encoding == voice_pb2.AUDIO_ENCODING_PCM16:
        rate, allowed, name = requested.sample_rate_hz or default_pcm_rate, PCM_RATES, "PCM16"
    elif encoding == voice_pb2.AUDIO_ENCODING_OPUS:
        rate, allowed, name = requested.sample_rate_hz or 48000, OPUS_RATES, "Opus"
    else:
        raise AudioConfigError(f"unsupported {direction} encoding {_encoding_name(encoding)}")
    if rate not in allowed:
        raise AudioConfigError(f"{name} {direction} sample_rate_hz must be one of {allowed}, got {rate}")
    return voice_pb2.AudioConfig(encoding=encoding, sample_rate_hz=rate, channels=1)


class Resampler:
    """Streaming PCM16 resampler (soxr keeps filter state across chunks, so chunk edges leave no clicks)."""

    def __init__(self, in_rate: int, out_rate: int) -> None:
        self.passthrough = in_rate == out_rate
        self._stream = None if self.passthrough else soxr.ResampleStream(in_rate, out_rate, 1, dtype="int16")

    def process(self, pcm16: bytes, last: bool = False) -> bytes:
        if self._stream is None:
            return pcm16
        samples = np.frombuffer(pcm16, dtype="<i2")
        out: np.ndarray = self._stream.resample_chunk(samples, last=last)
        return out.astype("<i2").tobytes()


class InputDecoder:
    """Client chunks → 16 kHz mono PCM16, validating each chunk."""

    def __init__(self, config: voice_pb2.AudioConfig, max_chunk_ms: int) -> None:
        self.config = config
        self.rate = config.sample_rate_hz
        self.max_chunk_ms = max_chunk_ms
        self._opus = opuslib.Decoder(self.rate, 1) if config.encoding == voice_pb2.AUDIO_ENCODING_OPUS else None
        self._resampler = Resampler(self.rate, ASR_RATE)

    def decode(self, data: bytes) -> tuple[bytes, float]:
        """Return (16 kHz PCM16, seconds of audio the chunk carried)."""
        if not data:
            raise AudioError("invalid_audio", "empty audio chunk")
        if self._opus is not None:
            pcm = self._decode_opus(data)
        else:
            if len(data) % 2:
                raise AudioError("invalid_audio", f"PCM16 chunk has an odd number of bytes ({len(data)})")
            ms = len(data) / 2 / self.rate * 1000
            if ms > self.max_chunk_ms:
                raise AudioError("invalid_audio", f"audio chunk of {ms:.0f} ms is longer than {self.max_chunk_ms} ms")
            pcm = data
        seconds = len(pcm) / 2 / self.rate
        return self._resampler.process(pcm), seconds

    def _decode_opus(self, packet: bytes) -> bytes:
        assert self._opus is not None
        # 120 ms is the longest Opus packet; decoding into that much room lets us report the real duration.
        max_samples = self.rate * 120 // 1000
        try:
            pcm: bytes = self._opus.decode(packet, max_samples)
        except opuslib.OpusError as exc:
            raise AudioError("invalid_audio", f"chunk is not a valid Opus packet ({exc})") from exc
        ms = len(pcm) / 2 / self.rate * 1000
        if not OPUS_MIN_MS <= ms <= OPUS_MAX_MS:
            raise AudioError("invalid_audio",
                             f"Opus packet of {ms:g} ms; send packets of {OPUS_MIN_MS} to {OPUS_MAX_MS} ms")
        return pcm


@dataclass
class EncodedChunk:
    data: bytes
    seconds: float


class OutputEncoder:
    """Engine PCM16 (at `source_rate`) → chunks in the session's output format, each `chunk_ms` long."""

    def __init__(self, config: voice_pb2.AudioConfig, source_rate: int, chunk_ms: int) -> None:
        self.config = config
        self.rate = config.sample_rate_hz
        self._resampler = Resampler(source_rate, self.rate)
        opus = config.encoding == voice_pb2.AUDIO_ENCODING_OPUS
        self._opus = opuslib.Encoder(self.rate, 1, opuslib.APPLICATION_VOIP) if opus else None
        frame_ms = OPUS_OUT_FRAME_MS if opus else chunk_ms
        self._frame_bytes = 2 * self.rate * frame_ms // 1000
        self._pending = b""

    def encode(self, pcm16: bytes) -> list[EncodedChunk]:
        self._pending += self._resampler.process(pcm16)
        return self._take(final=False)

    def flush(self) -> list[EncodedChunk]:
        self._pending += self._resampler.process(b"", last=True)
        return self._take(final=True)

    def _take(self, final: bool) -> list[EncodedChunk]:
        chunks: list[EncodedChunk] = []
        while len(self._pending) >= self._frame_bytes or (final and self._pending):
            frame, self._pending = self._pending[: self._frame_bytes], self._pending[self._frame_bytes :]
            seconds = len(frame) / 2 / self.rate
            if self._opus is not None:
                # Opus frames have a fixed length: pad the last one with silence.
                frame = frame.ljust(self._frame_bytes, b"\0")
                chunks.append(EncodedChunk(self._opus.encode(frame, self._frame_bytes // 2), seconds))
            else:
                chunks.append(EncodedChunk(frame, seconds))
        return chunks
