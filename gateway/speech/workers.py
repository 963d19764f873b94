"""Speech recognition in worker processes.

pocketsphinx holds the GIL while it decodes, so decoding on a thread would
still stall the event loop (and with it every session's audio pacing and
barge-in). Each worker process runs its own copy of the engine; an utterance
stays on one worker from its first audio to its final transcript. Workers are
spawned (not forked: the gRPC server has threads) and exit with the gateway.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from gateway.recognition import RecognitionFailed
from gateway.settings import GatewaySettings
from gateway.speech.base import Recognizer, SpeechEngine
from luna_common.vocabulary import Vocabulary

log = logging.getLogger(__name__)
T = TypeVar("T")

# ---- in the worker process ----

_engine: SpeechEngine | None = None
_utterances: dict[str, Recognizer] = {}


def _exit_with_parent(parent: int) -> None:
    # A gateway killed outright cannot shut its pool down: the workers notice they were orphaned and leave.
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _init_worker(settings: GatewaySettings, vocabulary: Vocabulary | None) -> None:
    global _engine
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    from gateway.speech.select import create_engine

    _engine = create_engine(settings)
    if _engine is not None and vocabulary is not None:
        _engine.update_vocabulary(vocabulary)


def _ready() -> bool:
    return _engine is not None


def _accept(utterance_id: str, pcm16: bytes, speaker: str | None) -> str | None:
    assert _engine is not None
    recognizer = _utterances.get(utterance_id)
    if recognizer is None:
        recognizer = _utterances[utterance_id] = _engine.new_recognizer(speaker)
    return recognizer.accept(pcm16)


def _finish(utterance_id: str) -> str:
    recognizer = _utterances.pop(utterance_id, None)
    return recognizer.finish() if recognizer is not None else ""


def _update_vocabulary(vocabulary: Vocabulary) -> None:
    assert _engine is not None
    _engine.update_vocabulary(vocabulary)


# ---- in the gateway ----


class RemoteRecognizer:
    """One utterance on one worker; the async counterpart of Recognizer."""

    def __init__(self, pool: RecognitionPool, executor: ProcessPoolExecutor, speaker: str | None) -> None:
        self._pool = pool
        self._executor = executor
        self._speaker = speaker
        self._id = uuid.uuid4().hex

    async def accept(self, pcm16: bytes) -> str | None:
        result: str | None = await self._pool.call(self._executor, _accept, self._id, pcm16, self._speaker)
        return result

    async def finish(self) -> str:
        result: str = await self._pool.call(self._executor, _finish, self._id)
        return result


class RecognitionPool:
    def __init__(self, settings: GatewaySettings, workers: int) -> None:
        self._settings = settings
        # The latest vocabulary, so a replacement worker starts with it.
        self._vocabulary: Vocabulary | None = None
        self._executors = [self._spawn() for _ in range(workers)]
        self._next = 0

    def _spawn(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
                                   initargs=(self._settings, self._vocabulary))

    def new_recognizer(self, speaker: str | None = None) -> RemoteRecognizer:
        """A speaker's turns all go to one worker, where the engine keeps what it learnt of their voice."""
        if speaker is not None:
            index = zlib.crc32(speaker.encode()) % len(self._executors)
        else:
            index = self._next = (self._next + 1) % len(self._executors)
        return RemoteRecognizer(self, self._executors[index], speaker)

    async def call(self, executor: ProcessPoolExecutor, fn: Callable[..., T], *args: object) -> T:
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)
        except BrokenProcessPool as exc:
            # The worker died (a crash in the decoder): later utterances get a fresh one; this one is lost.
            if executor in self._executors:
                log.error("recognition worker died; starting a new one", extra={"event": "asr_worker_died"})
                self._executors[self._executors.index(executor)] = self._spawn()
                executor.shutdown(wait=False, cancel_futures=True)
            raise RecognitionFailed("the speech recognition worker stopped") from exc

    async def start(self) -> None:
        """Start every worker now (each loads its engine), rather than on the first utterance."""
        await asyncio.gather(*(self.call(e, _ready) for e in self._executors))

    async def update_vocabulary(self, vocabulary: Vocabulary) -> None:
        self._vocabulary = vocabulary
        await asyncio.gather(*(self.call(e, _update_vocabulary, vocabulary) for e in self._executors))

    def close(self) -> None:
        for executor in self._executors:
            executor.shutdown(wait=False, cancel_futures=True)
