"""One live Converse stream: input and output run independently (full duplex, spec §6.4).

The reader task handles client events as they arrive: audio goes through
decode → VAD → endpointing → streaming recognition; control events act at
once. Each user turn runs as its own task (the "reply"), which speaks through
the Speaker while the reader keeps listening; user speech during a reply
(longer than the barge-in threshold and not a backchannel) or an `interrupt`
event stops it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import Any

import grpc
from luna.action.v1 import action_pb2
from luna.voice.v1 import voice_pb2

from gateway.action_client import ActionClient
from gateway.audio.codec import AudioError, InputDecoder, OutputEncoder
from gateway.audio.endpointing import EndHint, EndpointConfig, Endpointer, SpeechEnded, SpeechStarted
from gateway.audio.vad import FrameVad
from gateway.limits import AudioRateLimiter, RateExceeded
from gateway.outbound import Outbound
from gateway.recognition import AsyncRecognizer, RecognitionFailed, ThreadRecognizer, Utterance
from gateway.sessions import Session, SessionRegistry
from gateway.settings import GatewaySettings
from gateway.speaker import Speaker
from gateway.speech.base import SpeechEngine
from gateway.speech.qwen.conversation import QwenConversation, SessionContext
from gateway.speech.qwen.engine import QwenEngine
from gateway.speech.qwen.events import EngineFailure, QwenEngineError
from gateway.speech.qwen.session import OUTPUT_SAMPLE_RATE as QWEN_SAMPLE_RATE
from gateway.speech.workers import RecognitionPool
from gateway.turn_taking import ends_in_hesitation, short_overlap_interrupts, words
from gateway.turns import (
    TurnLogic,
    TurnOutcome,
    TurnTimings,
    confirmation_event,
    error_event,
    new_turn_id,
    unclear_outcome,
)
from gateway.understanders import Understanders
from gateway.understanding import Understander

log = logging.getLogger(__name__)

QWEN_BACK_MESSAGE = "Luna's voice is back"
# Closing Qwen conversations outlive the stream that owned them (session.finish takes a round trip).
_closing: set[asyncio.Task[None]] = set()


@dataclass
class Services:
    """What every conversation of the process shares."""

    settings: GatewaySettings
    registry: SessionRegistry
    action: ActionClient
    understanders: Understanders
    engine: SpeechEngine | None
    # Recognition in worker processes; None: the engine's recognizers run on threads here.
    recognition: RecognitionPool | None = None
    # Qwen-Omni realtime (speech to speech) when configured; `engine` is then its fallback.
    qwen: QwenEngine | None = None

    def new_recognizer(self, speaker: str) -> AsyncRecognizer:
        if self.recognition is not None:
            return self.recognition.new_recognizer(speaker)
        engine = self.engine
        assert engine is not None
        return ThreadRecognizer(lambda: engine.new_recognizer(speaker))


@dataclass
class Reply:
    turn_id: str
    timings: TurnTimings
    task: asyncio.Task[None] | None = None
    speaker: Speaker | None = None
    metrics_sent: bool = False
    interrupted: bool = False


@dataclass
class Listening:
    """The user's utterance in progress."""

    turn_id: str
    utterance: Utterance | None
    # It began while a reply was playing: a backchannel must not become a turn.
    overlapped: bool
    last_hint_text: str = ""
    hint_task: asyncio.Task[None] | None = field(default=None, repr=False)


class Conversation:
    def __init__(self, services: Services, session: Session, input_audio: voice_pb2.AudioConfig,
                 output_audio: voice_pb2.AudioConfig, text_only: bool) -> None:
        s = services.settings
        self.services = services
        self.settings = s
        self.session = session
        self.engine = services.engine
        self.input_audio = input_audio
        self.output_audio = output_audio
        self.text_only = text_only or self.engine is None
        self.out = Outbound()
        self.decoder = InputDecoder(input_audio, s.max_chunk_ms)
        self.limiter = AudioRateLimiter(s.audio_burst_ms / 1000, s.max_chunk_ms / 1000)
        self.vad = FrameVad(s.vad_aggressiveness)
        self.endpointer = Endpointer(EndpointConfig(
            min_speech_ms=s.min_speech_ms, trailing_silence_ms=s.trailing_silence_ms,
            complete_silence_ms=s.complete_silence_ms, hesitation_silence_ms=s.hesitation_silence_ms))
        self.expected_sequence = 0
        self.listening_enabled = True
        self.listening: Listening | None = None
        self.reply: Reply | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.abort_status: tuple[grpc.StatusCode, str] | None = None
        self.understander: Understander | None = None
        # The Qwen conversation serving this stream, while it does; None: the embedded engine serves.
        self.qwen: QwenConversation | None = None
        self.fell_back = False
        self._qwen_retry: asyncio.Task[None] | None = None
        self.logic = TurnLogic(session, services.action, self.engine.name if self.engine else "none",
                               self.out.put, self.set_state)

    # ---- session.Connection ----

    def close(self, reason: voice_pb2.EndReason.ValueType, message: str) -> None:
        self.out.put(voice_pb2.ServerEvent(session_ended=voice_pb2.SessionEnded(reason=reason, message=message)))
        self.out.close()

    def supersede(self) -> None:
        self.out.put(error_event("session_resumed", "this session was resumed on another connection", False))
        self.out.close()

    # ---- output helpers ----

    def set_state(self, state: voice_pb2.SessionState.ValueType, message: str = "") -> None:
        if state != self.session.state:
            self.session.state = state
            self.out.put(voice_pb2.ServerEvent(status=voice_pb2.Status(state=state, message=message)))

    def error(self, code: str, message: str, retryable: bool = True) -> None:
        self.session.metrics.errors += 1
        self.out.put(error_event(code, message, retryable))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def get_understander(self) -> Understander:
        if self.understander is None:
            self.understander = await self.services.understanders.for_user(self.session.user_id)
        return self.understander

    # ---- input ----

    async def read(self, events: AsyncIterator[voice_pb2.ClientEvent]) -> None:
        """Handle client events until the client ends the stream or an abort is due."""
        async for event in events:
            if self.out.closed:
                return
            try:
                self.handle(event)
            except Exception:  # a bug must cost one event, not the session
                log.exception("client event failed", extra={"event": "event_failed", "session_id": self.session.id})
                self.error("internal", "the event could not be handled")
            if self.abort_status is not None:
                self.out.close()
                return
        # The client half-closed its side: its last words end the turn; finish the turn in flight, then end the
        # stream (the session stays resumable until its idle timeout).
        ended = self.endpointer.force_end()
        if ended is not None:
            self.on_speech_end(ended)
        while self.reply is not None and self.reply.task is not None and not self.reply.task.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self.reply.task)
        self.out.close()

    def handle(self, event: voice_pb2.ClientEvent) -> None:
        kind = event.WhichOneof("event")
        if kind != "audio_chunk":
            self.session.touch()
        if kind == "audio_chunk":
            self.on_audio(event.audio_chunk)
        elif self.qwen is not None and kind in QWEN_EVENTS:
            self.handle_qwen(self.qwen, kind, event)
        elif kind == "text_input":
            self.on_text(event.text_input.text)
        elif kind == "confirm":
            self.on_confirm(event.confirm)
        elif kind == "interrupt":
            if not self.interrupt_reply("client"):
                self.error("nothing_to_interrupt", "no reply is in progress", retryable=False)
        elif kind == "start_listening":
            self.listening_enabled = True
            if not self.reply_active():
                self.set_state(voice_pb2.SESSION_STATE_LISTENING)
        elif kind == "stop_listening":
            self.listening_enabled = False
            ended = self.endpointer.force_end()
            if ended is not None:
                self.on_speech_end(ended)
            elif not self.reply_active():
                self.set_state(voice_pb2.SESSION_STATE_IDLE)
        elif kind == "end_session":
            self.services.registry.end(self.session, voice_pb2.END_REASON_CLIENT_ENDED, "ended by the client")
        elif kind == "start":
            self.error("invalid_event", "start may only be the first event of a stream", retryable=False)
        else:
            self.error("invalid_event", "empty or unknown client event", retryable=False)

    def on_audio(self, chunk: voice_pb2.InputAudioChunk) -> None:
        if chunk.sequence < self.expected_sequence:
            self.error("invalid_sequence", f"audio chunk {chunk.sequence} arrived after chunk "
                       f"{self.expected_sequence - 1}; it was dropped (sequence numbers must increase by one)")
            return
        if chunk.sequence > self.expected_sequence:
            # A gap: earlier chunks never came. Say so, then carry on from this one.
            self.error("invalid_sequence", f"audio chunks {self.expected_sequence} to {chunk.sequence - 1} "
                       "are missing (sequence numbers must increase by one from 0)")
        self.expected_sequence = chunk.sequence + 1
        try:
            pcm, seconds = self.decoder.decode(chunk.data)
        except AudioError as exc:
            self.error(exc.code, exc.message)
            return
        try:
            self.limiter.spend(seconds)
        except RateExceeded as exc:
            # Said as an event first: a client still writing may see the call's status as INTERNAL instead
            # (grpc/grpc#36066), and must still learn why its stream ended.
            self.error("rate_limited", str(exc), retryable=False)
            self.abort_status = (grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
            return
        self.session.metrics.total_audio_seconds += seconds
        if not self.listening_enabled:
            return
        if self.qwen is not None:
            self.qwen.send_audio(pcm)  # Qwen's server VAD detects the turns (and barge-in)
            return
        self.listen(pcm)

    def listen(self, pcm: bytes) -> None:
        """16 kHz PCM16 through the gateway's own VAD, endpointing and recognition (the embedded engine)."""
        for frame in self.vad.push(pcm):
            event = self.endpointer.push(frame)
            if isinstance(event, SpeechStarted):
                self.on_speech_start(event)
            elif self.listening is not None and self.listening.utterance is not None:
                self.listening.utterance.feed(frame.pcm)
            if isinstance(event, SpeechEnded):
                self.on_speech_end(event)
            elif frame.voiced and self.endpointer.in_speech:
                self.session.touch()
                self.check_barge_in()

    def on_speech_start(self, event: SpeechStarted) -> None:
        turn_id = new_turn_id()
        utterance = None
        if self.engine is not None:
            utterance = Utterance(self.services.new_recognizer(self.session.id),
                                  lambda text: self.on_partial(turn_id, text))
            utterance.feed(event.audio)
        overlapped = self.reply_active()
        self.listening = Listening(turn_id, utterance, overlapped)
        if not overlapped:
            self.set_state(voice_pb2.SESSION_STATE_LISTENING)

    def on_partial(self, turn_id: str, text: str) -> None:
        listening = self.listening
        if listening is None or listening.turn_id != turn_id:
            return
        self.out.put(voice_pb2.ServerEvent(transcript=voice_pb2.Transcript(
            role=voice_pb2.ROLE_USER, text=text, is_final=False, turn_id=turn_id)))
        self.check_barge_in()
        if ends_in_hesitation(text):
            self.endpointer.hint = EndHint.HESITATION
        elif listening.hint_task is None or listening.hint_task.done():
            listening.hint_task = self._spawn(self.update_completeness(listening, text))

    async def update_completeness(self, listening: Listening, text: str) -> None:
        """A partial transcript that already reads as a complete request shortens the wait for end of turn."""
        understander = await self.get_understander()
        intent, confidence, _, _ = await self.logic.understand(understander, text)
        if self.listening is listening and listening.utterance is not None and listening.utterance.partial == text:
            complete = confidence >= self.settings.complete_confidence and intent != action_pb2.INTENT_UNCLEAR
            self.endpointer.hint = EndHint.COMPLETE if complete else EndHint.NORMAL

    def check_barge_in(self) -> None:
        """User speech during a reply: once it lasts longer than a backchannel can, it interrupts.

        Shorter speech is judged on its final transcript when it ends (settle_overlap): partial transcripts of
        half a second of audio are too unreliable to stop a reply over "mm-hmm".
        """
        if not self.reply_active() or self.listening is None:
            return
        speech_ms = self.endpointer.speech_ms
        # Without a recognizer there are no words to judge: the barge-in threshold alone decides.
        limit = self.settings.barge_in_ms if self.engine is None else self.settings.backchannel_max_ms
        if speech_ms >= limit:
            self.interrupt_reply("barge_in")
            self.listening.overlapped = False

    def on_speech_end(self, event: SpeechEnded) -> None:
        listening, self.listening = self.listening, None
        if listening is None:
            return
        endpointing_ms = float(event.decided_ms - event.end_ms)
        timings = TurnTimings(started=time.monotonic() - endpointing_ms / 1000, endpointing_ms=endpointing_ms)
        if listening.overlapped:
            # Short speech over a reply. Under the barge-in threshold it is ignored; otherwise decided once the
            # words are known. A backchannel lets the reply go on and never becomes a turn of its own, even if
            # the reply ended meanwhile ("right" is not a "yes").
            if event.end_ms - self.endpointer.start_ms < self.settings.barge_in_ms:
                if listening.utterance is not None:
                    listening.utterance.discard()
                return
            self._spawn(self.settle_overlap(listening, timings))
            return
        self.start_turn(listening.turn_id, timings, utterance=listening.utterance)

    async def settle_overlap(self, listening: Listening, timings: TurnTimings) -> None:
        try:
            text = await listening.utterance.finish() if listening.utterance is not None else ""
        except asyncio.CancelledError:
            if listening.utterance is not None:
                listening.utterance.discard()
            raise
        except RecognitionFailed:
            return  # Words over a reply that could not be recognised: the reply goes on.
        if not short_overlap_interrupts(text):
            log.info("backchannel ignored", extra={"event": "backchannel", "session_id": self.session.id,
                                                   "text": text})
            return
        timings.asr_ms = listening.utterance.asr_ms if listening.utterance is not None else 0.0
        self.start_turn(listening.turn_id, timings, text=text)

    def on_text(self, text: str) -> None:
        text = text.strip()
        if not text:
            self.error("invalid_text", "text_input is empty", retryable=False)
            return
        if len(text) > self.settings.max_text_chars:
            self.error("invalid_text", f"text_input is longer than {self.settings.max_text_chars} characters",
                       retryable=False)
            return
        self.start_turn(new_turn_id(), TurnTimings(), text=text)

    def on_confirm(self, confirm: voice_pb2.ConfirmAction) -> None:
        pending = self.session.context.pending_confirmation
        if pending is None or pending.confirmation_id != confirm.confirmation_id:
            self.error("unknown_confirmation",
                       f"no pending confirmation with id {confirm.confirmation_id!r}", retryable=False)
            return
        self.start_turn(new_turn_id(), TurnTimings(), confirm=confirm)

    # ---- turns ----

    def reply_active(self) -> bool:
        return self.reply is not None and self.reply.task is not None and not self.reply.task.done()

    def start_turn(self, turn_id: str, timings: TurnTimings, *, utterance: Utterance | None = None,
                   text: str | None = None, confirm: voice_pb2.ConfirmAction | None = None) -> None:
        # A new request supersedes a reply still in progress.
        self.interrupt_reply("new_turn")
        reply = Reply(turn_id, timings)
        self.reply = reply
        self.session.busy += 1
        self.set_state(voice_pb2.SESSION_STATE_PROCESSING)
        reply.task = self._spawn(self.run_turn(reply, utterance, text, confirm))

    async def run_turn(self, reply: Reply, utterance: Utterance | None, text: str | None,
                       confirm: voice_pb2.ConfirmAction | None) -> None:
        try:
            outcome = await self.turn_outcome(reply, utterance, text, confirm)
            await self.deliver(reply, outcome)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("turn failed", extra={"event": "turn_failed", "session_id": self.session.id})
            self.error("internal", "the turn could not be completed", retryable=True)
            if self.reply is reply:
                self.turn_done()
        finally:
            self.session.busy -= 1
            self.session.touch()

    async def turn_outcome(self, reply: Reply, utterance: Utterance | None, text: str | None,
                           confirm: voice_pb2.ConfirmAction | None) -> TurnOutcome:
        if confirm is not None:
            return await self.logic.confirm(reply.turn_id, confirm.confirmation_id, confirm.confirmed, reply.timings)
        if utterance is not None:
            try:
                text = await utterance.finish()
            except asyncio.CancelledError:
                utterance.discard()
                raise
            except RecognitionFailed as exc:
                self.session.context.turn_count += 1
                return unclear_outcome("recognition_failed", str(exc))
            reply.timings.asr_ms = utterance.asr_ms
        if not text or not words(text):
            self.session.context.turn_count += 1
            return unclear_outcome()
        self.out.put(voice_pb2.ServerEvent(transcript=voice_pb2.Transcript(
            role=voice_pb2.ROLE_USER, text=text, is_final=True, turn_id=reply.turn_id)))
        understander = await self.get_understander()
        return await self.logic.run_text(understander, reply.turn_id, text, reply.timings)

    async def deliver(self, reply: Reply, outcome: TurnOutcome) -> None:
        if outcome.error is not None:
            self.session.metrics.errors += 1
            self.out.put(voice_pb2.ServerEvent(error=outcome.error))
        if outcome.asks_user or outcome.error is not None:
            self.set_state(voice_pb2.SESSION_STATE_CLARIFYING)
        text = outcome.reply_text
        if self.text_only or not text:
            self.assistant_transcript(reply, text, final=True)
            self.send_metrics(reply, (time.monotonic() - reply.timings.started) * 1000)
            self.turn_done()
            return
        assert self.engine is not None
        self.assistant_transcript(reply, text, final=False)
        encoder = OutputEncoder(self.output_audio, self.output_audio.sample_rate_hz, self.settings.output_chunk_ms)
        speaker = Speaker(self.engine.synthesizer, encoder, self.output_audio.sample_rate_hz, self.out,
                          reply.turn_id, self.settings.output_lead_ms / 1000)
        reply.speaker = speaker
        speaker.first_audio_sent.add_done_callback(lambda f: self.first_audio(reply, f))
        self.set_state(voice_pb2.SESSION_STATE_SPEAKING)
        await speaker.speak(text)
        self.assistant_transcript(reply, text, final=True)
        if not reply.metrics_sent:
            # No audio came out at all (nothing speakable): report the turn anyway.
            self.send_metrics(reply, (time.monotonic() - reply.timings.started) * 1000)
        self.turn_done()

    def turn_done(self) -> None:
        """The reply is complete: wait for the next turn, or go idle if the client stopped listening."""
        self.set_state(voice_pb2.SESSION_STATE_WAITING)
        if not self.listening_enabled:
            self.set_state(voice_pb2.SESSION_STATE_IDLE)
        self.maybe_return_to_qwen()

    def first_audio(self, reply: Reply, sent: asyncio.Future[float]) -> None:
        if sent.cancelled() or reply.speaker is None:
            return
        reply.timings.tts_first_chunk_ms = reply.speaker.tts_first_chunk_ms or 0.0
        self.send_metrics(reply, (sent.result() - reply.timings.started) * 1000)

    def send_metrics(self, reply: Reply, total_ms: float) -> None:
        if reply.metrics_sent:
            return
        reply.metrics_sent = True
        if total_ms > 0:
            self.services.registry.record_latency(self.session, total_ms)
        self.out.put(reply.timings.metrics(reply.turn_id, total_ms))

    def assistant_transcript(self, reply: Reply, text: str, final: bool) -> None:
        self.out.put(voice_pb2.ServerEvent(transcript=voice_pb2.Transcript(
            role=voice_pb2.ROLE_ASSISTANT, text=text, is_final=final, turn_id=reply.turn_id)))

    def interrupt_reply(self, source: str) -> bool:
        """Stop the reply in progress at once; the action it started (if any) still completes."""
        reply = self.reply
        if reply is None or reply.task is None or reply.task.done():
            return False
        reply.interrupted = True
        self.reply = None
        reply.task.cancel()
        spoken = ""
        if reply.speaker is not None:
            reply.speaker.stop()
            spoken = reply.speaker.spoken_text()
        self.out.put(voice_pb2.ServerEvent(interrupted=voice_pb2.Interrupted(turn_id=reply.turn_id,
                                                                             spoken_text=spoken)))
        if reply.speaker is not None:
            self.assistant_transcript(reply, spoken, final=True)
        self.send_metrics(reply, 0.0)
        log.info("reply interrupted", extra={"event": "interrupted", "session_id": self.session.id,
                                             "source": source, "turn_id": reply.turn_id})
        if source != "new_turn":
            user_speaking = self.listening is not None
            if user_speaking:
                self.set_state(voice_pb2.SESSION_STATE_LISTENING)
            else:
                self.turn_done()
        return True

    # ---- lifecycle ----

    def greet(self, resumed: bool) -> None:
        """After `connected`: the first state, and on resume the confirmation still waiting for an answer."""
        pending = self.session.context.pending_confirmation
        if resumed and pending is not None:
            self.out.put(confirmation_event(pending))
        self.session.state = voice_pb2.SESSION_STATE_UNSPECIFIED
        self.set_state(voice_pb2.SESSION_STATE_LISTENING)
        # Fetch the user's vocabulary now so the first turn does not wait for it.
        self._spawn(self._prefetch())

    async def _prefetch(self) -> None:
        with contextlib.suppress(Exception):
            await self.get_understander()

    async def shutdown(self) -> None:
        """The stream is over: stop speaking and listening. Actions in flight still complete (shielded)."""
        if self.reply is not None and self.reply.speaker is not None:
            self.reply.speaker.stop()
        self.reply = None
        listening, self.listening = self.listening, None
        for task in list(self.tasks):
            task.cancel()
        qwen, self.qwen = self.qwen, None
        if qwen is not None:
            # session.finish, then the socket closes; shielded so a cancelled stream still ends it cleanly.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.shield(close_qwen(qwen))
        if listening is not None and listening.utterance is not None:
            await listening.utterance.cancel()
        if self.session.connection is self:
            self.session.connection = None
            if not self.session.ended:
                self.session.state = voice_pb2.SESSION_STATE_IDLE
        self.session.touch()

    # ---- the Qwen-Omni engine ----

    async def start_engine(self) -> str:
        """Open this stream's Qwen conversation when Qwen is configured and healthy; the engine's name."""
        if await self.start_qwen():
            return "qwen"
        return self.engine.name if self.engine is not None else "none"

    async def start_qwen(self) -> bool:
        qwen_engine = self.services.qwen
        if qwen_engine is None or self.text_only or not qwen_engine.available():
            return False
        output = OutputEncoder(self.output_audio, QWEN_SAMPLE_RATE, self.settings.output_chunk_ms)
        conversation = qwen_engine.conversation(
            self.services.action.stub(self.session.id),
            SessionContext(self.session.id, self.session.user_id, self.session.time_zone),
            understand_and_act=self.understand_and_act, output_audio=output, confirmations=self.session.context,
            on_action=self.on_qwen_action)
        try:
            await conversation.start()
        except QwenEngineError as exc:
            log.warning("qwen unavailable; the embedded engine serves", extra={
                "event": "qwen_unavailable", "session_id": self.session.id, "error": str(exc)})
            await close_qwen(conversation)
            return False
        except Exception:  # whatever breaks in starting Qwen, the session still gets a voice
            log.exception("qwen start failed; the embedded engine serves", extra={
                "event": "qwen_unavailable", "session_id": self.session.id})
            qwen_engine.retry.record_failure()
            await close_qwen(conversation)
            return False
        if self.out.closed:  # the stream ended while connecting
            await close_qwen(conversation)
            return False
        self.qwen = conversation
        self._spawn(self.pump_qwen(conversation))
        return True

    async def pump_qwen(self, conversation: QwenConversation) -> None:
        """Qwen's server events to the client, until it closes or fails (then the embedded engine takes over)."""
        async for item in conversation.outputs():
            if isinstance(item, EngineFailure):
                self.fall_back(conversation, item)
                return
            self.forward_qwen(item)

    def forward_qwen(self, event: voice_pb2.ServerEvent) -> None:
        self.session.touch()
        kind = event.WhichOneof("event")
        if kind == "status":
            # Qwen's engine reports every step; the client hears of changes (and of anything with a message).
            if event.status.state == self.session.state and not event.status.message:
                return
            self.session.state = event.status.state
        elif kind == "interrupted":
            # Nothing more of that reply reaches the client, even what is still queued here.
            self.out.purge_audio(event.interrupted.turn_id)
        elif kind == "transcript" and event.transcript.role == voice_pb2.ROLE_USER and event.transcript.is_final:
            self.session.context.turn_count += 1
        elif kind == "turn_metrics" and event.turn_metrics.total_ms > 0:
            self.services.registry.record_latency(self.session, event.turn_metrics.total_ms)
        self.out.put(event)

    def handle_qwen(self, qwen: QwenConversation, kind: str, event: voice_pb2.ClientEvent) -> None:
        if kind == "interrupt":
            if not qwen.interrupt():
                self.error("nothing_to_interrupt", "no reply is in progress", retryable=False)
        elif kind == "stop_listening":
            self.listening_enabled = False
            qwen.commit()
        elif kind == "text_input":
            text = event.text_input.text.strip()
            if not text or len(text) > self.settings.max_text_chars:
                self.error("invalid_text", f"text_input must have 1 to {self.settings.max_text_chars} characters",
                           retryable=False)
                return
            self._spawn(self._busy(qwen.handle_text(text)))
        elif kind == "confirm":
            pending = self.session.context.pending_confirmation
            if pending is None or pending.confirmation_id != event.confirm.confirmation_id:
                self.error("unknown_confirmation",
                           f"no pending confirmation with id {event.confirm.confirmation_id!r}", retryable=False)
                return
            self._spawn(self._busy(qwen.confirm(event.confirm.confirmation_id, event.confirm.confirmed)))

    async def _busy(self, work: Coroutine[Any, Any, None]) -> None:
        """A Qwen turn's action: it keeps the session from idling out while it runs."""
        self.session.busy += 1
        try:
            await work
        finally:
            self.session.busy -= 1
            self.session.touch()

    async def understand_and_act(self, text: str) -> action_pb2.ActionResponse:
        """The gateway's own understanding + Execute/Confirm for a Qwen turn (models without function calling,
        and typed text): the same TurnLogic as the embedded engine, so the session context stays the one truth.
        Qwen's conversation reports the action and speaks the reply."""

        def emit(event: voice_pb2.ServerEvent) -> None:
            if event.WhichOneof("event") == "error":  # action events are the Qwen conversation's to send
                self.out.put(event)

        logic = TurnLogic(self.session, self.services.action, "qwen", emit, lambda state: None)
        ctx = self.session.context
        before = ctx.last_result
        outcome = await logic.run_text(await self.get_understander(), new_turn_id(), text, TurnTimings())
        ctx.turn_count -= 1  # counted when Qwen's transcript was forwarded
        if ctx.last_result is None or ctx.last_result is before:
            # The action agent could not be reached; TurnLogic already sent the error event.
            return action_pb2.ActionResponse(status=action_pb2.ACTION_STATUS_FAILED, speak_text=outcome.reply_text,
                                             error_code="service_unavailable")
        return ctx.last_result

    def on_qwen_action(self, response: action_pb2.ActionResponse) -> None:
        """A function call's (or confirm's) response: kept in the session context like the embedded path's."""
        self.session.context.last_result = response
        if response.status == action_pb2.ACTION_STATUS_SUCCESS and response.action:
            self.session.metrics.actions_executed += 1

    def fall_back(self, conversation: QwenConversation, failure: EngineFailure) -> None:
        """Qwen failed mid-session: the embedded engine serves from here, starting with the unanswered turn."""
        log.warning("qwen failed; switching to the embedded engine", extra={
            "event": "qwen_fallback", "session_id": self.session.id, "kind": str(failure.kind),
            "reason": failure.message})
        if self.qwen is conversation:
            self.qwen = None
        self.fell_back = True
        _close_in_background(conversation)
        if self.out.closed:
            return
        if failure.pending_user_transcript:
            self.start_turn(new_turn_id(), TurnTimings(), text=failure.pending_user_transcript)
        elif failure.pending_audio and self.listening_enabled:
            self.listen(failure.pending_audio)  # whatever the user said since Qwen's last transcript
        if not self.reply_active() and self.listening is None:
            self.set_state(voice_pb2.SESSION_STATE_LISTENING)

    def maybe_return_to_qwen(self) -> None:
        """At a turn boundary, a session that fell back tries Qwen again once the shared backoff allows."""
        qwen_engine = self.services.qwen
        if (not self.fell_back or self.qwen is not None or qwen_engine is None or not qwen_engine.available()
                or (self._qwen_retry is not None and not self._qwen_retry.done()) or self.out.closed):
            return
        self._qwen_retry = self._spawn(self._return_to_qwen())

    async def _return_to_qwen(self) -> None:
        if not await self.start_qwen():
            return
        if self.listening is not None or self.reply_active():
            # The user started another turn meanwhile: that turn stays with the embedded engine; Qwen next time.
            qwen, self.qwen = self.qwen, None
            if qwen is not None:
                _close_in_background(qwen)
            return
        self.fell_back = False
        self.out.put(voice_pb2.ServerEvent(status=voice_pb2.Status(state=self.session.state,
                                                                   message=QWEN_BACK_MESSAGE)))
        log.info("back on qwen", extra={"event": "qwen_resumed", "session_id": self.session.id})


# Client events a Qwen conversation handles itself (the others act the same whatever the engine).
QWEN_EVENTS = frozenset({"interrupt", "stop_listening", "text_input", "confirm"})


async def close_qwen(conversation: QwenConversation) -> None:
    with contextlib.suppress(Exception):
        await conversation.close()


def _close_in_background(conversation: QwenConversation) -> None:
    task = asyncio.get_running_loop().create_task(close_qwen(conversation))
    _closing.add(task)
    task.add_done_callback(_closing.discard)
