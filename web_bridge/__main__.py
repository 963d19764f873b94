"""python -m web_bridge: serve the WebSocket↔gRPC bridge for the browser's Converse stream."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal

from luna_common.logs import configure_logging
from web_bridge.bridge import VOICE_PATH, BridgeSettings, ConverseBridge

log = logging.getLogger("web_bridge")

DESCRIPTION = f"""\
Serve the WebSocket side of VoiceGateway.Converse for browsers at ws://HOST:PORT{VOICE_PATH}
(Envoy routes the same path on the app's origin here). One binary WebSocket
message = one serialized luna.voice.v1.ClientEvent / ServerEvent. A gRPC status
N ends the socket with close code 4000+N (OK = 1000) and the details as reason.

Environment:
  LUNA_WEB_BRIDGE_HOST/PORT    bind address (default 127.0.0.1:8081)
  LUNA_GATEWAY_ADDRESS         the gateway (default 127.0.0.1:50051)
  LUNA_LOG_LEVEL               log level (default INFO)
"""


async def serve(host: str, port: int, settings: BridgeSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Handlers first: a supervisor may send SIGTERM as soon as it reads the SERVING line.
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    bridge = ConverseBridge(settings)
    bound = await bridge.start(host, port)
    log.info("serving", extra={"event": "serving", "host": host, "port": bound, "gateway": settings.gateway_address})
    # Printed so supervisors and tests read the port the same way as for the gRPC services.
    print(f"SERVING web_bridge {host}:{bound}", flush=True)
    await stop.wait()
    await bridge.close()
    log.info("stopped", extra={"event": "stopped"})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m web_bridge", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default=os.environ.get("LUNA_WEB_BRIDGE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("LUNA_WEB_BRIDGE_PORT", "8081")),
                        help="bind port, 0 for any free port")
    parser.add_argument("--gateway", default=os.environ.get("LUNA_GATEWAY_ADDRESS", "127.0.0.1:50051"),
                        help="gateway address host:port")
    args = parser.parse_args(argv)
    configure_logging("web_bridge", os.environ.get("LUNA_LOG_LEVEL", "INFO"))
    asyncio.run(serve(args.host, args.port, BridgeSettings(gateway_address=args.gateway)))


if __name__ == "__main__":
    main()
