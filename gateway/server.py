"""Wires the voice gateway's gRPC service onto one server."""

from __future__ import annotations

from luna.voice.v1 import voice_pb2, voice_pb2_grpc

from gateway.service import VoiceGatewayServicer
from gateway.settings import GatewaySettings
from luna_common.grpc_server import ServiceHost, serve_until_signalled

VOICE_SERVICE = voice_pb2.DESCRIPTOR.services_by_name["VoiceGateway"].full_name


def build_host(settings: GatewaySettings) -> tuple[ServiceHost, VoiceGatewayServicer]:
    secret = settings.require_token_secret()
    host = ServiceHost([VOICE_SERVICE], max_message_bytes=settings.max_message_bytes)
    servicer = VoiceGatewayServicer(settings, secret)
    voice_pb2_grpc.add_VoiceGatewayServicer_to_server(servicer, host.server)
    return host, servicer


async def serve(settings: GatewaySettings) -> None:
    host, servicer = build_host(settings)
    await servicer.start()
    await serve_until_signalled(host, settings.host, settings.port, settings.shutdown_grace_seconds,
                                service="gateway", on_stopped=servicer.close)
