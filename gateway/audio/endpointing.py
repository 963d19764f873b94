"""Endpointing: when does the user start and stop a turn, from per-frame voice activity.

Times are audio milliseconds since the stream began (deterministic, so the
rules can be tested without a clock). A turn starts once more than `min_speech_ms`
of voiced frames have accumulated with no gap longer than `max_gap_ms`, so short
noises never start one. It ends after a trailing silence whose length depends
on what was said so far (see EndHint).
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

from gateway.audio.vad import FRAME_MS, Frame


class EndHint(enum.Enum):
    NORMAL = "normal"
    # The words so far already make a complete request: answer sooner.
    COMPLETE = "complete"
    # The user paused after "um" or "and": give them time to go on.
    HESITATION = "hesitation"


@dataclass(frozen=True)
class EndpointConfig:
    min_speech_ms: int = 200
    trailing_silence_ms: int = 500
    complete_silence_ms: int = 300
    hesitation_silence_ms: int = 1200
    # Gaps inside words (stop consonants) are shorter than this.
    max_gap_ms: int = 100
    # Audio kept before the detected onset, so the recognizer hears the first phoneme.
    preroll_ms: int = 300


@dataclass(frozen=True)
class SpeechStarted:
    # Audio time of the first voiced frame of the turn.
    start_ms: int
    # The frames from shortly before the onset up to now, to feed the recognizer.
    audio: bytes


@dataclass(frozen=True)
class SpeechEnded:
    # Audio time the last voiced frame ended (the user's end of speech).
    end_ms: int
    # Audio time the end was decided (end_ms + the trailing silence waited).
    decided_ms: int
    forced: bool = False


EndpointEvent = SpeechStarted | SpeechEnded


class Endpointer:
    def __init__(self, config: EndpointConfig) -> None:
        self.config = config
        self.now_ms = 0
        self.in_speech = False
        self.hint = EndHint.NORMAL
        self.start_ms = 0
        self.last_voiced_end_ms = 0
        keep = (config.preroll_ms + config.min_speech_ms * 4) // FRAME_MS + 1
        self._recent: deque[tuple[int, Frame]] = deque(maxlen=keep)
        self._run_start_ms: int | None = None
        self._run_voiced_ms = 0
        self._silence_ms = 0

    @property
    def speech_ms(self) -> int:
        """How long the current turn's speech has lasted so far (0 outside speech)."""
        return self.last_voiced_end_ms - self.start_ms if self.in_speech else 0

    def required_silence_ms(self) -> int:
        c = self.config
        return {EndHint.NORMAL: c.trailing_silence_ms, EndHint.COMPLETE: c.complete_silence_ms,
                EndHint.HESITATION: c.hesitation_silence_ms}[self.hint]

    def push(self, frame: Frame) -> EndpointEvent | None:
        start = self.now_ms
        self.now_ms += FRAME_MS
        if self.in_speech:
            return self._in_speech(frame)
        self._recent.append((start, frame))
        if frame.voiced:
            if self._run_start_ms is None:
                self._run_start_ms = start
            self._run_voiced_ms += FRAME_MS
            self._silence_ms = 0
            # Strictly longer: a sound of exactly min_speech_ms (with frame rounding) is still a noise.
            if self._run_voiced_ms > self.config.min_speech_ms:
                return self._start()
        elif self._run_start_ms is not None:
            self._silence_ms += FRAME_MS
            if self._silence_ms > self.config.max_gap_ms:
                self._run_start_ms, self._run_voiced_ms, self._silence_ms = None, 0, 0
        return None

    def force_end(self) -> SpeechEnded | None:
        """End the current turn now (push-to-talk released); None when the user is not speaking."""
        if not self.in_speech:
            self._run_start_ms, self._run_voiced_ms, self._silence_ms = None, 0, 0
            return None
        return self._end(forced=True)

    def _start(self) -> SpeechStarted:
        assert self._run_start_ms is not None
        self.in_speech = True
        self.hint = EndHint.NORMAL
        self.start_ms = self._run_start_ms
        self.last_voiced_end_ms = self.now_ms
        self._silence_ms = 0
        first = self.start_ms - self.config.preroll_ms
        audio = b"".join(f.pcm for t, f in self._recent if t >= first)
        self._recent.clear()
        return SpeechStarted(self.start_ms, audio)

    def _in_speech(self, frame: Frame) -> SpeechEnded | None:
        if frame.voiced:
            self._silence_ms = 0
            self.last_voiced_end_ms = self.now_ms
            return None
        self._silence_ms += FRAME_MS
        if self._silence_ms >= self.required_silence_ms():
            return self._end(forced=False)
        return None

    def _end(self, forced: bool) -> SpeechEnded:
        event = SpeechEnded(self.last_voiced_end_ms, self.now_ms, forced)
        self.in_speech = False
        self.hint = EndHint.NORMAL
        self._run_start_ms, self._run_voiced_ms, self._silence_ms = None, 0, 0
        return event
