"""Running a grpc.aio server the same way in every Luna service.

Standard health and reflection services, SIGTERM/SIGINT graceful shutdown
(stop accepting, let open calls finish up to a grace period), and a log line
with the bound port so a supervisor or test can find it.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

log = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024


class ServiceHost:
    """A grpc.aio server with health and reflection, started and stopped as one."""

    def __init__(
        self,
        service_names: Sequence[str],
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
        reuse_port: bool = False,
    ) -> None:
        # reuse_port lets sibling worker processes share one listening port; off by default so a second
        # server on a taken port fails loudly instead of silently splitting traffic.
        self.server = grpc.aio.server(
            interceptors=list(interceptors),
            options=[
                ("grpc.max_receive_message_length", max_message_bytes),
                ("grpc.max_send_message_length", max_message_bytes),
                ("grpc.so_reuseport", 1 if reuse_port else 0),
            ],
        )
        self.service_names = list(service_names)
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            [*self.service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], self.server
        )
        self.port = 0

    async def start(self, host: str, port: int) -> int:
        self.port = self.server.add_insecure_port(f"{host}:{port}")
        if self.port == 0:
            raise OSError(f"could not bind {host}:{port}")
        await self.server.start()
        await self._set_health(health_pb2.HealthCheckResponse.SERVING)
        return self.port

    async def _set_health(self, status: int) -> None:
        for name in ["", *self.service_names]:
            await self.health.set(name, status)

    async def stop(self, grace_seconds: float) -> None:
        await self._set_health(health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.server.stop(grace_seconds)


async def serve_until_signalled(
    host: ServiceHost,
    bind_host: str,
    port: int,
    grace_seconds: float,
    service: str,
    on_draining: Callable[[], Awaitable[None]] | None = None,
    on_stopped: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT, then drain open calls for up to grace_seconds."""
    bound = await host.start(bind_host, port)
    log.info("serving", extra={"event": "serving", "service": service, "host": bind_host, "port": bound})
    # Printed (not only logged) so supervisors and tests can read the port from stdout.
    print(f"SERVING {service} {bind_host}:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("draining", extra={"event": "draining", "grace_seconds": grace_seconds})
    if on_draining is not None:
        await on_draining()
    await host.stop(grace_seconds)
    if on_stopped is not None:
        await on_stopped()
    log.info("stopped", extra={"event": "stopped"})
