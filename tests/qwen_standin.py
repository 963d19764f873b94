"""A loopback stand-in for the Qwen-Omni realtime service, for offline tests and benchmarks.

It speaks the realtime WebSocket protocol (JSON events, see ../shared/notes/qwen-omni-realtime.md)
well enough for the real dashscope SDK to hold a conversation with it: session.created on connect,
session.update → session.updated, a small energy VAD over the appended 16 kHz audio (speech_started,
then speech_stopped after the configured silence), the user transcript taken from a per-test script,
then a spoken reply (24 kHz PCM tone + transcript deltas) or a function call. It honours
response.cancel, function_call_output + response.create, "say exactly" instructions, and
session.finish; and it fails on demand (error event, dropped socket, stall, refused handshake).

It runs on its own thread and event loop, as a remote service would, so the client's loop is not
shared with the server's.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import websockets
from websockets.asyncio.server import Server, ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

OUTPUT_RATE = 24000
SPEECH_RMS = 300.0  # PCM16 RMS above which a chunk counts as speech

Failure = Literal["error", "drop", "stall", "drop_in_speech"]


@dataclass
class Reply:
    text: str = "Sure, happy to help!"
    audio_ms: int = 400
    chunk_ms: int = 100
    # Pause between audio deltas: 0 sends as fast as possible; >0 paces like a real stream.
    pace_s: float = 0.0


@dataclass
class Call:
    name: str
    arguments: dict[str, Any]
    call_id: str = field(default_factory=lambda: "call_" + uuid.uuid4().hex[:12])


@dataclass
class Turn:
    """What the stand-in "hears" for one user utterance and how it answers."""

    transcript: str
    reply: Reply | None = None
    call: Call | None = None
    fail: Failure | None = None
    # Send the transcription after the reply (the real service transcribes asynchronously).
    late_transcript: bool = False


@dataclass
class ConnectionLog:
    path: str
    headers: dict[str, str]
    received: list[dict[str, Any]] = field(default_factory=list)
    session: dict[str, Any] = field(default_factory=dict)


def tone(ms: int, freq: float = 440.0, rate: int = OUTPUT_RATE) -> bytes:
    n = rate * ms // 1000
    t = np.arange(n) / rate
    return (np.sin(2 * math.pi * freq * t) * 8000).astype("<i2").tobytes()


class QwenStandIn:
    def __init__(self) -> None:
        self.script: list[Turn] = []
        # Reply to response.create after a function_call_output: speak the output's "say" field.
        self.tool_reply = Reply(text="")
        self.refuse_handshake = False
        self.answer_finish = True
        self.silence_update = False  # never answer session.update
        # Audio deltas still sent after a response.cancel arrives (in flight, as over a real network).
        self.deltas_after_cancel = 0
        # Close the socket (as the service does at its session-length limit) after this many replies.
        self.close_after_responses: int | None = None
        self.close_delay_s = 0.0
        self.connections: list[ConnectionLog] = []
        # (event type, perf_counter_ns at send) of every server event, for the latency benchmark.
        self.sent: list[tuple[str, int]] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Server | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None

    # ---- lifecycle (called from the test's thread) ----

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api-ws/v1/realtime"

    def start(self) -> QwenStandIn:
        self._thread = threading.Thread(target=self._run, name="qwen-standin", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("stand-in did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> QwenStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def received(self, event_type: str | None = None) -> list[dict[str, Any]]:
        events = [e for c in self.connections for e in c.received]
        return [e for e in events if event_type is None or e.get("type") == event_type]

    async def wait_for(self, predicate: Callable[[], bool], within_s: float = 5.0) -> None:
        deadline = time.monotonic() + within_s
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("stand-in condition not reached in time")
            await asyncio.sleep(0.01)

    # ---- server (its own thread and loop) ----

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with websockets.serve(self._handle, "127.0.0.1", 0, process_request=self._process_request,
                                    max_size=None, ping_interval=None) as server:
            self._server = server
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stop.wait()
            server.close(close_connections=True)

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if self.refuse_handshake:
            return connection.respond(401, "invalid api key\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        request = ws.request
        headers = request.headers if request is not None else Headers()
        log = ConnectionLog(path=request.path if request is not None else "", headers=dict(headers.raw_items()))
        self.connections.append(log)
        conn = _Conversation(self, ws, log)
        await conn.run()


class _Conversation:
    """One client connection: the VAD, the script cursor and the response in flight."""

    def __init__(self, standin: QwenStandIn, ws: ServerConnection, log: ConnectionLog) -> None:
        self.standin = standin
        self.ws = ws
        self.log = log
        self.session: dict[str, Any] = {"id": "sess_" + uuid.uuid4().hex[:16]}
        self.speaking = False
        self.silence_ms = 0.0
        self.audio_ms = 0.0
        self.item_id = ""
        self.response_task: asyncio.Task[None] | None = None
        self.cancel = asyncio.Event()
        self.responses_done = 0
        self.pending_turn: Turn | None = None
        self.late_transcript: dict[str, Any] | None = None
        self.closing = False

    async def send(self, event: dict[str, Any]) -> None:
        event.setdefault("event_id", "event_" + uuid.uuid4().hex[:16])
        self.standin.sent.append((event["type"], time.perf_counter_ns()))
        await self.ws.send(json.dumps(event))

    async def drop(self) -> None:
        # An abrupt TCP reset, no close frame: what a network failure looks like to the client. The short
        # pause lets the client read what was sent before, which a reset could otherwise discard.
        await asyncio.sleep(0.05)
        self.ws.transport.abort()

    async def run(self) -> None:
        await self.send({"type": "session.created", "session": dict(self.session)})
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self.ws:
                event = json.loads(raw)
                kind = event.get("type", "")
                if kind == "input_audio_buffer.append":
                    self.log.received.append({"type": kind, "bytes": len(base64.b64decode(event["audio"]))})
                else:
                    self.log.received.append(event)
                if not await self.on_client_event(kind, event):
                    break
        if self.response_task is not None:
            self.response_task.cancel()

    async def on_client_event(self, kind: str, event: dict[str, Any]) -> bool:
        if kind == "session.update":
            self.session.update(event.get("session") or {})
            self.log.session = dict(self.session)
            if not self.standin.silence_update:
                await self.send({"type": "session.updated", "session": dict(self.session)})
        elif kind == "input_audio_buffer.append":
            if not self.closing:  # a closing service hears nothing more
                await self.on_audio(base64.b64decode(event["audio"]))
        elif kind == "input_audio_buffer.commit":
            if self.speaking or self.audio_ms > 0:
                await self.end_of_speech()
        elif kind == "input_audio_buffer.clear":
            self.audio_ms = 0.0
        elif kind == "response.cancel":
            self.cancel.set()
        elif kind == "conversation.item.create":
            pass  # recorded above; the next response.create reads it
        elif kind == "response.create":
            await self.on_response_create(event.get("response") or {})
        elif kind == "session.finish":
            if self.standin.answer_finish:
                await self.send({"type": "session.finished"})
                await self.ws.close()
            return False
        return True

    # ---- VAD ----

    def turn_detection(self) -> dict[str, Any]:
        return self.session.get("turn_detection") or {}

    async def on_audio(self, pcm: bytes) -> None:
        samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64)
        chunk_ms = len(samples) / 16.0
        loud = samples.size > 0 and float(np.sqrt(np.mean(samples**2))) > SPEECH_RMS
        self.audio_ms += chunk_ms
        if loud:
            self.silence_ms = 0.0
            if not self.speaking:
                self.speaking = True
                self.item_id = "item_" + uuid.uuid4().hex[:12]
                await self.send({"type": "input_audio_buffer.speech_started", "audio_start_ms": int(self.audio_ms),
                                 "item_id": self.item_id})
                turn = self.next_turn()
                if turn is not None and turn.fail == "drop_in_speech":
                    await self.drop()
        elif self.speaking:
            self.silence_ms += chunk_ms
            if self.silence_ms >= float(self.turn_detection().get("silence_duration_ms", 800)):
                await self.end_of_speech()

    def next_turn(self) -> Turn | None:
        if self.pending_turn is None and self.standin.script:
            self.pending_turn = self.standin.script.pop(0)
        return self.pending_turn

    async def end_of_speech(self) -> None:
        self.speaking = False
        self.silence_ms = 0.0
        turn = self.next_turn()
        self.pending_turn = None
        item = self.item_id or "item_" + uuid.uuid4().hex[:12]
        await self.send({"type": "input_audio_buffer.speech_stopped", "audio_end_ms": int(self.audio_ms),
                         "item_id": item})
        await self.send({"type": "input_audio_buffer.committed", "item_id": item})
        await self.send({"type": "conversation.item.created",
                         "item": {"id": item, "type": "message", "role": "user", "content": []}})
        transcript = turn.transcript if turn is not None else ""
        completed = {"type": "conversation.item.input_audio_transcription.completed", "item_id": item,
                     "content_index": 0, "transcript": transcript}
        if turn is not None and turn.late_transcript:
            self.late_transcript = completed
        else:
            await self.send(completed)
        if turn is not None and turn.fail in ("error", "drop", "stall"):
            await self.fail(turn.fail)
            return
        if self.turn_detection().get("create_response", True) and turn is not None:
            if turn.call is not None:
                self.start_response(self.function_call(turn.call))
            else:
                self.start_response(self.spoken(turn.reply or Reply()))

    async def fail(self, how: Failure) -> None:
        if how == "error":
            await self.send({"type": "error", "error": {"type": "server_error", "code": "internal_error",
                                                        "message": "scripted failure", "param": None}})
        elif how == "drop":
            await self.drop()
        elif how == "stall":
            await self.send({"type": "response.created", "response": {"id": "resp_stalled", "status": "in_progress"}})

    # ---- responses ----

    async def on_response_create(self, response: dict[str, Any]) -> None:
        instructions = str(response.get("instructions") or "")
        if "say exactly" in instructions.lower():
            # speak_exactly() puts the text after the first colon.
            self.start_response(self.spoken(Reply(text=instructions.split(":", 1)[1].strip())))
            return
        outputs = [e for e in self.log.received if e.get("type") == "conversation.item.create"
                   and (e.get("item") or {}).get("type") == "function_call_output"]
        say = "Done."
        if outputs:
            with contextlib.suppress(json.JSONDecodeError, AttributeError):
                say = json.loads(outputs[-1]["item"]["output"]).get("say") or say
        reply = self.standin.tool_reply
        self.start_response(self.spoken(Reply(text=say, audio_ms=reply.audio_ms, chunk_ms=reply.chunk_ms,
                                              pace_s=reply.pace_s)))

    def start_response(self, coro: Any) -> None:
        self.cancel = asyncio.Event()
        self.response_task = asyncio.ensure_future(coro)

    async def spoken(self, reply: Reply) -> None:
        response_id = "resp_" + uuid.uuid4().hex[:12]
        item_id = "item_" + uuid.uuid4().hex[:12]
        ids = {"response_id": response_id, "item_id": item_id, "output_index": 0, "content_index": 0}
        await self.send({"type": "response.created", "response": {"id": response_id, "status": "in_progress"}})
        await self.send({"type": "response.output_item.added", "response_id": response_id, "output_index": 0,
                         "item": {"id": item_id, "type": "message", "role": "assistant"}})
        await self.send({"type": "response.content_part.added", **ids, "part": {"type": "audio"}})
        chunks = max(1, reply.audio_ms // reply.chunk_ms)
        words = reply.text.split(" ")
        per_chunk = max(1, math.ceil(len(words) / chunks))
        audio = tone(reply.chunk_ms)
        for i in range(chunks):
            if self.cancel.is_set():
                for _ in range(self.standin.deltas_after_cancel):
                    await self.send({"type": "response.audio.delta", **ids, "delta": base64.b64encode(audio).decode()})
                await self.send({"type": "response.done", "response": {"id": response_id, "status": "cancelled"}})
                return
            part = " ".join(words[i * per_chunk:(i + 1) * per_chunk])
            if part:
                await self.send({"type": "response.audio_transcript.delta", **ids,
                                 "delta": part + (" " if (i + 1) * per_chunk < len(words) else "")})
            await self.send({"type": "response.audio.delta", **ids, "delta": base64.b64encode(audio).decode()})
            await asyncio.sleep(reply.pace_s)
        await self.send({"type": "response.audio.done", **ids})
        await self.send({"type": "response.audio_transcript.done", **ids, "transcript": reply.text})
        await self.send({"type": "response.output_item.done", "response_id": response_id, "output_index": 0,
                         "item": {"id": item_id, "type": "message", "status": "completed"}})
        await self.send({"type": "response.done", "response": {"id": response_id, "status": "completed"}})
        if self.late_transcript is not None:
            late, self.late_transcript = self.late_transcript, None
            await self.send(late)
        await self.after_response()

    async def function_call(self, call: Call) -> None:
        response_id = "resp_" + uuid.uuid4().hex[:12]
        item_id = "item_" + uuid.uuid4().hex[:12]
        arguments = json.dumps(call.arguments)
        await self.send({"type": "response.created", "response": {"id": response_id, "status": "in_progress"}})
        await self.send({"type": "response.output_item.added", "response_id": response_id, "output_index": 0,
                         "item": {"id": item_id, "type": "function_call", "call_id": call.call_id,
                                  "name": call.name}})
        await self.send({"type": "response.function_call_arguments.delta", "response_id": response_id,
                         "item_id": item_id, "call_id": call.call_id, "delta": arguments})
        await self.send({"type": "response.function_call_arguments.done", "response_id": response_id,
                         "item_id": item_id, "output_index": 0, "call_id": call.call_id, "name": call.name,
                         "arguments": arguments})
        await self.send({"type": "response.output_item.done", "response_id": response_id, "output_index": 0,
                         "item": {"id": item_id, "type": "function_call", "status": "completed"}})
        await self.send({"type": "response.done", "response": {"id": response_id, "status": "completed"}})

    async def after_response(self) -> None:
        self.responses_done += 1
        limit = self.standin.close_after_responses
        if limit is not None and self.responses_done >= limit:
            self.closing = True
            await asyncio.sleep(self.standin.close_delay_s)
            await self.ws.close(1000, "session duration limit reached")
