"""Added latency of the Qwen engine layer, per event, against the loopback stand-in service.

For every server event the stand-in sends, the time from its send to:
  sdk      the SDK's callback on its WebSocket thread (network + websocket-client + JSON: not ours),
  session  the typed event out of QwenRealtimeSession.events() (thread hand-off + our handling),
  gateway  the luna.voice.v1.ServerEvent out of QwenConversation.outputs() (what Converse sends on).
"ours" is gateway - sdk: what this layer adds on top of the SDK. Target: p50 <= 5 ms.

Usage: .venv/bin/python -m bench.qwen_latency [--turns 40] [--chunks 10] [--pace-ms 10]

--through-gateway: the whole path instead. The stand-in (own process), the seeded action agent and the
gateway (`python -m gateway` in its own process) run for real; this process is a Converse client over gRPC
on loopback that speaks one utterance per turn. Per matched event, from the stand-in's send to:
  sdk      the SDK's callback in the gateway process (websocket-client + JSON: not ours),
  gateway  the ServerEvent leaving the stream's Outbound queue, i.e. handed to gRPC (what the gateway adds),
  client   the ServerEvent's arrival at the client ("total"; client - gateway is gRPC + the client's loop).
sdk and gateway come from two probes installed in the gateway process (it runs gateway.__main__.main under
`python -m bench.qwen_latency --serve-gateway`); --no-probe runs plain `python -m gateway` and reports only
the totals. All stamps are CLOCK_MONOTONIC, comparable across processes on one machine.
Matching, per turn (turn = stand-in events from one speech_started; client events by turn_id):
  input_audio_transcription.completed -> the final user transcript,
  response.audio_transcript.delta (k-th) -> the k-th assistant partial transcript,
  response.audio.delta (k-th) -> the first audio_chunk carrying its first byte (the gateway re-chunks the
      24 kHz PCM into LUNA_OUTPUT_CHUNK_MS chunks: matched by byte offset within the reply),
  response.done -> the final (is_final) audio_chunk, and -> the final assistant transcript.
Target (issue 8): p50 <= 5 ms.

  .venv/bin/python -m bench.qwen_latency --through-gateway [--turns 30] [--chunks 10] [--pace-ms 10]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
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
from tests.qwen_standin import QwenStandIn, Reply, Turn, tone

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


# ---- through the gateway ----

COMPLETED = "conversation.item.input_audio_transcription.completed"
TRANSCRIPT_DELTA = "response.audio_transcript.delta"
AUDIO_DELTA = "response.audio.delta"
DONE = "response.done"
# Report rows: (label, stand-in event type).
ROWS = [
    ("transcription.completed -> user transcript", COMPLETED),
    ("audio.delta -> first audio_chunk carrying it", AUDIO_DELTA),
    ("audio_transcript.delta -> assistant partial", TRANSCRIPT_DELTA),
    ("response.done -> final audio_chunk", DONE),
    ("response.done -> assistant final transcript", DONE + "/transcript"),
]
PROBE_ENV = "LUNA_BENCH_PROBE_FILE"
GATEWAY_ENV = {"DASHSCOPE_API_KEY": "sk-test", "LUNA_QWEN_VAD_SILENCE_MS": "200",
               "LUNA_QWEN_STALL_TIMEOUT_SECONDS": "3", "LUNA_QWEN_HANDSHAKE_TIMEOUT_SECONDS": "2",
               "LUNA_QWEN_FINISH_TIMEOUT_SECONDS": "2", "LUNA_ASR_WORKERS": "0", "LUNA_LOG_LEVEL": "WARNING"}


@dataclass(frozen=True)
class Match:
    row: str  # a ROWS key (the stand-in type, or DONE + "/transcript")
    turn: int
    sent: int  # index into the stand-in's sent list
    received: int  # index into the client's received events


def first_chunk_carrying(delta_sizes: list[int], chunk_sizes: list[int]) -> list[int | None]:
    """For each delta (bytes, in order), the index of the first chunk holding its first byte: the chunks
    re-cut the concatenated deltas, so delta k starts at offset sum(delta_sizes[:k])."""
    out: list[int | None] = []
    start, end, j = 0, 0, -1
    for size in delta_sizes:
        while end <= start and j + 1 < len(chunk_sizes):
            j += 1
            end += chunk_sizes[j]
        out.append(j if end > start and size > 0 else None)
        start += size
    return out


def standin_turns(sent_types: list[str]) -> list[list[int]]:
    """Stand-in event indices per turn: a turn runs from one speech_started to the next."""
    turns: list[list[int]] = []
    for i, kind in enumerate(sent_types):
        if kind == "input_audio_buffer.speech_started":
            turns.append([])
        if turns:
            turns[-1].append(i)
    return turns


def client_turns(events: list[voice_pb2.ServerEvent]) -> list[list[int]]:
    """Transcript and audio_chunk indices per turn_id, turns in order of first appearance."""
    turns: dict[str, list[int]] = {}
    for i, event in enumerate(events):
        which = event.WhichOneof("event")
        if which in ("transcript", "audio_chunk"):
            turns.setdefault(getattr(event, which).turn_id, []).append(i)
    return list(turns.values())


def match_events(sent_types: list[str], events: list[voice_pb2.ServerEvent], delta_bytes: int) -> list[Match]:
    """Pair stand-in events with the client events they became (see the module doc)."""
    sides = standin_turns(sent_types), client_turns(events)
    if len(sides[0]) != len(sides[1]):
        raise RuntimeError(f"{len(sides[0])} stand-in turns but {len(sides[1])} on the client")
    matches: list[Match] = []
    for turn, (sent_ix, got_ix) in enumerate(zip(*sides, strict=True)):
        of = {kind: [i for i in sent_ix if sent_types[i] == kind] for kind in (COMPLETED, TRANSCRIPT_DELTA,
                                                                              AUDIO_DELTA, DONE)}
        transcripts = [i for i in got_ix if events[i].WhichOneof("event") == "transcript"]
        user = [i for i in transcripts if events[i].transcript.role == voice_pb2.ROLE_USER
                and events[i].transcript.is_final]
        partial = [i for i in transcripts if events[i].transcript.role == voice_pb2.ROLE_ASSISTANT
                   and not events[i].transcript.is_final]
        final_text = [i for i in transcripts if events[i].transcript.role == voice_pb2.ROLE_ASSISTANT
                      and events[i].transcript.is_final]
        audio = [i for i in got_ix if events[i].WhichOneof("event") == "audio_chunk"]
        final_audio = [i for i in audio if events[i].audio_chunk.is_final]
        pairs = [(COMPLETED, of[COMPLETED], user), (TRANSCRIPT_DELTA, of[TRANSCRIPT_DELTA], partial),
                 (DONE, of[DONE], final_audio), (DONE + "/transcript", of[DONE], final_text)]
        for row, sent, got in pairs:
            if len(sent) != len(got):
                raise RuntimeError(f"turn {turn}: {len(sent)} stand-in {row} but {len(got)} client events")
            matches += [Match(row, turn, s, g) for s, g in zip(sent, got, strict=True)]
        firsts = first_chunk_carrying([delta_bytes] * len(of[AUDIO_DELTA]),
                                      [len(events[i].audio_chunk.data) for i in audio])
        for s, k in zip(of[AUDIO_DELTA], firsts, strict=True):
            if k is None:
                raise RuntimeError(f"turn {turn}: no client audio carries stand-in delta {s}")
            matches.append(Match(AUDIO_DELTA, turn, s, audio[k]))
    return matches


def ordinal_stamps(reference: list[str], observed: list[tuple[str, int]], kinds: set[str]) -> dict[int, int]:
    """reference index -> stamp of the same event seen elsewhere: the k-th event of a type is the k-th seen."""
    seen: dict[str, list[int]] = defaultdict(list)
    for kind, at in observed:
        seen[kind].append(at)
    count: dict[str, int] = defaultdict(int)
    out: dict[int, int] = {}
    for i, kind in enumerate(reference):
        if kind in kinds and count[kind] < len(seen[kind]):
            out[i] = seen[kind][count[kind]]
        count[kind] += 1
    return out


def install_probes(path: str) -> None:
    """In the gateway process: stamp each SDK callback and each ServerEvent handed to gRPC; the stamps are
    written to `path` (JSON) whenever a Converse stream ends."""
    import json

    from gateway.outbound import Outbound
    from gateway.speech.qwen import session as qwen_session

    sdk: list[tuple[str, int]] = []
    streams: list[list[tuple[str, int]]] = []
    on_event = qwen_session._Bridge.on_event
    events = Outbound.events

    def stamped_on_event(self: Any, message: Any) -> None:
        sdk.append((message.get("type", "") if isinstance(message, dict) else "", time.monotonic_ns()))
        on_event(self, message)

    def dump() -> None:
        with open(path + ".tmp", "w") as f:
            json.dump({"sdk": list(sdk), "streams": [list(s) for s in streams]}, f)
        os.replace(path + ".tmp", path)

    async def stamped_events(self: Outbound) -> Any:
        log: list[tuple[str, int]] = []
        streams.append(log)
        try:
            async for item in events(self):
                log.append((item[0].WhichOneof("event") or "", time.monotonic_ns()))
                yield item
        finally:
            dump()  # after the stream: its cost is not in the figures

    qwen_session._Bridge.on_event = stamped_on_event  # type: ignore[method-assign]
    Outbound.events = stamped_events  # type: ignore[method-assign]


def serve_gateway(argv: list[str]) -> None:
    from gateway.__main__ import main as gateway_main

    install_probes(os.environ[PROBE_ENV])
    gateway_main(argv)


def summary(values: list[float]) -> str:
    if not values:
        return f"{'-':>8} {'-':>8}"
    return f"{statistics.median(values):8.3f} {percentile(values, 0.95):8.3f}"


async def run_through_gateway(turns: int, chunks: int, pace_ms: float, warmup: int, probe: bool) -> None:
    import json
    import tempfile
    from pathlib import Path

    from gateway.client import open_stream
    from tests.action_support import ZONE, agent_server, seed_database
    from tests.gateway_support import token
    from tests.servers import start_server

    if time.get_clock_info("perf_counter").implementation != time.get_clock_info("monotonic").implementation:
        raise SystemExit("the stand-in stamps perf_counter, compared here with monotonic: not the same clock")
    reply = Reply(text=" ".join(["word"] * chunks), audio_ms=100 * chunks, pace_s=pace_ms / 1000)
    script = [Turn(f"turn {i} book a table", reply=reply) for i in range(turns + warmup)]
    ctx = multiprocessing.get_context("spawn")
    port_q, sent_q, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    child = ctx.Process(target=serve_standin, args=(script, port_q, stop, sent_q), daemon=True)
    child.start()
    received: list[tuple[voice_pb2.ServerEvent, int]] = []
    with tempfile.TemporaryDirectory(prefix="luna-qwen-bench-") as tmp:
        probe_file = Path(tmp) / "probe.json"
        standin_port = await asyncio.to_thread(port_q.get, True, 30)
        env = {**GATEWAY_ENV, "LUNA_QWEN_URL": f"ws://127.0.0.1:{standin_port}/api-ws/v1/realtime",
               PROBE_ENV: str(probe_file)}
        with agent_server(seed_database(Path(tmp) / "luna.db")) as agent:
            args = ["--action-agent", agent.address]
            gw = (start_server("bench.qwen_latency", ["--serve-gateway", *args], env) if probe
                  else start_server("gateway", args, env))
            try:
                async with grpc.aio.insecure_channel(gw.address) as channel:
                    stream = await open_stream(channel, voice_pb2.Start(
                        session_token=token(1), time_zone=ZONE, input_audio=voice_pb2.AudioConfig(
                            encoding=voice_pb2.AUDIO_ENCODING_PCM16, sample_rate_hz=16000, channels=1),
                        output_audio=voice_pb2.AudioConfig(encoding=voice_pb2.AUDIO_ENCODING_PCM16,
                                                           sample_rate_hz=24000, channels=1)),
                        on_event=lambda r: received.append((r.event, time.monotonic_ns())))
                    connected = (await stream.next(lambda e: e.WhichOneof("event") == "connected", 30)).connected
                    if connected.engine != "qwen":
                        raise RuntimeError(f"the gateway serves {connected.engine!r}, not qwen:\n{''.join(gw.output)}")
                    spoken = utterance()
                    for _ in range(turns + warmup):
                        began = time.monotonic()
                        await stream.stream_chunks(spoken, 0.1)  # 100 ms chunks at real-time pace
                        await stream.next(lambda e: e.WhichOneof("event") == "audio_chunk" and e.audio_chunk.is_final,
                                          within=15)
                        # No faster than real time overall, or the gateway's audio rate limit ends the stream.
                        await asyncio.sleep(max(0.0, began + 0.1 * len(spoken) + 0.05 - time.monotonic()))
                    await stream.send(voice_pb2.ClientEvent(end_session=voice_pb2.EndSessionEvent()))
                    await stream.next(lambda e: e.WhichOneof("event") == "session_ended", within=10)
                    await stream.close()
                probed: dict[str, Any] = {}
                if probe:
                    for _ in range(100):
                        if probe_file.exists():
                            probed = json.loads(probe_file.read_text())
                            if probed["streams"]:
                                break
                        await asyncio.sleep(0.05)
            finally:
                gw.kill()
    stop.set()
    sent: list[tuple[str, int]] = await asyncio.to_thread(sent_q.get, True, 30)
    child.join(10)

    sent_types = [kind for kind, _ in sent]
    events = [event for event, _ in received]
    matches = [m for m in match_events(sent_types, events, len(tone(reply.chunk_ms))) if m.turn >= warmup]
    sdk_at = ordinal_stamps(sent_types, [(k, t) for k, t in probed.get("sdk", [])], {COMPLETED, TRANSCRIPT_DELTA,
                                                                                      AUDIO_DELTA, DONE})
    handed: dict[int, int] = {}
    if probe:
        # The Outbound queue carries every event after `connected` (yielded by the servicer itself), in order.
        out_log = probed["streams"][0]
        for j, (kind, at) in enumerate(out_log, start=1):
            if j < len(events):
                if events[j].WhichOneof("event") != kind:
                    raise RuntimeError(f"gateway event {j} is {kind}, the client got {events[j].WhichOneof('event')}")
                handed[j] = at
    print(f"Qwen through the gateway (stand-in -> python -m gateway -> gRPC client on loopback): {turns} turns "
          f"(+{warmup} warm-up), {chunks} audio deltas of {reply.chunk_ms} ms per reply paced {pace_ms:g} ms, "
          f"output PCM16 24 kHz; probes {'on' if probe else 'off'}; python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} cores, load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"{'ms, p50 p95':46} {'n':>5} {'total (send->client)':>17} {'sdk (not ours)':>17} "
          f"{'gateway (ours)':>17} {'gRPC->client':>17}")
    columns: dict[str, list[list[float]]] = {}
    for label, row in ROWS:
        rows = [m for m in matches if m.row == row]
        total = [(received[m.received][1] - sent[m.sent][1]) / 1e6 for m in rows]
        sdk = [(sdk_at[m.sent] - sent[m.sent][1]) / 1e6 for m in rows if m.sent in sdk_at]
        ours = [(handed[m.received] - sdk_at[m.sent]) / 1e6 for m in rows
                if m.sent in sdk_at and m.received in handed]
        grpc_ms = [(received[m.received][1] - handed[m.received]) / 1e6 for m in rows if m.received in handed]
        columns[label] = [total, sdk, ours, grpc_ms]
        print(f"{label:46} {len(rows):5d} {summary(total)} {summary(sdk)} {summary(ours)} {summary(grpc_ms)}")
    merged = [[x for c in columns.values() for x in c[k]] for k in range(4)]
    print(f"{'all matched events':46} {len(merged[0]):5d} {summary(merged[0])} {summary(merged[1])} "
          f"{summary(merged[2])} {summary(merged[3])}")
    verdict = merged[2] if probe else merged[0]
    print(f"target p50 <= 5 ms ({'gateway' if probe else 'total'}): p50 {statistics.median(verdict):.3f} ms -> "
          f"{'met' if statistics.median(verdict) <= 5 else 'NOT met'}")


def main() -> None:
    if "--serve-gateway" in sys.argv[1:]:  # the gateway process of --through-gateway, with its probes
        serve_gateway([a for a in sys.argv[1:] if a != "--serve-gateway"])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--chunks", type=int, default=10, help="audio deltas (100 ms each) per reply")
    parser.add_argument("--pace-ms", type=float, default=10.0, help="pause between the stand-in's audio deltas")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--through-gateway", action="store_true",
                        help="measure the whole path: stand-in -> gateway process -> gRPC client")
    parser.add_argument("--no-probe", dest="probe", action="store_false",
                        help="with --through-gateway: plain python -m gateway, totals only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    if args.through_gateway:
        asyncio.run(run_through_gateway(args.turns, args.chunks, args.pace_ms, args.warmup, args.probe))
    else:
        asyncio.run(run(args.turns, args.chunks, args.pace_ms, args.warmup))


if __name__ == "__main__":
    main()
