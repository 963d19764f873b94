"""`make run` starts the whole stack (`luna stack`): both gRPC servers healthy, found through reflection, the
app served through Envoy at the printed URL, and Ctrl-C stops every process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.servers import ROOT, TEST_TOKEN_SECRET
from tests.test_foundation import list_services


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_stack_starts_every_service_healthy_and_stops_on_ctrl_c(tmp_path):
    gateway, action, web, bridge, app = free_ports(5)
    env = {**os.environ, "LUNA_TOKEN_SECRET": TEST_TOKEN_SECRET, "DATABASE_URL": f"sqlite:///{tmp_path}/luna.db",
           "LUNA_ACTION_WORKERS": "1", "LUNA_ASR_WORKERS": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "luna_cli.main", "stack", "--gateway-port", str(gateway), "--action-port", str(action),
         "--web-port", str(web), "--bridge-port", str(bridge), "--app-port", str(app), "--ready-timeout", "180"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    up = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "Press Ctrl-C to stop" in line:
                up.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        assert up.wait(240), "".join(lines[-40:])
        output = "".join(lines)
        assert f"http://127.0.0.1:{web}/" in output
        for port, service in ((gateway, "luna.voice.v1.VoiceGateway"), (action, "luna.action.v1.ActionService")):
            address = f"127.0.0.1:{port}"
            with grpc.insecure_channel(address) as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            assert service in list_services(address)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{web}/", timeout=10) as page:
                    assert page.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    for port in (gateway, action, web, bridge, app):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still served after Ctrl-C"
