"""Streaming espeak-ng synthesis: chunk size and rate, first audio before the whole reply is synthesised."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncGenerator

import numpy as np
import pytest

from gateway.speech.embedded.tts import EspeakSynthesizer, EspeakVoice

REPLY = "Okay, I've booked a table for 4 at Olive Garden tonight at 7:30 PM. Your code is ABC123."


@pytest.mark.parametrize("rate", [16000, 24000])
async def test_streams_fixed_size_chunks_at_the_requested_rate(rate: int) -> None:
    synth = EspeakSynthesizer(EspeakVoice(chunk_ms=40))
    chunks = [c async for c in synth.synthesize(REPLY, rate)]
    size = 2 * rate * 40 // 1000
    assert len(chunks) > 20
    assert all(len(c) == size for c in chunks[:-1])
    assert 0 < len(chunks[-1]) <= size
    seconds = sum(len(c) for c in chunks) / 2 / rate
    assert 4.0 < seconds < 12.0  # a ~6 s sentence at either rate: the resampler kept the duration
    samples = np.frombuffer(b"".join(chunks), dtype="<i2").astype(np.float64)
    assert np.sqrt(np.mean(samples**2)) > 500  # real speech, not silence


async def test_resampled_audio_keeps_its_duration_at_both_rates() -> None:
    """The same text at 16 and 24 kHz lasts as long: the stream resampler neither drops nor repeats audio."""
    synth = EspeakSynthesizer()
    durations = {}
    for rate in (16000, 24000):
        pcm = b"".join([c async for c in synth.synthesize("aaaah", rate)])
        durations[rate] = len(pcm) / 2 / rate
    assert durations[16000] == pytest.approx(durations[24000], abs=0.05)


async def test_first_chunk_arrives_before_synthesis_ends() -> None:
    synth = EspeakSynthesizer()
    text = " ".join(f"Sentence number {i} is here to make this reply long." for i in range(60))
    started = time.perf_counter()
    first = None
    count = 0
    async for _ in synth.synthesize(text, 16000):
        if first is None:
            first = time.perf_counter() - started
        count += 1
    total = time.perf_counter() - started
    assert first is not None and count > 1000
    assert first < total / 4  # espeak-ng was still synthesising when audio began to flow


def _espeak_children() -> list[int]:
    pids = []
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        with open(f"/proc/{os.getpid()}/task/{task}/children") as f:
            pids += [int(p) for p in f.read().split()]
    names = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/comm") as f:
                names[pid] = f.read().strip()
        except FileNotFoundError:
            continue
    return [pid for pid, name in names.items() if name.startswith("espeak")]


async def test_stopping_early_kills_espeak() -> None:
    synth = EspeakSynthesizer()
    stream = synth.synthesize(" ".join(["This goes on and on."] * 2000), 16000)
    assert isinstance(stream, AsyncGenerator)
    async for _ in stream:
        break
    assert len(_espeak_children()) == 1  # still synthesising the long reply
    await stream.aclose()  # barge-in: the consumer stops listening
    assert _espeak_children() == []


async def test_empty_text_yields_nothing() -> None:
    assert [c async for c in EspeakSynthesizer().synthesize("  ", 16000)] == []
