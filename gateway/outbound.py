"""The server→client event queue of one Converse stream.

Producers (the turn pipeline, the speaker, the input reader) put events; the
gRPC generator takes them one by one. Audio still waiting here when a reply is
interrupted is purged, so nothing of that reply reaches the client afterwards,
and callbacks run only once an event was actually handed to gRPC, which is
how the speaker knows how much of a reply was really sent.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable

from luna.voice.v1 import voice_pb2

OnSent = Callable[[], None]


class Outbound:
    def __init__(self) -> None:
        self._items: deque[tuple[voice_pb2.ServerEvent, OnSent | None]] = deque()
        self._ready = asyncio.Event()
        self.closed = False

    def put(self, event: voice_pb2.ServerEvent, on_sent: OnSent | None = None) -> None:
        if self.closed:
            return
        self._items.append((event, on_sent))
        self._ready.set()

    def purge_audio(self, turn_id: str) -> int:
        """Drop queued audio chunks of `turn_id`; return how many were dropped."""
        keep = [(e, cb) for e, cb in self._items
                if not (e.WhichOneof("event") == "audio_chunk" and e.audio_chunk.turn_id == turn_id)]
        dropped = len(self._items) - len(keep)
        self._items = deque(keep)
        return dropped

    def close(self) -> None:
        """Let queued events drain, then end the stream."""
        self.closed = True
        self._ready.set()

    async def events(self) -> AsyncIterator[tuple[voice_pb2.ServerEvent, OnSent | None]]:
        while True:
            while self._items:
                yield self._items.popleft()
            if self.closed:
                return
            self._ready.clear()
            await self._ready.wait()
