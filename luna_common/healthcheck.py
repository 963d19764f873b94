"""python -m luna_common.healthcheck HOST:PORT — exit 0 when the gRPC server's health is SERVING.

Used by container health checks and by `luna stack` while it waits for services.
"""

from __future__ import annotations

import sys
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def is_serving(address: str, timeout: float = 2.0, service: str = "") -> bool:
    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def wait_serving(address: str, deadline: float) -> bool:
    """Poll until SERVING or the monotonic deadline passes."""
    while time.monotonic() < deadline:
        if is_serving(address, timeout=1.0):
            return True
        time.sleep(0.2)
    return False


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m luna_common.healthcheck HOST:PORT", file=sys.stderr)
        return 2
    serving = is_serving(args[0])
    print("SERVING" if serving else "NOT SERVING")
    return 0 if serving else 1


if __name__ == "__main__":
    sys.exit(main())
