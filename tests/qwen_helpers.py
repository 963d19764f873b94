"""Client-side helpers for the Qwen tests: speech-like input audio and an event recorder."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np

from gateway.speech.qwen.settings import QwenSettings

CHUNK_MS = 100


def loud(ms: int, freq: float = 220.0) -> bytes:
    """16 kHz PCM16 the stand-in's VAD takes for speech."""
    n = 16 * ms
    return (np.sin(2 * math.pi * freq * np.arange(n) / 16000) * 6000).astype("<i2").tobytes()


def quiet(ms: int) -> bytes:
    return bytes(32 * ms)


def utterance(speech_ms: int = 300, silence_ms: int = 300) -> list[bytes]:
    """100 ms chunks: speech then enough silence to end the turn (tests use vad_silence_ms=200)."""
    return [loud(CHUNK_MS)] * (speech_ms // CHUNK_MS) + [quiet(CHUNK_MS)] * (silence_ms // CHUNK_MS)


def qwen_settings(url: str, **overrides: Any) -> QwenSettings:
    values: dict[str, Any] = {
        "api_key": "sk-test",
        "url": url,
        "model": "qwen3.5-omni-flash-realtime",
        "vad_silence_ms": 200,
        "stall_timeout_seconds": 3.0,
        "handshake_timeout_seconds": 2.0,
        "finish_timeout_seconds": 2.0,
        **overrides,
    }
    return QwenSettings(**values)


class Recorder:
    """Consumes an async stream in the background, so tests can wait for what they expect."""

    def __init__(self, stream: AsyncIterator[Any]) -> None:
        self.items: list[Any] = []
        self.ended = False
        self._task = asyncio.ensure_future(self._pump(stream))

    async def _pump(self, stream: AsyncIterator[Any]) -> None:
        async for item in stream:
            self.items.append(item)
        self.ended = True

    def of(self, kind: type) -> list[Any]:
        return [item for item in self.items if isinstance(item, kind)]

    async def until(self, predicate: Callable[[Any], bool], within_s: float = 5.0) -> Any:
        """The first recorded item matching `predicate`, waiting for it if needed."""
        deadline = asyncio.get_running_loop().time() + within_s
        while True:
            for item in self.items:
                if predicate(item):
                    return item
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"not seen within {within_s}s; got {[type(i).__name__ for i in self.items]}")
            await asyncio.sleep(0.01)

    async def ends(self, within_s: float = 5.0) -> None:
        await asyncio.wait_for(asyncio.shield(self._task), within_s)

    def stop(self) -> None:
        self._task.cancel()
