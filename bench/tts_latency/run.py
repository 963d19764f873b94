"""Time to first audio chunk and synthesis speed of the espeak-ng streaming synthesiser.

    .venv/bin/python -m bench.tts_latency [--repeat 20] [--rate 16000]

For each reply: time from calling synthesize() to the first PCM chunk, time to the last chunk, and
the audio duration; prints median and 95th percentile over all runs.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import statistics
import time

from gateway.speech.embedded.tts import EspeakSynthesizer

REPLIES = [
    "Sure.",
    "Okay, I've booked a table for 4 at Olive Garden tonight at 7:30 PM. Your confirmation code is ABC123.",
    "I found three Italian places nearby: Olive Garden, Bella Napoli and Marco's Trattoria. Which one would you like?",
    "Sushi Zen is 2.3 mi away, about 15 min by car. Dinner for two is usually around $45.",
    "Do you want me to invite Sarah and John to the booking on Friday at 8 PM?",
]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(repeat: int, rate: int) -> None:
    synth = EspeakSynthesizer()
    first: list[float] = []
    total: list[float] = []
    audio_s = 0.0
    synth_s = 0.0
    for _ in range(repeat):
        for text in REPLIES:
            started = time.perf_counter()
            first_at = None
            size = 0
            async for chunk in synth.synthesize(text, rate):
                if first_at is None:
                    first_at = time.perf_counter() - started
                size += len(chunk)
            elapsed = time.perf_counter() - started
            assert first_at is not None
            first.append(first_at * 1000)
            total.append(elapsed * 1000)
            audio_s += size / 2 / rate
            synth_s += elapsed
    print(f"tts_latency  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC  host={platform.node()} cpus={os.cpu_count()}")
    print(f"espeak-ng voice {synth.voice}, output {rate} Hz, {len(first)} syntheses of {len(REPLIES)} replies")
    print(f"first chunk:     median {statistics.median(first):6.1f} ms   p95 {_pct(first, 0.95):6.1f} ms")
    print(f"whole reply:     median {statistics.median(total):6.1f} ms   p95 {_pct(total, 0.95):6.1f} ms")
    print(f"synthesis speed: {audio_s / synth_s:.0f}x real time ({audio_s:.1f} s of audio in {synth_s:.2f} s)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rate", type=int, default=16000, choices=(16000, 24000))
    args = parser.parse_args(argv)
    asyncio.run(measure(args.repeat, args.rate))
