"""Wires the action agent's gRPC services onto one server."""

from __future__ import annotations

from luna.action.v1 import action_pb2, action_pb2_grpc

from action_agent.service import ActionServicer
from action_agent.settings import ActionAgentSettings
from luna_common.grpc_server import ServiceHost, serve_until_signalled

ACTION_SERVICE = action_pb2.DESCRIPTOR.services_by_name["ActionService"].full_name


def build_host(settings: ActionAgentSettings) -> ServiceHost:
    settings.require_token_secret()
    host = ServiceHost([ACTION_SERVICE])
    action_pb2_grpc.add_ActionServiceServicer_to_server(ActionServicer(), host.server)
    return host


async def serve(settings: ActionAgentSettings) -> None:
    host = build_host(settings)
    await serve_until_signalled(
        host, settings.host, settings.port, settings.shutdown_grace_seconds, service="action_agent"
    )
