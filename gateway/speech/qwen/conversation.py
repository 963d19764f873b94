"""A voice session served by Qwen-Omni: realtime events → Converse server events and action-agent calls.

The gateway feeds audio and client events in, and forwards what `outputs()` yields to the client.
With function calling, the model's calls become ActionService.Execute (and Confirm, gated by the
user's own yes); without it, each user transcript goes through the gateway's understanding + action
flow (`understand_and_act`) and the reply is spoken by the model. An EngineFailure is the last item
`outputs()` yields: the gateway then carries on with the embedded engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import grpc
from luna.action.v1 import action_pb2, action_pb2_grpc
from luna.voice.v1 import voice_pb2

from gateway.speech.qwen import tools as toolmap
from gateway.speech.qwen.backoff import RetryPolicy
from gateway.speech.qwen.confirmation import heard_yes_or_no
from gateway.speech.qwen.events import (
    AssistantTranscriptDelta,
    AudioDelta,
    EngineFailure,
    FunctionCall,
    Interrupted,
    QwenEngineError,
    QwenEvent,
    ResponseDone,
    SessionReady,
    SpeechStarted,
    SpeechStopped,
    UserTranscript,
)
from gateway.speech.qwen.session import QwenRealtimeSession

log = logging.getLogger(__name__)

FALLBACK_MESSAGE = "Switching to Luna's backup voice for now"
ACTION_UNAVAILABLE = "Sorry, I can't reach the booking system right now. Please try again in a moment."

UnderstandAndAct = Callable[[str], Awaitable[action_pb2.ActionResponse]]
OnAction = Callable[[action_pb2.ActionResponse], None]
Output = voice_pb2.ServerEvent | EngineFailure


class ConfirmationState(Protocol):
    """Where the pending confirmation lives; the gateway passes its session context, so the embedded engine
    sees the same pending confirmation after a fallback (and the Qwen path sees one made by the gateway)."""

    pending_confirmation: action_pb2.PendingConfirmation | None


@dataclass
class _OwnConfirmationState:
    pending_confirmation: action_pb2.PendingConfirmation | None = None


class EncodedAudio(Protocol):
    @property
    def data(self) -> bytes: ...


class OutputAudio(Protocol):
    """Turns the model's 24 kHz PCM16 into what the client asked for (PCM at its rate, or Opus packets).
    gateway.audio.codec.OutputEncoder(config, source_rate=24000, chunk_ms) fits as is."""

    def encode(self, pcm16: bytes) -> Sequence[EncodedAudio]: ...

    def flush(self) -> Sequence[EncodedAudio]: ...


@dataclass(frozen=True)
class _Raw:
    data: bytes


class Pcm24k:
    """Passthrough: the client takes 24 kHz PCM16 as the model makes it."""

    def encode(self, pcm16: bytes) -> list[_Raw]:
        return [_Raw(pcm16)]

    def flush(self) -> list[_Raw]:
        return []


@dataclass(frozen=True)
class SessionContext:
    session_id: str
    user_id: int
    time_zone: str = "UTC"


class QwenConversation:
    def __init__(
        self,
        session: QwenRealtimeSession,
        actions: action_pb2_grpc.ActionServiceStub,
        context: SessionContext,
        *,
        understand_and_act: UnderstandAndAct | None = None,
        output_audio: OutputAudio | None = None,
        yes_or_no: Callable[[str], bool | None] = heard_yes_or_no,
        retry: RetryPolicy | None = None,
        action_timeout_seconds: float = 10.0,
        confirmations: ConfirmationState | None = None,
        on_action: OnAction | None = None,
    ) -> None:
        self.session = session
        self.actions = actions
        self.context = context
        self.understand_and_act = understand_and_act
        self.output_audio: OutputAudio = output_audio or Pcm24k()
        self.yes_or_no = yes_or_no
        # Shared by the gateway's sessions: a failure here keeps new sessions off Qwen for a while.
        self.retry = retry
        self.action_timeout = action_timeout_seconds
        self.confirmations: ConfirmationState = confirmations if confirmations is not None else _OwnConfirmationState()
        # Called with every response of this conversation's own Execute/Confirm calls (not understand_and_act's).
        self.on_action = on_action
        self._out: asyncio.Queue[Output | None] = asyncio.Queue()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pump: asyncio.Task[None] | None = None
        self._turn = 0
        self._turn_id = ""
        self._response_turn: dict[str, str] = {}
        self._audio_sequence = 0
        self._spoken: dict[str, str] = {}
        self._audio_sent: set[str] = set()
        self._speech_stopped_at: float | None = None
        self._first_audio_reported = False
        self._heard_since_prompt: str = ""
        self._last_utterance = ""
        self._turn_count = 0
        self._closed = False

    # ---- the gateway's calls ----

    async def start(self) -> SessionReady:
        """Load the action agent's tools (function-calling models) and open the realtime session.

        Raises QwenEngineError when Qwen cannot be reached: the gateway starts the embedded engine instead.
        """
        declared: list[dict[str, Any]] = []
        if self.session.function_calling:
            try:
                listed = await self.actions.ListTools(action_pb2.ListToolsRequest(), timeout=self.action_timeout)
                declared = toolmap.declarations(listed.tools)
            except grpc.RpcError as exc:
                # The model still talks; actions fail visibly until the agent is back.
                log.warning("ListTools failed; Qwen starts without tools", extra={"error": str(exc)})
        try:
            ready = await self.session.start(declared)
        except QwenEngineError:
            if self.retry is not None:
                self.retry.record_failure()
            raise
        if self.retry is not None:
            self.retry.record_success()
        self._pump = asyncio.ensure_future(self._run())
        return ready

    def send_audio(self, pcm16_16k: bytes) -> None:
        self.session.send_audio(pcm16_16k)

    def commit(self) -> None:
        """The client's stop_listening: end the user's turn without waiting for silence."""
        self.session.commit()

    def interrupt(self) -> bool:
        """The client's interrupt: stop the reply now (an Interrupted event follows on outputs()).
        False when no reply was in progress."""
        return self.session.cancel_response() is not None

    async def handle_text(self, text: str) -> None:
        """Typed input: the gateway's understanding + action flow answers and the model speaks it; without
        that flow, a function-calling model takes the text as a user message."""
        self._new_turn()
        self._last_utterance = self._heard_since_prompt = text
        self._emit_transcript(voice_pb2.ROLE_USER, text, final=True)
        if self.understand_and_act is None and self.session.function_calling:
            self.session.send_text(text)
            return
        await self._understand_and_reply(text)

    async def confirm(self, confirmation_id: str, confirmed: bool) -> None:
        """The client's confirm event (a tap on yes/no): ActionService.Confirm, then the model says the result."""
        self._new_turn()
        response = await self._confirm(confirmation_id, confirmed)
        if response is not None:
            self.session.speak(toolmap.reply_text(response) or ("Done." if confirmed else "Okay, I won't."))

    async def outputs(self) -> AsyncIterator[Output]:
        """Server events for the client, in order; an EngineFailure, when it comes, is the last item."""
        while True:
            item = await self._out.get()
            if item is None:
                return
            yield item
            if isinstance(item, EngineFailure):
                return

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.session.close()
        if self._pump is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        for task in list(self._tasks):
            task.cancel()
        self._out.put_nowait(None)

    # ---- realtime events → server events ----

    async def _run(self) -> None:
        async for event in self.session.events():
            self._on_event(event)
            if isinstance(event, EngineFailure):
                return

    def _on_event(self, event: QwenEvent) -> None:
        if isinstance(event, SpeechStarted):
            self._new_turn()
            self._status(voice_pb2.SESSION_STATE_LISTENING)
        elif isinstance(event, Interrupted):
            self._on_interrupted(event)
        elif isinstance(event, SpeechStopped):
            self._speech_stopped_at = time.perf_counter()
            self._first_audio_reported = False
            self._status(voice_pb2.SESSION_STATE_PROCESSING)
        elif isinstance(event, UserTranscript):
            self._on_user_transcript(event)
        elif isinstance(event, AssistantTranscriptDelta):
            turn = self._response_turn.setdefault(event.response_id, self._turn_id)
            self._spoken[event.response_id] = self._spoken.get(event.response_id, "") + event.text
            self._emit_transcript(voice_pb2.ROLE_ASSISTANT, self._spoken[event.response_id], final=False, turn=turn)
        elif isinstance(event, AudioDelta):
            self._on_audio(event)
        elif isinstance(event, ResponseDone):
            self._on_response_done(event)
        elif isinstance(event, FunctionCall):
            self._spawn(self._on_function_call(event))
        elif isinstance(event, EngineFailure):
            if self.retry is not None:
                self.retry.record_failure()
            self._status(voice_pb2.SESSION_STATE_PROCESSING, FALLBACK_MESSAGE)
            self._out.put_nowait(event)

    def _on_user_transcript(self, event: UserTranscript) -> None:
        if not event.text:
            return
        self._turn_count += 1
        self._last_utterance = event.text
        self._heard_since_prompt = event.text
        self._emit_transcript(voice_pb2.ROLE_USER, event.text, final=True)
        if not self.session.function_calling:
            self._spawn(self._understand_and_reply(event.text))

    def _on_audio(self, event: AudioDelta) -> None:
        turn = self._response_turn.setdefault(event.response_id, self._turn_id)
        if event.response_id not in self._audio_sent:
            self._audio_sent.add(event.response_id)
            self._status(voice_pb2.SESSION_STATE_SPEAKING)
            if self._speech_stopped_at is not None and not self._first_audio_reported:
                self._first_audio_reported = True
                total_ms = (time.perf_counter() - self._speech_stopped_at) * 1000.0
                self._put(voice_pb2.ServerEvent(turn_metrics=voice_pb2.TurnMetrics(turn_id=turn, total_ms=total_ms)))
        for chunk in self.output_audio.encode(event.pcm):
            self._audio(chunk.data, turn, final=False)

    def _on_interrupted(self, event: Interrupted) -> None:
        turn = self._response_turn.get(event.response_id, self._turn_id)
        self.output_audio.flush()  # the rest of that reply is never played
        self._put(voice_pb2.ServerEvent(interrupted=voice_pb2.Interrupted(turn_id=turn, spoken_text=event.spoken_text)))

    def _on_response_done(self, event: ResponseDone) -> None:
        turn = self._response_turn.pop(event.response_id, self._turn_id)
        spoken = self._spoken.pop(event.response_id, "")
        had_audio = event.response_id in self._audio_sent
        self._audio_sent.discard(event.response_id)
        if event.status == "cancelled":
            return
        if had_audio:
            tail = [chunk.data for chunk in self.output_audio.flush()]
            for data in tail[:-1]:
                self._audio(data, turn, final=False)
            self._audio(tail[-1] if tail else b"", turn, final=True)
        if spoken:
            self._emit_transcript(voice_pb2.ROLE_ASSISTANT, spoken, final=True, turn=turn)
        if had_audio or spoken:
            # As on the embedded engine (spec §5.2): the reply is complete, the session waits for the next turn.
            self._status(voice_pb2.SESSION_STATE_WAITING)

    # ---- actions ----

    async def _on_function_call(self, call: FunctionCall) -> None:
        self._status(voice_pb2.SESSION_STATE_EXECUTING)
        if call.name == toolmap.ANSWER_CONFIRMATION:
            output = await self._answer_confirmation(call)
        else:
            output = await self._execute(call)
        self.session.submit_function_result(call.call_id, output)

    async def _execute(self, call: FunctionCall) -> str:
        request = toolmap.action_request(
            call.name,
            call.arguments,
            request_id=call.call_id or uuid.uuid4().hex,  # a retried call is not executed twice
            session_id=self.context.session_id,
            user_id=self.context.user_id,
            utterance=self._last_utterance,
            time_zone=self.context.time_zone,
            turn_count=self._turn_count,
        )
        if request is None:
            return toolmap.simple_output("failed", "Sorry, I can't do that here.", error_code="unknown_tool")
        try:
            response = await self.actions.Execute(request, timeout=self.action_timeout)
        except grpc.RpcError as exc:
            log.warning("Execute failed", extra={"tool": call.name, "error": str(exc)})
            self._action_failed(call.name)
            return toolmap.simple_output("failed", ACTION_UNAVAILABLE, error_code="action_unavailable")
        self._emit_action(response)
        if self.on_action is not None:
            self.on_action(response)
        return toolmap.function_output(response)

    async def _answer_confirmation(self, call: FunctionCall) -> str:
        pending = self.confirmations.pending_confirmation
        if pending is None:
            return toolmap.simple_output("failed", "There is nothing waiting for a yes or no.",
                                         error_code="no_pending_confirmation")
        claimed = call.arguments.get("confirmed")
        heard = self.yes_or_no(self._heard_since_prompt)
        if not isinstance(claimed, bool) or heard is None or heard != claimed:
            # The model's word alone never confirms: the user's own words must say the same.
            return toolmap.simple_output("not_confirmed", f"Sorry, was that a yes or a no? {pending.prompt}".strip())
        response = await self._confirm(pending.confirmation_id, heard)
        if response is None:
            return toolmap.simple_output("failed", ACTION_UNAVAILABLE, error_code="action_unavailable")
        return toolmap.function_output(response)

    async def _confirm(self, confirmation_id: str, confirmed: bool) -> action_pb2.ActionResponse | None:
        request = action_pb2.ConfirmRequest(
            request_id=uuid.uuid4().hex,
            session_id=self.context.session_id,
            user_id=self.context.user_id,
            confirmation_id=confirmation_id,
            confirmed=confirmed,
        )
        request.now.GetCurrentTime()
        try:
            response = await self.actions.Confirm(request, timeout=self.action_timeout)
        except grpc.RpcError as exc:
            log.warning("Confirm failed", extra={"error": str(exc)})
            self._action_failed("confirm")
            return None
        pending = self.confirmations.pending_confirmation
        if pending is not None and pending.confirmation_id == confirmation_id:
            self.confirmations.pending_confirmation = None
        self._emit_action(response)
        if self.on_action is not None:
            self.on_action(response)
        return response

    async def _understand_and_reply(self, text: str) -> None:
        if self.understand_and_act is None:
            self.session.speak("Sorry, I can't help with that right now.")
            return
        self._status(voice_pb2.SESSION_STATE_EXECUTING)
        try:
            response = await self.understand_and_act(text)
        except (grpc.RpcError, TimeoutError) as exc:
            log.warning("understanding/action failed", extra={"error": str(exc)})
            self._action_failed("")
            self.session.speak(ACTION_UNAVAILABLE)
            return
        except Exception:  # a bug costs this turn (said aloud), not the session
            log.exception("understanding/action failed")
            self._action_failed("")
            self.session.speak(ACTION_UNAVAILABLE)
            return
        self._emit_action(response)
        reply = toolmap.reply_text(response)
        if reply:
            self.session.speak(reply)

    def _emit_action(self, response: action_pb2.ActionResponse) -> None:
        if response.status == action_pb2.ACTION_STATUS_NEEDS_CONFIRMATION:
            pending = response.confirmation
            self.confirmations.pending_confirmation = pending
            self._heard_since_prompt = ""  # only an answer given after this prompt counts
            confirmation = voice_pb2.ActionConfirmation(
                confirmation_id=pending.confirmation_id, action=pending.action or response.action,
                prompt=pending.prompt,
            )
            confirmation.details.CopyFrom(pending.details)
            confirmation.expires_at.CopyFrom(pending.expires_at)
            self._put(voice_pb2.ServerEvent(action_confirmation=confirmation))
            self._status(voice_pb2.SESSION_STATE_WAITING)
            return
        result = voice_pb2.ActionResult(
            action=response.action, status=response.status, speak_text=response.speak_text,
            follow_up_prompt=response.follow_up_prompt, error_code=response.error_code,
        )
        result.result.CopyFrom(response.result)
        self._put(voice_pb2.ServerEvent(action_result=result))

    def _action_failed(self, action: str) -> None:
        self._put(voice_pb2.ServerEvent(action_result=voice_pb2.ActionResult(
            action=action, status=action_pb2.ACTION_STATUS_FAILED, speak_text=ACTION_UNAVAILABLE,
            error_code="action_unavailable",
        )))

    # ---- helpers ----

    def _new_turn(self) -> None:
        self._turn += 1
        self._turn_id = f"{self.context.session_id}:{self._turn}"

    def _status(self, state: int, message: str = "") -> None:
        self._put(voice_pb2.ServerEvent(status=voice_pb2.Status(state=state, message=message)))  # type: ignore[arg-type]

    def _emit_transcript(self, role: int, text: str, final: bool, turn: str | None = None) -> None:
        self._put(voice_pb2.ServerEvent(transcript=voice_pb2.Transcript(
            role=role, text=text, is_final=final, turn_id=turn or self._turn_id)))  # type: ignore[arg-type]

    def _audio(self, data: bytes, turn: str, final: bool) -> None:
        chunk = voice_pb2.OutputAudioChunk(data=data, sequence=self._audio_sequence, is_final=final, turn_id=turn)
        self._audio_sequence += 1
        self._put(voice_pb2.ServerEvent(audio_chunk=chunk))

    def _put(self, event: voice_pb2.ServerEvent) -> None:
        self._out.put_nowait(event)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
