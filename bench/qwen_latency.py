"""Added latency of the Qwen engine layer, per event, against the loopback stand-in service.

For every server event the stand-in sends, the time from its send to:
  sdk      the SDK's callback on its WebSocket thread (network + websocket-client + JSON: not ours),
  session  the typed event out of QwenRealtimeSession.events() (thread hand-off + our handling),
  gateway  the luna.voice.v1.ServerEvent out of QwenConversation.outputs() (what Converse sends on).
"ours" is gateway - sdk: what this layer adds on top of the SDK. Target: p50 <= 5 ms.

Usage: .venv/bin/python -m bench.qwen_latency [--turns 40] [--chunks 10] [--pace-ms 10]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import platform
import statistics
import time
from collections import defaultdict
from typing import Any

import grpc
from dashscope.audio.qwen_omni import OmniRealtimeCallback, OmniRealtimeConversation
from luna.action.v1 import action_pb2, action_pb2_grpc
from luna.voice.v1 import voice_pb2

from gateway.speech.qwen.conversation import QwenConversation, SessionContext
from gateway.speech.qwen.events import (
    AssistantTranscriptDelta,
    AudioDelta,
    ResponseDone,
    SpeechStarted,
    UserTranscript,
)
from gateway.speech.qwen.session import QwenRealtimeSession
from tests.qwen_helpers import qwen_settings, utterance
from tests.qwen_standin import QwenStandIn, Reply, Turn

# stand-in event type → the typed session event and the ServerEvent it becomes.
SESSION_EVENT = {
    "input_audio_buffer.speech_started": SpeechStarted,
    "conversation.item.input_audio_transcription.completed": UserTranscript,
    "response.audio_transcript.delta": AssistantTranscriptDelta,
    "response.audio.delta": AudioDelta,
    "response.done": ResponseDone,
}


def gateway_kind(event: voice_pb2.ServerEvent) -> str | None:
    which = event.WhichOneof("event")
    if which == "audio_chunk":
        return "response.done" if event.audio_chunk.is_final else "response.audio.delta"
    if which == "transcript":
        t = event.transcript
        if t.role == voice_pb2.ROLE_USER:
            return "conversation.item.input_audio_transcription.completed"
        return None if t.is_final else "response.audio_transcript.delta"
    if which == "status" and event.status.state == voice_pb2.SESSION_STATE_LISTENING:
        return "input_audio_buffer.speech_started"  # ignored below after a reply (also sent at its end)
    return None


class Tap(OmniRealtimeCallback):
    """Records when the SDK hands each event to its callback, then passes it on."""

    def __init__(self, inner: OmniRealtimeCallback, log: dict[str, list[int]]) -> None:
        self.inner = inner
        self.log = log

    def on_event(self, message: Any) -> None:
        self.log[message.get("type", "")].append(time.perf_counter_ns())
        self.inner.on_event(message)

    def on_close(self, code: Any, msg: Any) -> None:
        self.inner.on_close(code, msg)


class TimedSession(QwenRealtimeSession):
    """Stamps each typed event when the consumer (the conversation) receives it."""

    def __init__(self, *args: Any, log: dict[type, list[int]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log = log

    async def events(self) -> Any:
        async for event in super().events():
            self.log[type(event)].append(time.perf_counter_ns())
            yield event


class NoTools(action_pb2_grpc.ActionServiceServicer):
    async def ListTools(self, request: Any, context: Any) -> action_pb2.ListToolsResponse:
        return action_pb2.ListToolsResponse()


def serve_standin(script: list[Turn], port_out: Any, stop: Any, sent_out: Any) -> None:
    """The stand-in in its own process, like the remote service: its work does not hold our GIL.
    perf_counter is CLOCK_MONOTONIC on Linux, so its send stamps compare with ours."""
    standin = QwenStandIn()
    standin.script = script
    standin.start()
    port_out.put(standin.port)
    stop.wait()
    sent_out.put(standin.sent)
    standin.stop()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(turns: int, chunks: int, pace_ms: float, warmup: int) -> None:
    sdk_log: dict[str, list[int]] = defaultdict(list)
    session_log: dict[type, list[int]] = defaultdict(list)
    gateway_log: dict[str, list[int]] = defaultdict(list)

    def factory(**kwargs: Any) -> OmniRealtimeConversation:
        kwargs["callback"] = Tap(kwargs["callback"], sdk_log)
        return OmniRealtimeConversation(**kwargs)

    server = grpc.aio.server()
    action_pb2_grpc.add_ActionServiceServicer_to_server(NoTools(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    script = [Turn(f"turn {i} book a table", reply=Reply(text=" ".join(["word"] * chunks), audio_ms=100 * chunks,
                                                         pace_s=pace_ms / 1000))
              for i in range(turns + warmup)]
    ctx = multiprocessing.get_context("spawn")
    port_q, sent_q, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    child = ctx.Process(target=serve_standin, args=(script, port_q, stop, sent_q), daemon=True)
    child.start()
    port = await asyncio.to_thread(port_q.get, True, 30)
    session = TimedSession(qwen_settings(f"ws://127.0.0.1:{port}/api-ws/v1/realtime"), factory, log=session_log)
    conversation = QwenConversation(session, action_pb2_grpc.ActionServiceStub(channel), SessionContext("bench", 1))
    await conversation.start()
    outputs = conversation.outputs()
    for _ in range(turns + warmup):
        for chunk in utterance():
            conversation.send_audio(chunk)
        async for event in outputs:
            kind = gateway_kind(event) if isinstance(event, voice_pb2.ServerEvent) else None
            if kind is not None:
                gateway_log[kind].append(time.perf_counter_ns())
            if kind == "response.done":
                break
    await conversation.close()
    stop.set()
    standin_sent: list[tuple[str, int]] = await asyncio.to_thread(sent_q.get, True, 30)
    child.join(10)
    await channel.close()
    await server.stop(None)

    sent: dict[str, list[int]] = defaultdict(list)
    for kind, at in standin_sent:
        sent[kind].append(at)
    # One LISTENING status per speech_started and one at each reply's end: keep the first of each turn.
    gateway_log["input_audio_buffer.speech_started"] = gateway_log["input_audio_buffer.speech_started"][::2]

    print(f"Qwen engine added latency vs the loopback stand-in: {turns} turns (+{warmup} warm-up), "
          f"{chunks} audio deltas per reply paced {pace_ms:g} ms; python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"{'event':58} {'n':>5} {'sdk p50':>8} {'ours p50':>9} {'ours p95':>9} {'total p50':>10} {'total p95':>10}")
    all_ours: list[float] = []
    for kind, typed in SESSION_EVENT.items():
        per_turn = len(sent[kind]) // (turns + warmup)
        skip = warmup * per_turn
        n = min(len(sent[kind]), len(sdk_log[kind]), len(session_log[typed]), len(gateway_log[kind]))
        rows = range(skip, n)
        if not rows:
            continue
        sdk = [(sdk_log[kind][i] - sent[kind][i]) / 1e6 for i in rows]
        ours = [(gateway_log[kind][i] - sdk_log[kind][i]) / 1e6 for i in rows]
        total = [(gateway_log[kind][i] - sent[kind][i]) / 1e6 for i in rows]
        all_ours += ours
        print(f"{kind:58} {len(ours):5d} {statistics.median(sdk):8.3f} {statistics.median(ours):9.3f} "
              f"{percentile(ours, 0.95):9.3f} {statistics.median(total):10.3f} {percentile(total, 0.95):10.3f}")
    print(f"{'all events (ms)':58} {len(all_ours):5d} {'':8} {statistics.median(all_ours):9.3f} "
          f"{percentile(all_ours, 0.95):9.3f}")
    session_ours = []
    for kind, typed in SESSION_EVENT.items():
        per_turn = len(sent[kind]) // (turns + warmup)
        n = min(len(sdk_log[kind]), len(session_log[typed]))
        session_ours += [(session_log[typed][i] - sdk_log[kind][i]) / 1e6 for i in range(warmup * per_turn, n)]
    print(f"of which SDK callback → typed session event: p50 {statistics.median(session_ours):.3f} ms, "
          f"p95 {percentile(session_ours, 0.95):.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--chunks", type=int, default=10, help="audio deltas (100 ms each) per reply")
    parser.add_argument("--pace-ms", type=float, default=10.0, help="pause between the stand-in's audio deltas")
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    asyncio.run(run(args.turns, args.chunks, args.pace_ms, args.warmup))


if __name__ == "__main__":
    main()
