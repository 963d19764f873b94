"""Speaking one reply: synthesis → encoding → real-time pacing → the client.

Audio is released at playback speed (plus a small lead for the client's jitter
buffer) rather than as fast as it is synthesised: stopping a reply then really
stops what the user hears, and the gateway knows which words were sent. The
reply is synthesised sentence by sentence so the cut can be mapped to text.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

from luna.voice.v1 import voice_pb2

from gateway.audio.codec import OutputEncoder
from gateway.outbound import Outbound
from gateway.speech.base import Synthesizer

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
# Used only to place a cut inside a sentence still being synthesised (words per second of espeak-like speech).
WORDS_PER_SECOND = 2.7


def sentences(text: str) -> list[str]:
    return [s for s in (part.strip() for part in _SENTENCE_END.split(text.strip())) if s]


@dataclass
class _Sentence:
    text: str
    start_s: float
    end_s: float | None = None


class Speaker:
    def __init__(self, synthesizer: Synthesizer, encoder: OutputEncoder, synth_rate: int, outbound: Outbound,
                 turn_id: str, lead_seconds: float) -> None:
        self._synth = synthesizer
        self._encoder = encoder
        self._synth_rate = synth_rate
        self._out = outbound
        self.turn_id = turn_id
        self._lead = lead_seconds
        self._sequence = 0
        self._queued_s = 0.0
        self._play_start: float | None = None
        self._sentences: list[_Sentence] = []
        self.sent_s = 0.0
        self.stopped = False
        # Monotonic time the first audio byte was handed to gRPC.
        self.first_audio_sent: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        # Seconds from the start of synthesis to its first PCM.
        self.tts_first_chunk_ms: float | None = None

    async def speak(self, text: str) -> None:
        started = time.monotonic()
        for sentence in sentences(text):
            self._sentences.append(_Sentence(sentence, self._queued_s))
            async for pcm in self._synth.synthesize(sentence, self._synth_rate):
                if self.tts_first_chunk_ms is None:
                    self.tts_first_chunk_ms = (time.monotonic() - started) * 1000
                for chunk in self._encoder.encode(pcm):
                    await self._send(chunk.data, chunk.seconds)
            self._sentences[-1].end_s = self._queued_s
        for chunk in self._encoder.flush():
            await self._send(chunk.data, chunk.seconds)
        if not self.stopped:
            # An empty last chunk marks the end of the reply without delaying any audio.
            self._put(b"", 0.0, final=True)

    async def _send(self, data: bytes, seconds: float) -> None:
        if self._play_start is not None:
            # Wait until this chunk is no more than `lead` ahead of what the client has played.
            ahead = self._queued_s - (time.monotonic() - self._play_start) - self._lead
            if ahead > 0:
                await asyncio.sleep(ahead)
        self._put(data, seconds, final=False)

    def _put(self, data: bytes, seconds: float, final: bool) -> None:
        if self.stopped:
            return
        event = voice_pb2.ServerEvent(audio_chunk=voice_pb2.OutputAudioChunk(
            data=data, sequence=self._sequence, is_final=final, turn_id=self.turn_id))
        self._sequence += 1
        self._queued_s += seconds

        def sent() -> None:
            self.sent_s += seconds
            if self._play_start is None:
                self._play_start = time.monotonic()
            if not self.first_audio_sent.done():
                self.first_audio_sent.set_result(time.monotonic())

        self._out.put(event, sent)

    def stop(self) -> int:
        """Stop at once: nothing more of this reply goes out. Returns the number of queued chunks dropped."""
        self.stopped = True
        if not self.first_audio_sent.done():
            self.first_audio_sent.cancel()
        return self._out.purge_audio(self.turn_id)

    def spoken_text(self) -> str:
        """The words whose audio was sent (a sentence cut midway keeps its proportional share of words)."""
        spoken: list[str] = []
        for s in self._sentences:
            if s.start_s >= self.sent_s:
                break
            words = s.text.split()
            if s.end_s is not None and s.end_s <= self.sent_s:
                spoken.extend(words)
                continue
            if s.end_s is not None and s.end_s > s.start_s:
                share = (self.sent_s - s.start_s) / (s.end_s - s.start_s)
                spoken.extend(words[: int(len(words) * share)])
            else:
                spoken.extend(words[: int((self.sent_s - s.start_s) * WORDS_PER_SECOND)])
            break
        return " ".join(spoken)
