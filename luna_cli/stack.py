"""luna stack: run every service of Luna Voice in the foreground, with prefixed logs; Ctrl-C stops them all.

The development token secret is created once under var/ and handed to the
services through the environment (they read secrets only from there).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from luna_common.healthcheck import wait_serving

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


@dataclass
class ServiceSpec:
    name: str
    argv: list[str]
    # gRPC address whose health must be SERVING before the stack counts as up ("" = no check).
    health_address: str = ""
    env: dict[str, str] = field(default_factory=dict)


def dev_token_secret() -> str:
    """LUNA_TOKEN_SECRET from the environment, else a per-checkout development secret kept in var/."""
    if os.environ.get("LUNA_TOKEN_SECRET"):
        return os.environ["LUNA_TOKEN_SECRET"]
    path = VAR / "dev-token-secret"
    if not path.exists():
        VAR.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def stack_services(args: argparse.Namespace) -> list[ServiceSpec]:
    py = sys.executable
    return [
        ServiceSpec("action", [py, "-m", "action_agent", "--port", str(args.action_port)],
                    f"127.0.0.1:{args.action_port}"),
        ServiceSpec("gateway", [py, "-m", "gateway", "--port", str(args.gateway_port),
                                "--action-agent", f"127.0.0.1:{args.action_port}"],
                    f"127.0.0.1:{args.gateway_port}"),
        # The browser's side: the WebSocket bridge for Converse, the Next.js app, and Envoy in front of both
        # (gRPC-Web for LunaService and the gateway's unary calls); one origin, printed as the app URL.
        ServiceSpec("bridge", [py, "-m", "web_bridge", "--port", str(args.bridge_port),
                               "--gateway", f"127.0.0.1:{args.gateway_port}"]),
        ServiceSpec("app", [shutil.which("node") or "node", str(ROOT / "user-app/node_modules/next/dist/bin/next"),
                            "start", str(ROOT / "user-app"), "-H", "127.0.0.1", "-p", str(args.app_port)],
                    env={"NEXT_TELEMETRY_DISABLED": "1"}),
        ServiceSpec("envoy", [py, "-m", "web_bridge.envoy", "--listen", f"127.0.0.1:{args.web_port}",
                              "--gateway", f"127.0.0.1:{args.gateway_port}",
                              "--action-agent", f"127.0.0.1:{args.action_port}",
                              "--bridge", f"127.0.0.1:{args.bridge_port}", "--app", f"127.0.0.1:{args.app_port}",
                              "--out", str(VAR / "envoy.yaml")]),
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gateway-port", type=int, default=50051)
    parser.add_argument("--action-port", type=int, default=50052)
    parser.add_argument("--web-port", type=int, default=8080, help="Envoy: the app and its APIs for the browser")
    parser.add_argument("--bridge-port", type=int, default=8081, help="the WebSocket bridge (behind Envoy)")
    parser.add_argument("--app-port", type=int, default=3000, help="the Next.js server (behind Envoy)")
    parser.add_argument("--ready-timeout", type=float, default=60.0, help="seconds to wait for health")


def _pump(name: str, stream: object) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        sys.stdout.write(f"{name:>8} | {line}")
        sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    env = {**os.environ, "LUNA_TOKEN_SECRET": dev_token_secret(), "LUNA_DEV_LOGIN": "1", "PYTHONUNBUFFERED": "1"}
    procs: list[tuple[ServiceSpec, subprocess.Popen[str]]] = []
    stopping = threading.Event()

    def stop_all(*_: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop_all)
    signal.signal(signal.SIGTERM, stop_all)
    try:
        for spec in stack_services(args):
            proc = subprocess.Popen(spec.argv, cwd=ROOT, env={**env, **spec.env}, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, start_new_session=True)
            threading.Thread(target=_pump, args=(spec.name, proc.stdout), daemon=True).start()
            procs.append((spec, proc))
        deadline = time.monotonic() + args.ready_timeout
        for spec, proc in procs:
            if spec.health_address and not wait_serving(spec.health_address, deadline):
                print(f"luna stack: {spec.name} did not become healthy (exit code {proc.poll()})", flush=True)
                return 1
        print("\nLuna Voice is up:", flush=True)
        for spec, _ in procs:
            if spec.health_address:
                print(f"  {spec.name:<8} grpc://{spec.health_address}", flush=True)
        print(f"  app      http://127.0.0.1:{args.web_port}/  (open in a browser; sign in as a demo user)", flush=True)
        print("Press Ctrl-C to stop.\n", flush=True)
        while not stopping.is_set():
            for spec, proc in procs:
                if proc.poll() is not None:
                    print(f"luna stack: {spec.name} exited with code {proc.returncode}; stopping", flush=True)
                    return 1
            stopping.wait(0.5)
        return 0
    finally:
        for _, proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _, proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
