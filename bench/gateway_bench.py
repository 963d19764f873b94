"""Voice gateway benchmark: N concurrent real-time sessions, end-of-speech → first reply audio.

Starts a seeded action agent and a gateway, then for each concurrency level
streams one spoken request per session at real-time pace (20 ms PCM16
chunks), all sessions at once, and measures on the client:

  endpoint   end of speech → PROCESSING status (the gateway decided the turn ended)
  first audio  end of speech → first reply audio chunk (engine mode)

Two modes: `vad` (LUNA_SPEECH_ENGINE=none: decode, VAD and endpointing only)
and `engine` (the embedded engine: recognition, understanding, the action and
synthesis). A level is "sustained" when every session completes its turn and
the endpoint lag (endpoint latency minus the configured trailing silence)
stays within --max-lag-ms at p95, and in engine mode first audio stays within
--max-first-audio-ms at p95. Levels double until one is not sustained.

    .venv/bin/python -m bench.gateway_bench --mode both
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass

import grpc
from luna.voice.v1 import voice_pb2

from gateway.client import split
from tests.audio import silence, speech
from tests.gateway_support import connect, gateway, seeded_agent

TRAILING_SILENCE_MS = 500
LEAD_MS = 300
UTTERANCE = "find me a sushi place nearby"


@dataclass
class TurnResult:
    endpoint_ms: float | None = None
    first_audio_ms: float | None = None
    server_total_ms: float | None = None
    stages: tuple[float, float, float, float] | None = None
    error: str = ""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def one_session(address: str, pcm: bytes, speech_end_s: float, want_audio: bool,
                      timeout_s: float) -> TurnResult:
    result = TurnResult()
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stream, _ = await connect(channel, 1, text_only=not want_audio)
            chunks = split(pcm, 16000, 20)
            eos_index = int(speech_end_s / 0.02)
            eos_at: list[float] = []

            async def send() -> None:
                start = time.monotonic()
                for i, chunk in enumerate(chunks):
                    delay = start + i * 0.02 - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    await stream.send_audio(chunk)
                    if i == eos_index:
                        eos_at.append(time.monotonic())

            sender = asyncio.create_task(send())
            processing = await stream.next_received(
                lambda e: e.WhichOneof("event") == "status" and e.status.state == voice_pb2.SESSION_STATE_PROCESSING,
                within=timeout_s)
            if eos_at:
                result.endpoint_ms = (processing.at - eos_at[0]) * 1000
            if want_audio:
                first = await stream.next_received(lambda e: e.WhichOneof("event") == "audio_chunk", within=timeout_s)
                metrics = await stream.next(lambda e: e.WhichOneof("event") == "turn_metrics", within=timeout_s)
                result.first_audio_ms = (first.at - eos_at[0]) * 1000 if eos_at else None
                m = metrics.turn_metrics
                result.server_total_ms = m.total_ms
                result.stages = (m.asr_ms, m.understanding_ms, m.action_ms, m.tts_first_chunk_ms)
            sender.cancel()
            await stream.drop()
    except Exception as exc:  # reported per session: a level with failures is not sustained
        result.error = f"{type(exc).__name__}: {exc}"
    return result


async def run_level(address: str, sessions: int, want_audio: bool, pcm: bytes, speech_end_s: float,
                    timeout_s: float) -> list[TurnResult]:
    return list(await asyncio.gather(*(one_session(address, pcm, speech_end_s, want_audio, timeout_s)
                                       for _ in range(sessions))))


def summarise(mode: str, sessions: int, results: list[TurnResult], args: argparse.Namespace) -> bool:
    errors = [r.error for r in results if r.error]
    endpoint = [r.endpoint_ms for r in results if r.endpoint_ms is not None]
    first = [r.first_audio_ms for r in results if r.first_audio_ms is not None]
    server = [r.server_total_ms for r in results if r.server_total_ms is not None]
    line = f"{mode:6} sessions={sessions:3}  ok={len(results) - len(errors):3}"
    sustained = not errors and len(endpoint) == sessions
    if endpoint:
        lag95 = percentile(endpoint, 95) - TRAILING_SILENCE_MS
        line += (f"  endpoint p50={statistics.median(endpoint):6.0f} p95={percentile(endpoint, 95):6.0f} ms"
                 f" (lag p95 {lag95:5.0f} ms)")
        sustained = sustained and lag95 <= args.max_lag_ms
    if mode == "engine":
        if first:
            line += f"  first-audio p50={statistics.median(first):6.0f} p95={percentile(first, 95):6.0f} ms"
            sustained = sustained and percentile(first, 95) <= args.max_first_audio_ms
        else:
            sustained = False
        if server:
            line += f"  (server total p50={statistics.median(server):6.0f} ms"
            stages = [r.stages for r in results if r.stages is not None]
            names = ("asr", "understanding", "action", "tts")
            line += "".join(f", {n} {statistics.median(s[i] for s in stages):.0f}" for i, n in enumerate(names))
            line += ")"
    line += "  sustained" if sustained else "  NOT sustained"
    print(line, flush=True)
    for error in sorted(set(errors))[:3]:
        print(f"         error: {error}", flush=True)
    return sustained


async def bench_mode(mode: str, address: str, args: argparse.Namespace) -> int:
    words = speech(UTTERANCE, speed=150)
    pcm = silence(LEAD_MS) + words + silence(TRAILING_SILENCE_MS + 1500)
    # The espeak-ng clip ends with ~250 ms of its own silence: find the last loud sample for the end of speech.
    samples = memoryview(words).cast("h")
    last_loud = max((i for i in range(len(samples)) if abs(samples[i]) > 300), default=len(samples) - 1)
    speech_end_s = (LEAD_MS / 1000) + last_loud / 16000
    best = 0
    sessions = 1
    while sessions <= args.max_sessions:
        results = await run_level(address, sessions, mode == "engine", pcm, speech_end_s, args.timeout)
        if not summarise(mode, sessions, results, args):
            break
        best = sessions
        sessions *= 2
        await asyncio.sleep(1.0)
    print(f"{mode}: one gateway process sustained {best} concurrent real-time sessions", flush=True)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["vad", "engine", "both"], default="both")
    parser.add_argument("--max-sessions", type=int, default=64)
    parser.add_argument("--max-lag-ms", type=float, default=200.0)
    parser.add_argument("--max-first-audio-ms", type=float, default=1500.0)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    modes = ["vad", "engine"] if args.mode == "both" else [args.mode]
    env = {"LUNA_MAX_SESSIONS_PER_USER": "1000", "LUNA_MAX_SESSIONS": "1000",
           "LUNA_TRAILING_SILENCE_MS": str(TRAILING_SILENCE_MS), "LUNA_LOG_LEVEL": "WARNING"}
    with seeded_agent() as agent:
        for mode in modes:
            engine_env = {"LUNA_SPEECH_ENGINE": "none" if mode == "vad" else "embedded"}
            with gateway(agent.address, **env, **engine_env) as server:
                asyncio.run(bench_mode(mode, server.address, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
