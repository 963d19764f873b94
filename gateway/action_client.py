"""The gateway's client of luna.action.v1.ActionService.

Every turn carries its own request_id (idempotency key); a call that fails in
a way that may not have reached the agent (unavailable, timed out) is retried
once with the same id, so the action happens at most once. Failures surface
as ActionUnavailable for the turn to turn into the spec §13.2 wording.

The agent serves from several worker processes sharing one port, and the kernel hands each TCP connection to
one of them: one channel would keep every call on a single worker. So the client holds a few connections and
sends each session's calls over the same one (chosen by session id), which spreads sessions over the workers
and keeps one session's turns in one worker.
"""

from __future__ import annotations

import asyncio
import logging
import zlib

import grpc
from luna.action.v1 import action_pb2, action_pb2_grpc

from luna_common.vocabulary import VenueName, Vocabulary

log = logging.getLogger(__name__)

RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
RETRY_BACKOFF_SECONDS = 0.2
# Identical channels share their connection through gRPC's global subchannel pool; a local pool gives each
# channel a connection of its own.
OWN_CONNECTION = ("grpc.use_local_subchannel_pool", 1)


class ActionUnavailable(Exception):
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"action agent: {code.name}: {details}")
        self.code = code
        self.details = details


class ActionClient:
    def __init__(self, address: str, timeout_seconds: float, connections: int = 1) -> None:
        if connections < 1:
            raise ValueError("connections must be at least 1")
        self.address = address
        self.timeout_seconds = timeout_seconds
        self._channels = [grpc.aio.insecure_channel(address, options=[OWN_CONNECTION]) for _ in range(connections)]
        self._stubs = [action_pb2_grpc.ActionServiceStub(channel) for channel in self._channels]

    def stub(self, session_id: str) -> action_pb2_grpc.ActionServiceStub:
        """The raw stub for a session's connection (the Qwen engine's function calls use it directly)."""
        return self._stubs[zlib.crc32(session_id.encode()) % len(self._stubs)]

    async def execute(self, request: action_pb2.ActionRequest) -> action_pb2.ActionResponse:
        return await self._call(self.stub(request.session_id).Execute, request, request.request_id)

    async def confirm(self, request: action_pb2.ConfirmRequest) -> action_pb2.ActionResponse:
        return await self._call(self.stub(request.session_id).Confirm, request, request.request_id)

    async def _call(self, method: grpc.aio.UnaryUnaryMultiCallable, request: object,
                    request_id: str) -> action_pb2.ActionResponse:
        for attempt in (1, 2):
            try:
                response: action_pb2.ActionResponse = await method(request, timeout=self.timeout_seconds)
                return response
            except grpc.aio.AioRpcError as exc:
                log.warning("action call failed", extra={"event": "action_failed", "request_id": request_id,
                                                         "code": exc.code().name, "attempt": attempt})
                if attempt == 1 and exc.code() in RETRYABLE:
                    await asyncio.sleep(RETRY_BACKOFF_SECONDS)
                    continue
                raise ActionUnavailable(exc.code(), exc.details() or "") from exc
        raise AssertionError("unreachable")

    async def vocabulary(self, user_id: int) -> Vocabulary:
        reply: action_pb2.GetVocabularyResponse = await self._stubs[0].GetVocabulary(
            action_pb2.GetVocabularyRequest(user_id=user_id), timeout=self.timeout_seconds
        )
        venues = tuple(VenueName(v.venue_id, v.name, tuple(v.aliases), tuple(v.cuisines)) for v in reply.venues)
        return Vocabulary(venues, tuple(reply.friend_names), tuple(reply.cuisines), reply.version)

    async def close(self) -> None:
        await asyncio.gather(*(channel.close() for channel in self._channels))
