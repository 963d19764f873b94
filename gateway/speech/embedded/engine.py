"""EmbeddedEngine: the offline SpeechEngine (pocketsphinx recognition, espeak-ng synthesis).

No network, no key: the default engine when Qwen is not configured and its fallback (spec §13.3).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
import weakref

from gateway.speech.embedded.asr import DecoderPool, DecoderSettings, PocketsphinxRecognizer
from gateway.speech.embedded.language_model import (
    ACCENTS,
    GENERAL_TOP,
    MIN_BACKOFF,
    LanguageModelFiles,
    write_model,
)
from gateway.speech.embedded.tts import EspeakSynthesizer, EspeakVoice
from gateway.understanding.demo_vocabulary import demo_vocabulary
from luna_common.vocabulary import Vocabulary

log = logging.getLogger(__name__)


class EmbeddedEngine:
    name = "embedded"

    def __init__(self, vocabulary: Vocabulary | None = None, settings: DecoderSettings | None = None,
                 voice: EspeakVoice | None = None, general_weight: float = 0.15, general_top: int = GENERAL_TOP,
                 order: int = 3, workdir: str | None = None, accents: tuple[str, ...] = ACCENTS,
                 min_backoff: float = MIN_BACKOFF) -> None:
        self._order = order
        self._accents = accents
        self._min_backoff = min_backoff
        self._general_weight = general_weight
        self._general_top = general_top
        self._own_workdir = workdir is None
        self._workdir = workdir or tempfile.mkdtemp(prefix="luna-asr-")
        # the model files live in a private temp dir: removed on close(), at garbage collection or at exit
        self._cleanup = (weakref.finalize(self, shutil.rmtree, self._workdir, True) if self._own_workdir
                         else None)
        self._update_lock = threading.Lock()
        self._builds = 0
        self._vocabulary = (vocabulary or demo_vocabulary()).with_version()
        self._model = self._build(self._vocabulary)
        self._pool = DecoderPool(self._model, settings or DecoderSettings())
        self._synthesizer = EspeakSynthesizer(voice)

    @property
    def synthesizer(self) -> EspeakSynthesizer:
        return self._synthesizer

    @property
    def vocabulary(self) -> Vocabulary:
        return self._vocabulary

    @property
    def model(self) -> LanguageModelFiles:
        return self._model

    def new_recognizer(self, speaker: str | None = None) -> PocketsphinxRecognizer:
        return PocketsphinxRecognizer(self._pool, speaker)

    def wait_for_adaptation(self) -> None:
        """Block until the speaker adaptation finished turns set off has run (DecoderSettings.adaptation_turns)."""
        self._pool.wait_for_adaptation()

    def update_vocabulary(self, vocabulary: Vocabulary) -> None:
        """Rebuild the language model and dictionary for new names; turns in flight finish on the old model, new
        turns use the new one.

        Blocking: about 0.6 s of CPU (2 s for the first build). Async callers must run it off the event loop,
        `await asyncio.to_thread(engine.update_vocabulary, vocabulary)`, as gateway/service.py and the speech
        workers do. Meanwhile new_recognizer() never waits for it: the new model and its first decoder are built
        before the pool swaps them in under a short lock, and concurrent updates are serialised.
        """
        vocabulary = vocabulary.with_version()
        with self._update_lock:
            if vocabulary.version == self._vocabulary.version:
                return
            started = time.monotonic()
            previous = self._model
            model = self._build(vocabulary)
            self._pool.replace_model(model)
            self._model, self._vocabulary = model, vocabulary
            # decoders already hold what they loaded, so the old files can go
            shutil.rmtree(os.path.dirname(previous.lm_path), ignore_errors=True)
            log.info("speech model rebuilt for vocabulary %s in %.2fs (%d words, %d generated pronunciations)",
                     vocabulary.version, time.monotonic() - started, len(model.words), len(model.generated))

    def close(self) -> None:
        self._pool.close()
        if self._cleanup is not None:
            self._cleanup()

    def _build(self, vocabulary: Vocabulary) -> LanguageModelFiles:
        self._builds += 1
        directory = os.path.join(self._workdir, f"model-{self._builds}")
        return write_model(vocabulary, directory, self._general_weight, self._general_top, self._order,
                           self._accents, self._min_backoff)
