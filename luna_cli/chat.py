"""luna chat: type to Luna through VoiceGateway.Converse (text mode, spec §13.3 level 3).

Each line is one turn. /yes and /no answer a pending confirmation with a
confirm event (typing "yes" works too); /quit ends the session.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import grpc
from luna.voice.v1 import voice_pb2

from gateway.client import ConverseStream, kind_is, open_stream
from luna_cli.voice_session import Printer, add_connection_arguments, channel, fail, session_token, turn_finished

TURN_TIMEOUT_SECONDS = 60.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_arguments(parser)


async def wait_turn(stream: ConverseStream, since: int) -> None:
    while not any(turn_finished(r.event) for r in stream.history[since:]):
        await stream.next(within=TURN_TIMEOUT_SECONDS)


def last_confirmation_id(stream: ConverseStream) -> str:
    for r in reversed(stream.history):
        if r.kind == "action_confirmation":
            return r.event.action_confirmation.confirmation_id
    return ""


async def chat(args: argparse.Namespace) -> int:
    start = voice_pb2.Start(session_token=session_token(args), text_only=True, time_zone=args.time_zone)
    async with channel(args.address) as ch:
        stream = await open_stream(ch, start, Printer(quiet=True))
        try:
            await stream.next(kind_is("connected"), within=15)
            print("Type to Luna. /yes or /no answers a confirmation, /quit ends.", flush=True)
            while True:
                line = await asyncio.to_thread(sys.stdin.readline)
                if not line or line.strip() == "/quit":
                    break
                text = line.strip()
                if not text:
                    continue
                since = len(stream.history)
                if text in ("/yes", "/no"):
                    confirmation_id = last_confirmation_id(stream)
                    if not confirmation_id:
                        print("nothing to confirm", flush=True)
                        continue
                    await stream.send(voice_pb2.ClientEvent(confirm=voice_pb2.ConfirmAction(
                        confirmation_id=confirmation_id, confirmed=text == "/yes")))
                else:
                    await stream.send(voice_pb2.ClientEvent(text_input=voice_pb2.TextInput(text=text)))
                await wait_turn(stream, since)
            await stream.send(voice_pb2.ClientEvent(end_session=voice_pb2.EndSessionEvent()))
            await stream.close()
        except (EOFError, TimeoutError) as exc:
            await stream.drop()
            return fail(f"{stream.error.code().name}: {stream.error.details()}" if stream.error else str(exc))
        except grpc.aio.AioRpcError as exc:
            return fail(f"{exc.code().name}: {exc.details()}")
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(chat(args))
    except KeyboardInterrupt:
        return 130
