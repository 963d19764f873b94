"""Wires the action agent's gRPC services onto one server, served by one process or by several worker
processes sharing the port (SO_REUSEPORT).

Every worker is a complete server (health, reflection, both services) over the same database and
checkpointer, so any worker can answer any call. The parent migrates the database and creates the
checkpointer's tables once, binds the port (so --port 0 names one port for all), starts the workers,
prints the SERVING line when all listen, forwards SIGTERM/SIGINT and waits for them to drain.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from luna.action.v1 import action_pb2, action_pb2_grpc
from luna.backend.v1 import backend_pb2_grpc

from action_agent.agent import ActionAgent
from action_agent.backend_service import SERVICE_NAME as LUNA_SERVICE
from action_agent.backend_service import LunaServicer
from action_agent.domain import Domain
from action_agent.graph.checkpoint import describe_checkpoint_location, setup_checkpointer
from action_agent.idempotency import ResponseLog
from action_agent.service import ActionServicer
from action_agent.settings import ActionAgentSettings
from action_agent.store import Store, open_store
from luna_common.grpc_server import ServiceHost, serve_until_signalled
from luna_common.logs import configure_logging

log = logging.getLogger(__name__)

ACTION_SERVICE = action_pb2.DESCRIPTOR.services_by_name["ActionService"].full_name
HOUSEKEEPING_INTERVAL_SECONDS = 3600.0
WORKER_START_TIMEOUT_SECONDS = 120.0
PR_SET_PDEATHSIG = 1


class Services:
    """The servicers of one server process, and what its shutdown must close."""

    def __init__(self, settings: ActionAgentSettings, store: Store, agent: ActionAgent) -> None:
        self.responses = ResponseLog(store.engine)
        self.action = ActionServicer(agent, agent.domain, self.responses)
        self.luna = LunaServicer(agent.domain, settings.token_secret, settings.dev_login)

    async def draining(self) -> None:
        # Open WatchMyBookings streams end now instead of holding the drain for the whole grace period.
        self.luna.close()

    async def stopped(self, grace_seconds: float) -> None:
        # Actions whose caller timed out may still be writing: let them finish and record their answers.
        await self.action.drain(grace_seconds)


def build_host(settings: ActionAgentSettings, store: Store, agent: ActionAgent,
               reuse_port: bool = False) -> tuple[ServiceHost, Services]:
    host = ServiceHost([ACTION_SERVICE, LUNA_SERVICE], reuse_port=reuse_port)
    services = Services(settings, store, agent)
    action_pb2_grpc.add_ActionServiceServicer_to_server(services.action, host.server)
    backend_pb2_grpc.add_LunaServiceServicer_to_server(services.luna, host.server)
    return host, services


async def housekeeping(agent: ActionAgent, responses: ResponseLog, retention: timedelta,
                       interval: float = HOUSEKEEPING_INTERVAL_SECONDS) -> None:
    """Forget idle sessions' conversation state and old recorded answers: now, then every `interval` seconds."""
    while True:
        try:
            sessions = await agent.forget_idle_sessions(retention)
            answers = await asyncio.to_thread(responses.prune)
            log.info("housekeeping", extra={"event": "housekeeping", "idle_sessions_deleted": sessions,
                                            "recorded_answers_deleted": answers})
        except Exception:
            log.exception("housekeeping failed")
        await asyncio.sleep(interval)


async def _serve_one(settings: ActionAgentSettings, *, worker: bool,
                     serve: Callable[[ServiceHost, Services], Awaitable[None]], housekeeper: bool) -> None:
    """Open the store and the agent, serve, close. A worker shares its port and leaves migrations to its parent."""
    store = open_store(settings, migrate_schema=not worker)
    try:
        async with ActionAgent.open(Domain(store.sessions), settings.database_url) as agent:
            host, services = build_host(settings, store, agent, reuse_port=worker)
            keeper = asyncio.create_task(housekeeping(
                agent, services.responses, timedelta(hours=settings.session_retention_hours))) if housekeeper else None
            try:
                await serve(host, services)
            finally:
                if keeper is not None:
                    keeper.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await keeper
    finally:
        store.dispose()


async def serve(settings: ActionAgentSettings) -> None:
    """Serve from this process until SIGTERM/SIGINT (migrating the database first)."""
    settings.require_token_secret()
    log.info("storage", extra={"event": "storage", "checkpoints": describe_checkpoint_location(settings.database_url)})

    async def until_signalled(host: ServiceHost, services: Services) -> None:
        await serve_until_signalled(host, settings.host, settings.port, settings.shutdown_grace_seconds,
                                    service="action_agent", on_draining=services.draining,
                                    on_stopped=lambda: services.stopped(settings.shutdown_grace_seconds))

    await _serve_one(settings, worker=False, serve=until_signalled, housekeeper=True)


def run(settings: ActionAgentSettings) -> None:
    """The entry point: one process, or a parent supervising `settings.workers` worker processes."""
    if settings.workers <= 1:
        asyncio.run(serve(settings))
    else:
        supervise(settings)


# --- worker processes ----------------------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Linux: this worker gets SIGKILL when the parent dies, even by kill -9 (no orphan keeps serving)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _worker_main(settings: ActionAgentSettings, port: int, index: int, ready: Connection) -> None:
    _die_with_parent()
    configure_logging("action_agent", settings.log_level)
    asyncio.run(_worker(settings, port, index, ready))


async def _worker(settings: ActionAgentSettings, port: int, index: int, ready: Connection) -> None:
    async def until_signalled(host: ServiceHost, services: Services) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await host.start(settings.host, port)
        ready.send(os.getpid())  # listening: the parent may announce the port
        ready.close()
        await stop.wait()
        await services.draining()
        await host.stop(settings.shutdown_grace_seconds)
        await services.stopped(settings.shutdown_grace_seconds)

    await _serve_one(settings, worker=True, serve=until_signalled, housekeeper=index == 0)


def _reserve_port(host: str, port: int) -> socket.socket:
    """Bind (not listen) a SO_REUSEPORT socket on host:port, so port 0 becomes one real port all workers share."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def supervise(settings: ActionAgentSettings) -> None:
    settings.require_token_secret()
    log.info("storage", extra={"event": "storage", "checkpoints": describe_checkpoint_location(settings.database_url)})
    # Once, here, so the workers start on a current schema and do not race to create it.
    open_store(settings).dispose()
    asyncio.run(setup_checkpointer(settings.database_url))
    stopping: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        stopping.append(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    context = multiprocessing.get_context("spawn")
    reservation = _reserve_port(settings.host, settings.port)
    port = reservation.getsockname()[1]
    workers: dict[int, BaseProcess] = {}
    ready: dict[int, Connection] = {}

    def start(index: int) -> None:
        # A pipe per worker, not a multiprocessing.Queue: no semaphores left behind when the parent is killed.
        reader, writer = context.Pipe(duplex=False)
        process = context.Process(target=_worker_main, args=(settings, port, index, writer),
                                  name=f"action-agent-worker-{index}")
        process.start()
        writer.close()
        old = ready.pop(index, None)
        if old is not None:
            old.close()
        ready[index] = reader
        workers[index] = process

    try:
        for index in range(settings.workers):
            start(index)
        _await_ready(ready, workers, stopping)
    except BaseException:
        _stop_all(workers, 0)
        raise
    finally:
        reservation.close()
    if not stopping:
        log.info("serving", extra={"event": "serving", "service": "action_agent", "host": settings.host,
                                   "port": port, "workers": settings.workers})
        print(f"SERVING action_agent {settings.host}:{port}", flush=True)
    while not stopping:
        exited = wait([p.sentinel for p in workers.values()], timeout=0.5)
        for index, process in list(workers.items()):
            if process.sentinel in exited and not stopping:
                log.error("worker exited; starting another", extra={"event": "worker_exited", "worker": index,
                                                                     "exitcode": process.exitcode})
                start(index)
    log.info("draining", extra={"event": "draining", "grace_seconds": settings.shutdown_grace_seconds})
    _stop_all(workers, settings.shutdown_grace_seconds)
    log.info("stopped", extra={"event": "stopped"})


def _await_ready(ready: dict[int, Connection], workers: dict[int, BaseProcess], stopping: list[int]) -> None:
    waiting = set(workers)
    deadline = time.monotonic() + WORKER_START_TIMEOUT_SECONDS
    while waiting and not stopping:
        if time.monotonic() > deadline:
            raise SystemExit("action agent workers did not start in time")
        for index in list(waiting):
            try:
                if ready[index].poll(0):
                    ready[index].recv()
                    waiting.discard(index)
            except (EOFError, OSError):
                pass  # the worker died before it listened: reported below
        dead = [i for i in waiting if not workers[i].is_alive()]
        if dead:
            raise SystemExit(f"action agent worker {dead[0]} failed to start (exit code {workers[dead[0]].exitcode})")
        wait([ready[i] for i in waiting] + [workers[i].sentinel for i in waiting], timeout=0.2)


def _stop_all(workers: dict[int, BaseProcess], grace_seconds: float) -> None:
    for process in workers.values():
        if process.is_alive() and process.pid is not None:
            os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds + 5.0
    for process in workers.values():
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(5)
    sys.stdout.flush()
