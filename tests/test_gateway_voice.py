"""Voice over real gRPC with the embedded speech engine and a seeded action agent.

Audio fixtures are espeak-ng speech (tests/audio.py) streamed at real-time pace, as a microphone would.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import wave

import grpc
import opuslib
import pytest
from luna.action.v1 import action_pb2
from luna.voice.v1 import voice_pb2

from gateway.client import split
from tests.audio import silence, speech, write_wav
from tests.gateway_support import (
    SPEAKING,
    WAITING,
    connect,
    events_of,
    final_transcript,
    gateway,
    is_state,
    seeded_agent,
    text,
)
from tests.servers import ROOT, TEST_TOKEN_SECRET

USER_FINAL = final_transcript(voice_pb2.ROLE_USER)
ASSISTANT_FINAL = final_transcript(voice_pb2.ROLE_ASSISTANT)
PCM16 = voice_pb2.AudioConfig(encoding=voice_pb2.AUDIO_ENCODING_PCM16, sample_rate_hz=16000, channels=1)
# Asking for help gets a long reply: time to talk over it.
LONG_REPLY_REQUEST = "what can you do"
BARGE_IN_MS = 300
BACKCHANNEL_MAX_MS = 700


def kind(name):
    return lambda e: e.WhichOneof("event") == name


@pytest.fixture(scope="module")
def agent():
    with seeded_agent() as server:
        yield server


@pytest.fixture(scope="module")
def gw(agent):
    with gateway(agent.address, LUNA_BARGE_IN_MS=str(BARGE_IN_MS),
                 LUNA_BACKCHANNEL_MAX_MS=str(BACKCHANNEL_MAX_MS)) as server:
        yield server


@pytest.fixture
async def channel(gw):
    async with grpc.aio.insecure_channel(gw.address) as ch:
        yield ch


async def say(stream, words: str, trailing_ms: int = 1200) -> float:
    """Stream an utterance in real time; returns when its audio started."""
    started = time.monotonic()
    await stream.stream_pcm(silence(200) + speech(words, speed=150) + silence(trailing_ms))
    return started


async def start_long_reply(stream) -> tuple[str, str]:
    """Ask for help by text and wait until its spoken reply is under way; returns (turn_id, reply text)."""
    await stream.send(text(LONG_REPLY_REQUEST))
    planned = await stream.next(lambda e: kind("transcript")(e) and e.transcript.role == voice_pb2.ROLE_ASSISTANT,
                                within=20)
    await stream.next(is_state(SPEAKING), within=10)
    first = await stream.next(kind("audio_chunk"), within=10)
    assert first.audio_chunk.turn_id == planned.transcript.turn_id
    return planned.transcript.turn_id, planned.transcript.text


def audio_of(stream, turn_id):
    return [r for r in events_of(stream.history, "audio_chunk") if r.event.audio_chunk.turn_id == turn_id]


async def test_spoken_booking_with_spoken_confirmation(channel):
    stream, connected = await connect(channel, 1, input_audio=PCM16, output_audio=PCM16)
    assert connected.engine == "embedded"
    await say(stream, "book a table for two at olive garden tomorrow at seven pm")
    heard = await stream.next(USER_FINAL, within=20)
    assert "olive garden" in heard.transcript.text
    confirmation = (await stream.next(kind("action_confirmation"), within=20)).action_confirmation
    assert confirmation.action == "make_booking" and confirmation.prompt
    prompt_turn = heard.transcript.turn_id
    await stream.next(lambda e: kind("audio_chunk")(e) and e.audio_chunk.is_final, within=30)
    await stream.next(is_state(WAITING), within=10)

    states = [r.event.status.state for r in events_of(stream.history, "status")]
    assert states == [voice_pb2.SESSION_STATE_LISTENING, voice_pb2.SESSION_STATE_PROCESSING,
                      voice_pb2.SESSION_STATE_EXECUTING, voice_pb2.SESSION_STATE_CLARIFYING, SPEAKING, WAITING]

    await say(stream, "yes please")
    answer = await stream.next(USER_FINAL, within=20)
    assert "yes" in answer.transcript.text and answer.transcript.turn_id != prompt_turn
    result = (await stream.next(kind("action_result"), within=20)).action_result
    assert result.status == action_pb2.ACTION_STATUS_SUCCESS and result.action == "make_booking"
    spoken = await stream.next(lambda e: kind("transcript")(e) and e.transcript.role == voice_pb2.ROLE_ASSISTANT,
                               within=10)
    metrics = (await stream.next(kind("turn_metrics"), within=20)).turn_metrics
    assert metrics.turn_id == spoken.transcript.turn_id
    assert metrics.endpointing_ms >= 250 and metrics.asr_ms > 0 and metrics.tts_first_chunk_ms > 0
    assert metrics.total_ms >= metrics.endpointing_ms
    last = await stream.next(lambda e: kind("audio_chunk")(e) and e.audio_chunk.is_final, within=30)
    chunks = audio_of(stream, last.audio_chunk.turn_id)
    assert sum(len(r.event.audio_chunk.data) for r in chunks) > 16000  # over half a second of reply audio
    assert [r.event.audio_chunk.sequence for r in chunks] == list(range(len(chunks)))
    await stream.close()


async def test_barge_in_stops_the_reply_and_the_new_request_is_heard(channel):
    stream, _ = await connect(channel, 31, input_audio=PCM16, output_audio=PCM16)
    turn_id, reply_text = await start_long_reply(stream)
    await asyncio.sleep(1.0)
    talking = asyncio.create_task(say(stream, "actually find me a cheap italian place nearby instead"))
    interrupted = await stream.next_received(kind("interrupted"), within=15)
    speech_started = await talking
    assert interrupted.event.interrupted.turn_id == turn_id
    print(f"barge-in: interrupted {interrupted.at - speech_started:.3f} s after the speech audio began")
    # Detected once the user had spoken past the threshold, and not much later (200 ms of lead-in silence).
    assert interrupted.at - speech_started <= (200 + BACKCHANNEL_MAX_MS + 400) / 1000
    chunks = audio_of(stream, turn_id)
    assert chunks and all(r.at <= interrupted.at for r in chunks), "no reply audio after the interruption"
    assert interrupted.at - chunks[-1].at <= 0.1, "the reply was still streaming when it was stopped"
    assert not any(r.event.audio_chunk.is_final for r in chunks)
    spoken = interrupted.event.interrupted.spoken_text
    assert spoken and reply_text.startswith(spoken[: max(1, len(spoken) - 1)].rstrip(".,"))
    cut = await stream.next(lambda e: ASSISTANT_FINAL(e) and e.transcript.turn_id == turn_id, within=5)
    assert cut.transcript.text == spoken
    heard = await stream.next(USER_FINAL, within=20)
    assert heard.transcript.turn_id != turn_id
    assert {"actually", "cheap", "italian", "place", "nearby", "instead"} & set(heard.transcript.text.split())
    await stream.next(kind("action_result"), within=20)
    await asyncio.sleep(0.5)
    assert len(audio_of(stream, turn_id)) == len(chunks)
    await stream.close()


async def test_a_backchannel_does_not_stop_the_reply(channel):
    stream, _ = await connect(channel, 32, input_audio=PCM16, output_audio=PCM16)
    turn_id, reply_text = await start_long_reply(stream)
    await asyncio.sleep(0.5)
    for backchannel in ("right", "mm-hmm"):
        await say(stream, backchannel, trailing_ms=700)
    final = await stream.next(lambda e: kind("audio_chunk")(e) and e.audio_chunk.is_final, within=30)
    assert final.audio_chunk.turn_id == turn_id
    assert not events_of(stream.history, "interrupted")
    done = await stream.next(lambda e: ASSISTANT_FINAL(e) and e.transcript.turn_id == turn_id, within=5)
    assert done.transcript.text == reply_text
    assert not any(r.event.transcript.turn_id != turn_id for r in events_of(stream.history, "transcript")
                   if r.event.transcript.is_final and r.event.transcript.role == voice_pb2.ROLE_USER)
    await stream.close()


async def test_client_interrupt_stops_audio_at_once(channel):
    stream, _ = await connect(channel, 33, output_audio=PCM16)
    turn_id, _ = await start_long_reply(stream)
    await asyncio.sleep(0.5)
    sent = time.monotonic()
    await stream.send(voice_pb2.ClientEvent(interrupt=voice_pb2.Interrupt()))
    interrupted = await stream.next_received(kind("interrupted"), within=5)
    assert interrupted.at - sent < 0.1
    await asyncio.sleep(0.5)
    assert all(r.at <= interrupted.at for r in audio_of(stream, turn_id))
    await stream.next(is_state(WAITING), within=5)
    await stream.close()


async def test_stop_listening_ends_the_turn_at_once(channel):
    stream, _ = await connect(channel, 35, input_audio=PCM16, text_only=True)
    await stream.stream_pcm(silence(200) + speech("find me a sushi place nearby", speed=150))
    stopped = time.monotonic()
    await stream.send(voice_pb2.ClientEvent(stop_listening=voice_pb2.StopListening()))
    processing = await stream.next_received(is_state(voice_pb2.SESSION_STATE_PROCESSING), within=5)
    assert processing.at - stopped < 0.2  # no trailing-silence wait: the push-to-talk button was released
    assert "sushi" in (await stream.next(USER_FINAL, within=20)).transcript.text
    await stream.next(is_state(WAITING), within=20)
    await stream.next(is_state(voice_pb2.SESSION_STATE_IDLE), within=5)
    await stream.send(voice_pb2.ClientEvent(start_listening=voice_pb2.StartListening()))
    await stream.next(is_state(voice_pb2.SESSION_STATE_LISTENING), within=5)
    await stream.close()


async def test_opus_input_is_recognised_and_opus_output_comes_back(channel):
    opus = voice_pb2.AudioConfig(encoding=voice_pb2.AUDIO_ENCODING_OPUS, sample_rate_hz=48000, channels=1)
    stream, connected = await connect(channel, 34, input_audio=opus, output_audio=opus)
    assert connected.output_audio.encoding == voice_pb2.AUDIO_ENCODING_OPUS
    encoder = opuslib.Encoder(48000, 1, opuslib.APPLICATION_VOIP)
    pcm = silence(200, rate=48000) + speech("find me a sushi place nearby", speed=150, rate=48000) + \
        silence(1200, rate=48000)
    frames = [f.ljust(1920, b"\0") for f in split(pcm, 48000, 20)]
    await stream.stream_chunks((encoder.encode(f, 960) for f in frames), 0.02)
    heard = await stream.next(USER_FINAL, within=20)
    assert "sushi" in heard.transcript.text
    chunk = (await stream.next(kind("audio_chunk"), within=20)).audio_chunk
    assert len(opuslib.Decoder(48000, 1).decode(chunk.data, 5760)) == 960 * 2  # one 20 ms Opus packet
    await stream.close()


def test_luna_talk_streams_wav_files_and_confirms_with_yes(gw, tmp_path):
    wav = tmp_path / "booking.wav"
    write_wav(wav, silence(200) + speech("book a table for two at olive garden tomorrow at seven pm", speed=150))
    replies = tmp_path / "replies"
    env = {**os.environ, "LUNA_TOKEN_SECRET": TEST_TOKEN_SECRET}
    done = subprocess.run([sys.executable, "-m", "luna_cli.main", "talk", "--wav", str(wav), "--yes", "--quiet",
                           "--address", gw.address, "--user", "2", "--out-dir", str(replies)],
                          capture_output=True, text=True, env=env, timeout=90, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "you: " in done.stdout and "olive garden" in done.stdout
    assert "[confirm " in done.stdout and "[result] make_booking success" in done.stdout
    assert "[metrics]" in done.stdout
    saved = sorted(replies.glob("reply-*.wav"))
    assert len(saved) == 2  # the question and the answer
    with wave.open(str(saved[0])) as w:
        assert w.getframerate() == 16000 and w.getnframes() > 8000


def recognition_workers(parent: int) -> list[int]:
    listing = subprocess.run(["ps", "-ww", "-o", "pid=,args=", "--ppid", str(parent)], capture_output=True,
                             text=True, check=True).stdout
    return [int(line.split()[0]) for line in listing.splitlines() if "spawn_main" in line]


async def test_a_crashed_recognition_worker_is_replaced(gw, channel):
    workers = recognition_workers(gw.proc.pid)
    assert workers
    stream, _ = await connect(channel, 36, input_audio=PCM16, text_only=True)
    await stream.send(text("hello"))  # the user's vocabulary has reached the workers
    await stream.next(is_state(WAITING), within=20)
    for pid in workers:  # as if the decoder had crashed
        os.kill(pid, signal.SIGKILL)
    await say(stream, "find me a sushi place nearby")
    error = await stream.next(lambda e: kind("error")(e) and e.error.code == "recognition_failed", within=20)
    assert error.error.retryable
    await stream.next(is_state(WAITING), within=10)
    await say(stream, "find me a sushi place nearby")
    heard = await stream.next(USER_FINAL, within=60)
    assert "sushi" in heard.transcript.text
    await stream.close()
