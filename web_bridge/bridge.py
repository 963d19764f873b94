"""The WebSocket↔gRPC bridge for VoiceGateway.Converse.

Browsers cannot open a bidirectional gRPC stream (gRPC-Web is unary and
server-streaming only), so the browser speaks WebSocket and this bridge turns
each connection into one Converse call on the gateway. Each binary WebSocket
message is exactly one serialized ClientEvent (browser → gateway) or
ServerEvent (gateway → browser); nothing is re-encoded.

Endings map both ways:
- the call ends → the socket closes with close_codes.close_code_for_status
  (1000 for OK, 4000 + gRPC code otherwise) and the status details as reason;
- the browser closes or drops → the call is half-closed, given a moment to
  finish, then cancelled, so the gateway always learns the client is gone;
- a text frame or bytes that are not a ClientEvent → 1003 / 1007 and the call
  is cancelled.
Backpressure is end to end: a message is read from the socket only after the
previous one was accepted by gRPC flow control, and the next server event is
read only after the socket write buffer drained.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from dataclasses import dataclass
from http import HTTPStatus

import grpc
from google.protobuf.message import DecodeError
from luna.voice.v1 import voice_pb2, voice_pb2_grpc
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from web_bridge import close_codes

log = logging.getLogger(__name__)

VOICE_PATH = "/voice/connect"
HEALTH_PATH = "/healthz"


class ClientEnd(enum.Enum):
    CLOSED = "closed"  # the browser closed the socket or the connection dropped
    CALL_FINISHED = "call_finished"  # the call ended first; the server side reports it


@dataclass(frozen=True)
class ProtocolViolation:
    close_code: int
    reason: str


@dataclass
class BridgeSettings:
    gateway_address: str
    max_message_bytes: int = 1 << 20
    # How long a half-closed call may take to finish after the browser left before it is cancelled.
    drain_seconds: float = 1.0
    # Socket write buffer high-water mark: above it, reading server events pauses.
    write_limit_bytes: int = 256 * 1024


class ConverseBridge:
    def __init__(self, settings: BridgeSettings) -> None:
        self.settings = settings
        self.channel = grpc.aio.insecure_channel(
            settings.gateway_address,
            options=[
                ("grpc.max_receive_message_length", settings.max_message_bytes),
                ("grpc.max_send_message_length", settings.max_message_bytes),
            ],
        )
        self.stub = voice_pb2_grpc.VoiceGatewayStub(self.channel)
        self.server: Server | None = None

    async def start(self, host: str, port: int) -> int:
        self.server = await serve(
            self.handle,
            host,
            port,
            process_request=self._route,
            max_size=self.settings.max_message_bytes,
            max_queue=16,
            write_limit=self.settings.write_limit_bytes,
            # Audio does not compress; deflate would only cost CPU.
            compression=None,
        )
        sockets = list(self.server.sockets)
        return int(sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self.server is not None:
            # Open sockets get 1001 (going away); their calls are cancelled by handle().
            self.server.close(close_connections=True)
            await self.server.wait_closed()
        await self.channel.close()

    def _route(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path == HEALTH_PATH:
            return connection.respond(HTTPStatus.OK, "ok\n")
        if path != VOICE_PATH:
            return connection.respond(HTTPStatus.NOT_FOUND, f"the voice stream is at {VOICE_PATH}\n")
        return None

    async def handle(self, ws: ServerConnection) -> None:
        call = self.stub.Converse()
        session: dict[str, str] = {}
        downstream = asyncio.create_task(self._server_to_client(ws, call, session))
        upstream = asyncio.create_task(self._client_to_server(ws, call))
        ended_by = "server"
        try:
            done, _ = await asyncio.wait({downstream, upstream}, return_when=asyncio.FIRST_COMPLETED)
            if downstream in done:
                upstream.cancel()
                if downstream.result() is ClientEnd.CLOSED:
                    ended_by = "client"
            else:
                outcome = upstream.result()
                if isinstance(outcome, ProtocolViolation):
                    ended_by = "client_protocol"
                    call.cancel()
                    downstream.cancel()
                    await ws.close(outcome.close_code, outcome.reason)
                elif outcome is ClientEnd.CLOSED:
                    ended_by = "client"
                    await self._finish_after_client_left(call, downstream)
                else:
                    await downstream
        finally:
            for task in (upstream, downstream):
                task.cancel()
            await asyncio.gather(upstream, downstream, return_exceptions=True)
            call.cancel()
            status = await call.code()  # resolves at once: the call is finished or cancelled by now
            log.info(
                "converse closed",
                extra={"event": "converse_closed", "session_id": session.get("id", ""), "ended_by": ended_by,
                       "grpc_status": status.name, "close_code": ws.close_code},
            )

    async def _finish_after_client_left(
        self, call: grpc.aio.StreamStreamCall, downstream: asyncio.Task[ClientEnd | None]
    ) -> None:
        # Half-close first so a gateway that reads to the end of the stream ends cleanly;
        # cancel if it does not finish promptly, so no call outlives its browser.
        with contextlib.suppress(grpc.aio.AioRpcError, grpc.aio.UsageError, asyncio.InvalidStateError):
            await call.done_writing()
        await asyncio.wait({downstream}, timeout=self.settings.drain_seconds)
        call.cancel()

    async def _client_to_server(
        self, ws: ServerConnection, call: grpc.aio.StreamStreamCall
    ) -> ClientEnd | ProtocolViolation:
        try:
            async for message in ws:
                if isinstance(message, str):
                    return ProtocolViolation(close_codes.UNSUPPORTED_DATA, "send binary luna.voice.v1.ClientEvent")
                try:
                    event = voice_pb2.ClientEvent.FromString(message)
                except DecodeError:
                    return ProtocolViolation(close_codes.INVALID_PAYLOAD, "not a luna.voice.v1.ClientEvent")
                try:
                    # Awaiting the write is the backpressure: no further socket reads until gRPC takes it.
                    await call.write(event)
                except (grpc.aio.AioRpcError, grpc.aio.UsageError, asyncio.InvalidStateError):
                    return ClientEnd.CALL_FINISHED
        except ConnectionClosed:
            pass
        return ClientEnd.CLOSED

    async def _server_to_client(
        self, ws: ServerConnection, call: grpc.aio.StreamStreamCall, session: dict[str, str]
    ) -> ClientEnd | None:
        """Relay server events until the call ends (None) or the browser is gone (ClientEnd.CLOSED)."""
        try:
            async for event in call:
                if event.WhichOneof("event") == "connected":
                    session["id"] = event.connected.session_id  # only for the log line
                await ws.send(event.SerializeToString())
        except grpc.aio.AioRpcError:
            pass  # the status is read from the call below
        except ConnectionClosed:
            call.cancel()
            return ClientEnd.CLOSED
        code = await call.code()
        details = await call.details()
        reason = close_codes.close_reason(details or ("" if code == grpc.StatusCode.OK else code.name))
        await ws.close(close_codes.close_code_for_status(code), reason)
        return None

