"""One Qwen-Omni realtime conversation per voice session, over the official dashscope SDK.

The SDK runs its WebSocket on a background thread and calls back from there; every callback is
handed to the asyncio loop with call_soon_threadsafe and turned into typed events (events.py)
on the loop thread, so all state below is touched by the loop only. Sends are synchronous,
thread-safe and small (a 100 ms audio chunk is ~4 KB of JSON), so they run inline on the loop.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from dashscope.audio.qwen_omni import MultiModality, OmniRealtimeCallback, OmniRealtimeConversation

from gateway.speech.qwen.events import (
    AssistantTranscriptDelta,
    AudioDelta,
    EngineFailure,
    FailureKind,
    FunctionCall,
    Interrupted,
    QwenEngineError,
    QwenEvent,
    ResponseDone,
    ResponseStarted,
    SessionReady,
    SpeechStarted,
    SpeechStopped,
    UserTranscript,
)
from gateway.speech.qwen.models import ModelCapabilities, capabilities_for
from gateway.speech.qwen.persona import TOOL_INSTRUCTIONS, speak_exactly, with_history
from gateway.speech.qwen.settings import QwenSettings

log = logging.getLogger(__name__)

INPUT_SAMPLE_RATE = 16000
OUTPUT_SAMPLE_RATE = 24000
# Error codes that do not mean the session is broken (a cancel racing the end of a response).
BENIGN_ERROR_CODES = frozenset({"response_cancel_not_active", "no_active_response"})
HISTORY_TURNS = 12


class _Bridge(OmniRealtimeCallback):
    """SDK callbacks (background thread) → the session's loop. Tagged with a generation so a replaced
    connection's late callbacks are ignored after a reconnect."""

    def __init__(self, loop: asyncio.AbstractEventLoop, deliver: Callable[[int, str, Any], None], generation: int):
        self._loop = loop
        self._deliver = deliver
        self._generation = generation

    def on_event(self, message: Any) -> None:
        self._post("event", message)

    def on_close(self, close_status_code: Any, close_msg: Any) -> None:
        self._post("close", (close_status_code, close_msg))

    def _post(self, kind: str, payload: Any) -> None:
        with contextlib.suppress(RuntimeError):  # loop already closed: nobody is listening any more
            self._loop.call_soon_threadsafe(self._deliver, self._generation, kind, payload)


ConversationFactory = Callable[..., OmniRealtimeConversation]


class QwenRealtimeSession:
    """The gateway's handle on one realtime conversation: audio in, typed events out."""

    def __init__(self, settings: QwenSettings, conversation_factory: ConversationFactory = OmniRealtimeConversation):
        self.settings = settings
        self.capabilities: ModelCapabilities = capabilities_for(settings.model)
        self._factory = conversation_factory
        self._loop: asyncio.AbstractEventLoop | None = None
        self._events: asyncio.Queue[QwenEvent | None] = asyncio.Queue()
        self._conv: OmniRealtimeConversation | None = None
        self._raw: socket.socket | None = None
        self._generation = 0
        self._state = "new"  # new, connecting, open, reconnecting, closing, closed, failed
        self._tools: list[dict[str, Any]] = []
        self._session_id = ""
        self._created: asyncio.Future[None] | None = None
        self._updated: asyncio.Future[None] | None = None
        self._socket_closed: asyncio.Future[None] | None = None
        self._started_at = 0.0
        self._background: set[asyncio.Task[Any]] = set()
        # Turn state, for barge-in, stall detection and the hand-over on failure.
        self._active_response: str | None = None
        self._suppressed: set[str] = set()
        self._response_text: list[str] = []
        self._response_output = False
        self._user_speaking = False
        # From the end of the user's speech until a reply with output completes.
        self._awaiting_answer = False
        self._stall: asyncio.TimerHandle | None = None
        self._pending_transcript: str | None = None
        self._pending_call: FunctionCall | None = None
        self._pending_audio = bytearray()
        self._held_bytes = 0  # audio that arrived while reconnecting
        self._history: deque[tuple[str, str]] = deque(maxlen=HISTORY_TURNS)

    # ---- lifecycle ----

    @property
    def session_id(self) -> str:
        return self._session_id

    @property
    def function_calling(self) -> bool:
        return self.capabilities.function_calling

    @property
    def is_open(self) -> bool:
        return self._state in ("open", "reconnecting")

    async def start(self, tools: Sequence[dict[str, Any]] = ()) -> SessionReady:
        """Connect and configure the session; raise QwenEngineError(CONNECT_FAILED/SERVER_ERROR) when it cannot.

        `tools` are function declarations (tools.py); they are only sent to models that support them.
        """
        self._loop = asyncio.get_running_loop()
        self._tools = list(tools) if self.function_calling else []
        self._state = "connecting"
        try:
            ready = await self._connect(reconnected=False)
        except QwenEngineError:
            self._state = "failed"
            raise
        self._state = "open"
        self._events.put_nowait(ready)
        return ready

    async def events(self) -> AsyncIterator[QwenEvent]:
        """Typed events until close() or an EngineFailure (the last event of a failed session)."""
        while True:
            event = await self._events.get()
            if event is None:
                return
            yield event

    async def close(self) -> None:
        """Finish the session cleanly (session.finish → session.finished) and release the socket."""
        if self._state in ("closing", "closed"):
            return
        was_open = self._state in ("open", "reconnecting")
        self._state = "closing"
        self._disarm_stall()
        for task in list(self._background):
            task.cancel()  # a reconnect in progress stops here and releases its half-open connection
        conv = self._conv
        self._generation += 1  # the close callback of our own shutdown is not a failure
        if conv is not None and was_open:
            timeout = self.settings.finish_timeout_seconds
            try:
                await asyncio.wait_for(asyncio.to_thread(conv.end_session, max(1, round(timeout))), timeout + 1.0)
            except (TimeoutError, RuntimeError, ConnectionError, OSError) as exc:
                log.warning("qwen session.finish failed", extra={"error": str(exc), "session": self._session_id})
        if conv is not None:
            await asyncio.to_thread(_close_quietly, conv, self._raw)
        self._state = "closed"
        self._events.put_nowait(None)

    # ---- input ----

    def send_audio(self, pcm16_16k: bytes) -> None:
        """Forward 16 kHz mono PCM16 (any chunk size; 20 to 100 ms is typical)."""
        if not pcm16_16k or self._state not in ("open", "reconnecting"):
            return
        self._keep_pending_audio(pcm16_16k)
        if self._state == "reconnecting":
            self._held_bytes += len(pcm16_16k)  # replayed into the new connection
            return
        conv = self._conv
        if conv is not None and not self._send(conv.append_audio, base64.b64encode(pcm16_16k).decode("ascii")):
            self._held_bytes += len(pcm16_16k)  # the socket died under it: replayed if we reconnect

    def commit(self) -> None:
        """End the user's turn now (push-to-talk release) instead of waiting for the server's VAD."""
        if self._conv is not None and self._state == "open":
            self._awaiting_answer = True
            # With server VAD the service answers a commit itself (function-calling models); the gateway's
            # own flow answers the others once the transcript arrives.
            if self._send(self._conv.commit):
                self._arm_stall()

    def send_text(self, text: str) -> None:
        """Typed user input as a conversation item, answered by the model (function-calling models)."""
        if self._conv is None or self._state != "open":
            return
        item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
        self._awaiting_answer = True
        self._pending_transcript = text
        self._history.append(("user", text))
        if self._send(self._conv.create_item, item):
            self._send(self._conv.create_response)
            self._arm_stall()

    def speak(self, text: str) -> None:
        """Have the model say `text` (the reply the gateway's own action flow produced)."""
        if self._conv is None or self._state != "open":
            return
        self._send(self._conv.create_response, speak_exactly(text))
        self._arm_stall()

    def submit_function_result(self, call_id: str, output: str) -> None:
        """Return a tool's result (function_call_output) and let the model answer with it."""
        if self._conv is None or self._state != "open":
            return
        item = {"type": "function_call_output", "call_id": call_id, "output": output}
        if self._send(self._conv.create_item, item):
            self._pending_call = None
            self._send(self._conv.create_response)
            self._arm_stall()

    def cancel_response(self) -> Interrupted | None:
        """Stop the reply now (client interrupt); its remaining audio is dropped. Returns what was said."""
        interrupted = self._interrupt()
        if interrupted is not None:
            self._events.put_nowait(interrupted)
        return interrupted

    # ---- connection ----

    async def _connect(self, reconnected: bool) -> SessionReady:
        loop = self._require_loop()
        if not self.settings.api_key:
            raise QwenEngineError(EngineFailure(FailureKind.CONNECT_FAILED, "DASHSCOPE_API_KEY is not set"))
        self._generation += 1
        generation = self._generation
        self._created, self._updated = loop.create_future(), loop.create_future()
        self._socket_closed = loop.create_future()
        conv = self._factory(
            model=self.settings.model,
            callback=_Bridge(loop, self._deliver, generation),
            url=self.settings.endpoint,
            api_key=self.settings.api_key,
        )
        self._conv = conv
        connect = asyncio.ensure_future(asyncio.to_thread(conv.connect))
        # The SDK polls for up to 5 s even when the socket already failed; its close callback ends the wait early.
        connect.add_done_callback(_consume_exception)
        try:
            done, _ = await asyncio.wait(
                {connect, self._socket_closed}, timeout=6.0, return_when=asyncio.FIRST_COMPLETED
            )
            if connect not in done or connect.exception() is not None:
                reason = connect.exception() if connect in done else "the connection closed during the handshake"
                raise QwenEngineError(
                    EngineFailure(FailureKind.CONNECT_FAILED, f"cannot connect to {self.settings.endpoint}: {reason}")
                )
            self._raw = _raw_socket(conv)
            timeout = self.settings.handshake_timeout_seconds
            await self._await_handshake(self._created, timeout, "session.created")
            self._send_session_update(conv)
            await self._await_handshake(self._updated, timeout, "session.updated")
        except QwenEngineError:
            self._generation += 1
            await asyncio.to_thread(_close_quietly, conv, _raw_socket(conv), 0.0)
            raise
        except asyncio.CancelledError:
            # Closed while connecting: the SDK's connect thread may still open the socket; release it then.
            self._generation += 1
            threading.Thread(target=_close_quietly, args=(conv, None, 6.0), daemon=True).start()
            raise
        self._started_at = time.monotonic()
        return SessionReady(self._session_id, self.settings.model, self.function_calling, reconnected)

    async def _await_handshake(self, future: asyncio.Future[None], wait_s: float, what: str) -> None:
        assert self._socket_closed is not None
        done, _ = await asyncio.wait({future, self._socket_closed}, timeout=wait_s,
                                     return_when=asyncio.FIRST_COMPLETED)
        if future in done:
            future.result()  # raises QwenEngineError when the server answered with an error
            return
        reason = "the connection closed" if done else f"no {what} within {wait_s:g}s"
        raise QwenEngineError(EngineFailure(FailureKind.CONNECT_FAILED, f"handshake failed: {reason}"))

    def _send_session_update(self, conv: OmniRealtimeConversation) -> None:
        s = self.settings
        instructions = s.instructions + (TOOL_INSTRUCTIONS if self._tools else "")
        extra: dict[str, Any] = {"instructions": with_history(instructions, list(self._history))}
        if self._tools:
            extra["tools"] = self._tools
        conv.update_session(
            output_modalities=[MultiModality.AUDIO, MultiModality.TEXT],
            voice=s.voice or self.capabilities.default_voice,
            enable_input_audio_transcription=True,
            enable_turn_detection=True,
            turn_detection_type="server_vad",
            prefix_padding_ms=s.vad_prefix_padding_ms,
            turn_detection_threshold=s.vad_threshold,
            turn_detection_silence_duration_ms=s.vad_silence_ms,
            # Without function calling the gateway answers through its own action flow, so the
            # server must not answer by itself; barge-in stays on for both.
            turn_detection_param={"create_response": self.function_calling, "interrupt_response": True},
            **extra,
        )

    async def _reconnect(self) -> None:
        """Replace the connection at a quiet moment (session-length limit) without the gateway noticing."""
        self._state = "reconnecting"
        old, old_raw = self._conv, self._raw
        self._generation += 1
        if old is not None:
            with contextlib.suppress(RuntimeError, ConnectionError, OSError):
                old.end_session_async()
            await asyncio.to_thread(_close_quietly, old, old_raw, 0.2)
        try:
            ready = await self._connect(reconnected=True)
        except QwenEngineError as exc:
            if self._state == "reconnecting":  # not closed meanwhile
                self._fail(exc.failure.kind, f"reconnect failed: {exc.failure.message}")
            return
        if self._state != "reconnecting":
            return  # closed meanwhile
        self._state = "open"
        self._replay_audio()
        log.info("qwen session reconnected", extra={"session": self._session_id})
        self._events.put_nowait(ready)

    def _replay_audio(self) -> None:
        """Send the latest input audio again: what the old connection had not turned into a transcript yet,
        and what arrived while reconnecting (at least that much)."""
        held, self._held_bytes = self._held_bytes, 0
        keep = max(held, int(self.settings.reconnect_replay_seconds * INPUT_SAMPLE_RATE) * 2)
        replay = bytes(self._pending_audio[-keep:]) if keep else b""
        step = INPUT_SAMPLE_RATE // 10 * 2  # 100 ms per append, like a live stream
        for start in range(0, len(replay), step):
            if self._conv is None or self._state != "open":
                return
            self._send(self._conv.append_audio, base64.b64encode(replay[start:start + step]).decode("ascii"))

    def _schedule_reconnect(self) -> None:
        task = asyncio.ensure_future(self._reconnect())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ---- SDK events (on the loop) ----

    def _deliver(self, generation: int, kind: str, payload: Any) -> None:
        if generation != self._generation:
            return
        if kind == "close":
            self._on_socket_closed(payload)
        elif isinstance(payload, dict):
            self._on_event(payload)

    def _on_socket_closed(self, payload: Any) -> None:
        if self._socket_closed is not None and not self._socket_closed.done():
            self._socket_closed.set_result(None)
        self._connection_broken(f"the realtime connection closed: {payload}")

    def _connection_broken(self, reason: str) -> None:
        if self._state != "open":
            return
        if self._is_quiet():
            # Nothing in flight (e.g. the service's session-length limit): carry on on a new connection;
            # input meanwhile is held and replayed.
            log.info("qwen connection lost while idle; reconnecting", extra={"reason": reason})
            self._state = "reconnecting"
            self._schedule_reconnect()
            return
        self._fail(FailureKind.CONNECTION_LOST, f"{reason} (mid-turn)")

    def _on_event(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type", "")
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, msg)

    def _on_session_created(self, msg: dict[str, Any]) -> None:
        self._session_id = str((msg.get("session") or {}).get("id", ""))
        if self._created is not None and not self._created.done():
            self._created.set_result(None)

    def _on_session_updated(self, msg: dict[str, Any]) -> None:
        if self._updated is not None and not self._updated.done():
            self._updated.set_result(None)

    def _on_speech_started(self, msg: dict[str, Any]) -> None:
        self._user_speaking = True
        self._disarm_stall()
        interrupted = self._interrupt()
        self._events.put_nowait(
            SpeechStarted(str(msg.get("item_id", "")), interrupted.response_id if interrupted else None)
        )
        if interrupted is not None:
            self._events.put_nowait(interrupted)

    def _on_speech_stopped(self, msg: dict[str, Any]) -> None:
        self._user_speaking = False
        self._awaiting_answer = True
        self._arm_stall()  # a transcript (and, with auto-response, a reply) must follow
        self._events.put_nowait(SpeechStopped(str(msg.get("item_id", ""))))

    def _on_transcription(self, msg: dict[str, Any]) -> None:
        text = str(msg.get("transcript", "")).strip()
        if self._awaiting_answer and text:
            # Only an unanswered turn is pending; the transcript can arrive after the reply already played.
            self._pending_transcript = text
        self._pending_audio.clear()
        if text:
            self._history.append(("user", text))
        if not self.function_calling:
            self._disarm_stall()  # the gateway's action flow answers now, then speak() re-arms
        self._events.put_nowait(UserTranscript(str(msg.get("item_id", "")), text))

    def _on_response_created(self, msg: dict[str, Any]) -> None:
        response_id = str((msg.get("response") or {}).get("id", ""))
        self._active_response = response_id
        self._response_text = []
        self._response_output = False
        self._events.put_nowait(ResponseStarted(response_id))

    def _response_id(self, msg: dict[str, Any]) -> str:
        return str(msg.get("response_id") or self._active_response or "")

    def _on_transcript_delta(self, msg: dict[str, Any]) -> None:
        response_id = self._response_id(msg)
        if response_id in self._suppressed:
            return
        delta = str(msg.get("delta", ""))
        self._response_text.append(delta)
        self._events.put_nowait(AssistantTranscriptDelta(response_id, delta))

    def _on_audio_delta(self, msg: dict[str, Any]) -> None:
        response_id = self._response_id(msg)
        if response_id in self._suppressed:
            return  # barge-in: whatever the server still sends of this reply is never played
        try:
            pcm = base64.b64decode(msg.get("delta", ""), validate=True)
        except (binascii.Error, ValueError):
            log.warning("qwen sent undecodable audio", extra={"session": self._session_id})
            return
        self._response_output = True
        self._disarm_stall()
        self._events.put_nowait(AudioDelta(response_id, pcm))

    def _on_function_call(self, msg: dict[str, Any]) -> None:
        response_id = self._response_id(msg)
        if response_id in self._suppressed:
            return  # the user interrupted the response that wanted this call
        raw = msg.get("arguments") or "{}"
        try:
            arguments = json.loads(raw) if isinstance(raw, str) else dict(raw)
        except json.JSONDecodeError:
            arguments = {"_unparsed": raw}
        if not isinstance(arguments, dict):
            arguments = {"_value": arguments}
        call = FunctionCall(str(msg.get("call_id", "")), str(msg.get("name", "")), arguments, response_id)
        self._pending_call = call
        self._disarm_stall()  # the gateway is executing; submit_function_result re-arms
        self._events.put_nowait(call)

    def _on_response_done(self, msg: dict[str, Any]) -> None:
        response = msg.get("response") or {}
        response_id = str(response.get("id") or self._active_response or "")
        status = str(response.get("status", "completed"))
        if response_id == self._active_response:
            self._active_response = None
        text = "".join(self._response_text)
        if response_id in self._suppressed:
            self._suppressed.discard(response_id)
            self._events.put_nowait(ResponseDone(response_id, "cancelled", text))
            return
        if status == "completed" and (self._response_output or text):
            # The user's turn has its answer: nothing is pending for a fallback any more.
            self._pending_transcript = None
            self._awaiting_answer = False
            self._disarm_stall()
            if text:
                self._history.append(("assistant", text))
        self._events.put_nowait(ResponseDone(response_id, status, text))
        if time.monotonic() - self._started_at >= self.settings.max_session_seconds and self._is_quiet():
            self._schedule_reconnect()

    def _on_error(self, msg: dict[str, Any]) -> None:
        error = msg.get("error") or {}
        code = str(error.get("code", ""))
        message = str(error.get("message", "error"))
        failure = EngineFailure(FailureKind.SERVER_ERROR, message, code=code, details=dict(error))
        for future in (self._created, self._updated):
            if future is not None and not future.done():
                future.set_exception(QwenEngineError(failure))
                return
        if code in BENIGN_ERROR_CODES:
            log.info("qwen benign error", extra={"code": code, "msg_text": message})
            return
        self._fail(FailureKind.SERVER_ERROR, message, code=code, details=dict(error))

    # ---- turn bookkeeping ----

    def _interrupt(self) -> Interrupted | None:
        response_id = self._active_response
        if response_id is None or response_id in self._suppressed:
            return None
        self._suppressed.add(response_id)
        self._disarm_stall()
        if self._conv is not None and self._state == "open":
            self._send(self._conv.cancel_response)
        spoken = "".join(self._response_text)
        if spoken:
            self._history.append(("assistant", spoken + " (interrupted)"))
        return Interrupted(response_id, spoken)

    def _is_quiet(self) -> bool:
        return (
            self._active_response is None
            and not self._user_speaking
            and self._pending_call is None
            and self._pending_transcript is None
            and not self._awaiting_answer
            and self._stall is None
        )

    def _keep_pending_audio(self, pcm: bytes) -> None:
        self._pending_audio += pcm
        limit = int(self.settings.pending_audio_seconds * INPUT_SAMPLE_RATE) * 2
        if len(self._pending_audio) > limit:
            del self._pending_audio[: len(self._pending_audio) - limit]

    def _arm_stall(self) -> None:
        self._disarm_stall()
        self._stall = self._require_loop().call_later(self.settings.stall_timeout_seconds, self._on_stall)

    def _disarm_stall(self) -> None:
        if self._stall is not None:
            self._stall.cancel()
            self._stall = None

    def _on_stall(self) -> None:
        self._stall = None
        self._fail(FailureKind.STALLED, f"no reply within {self.settings.stall_timeout_seconds:g}s")

    def _send(self, fn: Callable[..., None], *args: Any) -> bool:
        try:
            fn(*args)
        except Exception as exc:  # the SDK raises ConnectionError, websocket-client its own exception types
            self._generation += 1  # this connection is done; its close callback changes nothing more
            self._connection_broken(f"send failed: {exc}")
            return False
        return True

    def _fail(self, kind: FailureKind, message: str, code: str = "", details: dict[str, Any] | None = None) -> None:
        if self._state not in ("open", "reconnecting"):
            return
        self._state = "failed"
        self._disarm_stall()
        self._generation += 1
        failure = EngineFailure(
            kind,
            message,
            pending_user_transcript=self._pending_transcript,
            pending_audio=bytes(self._pending_audio),
            pending_function_call=self._pending_call,
            code=code,
            details=details or {},
        )
        log.warning("qwen engine failure", extra={"kind": str(kind), "reason": message, "session": self._session_id})
        self._events.put_nowait(failure)
        self._events.put_nowait(None)
        conv = self._conv
        if conv is not None:
            task = asyncio.ensure_future(asyncio.to_thread(_close_quietly, conv, self._raw, 0.2))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def _require_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("QwenRealtimeSession.start() was not called")
        return self._loop


def _raw_socket(conv: OmniRealtimeConversation) -> socket.socket | None:
    raw = getattr(getattr(conv.ws, "sock", None), "sock", None)
    return raw if isinstance(raw, socket.socket) else None


def _close_quietly(conv: OmniRealtimeConversation, raw: socket.socket | None = None, join_s: float = 1.0) -> None:
    """Release a connection for good without racing the SDK thread: wait for its own teardown (the server closes
    after session.finished), else shut the socket down under it so its read ends and it tears down, then close
    the descriptor (websocket-client can skip that when two closes race, leaving the socket in CLOSE-WAIT)."""
    thread = getattr(conv, "thread", None)
    alive = thread is not None and thread is not threading.current_thread() and thread.is_alive()
    if alive and join_s > 0:
        thread.join(join_s)  # type: ignore[union-attr]
    raw = raw or _raw_socket(conv)
    if conv.ws is not None:
        conv.ws.keep_running = False
    if raw is not None:
        with contextlib.suppress(OSError):
            raw.shutdown(socket.SHUT_RDWR)
    if alive:
        thread.join(1.0)  # type: ignore[union-attr]
    if raw is not None:
        with contextlib.suppress(OSError):
            raw.close()


def _consume_exception(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


_HANDLERS: dict[str, Callable[[QwenRealtimeSession, dict[str, Any]], None]] = {
    "session.created": QwenRealtimeSession._on_session_created,
    "session.updated": QwenRealtimeSession._on_session_updated,
    "input_audio_buffer.speech_started": QwenRealtimeSession._on_speech_started,
    "input_audio_buffer.speech_stopped": QwenRealtimeSession._on_speech_stopped,
    "conversation.item.input_audio_transcription.completed": QwenRealtimeSession._on_transcription,
    "response.created": QwenRealtimeSession._on_response_created,
    "response.audio_transcript.delta": QwenRealtimeSession._on_transcript_delta,
    "response.audio.delta": QwenRealtimeSession._on_audio_delta,
    "response.function_call_arguments.done": QwenRealtimeSession._on_function_call,
    "response.done": QwenRealtimeSession._on_response_done,
    "error": QwenRealtimeSession._on_error,
}
