"""Load generator: many concurrent voice and text sessions against the whole stack, and actions per second
against the action agent. Prints p50/p95/p99 latencies, errors, CPU and memory per session.

    .venv/bin/python -m bench.load --mode vad      # real-time audio, gateway VAD/endpointing only (no engine)
    .venv/bin/python -m bench.load --mode engine   # real-time audio through the embedded speech engine
    .venv/bin/python -m bench.load --mode text     # text sessions (understanding + action agent)
    .venv/bin/python -m bench.load --mode actions --backend postgresql   # ActionService actions/s
    .venv/bin/python -m bench.load --mode all      # the four above (actions on sqlite and postgresql)

Every run starts its own servers on loopback (a freshly seeded action agent, SQLite by default, and a gateway)
and stops them at the end. Session modes step the number of concurrent sessions through --levels (doubling)
until a level is not sustained; the whole run stops by itself after --max-seconds.

A voice session is a live microphone: it streams 20 ms PCM16 chunks at real-time pace for its whole life
(silence between turns), and each turn speaks one utterance (espeak-ng speech from tests/audio.py). Per turn:

  endpoint     end of speech -> PROCESSING status (the gateway decided the user finished)
  first audio  end of speech -> first reply audio chunk (engine mode)
  reply        end of speech (or text sent) -> the assistant's final transcript (text replies only; in engine
               mode the final transcript comes when the spoken reply ends)
  server       the gateway's own TurnMetrics.total_ms

A level is sustained when no session failed, endpoint lag (endpoint minus the configured trailing silence) stays
within --max-lag-ms at p95, first audio within --max-first-audio-ms at p95 (engine) and text replies within
--max-reply-ms at p95 (text). CPU per session is the gateway's CPU seconds (its recognition workers included)
divided by session-seconds, so 1 / that is the sessions one core carries at that load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
from luna.action.v1 import action_pb2 as pb
from luna.action.v1 import action_pb2_grpc
from luna.voice.v1 import voice_pb2

from gateway.client import ConverseStream, split
from tests.action_support import ZONE, agent_server, request_now, seed_database, stamp
from tests.audio import silence, speech
from tests.gateway_support import connect, gateway
from tests.reliability_support import tree_cpu_seconds, tree_rss_kb
from tests.servers import ServerProcess
from tests.store_support import database_url, postgres_available

CHUNK_MS = 20
TRAILING_SILENCE_MS = 500
VOICE_UTTERANCE = "find me a sushi place nearby"
TEXT_TURNS = ("find me a sushi place nearby", "what are my bookings",
              "book a table for two at Olive Garden tomorrow at 7 pm", "no")
DEMO_USERS = 40


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def spread(values: list[float]) -> str:
    if not values:
        return "            -"
    return (f"p50 {statistics.median(values):6.0f}  p95 {percentile(values, 95):6.0f}  "
            f"p99 {percentile(values, 99):6.0f} ms")


@dataclass
class TurnSample:
    endpoint_ms: float | None = None
    first_audio_ms: float | None = None
    reply_ms: float | None = None
    server_ms: float | None = None


@dataclass
class SessionResult:
    turns: list[TurnSample] = field(default_factory=list)
    error: str = ""


@dataclass
class Clip:
    """An utterance to speak: its 20 ms chunks and the chunk in which speech ends."""

    chunks: list[bytes]
    end_chunk: int
    end_offset_s: float

    @classmethod
    def of(cls, text: str) -> Clip:
        words = speech(text, speed=150)
        samples = memoryview(words).cast("h")
        last_loud = max((i for i in range(len(samples)) if abs(samples[i]) > 300), default=len(samples) - 1)
        pcm = silence(200) + words + silence(TRAILING_SILENCE_MS + 300)
        end_sample = 16000 * 200 // 1000 + last_loud
        per_chunk = 16000 * CHUNK_MS // 1000
        return cls(split(pcm, 16000, CHUNK_MS), end_sample // per_chunk, (end_sample % per_chunk) / 16000)


class Microphone:
    """Streams 20 ms chunks at real-time pace for as long as it runs: queued speech, else silence."""

    def __init__(self, stream: ConverseStream) -> None:
        self.stream = stream
        self._queue: deque[tuple[bytes, asyncio.Future[float] | None, float]] = deque()
        self._silence = silence(CHUNK_MS)
        self._task = asyncio.get_running_loop().create_task(self._run())

    def say(self, clip: Clip) -> asyncio.Future[float]:
        """Queue the clip; the future resolves to the monotonic time speech ended (as sent)."""
        ended: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        for i, chunk in enumerate(clip.chunks):
            self._queue.append((chunk, ended if i == clip.end_chunk else None, clip.end_offset_s))
        return ended

    async def _run(self) -> None:
        start = time.monotonic()
        for i in itertools.count():
            delay = start + i * CHUNK_MS / 1000 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if self.stream.done:
                return
            chunk, ended, offset = self._queue.popleft() if self._queue else (self._silence, None, 0.0)
            sent_at = time.monotonic()
            await self.stream.send_audio(chunk)
            if ended is not None and not ended.done():
                # The chunk's audio began at its scheduled time; speech ended `offset` into it.
                ended.set_result(start + i * CHUNK_MS / 1000 + offset if sent_at - start < i * 0.02 + 0.5
                                 else sent_at)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task


def _is(kind: str) -> Callable[[voice_pb2.ServerEvent], bool]:
    return lambda e: e.WhichOneof("event") == kind


def _state(state: int) -> Callable[[voice_pb2.ServerEvent], bool]:
    return lambda e: e.WhichOneof("event") == "status" and e.status.state == state


def _assistant_final(e: voice_pb2.ServerEvent) -> bool:
    return (e.WhichOneof("event") == "transcript" and e.transcript.role == voice_pb2.ROLE_ASSISTANT
            and e.transcript.is_final)


async def voice_session(address: str, user: int, clip: Clip, turns: int, engine: bool, wait_s: float,
                        start_delay: float) -> SessionResult:
    result = SessionResult()
    await asyncio.sleep(start_delay)
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stream, _ = await connect(channel, user, text_only=not engine)
            mic = Microphone(stream)
            try:
                for _ in range(turns):
                    sample = TurnSample()
                    ended = mic.say(clip)
                    processing = await stream.next_received(_state(voice_pb2.SESSION_STATE_PROCESSING), wait_s)
                    end_at = await asyncio.wait_for(ended, wait_s)
                    sample.endpoint_ms = (processing.at - end_at) * 1000
                    # Event order: engine: audio, metrics (at the first audio), the final transcript when spoken;
                    # no engine (text replies): the final transcript, then metrics.
                    if engine:
                        first = await stream.next_received(_is("audio_chunk"), wait_s)
                        sample.first_audio_ms = (first.at - end_at) * 1000
                        metrics = await stream.next(_is("turn_metrics"), wait_s)
                    reply = await stream.next_received(_assistant_final, wait_s)
                    if not engine:
                        metrics = await stream.next(_is("turn_metrics"), wait_s)
                        sample.reply_ms = (reply.at - end_at) * 1000
                    sample.server_ms = metrics.turn_metrics.total_ms
                    await stream.next(_state(voice_pb2.SESSION_STATE_WAITING), wait_s)
                    result.turns.append(sample)
                    await asyncio.sleep(random.uniform(0.3, 0.8))  # the user thinks before the next turn
            finally:
                await mic.stop()
                await stream.drop()
    except Exception as exc:  # reported per session; a level with failures is not sustained
        result.error = f"{type(exc).__name__}: {exc}"[:200]
    return result


async def text_session(address: str, user: int, turns: int, wait_s: float, start_delay: float) -> SessionResult:
    result = SessionResult()
    await asyncio.sleep(start_delay)
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stream, _ = await connect(channel, user, text_only=True)
            for i in range(turns):
                sample = TurnSample()
                sent = time.monotonic()
                await stream.send(voice_pb2.ClientEvent(text_input=voice_pb2.TextInput(
                    text=TEXT_TURNS[i % len(TEXT_TURNS)])))
                reply = await stream.next_received(_assistant_final, wait_s)
                sample.reply_ms = (reply.at - sent) * 1000
                metrics = await stream.next(_is("turn_metrics"), wait_s)
                sample.server_ms = metrics.turn_metrics.total_ms
                await stream.next(_state(voice_pb2.SESSION_STATE_WAITING), wait_s)
                result.turns.append(sample)
                await asyncio.sleep(random.uniform(0.5, 1.5))
            await stream.drop()
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:200]
    return result


class Sampler:
    """Peak RSS of a process tree, sampled every 0.25 s on a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = tree_rss_kb(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            with contextlib.suppress(OSError, RuntimeError):
                self.peak_kb = max(self.peak_kb, tree_rss_kb(self.pid))

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@dataclass
class LevelReport:
    mode: str
    sessions: int
    ok_sessions: int
    turns: int
    wall_s: float
    endpoint_ms: list[float]
    first_audio_ms: list[float]
    reply_ms: list[float]
    server_ms: list[float]
    errors: list[str]
    gateway_cpu_s: float
    agent_cpu_s: float
    gateway_rss_before_kb: int
    gateway_rss_peak_kb: int
    sustained: bool = False

    @property
    def session_seconds(self) -> float:
        return self.sessions * self.wall_s

    def cpu_per_session(self) -> float:
        """Fraction of one core one session costs the gateway (its workers included)."""
        return self.gateway_cpu_s / self.session_seconds if self.session_seconds else 0.0

    def line(self) -> str:
        per_core = 1 / self.cpu_per_session() if self.cpu_per_session() else float("inf")
        mem = (self.gateway_rss_peak_kb - self.gateway_rss_before_kb) / 1024 / max(1, self.sessions)
        out = [f"{self.mode:6} sessions={self.sessions:3} ok={self.ok_sessions:3} turns={self.turns:4} "
               f"errors={len(self.errors):3}"]
        if self.endpoint_ms:
            out.append(f"  endpoint     {spread(self.endpoint_ms)}")
        if self.first_audio_ms:
            out.append(f"  first audio  {spread(self.first_audio_ms)}")
        out.append(f"  reply        {spread(self.reply_ms)}")
        out.append(f"  server total {spread(self.server_ms)}")
        out.append(f"  gateway CPU {self.gateway_cpu_s:6.1f} s over {self.wall_s:5.1f} s = "
                   f"{self.gateway_cpu_s / self.wall_s:4.2f} cores; {self.cpu_per_session() * 100:5.2f}% of a core "
                   f"per session (~{per_core:5.0f} sessions/core); agent CPU {self.agent_cpu_s / self.wall_s:4.2f} "
                   f"cores")
        out.append(f"  gateway RSS {self.gateway_rss_before_kb / 1024:6.1f} -> peak "
                   f"{self.gateway_rss_peak_kb / 1024:6.1f} MiB ({mem:5.2f} MiB per session)  "
                   f"{'SUSTAINED' if self.sustained else 'NOT sustained'}")
        out.extend(f"  error: {e}" for e in sorted(set(self.errors))[:3])
        return "\n".join(out)


async def run_level(mode: str, address: str, sessions: int, args: argparse.Namespace, clip: Clip | None,
                    gw: ServerProcess, agent: ServerProcess) -> LevelReport:
    gw_cpu, agent_cpu = tree_cpu_seconds(gw.proc.pid), tree_cpu_seconds(agent.proc.pid)
    rss_before = tree_rss_kb(gw.proc.pid)
    started = time.monotonic()
    with Sampler(gw.proc.pid) as sampler:
        jobs: list[Awaitable[SessionResult]] = []
        for i in range(sessions):
            user = 1 + i % DEMO_USERS
            delay = random.uniform(0, args.ramp_seconds)
            if mode == "text":
                jobs.append(text_session(address, user, args.turns, args.timeout, delay))
            else:
                assert clip is not None
                jobs.append(voice_session(address, user, clip, args.turns, mode == "engine", args.timeout, delay))
        results = await asyncio.gather(*jobs)
    wall = time.monotonic() - started
    turns = [t for r in results for t in r.turns]
    report = LevelReport(
        mode=mode, sessions=sessions, ok_sessions=sum(1 for r in results if not r.error), turns=len(turns),
        wall_s=wall, endpoint_ms=[t.endpoint_ms for t in turns if t.endpoint_ms is not None],
        first_audio_ms=[t.first_audio_ms for t in turns if t.first_audio_ms is not None],
        reply_ms=[t.reply_ms for t in turns if t.reply_ms is not None],
        server_ms=[t.server_ms for t in turns if t.server_ms is not None],
        errors=[r.error for r in results if r.error],
        gateway_cpu_s=tree_cpu_seconds(gw.proc.pid) - gw_cpu, agent_cpu_s=tree_cpu_seconds(agent.proc.pid) - agent_cpu,
        gateway_rss_before_kb=rss_before, gateway_rss_peak_kb=sampler.peak_kb)
    sustained = not report.errors and report.turns == sessions * args.turns
    if report.endpoint_ms:
        sustained = sustained and percentile(report.endpoint_ms, 95) - TRAILING_SILENCE_MS <= args.max_lag_ms
    if mode == "engine":
        sustained = sustained and bool(report.first_audio_ms) and \
            percentile(report.first_audio_ms, 95) <= args.max_first_audio_ms
    if mode == "text":
        sustained = sustained and bool(report.reply_ms) and percentile(report.reply_ms, 95) <= args.max_reply_ms
    report.sustained = sustained
    return report


@contextmanager
def seeded_agent_on(backend: str) -> Iterator[tuple[ServerProcess, str]]:
    with tempfile.TemporaryDirectory(prefix="luna-load-") as tmp:
        if backend == "sqlite":
            url = seed_database(Path(tmp) / "luna.db")
            with agent_server(url) as agent:
                yield agent, url
            return
        if not postgres_available():
            raise SystemExit("PostgreSQL is not reachable on 127.0.0.1:5432")
        from tests.reliability_support import seed_url
        with database_url("postgresql", Path(tmp)) as url:
            seed_url(url)
            with agent_server(url) as agent:
                yield agent, url


def session_modes(args: argparse.Namespace, deadline: float, mode: str, out: list[dict[str, Any]]) -> None:
    env = {"LUNA_MAX_SESSIONS_PER_USER": "1000", "LUNA_MAX_SESSIONS": "2000",
           "LUNA_TRAILING_SILENCE_MS": str(TRAILING_SILENCE_MS), "LUNA_IDLE_TIMEOUT_SECONDS": "600",
           "LUNA_SPEECH_ENGINE": "embedded" if mode == "engine" else "none", "LUNA_LOG_LEVEL": "WARNING"}
    clip = Clip.of(VOICE_UTTERANCE) if mode in ("vad", "engine") else None
    with seeded_agent_on(args.backend) as (agent, _), gateway(agent.address, **env) as gw:
        print(f"== {mode}: gateway pid {gw.proc.pid}, action agent ({args.backend}) pid {agent.proc.pid}", flush=True)
        best = 0
        for sessions in args.levels:
            if time.monotonic() > deadline:
                print(f"   (stopped: --max-seconds {args.max_seconds:g} reached)", flush=True)
                break
            report = asyncio.run(run_level(mode, gw.address, sessions, args, clip, gw, agent))
            print(report.line(), flush=True)
            out.append({**asdict(report), "cpu_per_session": report.cpu_per_session()})
            if not report.sustained:
                break
            best = sessions
            time.sleep(1.0)
        print(f"{mode}: one gateway process sustained {best} concurrent sessions", flush=True)


# ---- actions per second ----


class ActionLoad:
    """Closed-loop clients of ActionService: reads (check_booking, get_recommendations) and bookings
    (make_booking Execute -> Confirm yes), spread over venues, days and times so capacity never runs out."""

    VENUES = ("Olive Garden", "Sushi Zen", "Carrabba's Italian Grill", "The Blue Plate")

    def __init__(self, stub: action_pb2_grpc.ActionServiceStub) -> None:
        self.stub = stub
        self.now = request_now()
        self.slots = itertools.count()
        self.latencies: dict[str, list[float]] = {"read": [], "booking": []}
        self.errors: list[str] = []
        self.refused = 0

    def _request(self, session: str, user: int, intent: pb.Intent.ValueType, **entities: Any) -> pb.ActionRequest:
        return pb.ActionRequest(request_id=uuid.uuid4().hex, session_id=session, user_id=user, intent=intent,
                                entities=pb.Entities(**entities), confidence=0.9, now=stamp(self.now),
                                time_zone=ZONE)

    async def read(self, session: str, user: int) -> None:
        if next(self.slots) % 2:
            request = self._request(session, user, pb.INTENT_CHECK_BOOKING)
        else:
            request = self._request(session, user, pb.INTENT_GET_RECOMMENDATIONS, cuisine="sushi", distance="nearby")
        reply = await self.stub.Execute(request, timeout=30)
        if reply.status != pb.ACTION_STATUS_SUCCESS:
            raise RuntimeError(f"read: {pb.ActionStatus.Name(reply.status)} {reply.error_code}")

    async def book(self, session: str, user: int) -> None:
        i = next(self.slots)
        day, slot = divmod(i // len(self.VENUES), 24)
        start = (self.now + timedelta(days=1 + day % 55)).replace(hour=12) + timedelta(minutes=15 * slot)
        prompt = await self.stub.Execute(self._request(
            session, user, pb.INTENT_MAKE_BOOKING, venue_name=self.VENUES[i % len(self.VENUES)], party_size=2,
            date_time=start.isoformat()), timeout=30)
        if prompt.status != pb.ACTION_STATUS_NEEDS_CONFIRMATION:
            raise RuntimeError(f"book: {pb.ActionStatus.Name(prompt.status)} {prompt.error_code}")
        done = await self.stub.Confirm(pb.ConfirmRequest(
            request_id=uuid.uuid4().hex, session_id=session, user_id=user,
            confirmation_id=prompt.confirmation.confirmation_id, confirmed=True, now=stamp(self.now)), timeout=30)
        if done.status != pb.ACTION_STATUS_SUCCESS:
            # A spoken refusal (closed then, fully booked) is an answered action too, counted apart.
            if done.status != pb.ACTION_STATUS_FAILED or not done.error_code:
                raise RuntimeError(f"confirm: {pb.ActionStatus.Name(done.status)} {done.error_code}")
            self.refused += 1

    async def worker(self, w: int, until: float, booking_share: float) -> None:
        rng = random.Random(w)
        user = 2 + w % (DEMO_USERS - 1)
        session = f"load-{w}-{uuid.uuid4().hex[:6]}"
        while time.monotonic() < until:
            kind = "booking" if rng.random() < booking_share else "read"
            started = time.monotonic()
            try:
                await (self.book(session, user) if kind == "booking" else self.read(session, user))
                self.latencies[kind].append((time.monotonic() - started) * 1000)
            except Exception as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}"[:160])


async def action_level(address: str, concurrency: int, seconds: float, booking_share: float,
                       agent: ServerProcess) -> dict[str, Any]:
    async with grpc.aio.insecure_channel(address) as channel:
        load = ActionLoad(action_pb2_grpc.ActionServiceStub(channel))
        for i in range(10):
            await load.read(f"warm-{i}", 1)
        load.slots = itertools.count(1000 * concurrency)
        cpu = tree_cpu_seconds(agent.proc.pid)
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(load.worker(w, until, booking_share) for w in range(concurrency)))
        wall = time.monotonic() - started
        cpu = tree_cpu_seconds(agent.proc.pid) - cpu
    reads, books = load.latencies["read"], load.latencies["booking"]
    actions = len(reads) + len(books)
    return {"concurrency": concurrency, "wall_s": wall, "actions": actions, "actions_per_s": actions / wall,
            "reads_per_s": len(reads) / wall, "bookings_per_s": len(books) / wall, "read_ms": reads,
            "booking_ms": books, "errors": load.errors, "bookings_refused": load.refused, "agent_cpu_cores": cpu / wall,
            "agent_cpu_ms_per_action": cpu / max(1, actions) * 1000}


def action_mode(args: argparse.Namespace, deadline: float, backend: str, out: list[dict[str, Any]]) -> None:
    with seeded_agent_on(backend) as (agent, _):
        print(f"== actions on {backend}: action agent pid {agent.proc.pid}", flush=True)
        for concurrency in args.action_concurrency:
            if time.monotonic() > deadline:
                print(f"   (stopped: --max-seconds {args.max_seconds:g} reached)", flush=True)
                break
            r = asyncio.run(action_level(agent.address, concurrency, args.action_seconds, args.booking_share, agent))
            print(f"actions {backend:10} clients={concurrency:3}  {r['actions_per_s']:6.1f} actions/s "
                  f"({r['reads_per_s']:6.1f} reads/s, {r['bookings_per_s']:5.1f} bookings/s, "
                  f"{r['bookings_refused']} refused)  "
                  f"errors={len(r['errors'])}  agent CPU {r['agent_cpu_cores']:4.2f} cores, "
                  f"{r['agent_cpu_ms_per_action']:5.1f} ms/action", flush=True)
            print(f"   read    {spread(r['read_ms'])}\n   booking {spread(r['booking_ms'])} (prompt + confirm)",
                  flush=True)
            for error in sorted(set(r["errors"]))[:3]:
                print(f"   error: {error}", flush=True)
            out.append({"mode": "actions", "backend": backend, **r})


def parse_levels(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["vad", "engine", "text", "actions", "all"], default="all")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite",
                        help="the action agent's database for the session modes and --mode actions")
    parser.add_argument("--levels", type=parse_levels, default=[4, 8, 16, 32, 64, 128],
                        help="concurrent sessions per level, comma-separated (default 4,8,16,32,64,128)")
    parser.add_argument("--turns", type=int, default=3, help="turns per session (default 3)")
    parser.add_argument("--ramp-seconds", type=float, default=2.0, help="sessions start spread over this long")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-event wait before a session fails")
    parser.add_argument("--max-lag-ms", type=float, default=200.0)
    parser.add_argument("--max-first-audio-ms", type=float, default=1500.0)
    parser.add_argument("--max-reply-ms", type=float, default=1000.0)
    parser.add_argument("--action-concurrency", type=parse_levels, default=[1, 8, 32],
                        help="closed-loop ActionService clients per level (default 1,8,32)")
    parser.add_argument("--action-seconds", type=float, default=8.0, help="seconds per actions level")
    parser.add_argument("--booking-share", type=float, default=0.2, help="share of actions that are bookings")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="no new level starts after this long")
    parser.add_argument("--json", type=Path, help="also write every level's figures to this file")
    args = parser.parse_args(argv)
    random.seed(7)
    deadline = time.monotonic() + args.max_seconds
    out: list[dict[str, Any]] = []
    modes = ["vad", "engine", "text", "actions"] if args.mode == "all" else [args.mode]
    for mode in modes:
        if mode == "actions":
            backends = ["sqlite", "postgresql"] if args.mode == "all" else [args.backend]
            for backend in backends:
                if backend == "postgresql" and not postgres_available():
                    print("actions postgresql: skipped (PostgreSQL is not reachable on 127.0.0.1:5432)")
                    continue
                action_mode(args, deadline, backend, out)
        else:
            session_modes(args, deadline, mode, out)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
