"""luna talk: stream WAV files through VoiceGateway.Converse in real time, one turn per file.

Each file is streamed at its natural pace, followed by silence until Luna has
answered. A confirmation question is answered by the next file (say "yes")
or, with --yes, by a confirm event. Transcripts, states and turn metrics are
printed; each spoken reply is saved as a WAV file.
"""

from __future__ import annotations

import argparse
import asyncio
import wave
from pathlib import Path

import grpc
import numpy as np
from luna.action.v1 import action_pb2
from luna.voice.v1 import voice_pb2

from gateway.audio.codec import Resampler
from gateway.client import ConverseStream, kind_is, open_stream
from luna_cli.voice_session import Printer, add_connection_arguments, channel, fail, session_token, turn_finished

NEEDS_CONFIRMATION = action_pb2.ACTION_STATUS_NEEDS_CONFIRMATION
CHUNK_MS = 20
TURN_TIMEOUT_SECONDS = 60.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--wav", action="append", required=True, metavar="FILE",
                        help="a WAV file to say (16-bit PCM, any rate; repeat for several turns)")
    parser.add_argument("--yes", action="store_true", help="confirm every confirmation question")
    parser.add_argument("--out-dir", default="talk-replies", help="where reply audio is saved (default talk-replies)")
    parser.add_argument("--output-rate", type=int, default=16000, help="reply sample rate (default 16000)")
    add_connection_arguments(parser)


def read_wav(path: str, rate: int = 16000) -> bytes:
    """16 kHz mono PCM16 of a WAV file (stereo is mixed down, other rates resampled)."""
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV files are supported")
        frames = w.readframes(w.getnframes())
        channels, source_rate = w.getnchannels(), w.getframerate()
    samples = np.frombuffer(frames, dtype="<i2")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).astype("<i2")
    return Resampler(source_rate, rate).process(samples.tobytes(), last=True)


def write_wav(path: Path, pcm: bytes, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)


async def say(stream: ConverseStream, pcm: bytes) -> None:
    """Stream one utterance, then silence until the turn's reply is complete."""
    seen = len(stream.history)
    await stream.stream_pcm(pcm, chunk_ms=CHUNK_MS)
    silence = bytes(2 * 16000 * CHUNK_MS // 1000)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TURN_TIMEOUT_SECONDS
    next_at = loop.time()
    while not any(turn_finished(r.event) for r in stream.history[seen:]):
        if stream.done or loop.time() > deadline:
            raise TimeoutError("no reply to this turn")
        next_at += CHUNK_MS / 1000
        await asyncio.sleep(max(0.0, next_at - loop.time()))
        await stream.send_audio(silence)


def pending_confirmation(stream: ConverseStream, since: int) -> voice_pb2.ActionConfirmation | None:
    found = None
    for r in stream.history[since:]:
        if r.kind == "action_confirmation":
            found = r.event.action_confirmation
        elif r.kind == "action_result" and r.event.action_result.status != NEEDS_CONFIRMATION:
            found = None
    return found


async def talk(args: argparse.Namespace, utterances: list[bytes], out_dir: Path) -> int:
    start = voice_pb2.Start(
        session_token=session_token(args), time_zone=args.time_zone,
        input_audio=voice_pb2.AudioConfig(encoding=voice_pb2.AUDIO_ENCODING_PCM16, sample_rate_hz=16000, channels=1),
        output_audio=voice_pb2.AudioConfig(encoding=voice_pb2.AUDIO_ENCODING_PCM16, sample_rate_hz=args.output_rate,
                                           channels=1))
    async with channel(args.address) as ch:
        stream = await open_stream(ch, start, Printer(args.quiet))
        try:
            await stream.next(kind_is("connected"), within=15)
            for pcm in utterances:
                seen = len(stream.history)
                await say(stream, pcm)
                confirmation = pending_confirmation(stream, seen)
                if confirmation is not None and args.yes:
                    seen_confirm = len(stream.history)
                    await stream.send(voice_pb2.ClientEvent(confirm=voice_pb2.ConfirmAction(
                        confirmation_id=confirmation.confirmation_id, confirmed=True)))
                    while not any(turn_finished(r.event) for r in stream.history[seen_confirm:]):
                        await stream.next(within=TURN_TIMEOUT_SECONDS)
            await stream.send(voice_pb2.ClientEvent(end_session=voice_pb2.EndSessionEvent()))
            await stream.close()
        except (EOFError, TimeoutError) as exc:
            await stream.drop()
            detail = f"{stream.error.code().name}: {stream.error.details()}" if stream.error else str(exc)
            return fail(detail)
        except grpc.aio.AioRpcError as exc:
            return fail(f"{exc.code().name}: {exc.details()}")
    save_replies(stream, out_dir, args.output_rate)
    return 0


def save_replies(stream: ConverseStream, out_dir: Path, rate: int) -> None:
    replies: dict[str, bytearray] = {}
    for r in stream.history:
        if r.kind == "audio_chunk":
            replies.setdefault(r.event.audio_chunk.turn_id, bytearray()).extend(r.event.audio_chunk.data)
    for n, pcm in enumerate(replies.values(), start=1):
        path = out_dir / f"reply-{n}.wav"
        write_wav(path, bytes(pcm), rate)
        print(f"saved {path} ({len(pcm) / 2 / rate:.1f} s)")


def run(args: argparse.Namespace) -> int:
    try:
        utterances = [read_wav(path) for path in args.wav]
        out_dir = Path(args.out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        return asyncio.run(talk(args, utterances, out_dir))
    except (OSError, ValueError, wave.Error) as exc:
        return fail(str(exc))
