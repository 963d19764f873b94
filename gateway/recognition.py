"""One utterance of streaming recognition, off the event loop.

Audio is handed to the recognizer in batches (whatever arrived while the
previous batch was decoding), so the event loop keeps serving every other
session and the reply audio stays paced. Recognizers run in worker processes
(gateway.speech.workers) or, for engines that allow it, on a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Protocol

from gateway.speech.base import Recognizer

OnPartial = Callable[[str], None]
# One decode call gets at most this much audio, so a backlog is worked off in bounded steps.
MAX_BATCH_BYTES = 2 * 16000 * 200 // 1000


class RecognitionFailed(Exception):
    """The recognizer could not finish this utterance (its worker died); the user has to say it again."""


class AsyncRecognizer(Protocol):
    async def accept(self, pcm16: bytes) -> str | None: ...

    async def finish(self) -> str: ...


class ThreadRecognizer:
    """An in-process Recognizer driven from a thread (made lazily: taking one may load a decoder)."""

    def __init__(self, new_recognizer: Callable[[], Recognizer]) -> None:
        self._new = new_recognizer
        self._recognizer: Recognizer | None = None

    def _accept(self, pcm16: bytes) -> str | None:
        if self._recognizer is None:
            self._recognizer = self._new()
        return self._recognizer.accept(pcm16)

    def _finish(self) -> str:
        return self._recognizer.finish() if self._recognizer is not None else ""

    async def accept(self, pcm16: bytes) -> str | None:
        return await asyncio.to_thread(self._accept, pcm16)

    async def finish(self) -> str:
        return await asyncio.to_thread(self._finish)


class Utterance:
    def __init__(self, recognizer: AsyncRecognizer, on_partial: OnPartial) -> None:
        self._recognizer = recognizer
        self._on_partial = on_partial
        self._pending = bytearray()
        self._wake = asyncio.Event()
        self._finishing = False
        self.partial = ""
        self.asr_ms = 0.0
        self._worker = asyncio.get_running_loop().create_task(self._work())

    def feed(self, pcm16: bytes) -> None:
        if not self._finishing:
            self._pending.extend(pcm16)
            self._wake.set()

    async def _work(self) -> None:
        while True:
            if not self._pending:
                if self._finishing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = bytes(self._pending[:MAX_BATCH_BYTES])
            del self._pending[:MAX_BATCH_BYTES]
            partial = await self._recognizer.accept(batch)
            if partial is not None and partial != self.partial:
                self.partial = partial
                self._on_partial(partial)

    async def finish(self) -> str:
        """Decode what is left and return the final transcript; asr_ms is the time this took."""
        started = time.monotonic()
        self._finishing = True
        self._wake.set()
        await self._worker
        text = await self._recognizer.finish()
        self.asr_ms = (time.monotonic() - started) * 1000
        return text.strip()

    async def cancel(self) -> None:
        """Drop the utterance; the recognizer is still finished so it can release its decoder."""
        with contextlib.suppress(Exception):
            await self.finish()

    def discard(self) -> None:
        """cancel() in the background, for callers that are being cancelled themselves."""
        task = asyncio.get_running_loop().create_task(self.cancel())
        _discarding.add(task)
        task.add_done_callback(_discarding.discard)


_discarding: set[asyncio.Task[None]] = set()
