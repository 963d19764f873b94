"""The speech-engine interface the gateway's turn pipeline is written against.

Recognition is per turn and incremental: feed 16 kHz mono PCM16 as it
arrives, read partial hypotheses, take the final transcript at end of turn.
Synthesis streams: chunks of PCM16 at the requested rate flow as soon as the
first clause is synthesised.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from luna_common.vocabulary import Vocabulary

INPUT_SAMPLE_RATE = 16000


class Recognizer(Protocol):
    """One turn of streaming speech recognition."""

    def accept(self, pcm16: bytes) -> str | None:
        """Feed 16 kHz mono PCM16; return the new partial hypothesis when it changed, else None."""
        ...

    def finish(self) -> str:
        """End the turn and return the final transcript ("" when nothing was recognised)."""
        ...


class Synthesizer(Protocol):
    def synthesize(self, text: str, sample_rate: int) -> AsyncIterator[bytes]:
        """Stream PCM16 mono audio of `text` at `sample_rate`; the first chunk comes after the first clause."""
        ...


class SpeechEngine(Protocol):
    name: str

    def new_recognizer(self, speaker: str | None = None) -> Recognizer:
        """A recogniser for one turn; `speaker` (the session) lets it continue from that speaker's last turn."""
        ...

    @property
    def synthesizer(self) -> Synthesizer: ...

    def update_vocabulary(self, vocabulary: Vocabulary) -> None:
        """Adapt recognition to new venue/friend names (called when the vocabulary version changes)."""
        ...
