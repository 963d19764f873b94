"""Streaming espeak-ng synthesis: PCM16 chunks at the requested rate while espeak-ng is still speaking.

espeak-ng writes its 22050 Hz WAV to stdout clause by clause, so reading the pipe as it fills gives
the first audio within a few milliseconds; soxr resamples the stream to 16 or 24 kHz.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np
import soxr

from gateway.speech.embedded.speakable import speakable

ESPEAK_RATE = 22050
_WAV_HEADER = 44


@dataclass(frozen=True)
class EspeakVoice:
    voice: str = "en-us"
    speed: int = 165  # words per minute
    pitch: int = 50  # 0-99
    chunk_ms: int = 40  # output chunk length (spec §4.3: 20-40 ms)


class EspeakSynthesizer:
    def __init__(self, voice: EspeakVoice | None = None, executable: str = "espeak-ng") -> None:
        self.voice = voice or EspeakVoice()
        self._exe = executable

    async def synthesize(self, text: str, sample_rate: int) -> AsyncIterator[bytes]:
        """PCM16 mono chunks of `chunk_ms` at `sample_rate`; numbers, times, codes and prices spoken as words."""
        spoken = speakable(text).strip()
        if not spoken:
            return
        chunk_bytes = 2 * sample_rate * self.voice.chunk_ms // 1000
        proc = await asyncio.create_subprocess_exec(
            self._exe, "--stdout", "--stdin", "-v", self.voice.voice, "-s", str(self.voice.speed),
            "-p", str(self.voice.pitch), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL)
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(spoken.encode())
            await proc.stdin.drain()
            proc.stdin.close()
            header = await proc.stdout.readexactly(_WAV_HEADER)
            source_rate = struct.unpack_from("<I", header, 24)[0] or ESPEAK_RATE
            resampler = (soxr.ResampleStream(source_rate, sample_rate, 1, dtype="int16")
                         if source_rate != sample_rate else None)
            pending = b""
            odd = b""
            while True:
                raw = await proc.stdout.read(8192)
                last = not raw
                data = odd + raw
                odd = data[len(data) - len(data) % 2:]
                data = data[:len(data) - len(data) % 2]
                if resampler is not None:
                    samples = np.frombuffer(data, dtype="<i2")
                    data = resampler.resample_chunk(samples, last=last).astype("<i2").tobytes()
                pending += data
                while len(pending) >= chunk_bytes:
                    yield pending[:chunk_bytes]
                    pending = pending[chunk_bytes:]
                if last:
                    break
            if pending:
                yield pending
            await proc.wait()
        finally:
            # the consumer may stop early (barge-in): do not leave espeak-ng running
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
