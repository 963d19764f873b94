"""Wires the action agent's gRPC services onto one server."""

from __future__ import annotations

from luna.action.v1 import action_pb2, action_pb2_grpc
from luna.backend.v1 import backend_pb2_grpc

from action_agent.agent import ActionAgent
from action_agent.backend_service import SERVICE_NAME as LUNA_SERVICE
from action_agent.backend_service import LunaServicer
from action_agent.domain import Domain
from action_agent.idempotency import ResponseLog
from action_agent.service import ActionServicer
from action_agent.settings import ActionAgentSettings
from action_agent.store import Store, open_store
from luna_common.grpc_server import ServiceHost, serve_until_signalled

ACTION_SERVICE = action_pb2.DESCRIPTOR.services_by_name["ActionService"].full_name


def build_host(settings: ActionAgentSettings, store: Store, agent: ActionAgent) -> ServiceHost:
    domain = agent.domain
    host = ServiceHost([ACTION_SERVICE, LUNA_SERVICE])
    action_pb2_grpc.add_ActionServiceServicer_to_server(
        ActionServicer(agent, domain, ResponseLog(store.engine)), host.server
    )
    backend_pb2_grpc.add_LunaServiceServicer_to_server(
        LunaServicer(domain, settings.token_secret, settings.dev_login), host.server
    )
    return host


async def serve(settings: ActionAgentSettings) -> None:
    settings.require_token_secret()
    # Opens the database and migrates it to the current schema, so a fresh var/ just works.
    store = open_store(settings)
    try:
        # The action graph's checkpointer (pending confirmations) lives beside the database.
        async with ActionAgent.open(Domain(store.sessions), settings.database_url) as agent:
            host = build_host(settings, store, agent)
            await serve_until_signalled(
                host, settings.host, settings.port, settings.shutdown_grace_seconds, service="action_agent"
            )
    finally:
        store.dispose()
