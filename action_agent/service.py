"""luna.action.v1.ActionService: the gRPC face of the action graph."""

from __future__ import annotations

import grpc
from luna.action.v1 import action_pb2, action_pb2_grpc

MAX_REQUEST_ID_LENGTH = 128


class ActionServicer(action_pb2_grpc.ActionServiceServicer):
    async def Execute(
        self, request: action_pb2.ActionRequest, context: grpc.aio.ServicerContext
    ) -> action_pb2.ActionResponse:
        await validate_action_request(request, context)
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "the action graph is not available yet")
        raise AssertionError("unreachable")

    async def ListTools(
        self, request: action_pb2.ListToolsRequest, context: grpc.aio.ServicerContext
    ) -> action_pb2.ListToolsResponse:
        return action_pb2.ListToolsResponse()


async def validate_action_request(request: action_pb2.ActionRequest, context: grpc.aio.ServicerContext) -> None:
    """Abort with INVALID_ARGUMENT, naming the field, when the request cannot be acted on."""
    problem = ""
    if not request.request_id or len(request.request_id) > MAX_REQUEST_ID_LENGTH:
        problem = f"request_id is required (1 to {MAX_REQUEST_ID_LENGTH} characters)"
    elif not request.session_id:
        problem = "session_id is required"
    elif request.user_id <= 0:
        problem = "user_id must be a positive user id"
    elif request.intent == action_pb2.INTENT_UNSPECIFIED or request.intent not in action_pb2.Intent.values():
        problem = "intent must be set to one of the luna.action.v1.Intent values"
    elif not 0.0 <= request.confidence <= 1.0:
        problem = "confidence must be between 0 and 1"
    if problem:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, problem)
