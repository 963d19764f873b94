"""An asyncio client of VoiceGateway.Converse, for the `luna talk`/`luna chat` tools, tests and benchmarks.

Reads server events in the background (each stamped with its arrival time),
writes client events, and streams PCM16 at real-time pace with sequence
numbers, the way a microphone would.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import grpc
from luna.voice.v1 import voice_pb2, voice_pb2_grpc

Predicate = Callable[[voice_pb2.ServerEvent], bool]


@dataclass(frozen=True)
class Received:
    at: float
    event: voice_pb2.ServerEvent

    @property
    def kind(self) -> str:
        return self.event.WhichOneof("event") or ""


class ConverseStream:
    def __init__(self, call: grpc.aio.StreamStreamCall, on_event: Callable[[Received], None] | None = None) -> None:
        self.call = call
        self.history: list[Received] = []
        self._cursor = 0
        self._arrived = asyncio.Event()
        self._on_event = on_event
        self.error: grpc.aio.AioRpcError | None = None
        self.done = False
        self._sequence = 0
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            async for event in self.call:
                received = Received(time.monotonic(), event)
                self.history.append(received)
                if self._on_event is not None:
                    self._on_event(received)
                self._arrived.set()
        except grpc.aio.AioRpcError as exc:
            self.error = exc
        finally:
            self.done = True
            self._arrived.set()

    async def send(self, event: voice_pb2.ClientEvent) -> None:
        await self.call.write(event)

    async def send_audio(self, data: bytes, timestamp_ms: int = 0) -> None:
        await self.send(voice_pb2.ClientEvent(audio_chunk=voice_pb2.InputAudioChunk(
            data=data, sequence=self._sequence, timestamp_ms=timestamp_ms)))
        self._sequence += 1

    async def stream_pcm(self, pcm16: bytes, rate: int = 16000, chunk_ms: int = 20,
                         until: Predicate | None = None) -> float:
        """Send PCM16 in `chunk_ms` chunks at real-time pace; stop early once an event matches `until`.

        Returns the monotonic time the last chunk was sent.
        """
        return await self.stream_chunks(split(pcm16, rate, chunk_ms), chunk_ms / 1000, until)

    async def stream_chunks(self, chunks: Iterable[bytes], seconds_each: float,
                            until: Predicate | None = None) -> float:
        start = time.monotonic()
        seen = len(self.history)
        sent_at = start
        for i, chunk in enumerate(chunks):
            delay = start + i * seconds_each - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if self.done:
                break
            await self.send_audio(chunk, int((time.monotonic() - start) * 1000))
            sent_at = time.monotonic()
            if until is not None and any(until(r.event) for r in self.history[seen:]):
                break
        return sent_at

    async def next(self, predicate: Predicate | None = None, within: float = 30.0) -> voice_pb2.ServerEvent:
        """The next event (after the ones already taken) matching `predicate`."""
        return (await self.next_received(predicate, within)).event

    async def next_received(self, predicate: Predicate | None = None, within: float = 30.0) -> Received:
        deadline = time.monotonic() + within
        while True:
            while self._cursor < len(self.history):
                received = self.history[self._cursor]
                self._cursor += 1
                if predicate is None or predicate(received.event):
                    return received
            if self.done:
                raise EOFError(f"stream ended ({self.error.code().name if self.error else 'OK'})")
            self._arrived.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no matching event in time")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.call.done_writing()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self._reader), 5)
        self.call.cancel()

    async def drop(self) -> None:
        """Cut the connection abruptly (as a lost network would)."""
        self.call.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader


def split(pcm16: bytes, rate: int = 16000, chunk_ms: int = 20) -> list[bytes]:
    step = 2 * rate * chunk_ms // 1000
    return [pcm16[i:i + step] for i in range(0, len(pcm16), step)]


def kind_is(*kinds: str) -> Predicate:
    return lambda e: e.WhichOneof("event") in kinds


def state_is(state: int) -> Predicate:
    return lambda e: e.WhichOneof("event") == "status" and e.status.state == state


async def open_stream(channel: grpc.aio.Channel, start: voice_pb2.Start,
                      on_event: Callable[[Received], None] | None = None) -> ConverseStream:
    call = voice_pb2_grpc.VoiceGatewayStub(channel).Converse()
    await call.write(voice_pb2.ClientEvent(start=start))
    return ConverseStream(call, on_event)
