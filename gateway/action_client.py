"""The gateway's client of luna.action.v1.ActionService.

Every turn carries its own request_id (idempotency key); a call that fails in
a way that may not have reached the agent (unavailable, timed out) is retried
once with the same id, so the action happens at most once. Failures surface
as ActionUnavailable for the turn to turn into the spec §13.2 wording.
"""

from __future__ import annotations

import asyncio
import logging

import grpc
from luna.action.v1 import action_pb2, action_pb2_grpc

from luna_common.vocabulary import VenueName, Vocabulary

log = logging.getLogger(__name__)

RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
RETRY_BACKOFF_SECONDS = 0.2


class ActionUnavailable(Exception):
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"action agent: {code.name}: {details}")
        self.code = code
        self.details = details


class ActionClient:
    def __init__(self, address: str, timeout_seconds: float) -> None:
        self.address = address
        self.timeout_seconds = timeout_seconds
        self._channel = grpc.aio.insecure_channel(address)
        self._stub = action_pb2_grpc.ActionServiceStub(self._channel)

    @property
    def stub(self) -> action_pb2_grpc.ActionServiceStub:
        """The raw stub on the shared channel (the Qwen engine's function calls use it directly)."""
        return self._stub

    async def execute(self, request: action_pb2.ActionRequest) -> action_pb2.ActionResponse:
        return await self._call(self._stub.Execute, request, request.request_id)

    async def confirm(self, request: action_pb2.ConfirmRequest) -> action_pb2.ActionResponse:
        return await self._call(self._stub.Confirm, request, request.request_id)

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
        reply: action_pb2.GetVocabularyResponse = await self._stub.GetVocabulary(
            action_pb2.GetVocabularyRequest(user_id=user_id), timeout=self.timeout_seconds
        )
        venues = tuple(VenueName(v.venue_id, v.name, tuple(v.aliases), tuple(v.cuisines)) for v in reply.venues)
        return Vocabulary(venues, tuple(reply.friend_names), tuple(reply.cuisines), reply.version)

    async def close(self) -> None:
        await self._channel.close()
