"""Start the real Luna servers as subprocesses on free loopback ports, for tests and benchmarks."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_TOKEN_SECRET = "test-secret-for-luna-voice-0123456789"


@dataclass
class ServerProcess:
    name: str
    proc: subprocess.Popen[str]
    address: str
    output: list[str] = field(default_factory=list)

    def terminate(self, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


def start_server(module: str, args: list[str] | None = None, env: dict[str, str] | None = None,
                 timeout: float = 60.0) -> ServerProcess:
    """Run `python -m module --port 0 ARGS` and wait for its SERVING line."""
    full_env = {**os.environ, "LUNA_TOKEN_SECRET": TEST_TOKEN_SECRET, "PYTHONUNBUFFERED": "1",
                "LUNA_LOG_LEVEL": "WARNING", **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", module, "--port", "0", *(args or [])], cwd=ROOT, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str | None] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.05, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        if line.startswith("SERVING "):
            address = line.split()[2]
            return ServerProcess(module, proc, address, output)
    proc.kill()
    raise RuntimeError(f"{module} did not start:\n{''.join(output)}")


@contextmanager
def running_server(module: str, args: list[str] | None = None,
                   env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    server = start_server(module, args, env)
    try:
        yield server
    finally:
        server.kill()
