"""luna.voice.v1.VoiceGateway: the gRPC face of the voice gateway."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import grpc
from luna.voice.v1 import voice_pb2, voice_pb2_grpc

from gateway.settings import GatewaySettings
from luna_common.tokens import TokenError, verify_token


class VoiceGatewayServicer(voice_pb2_grpc.VoiceGatewayServicer):
    def __init__(self, settings: GatewaySettings, token_secret: str) -> None:
        self.settings = settings
        self.token_secret = token_secret

    async def Converse(
        self, request_iterator: AsyncIterator[voice_pb2.ClientEvent], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[voice_pb2.ServerEvent]:
        first = await anext(request_iterator, None)
        if first is None or first.WhichOneof("event") != "start":
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the first event of Converse must be start")
            return
        try:
            claims = verify_token(first.start.session_token, self.token_secret)
        except TokenError as exc:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(exc))
            return
        session_id = str(uuid.uuid4())
        yield voice_pb2.ServerEvent(
            connected=voice_pb2.Connected(session_id=session_id, engine="embedded",
                                          idle_timeout_seconds=int(self.settings.idle_timeout_seconds))
        )
        del claims
        async for event in request_iterator:
            if event.WhichOneof("event") == "end_session":
                yield voice_pb2.ServerEvent(
                    session_ended=voice_pb2.SessionEnded(reason=voice_pb2.END_REASON_CLIENT_ENDED)
                )
                return
