"""What `luna talk` and `luna chat` share: connecting, printing server events, waiting for a turn to finish."""

from __future__ import annotations

import argparse
import os
import sys

import grpc
from luna.action.v1 import action_pb2
from luna.voice.v1 import voice_pb2

from gateway.client import Received
from luna_common.settings import CommonSettings
from luna_common.tokens import issue_token


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--address", default=os.environ.get("LUNA_GATEWAY_ADDRESS", "127.0.0.1:50051"),
                        help="gateway address (default 127.0.0.1:50051 or LUNA_GATEWAY_ADDRESS)")
    parser.add_argument("--user", type=int, default=1, help="user id to mint a token for (needs LUNA_TOKEN_SECRET)")
    parser.add_argument("--token", default="", help="an existing session token instead of minting one")
    parser.add_argument("--time-zone", default="", help="IANA time zone, e.g. America/New_York")
    parser.add_argument("--quiet", action="store_true", help="do not print partial transcripts and states")


def session_token(args: argparse.Namespace) -> str:
    if args.token:
        return str(args.token)
    return issue_token(args.user, CommonSettings().require_token_secret())


def channel(address: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(address)


def state_name(state: voice_pb2.SessionState.ValueType) -> str:
    return voice_pb2.SessionState.Name(state).removeprefix("SESSION_STATE_").lower()


class Printer:
    """Prints server events as a person wants to read them."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    def __call__(self, received: Received) -> None:
        e = received.event
        kind = received.kind
        line = ""
        if kind == "connected":
            c = e.connected
            line = (f"connected: session {c.session_id} engine={c.engine} idle_timeout={c.idle_timeout_seconds}s"
                    + (" (resumed)" if c.resumed else ""))
        elif kind == "status" and not self.quiet:
            line = f"[{state_name(e.status.state)}]" + (f" {e.status.message}" if e.status.message else "")
        elif kind == "transcript":
            t = e.transcript
            who = "you" if t.role == voice_pb2.ROLE_USER else "luna"
            if t.is_final:
                line = f"{who}: {t.text}"
            elif not self.quiet and t.role == voice_pb2.ROLE_USER:
                line = f"{who} …  {t.text}"
        elif kind == "action_confirmation":
            line = f"[confirm {e.action_confirmation.confirmation_id}] {e.action_confirmation.prompt}"
        elif kind == "action_result":
            r = e.action_result
            status = action_pb2.ActionStatus.Name(r.status).removeprefix("ACTION_STATUS_").lower()
            line = f"[result] {r.action or '-'} {status}" + (f" ({r.error_code})" if r.error_code else "")
        elif kind == "interrupted":
            line = f"[interrupted] after: {e.interrupted.spoken_text!r}"
        elif kind == "turn_metrics":
            m = e.turn_metrics
            line = (f"[metrics] endpointing {m.endpointing_ms:.0f} ms, asr {m.asr_ms:.0f} ms, understanding "
                    f"{m.understanding_ms:.0f} ms, action {m.action_ms:.0f} ms, tts first chunk "
                    f"{m.tts_first_chunk_ms:.0f} ms, total {m.total_ms:.0f} ms")
        elif kind == "error":
            line = f"[error {e.error.code}] {e.error.message}" + (" (retryable)" if e.error.retryable else "")
        elif kind == "session_ended":
            line = f"[session ended: {voice_pb2.EndReason.Name(e.session_ended.reason)}] {e.session_ended.message}"
        if line:
            print(line, flush=True)


def turn_finished(event: voice_pb2.ServerEvent) -> bool:
    """The reply of a turn is complete: the session waits for the next one (or ended)."""
    kind = event.WhichOneof("event")
    return (kind == "status" and event.status.state == voice_pb2.SESSION_STATE_WAITING) or kind == "session_ended"


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1
