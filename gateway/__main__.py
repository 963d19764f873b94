"""python -m gateway: serve luna.voice.v1.VoiceGateway."""

from __future__ import annotations

import argparse
import asyncio

from gateway.settings import GatewaySettings
from luna_common.logs import configure_logging

DESCRIPTION = """\
Serve the Luna voice gateway over gRPC: luna.voice.v1.VoiceGateway (the
Converse voice stream and the session/understanding calls), with
grpc.health.v1 and server reflection.

Environment:
  LUNA_TOKEN_SECRET            HMAC secret for session tokens (required)
  LUNA_GATEWAY_HOST/PORT       bind address (default 127.0.0.1:50051)
  LUNA_ACTION_AGENT_ADDRESS    the action agent (default 127.0.0.1:50052)
  LUNA_ACTION_CONNECTIONS      connections to it, sessions spread over them and
                               so over its worker processes (default 8)
  LUNA_IDLE_TIMEOUT_SECONDS    end idle sessions after this (default 300)
  LUNA_MAX_SESSIONS, LUNA_MAX_SESSIONS_PER_USER, LUNA_MAX_MESSAGE_BYTES  limits
  LUNA_AUDIO_BURST_MS          how far audio may run ahead of real time (1000)
  LUNA_TRAILING_SILENCE_MS     end of turn after this silence (default 500);
                               LUNA_COMPLETE_SILENCE_MS / LUNA_HESITATION_SILENCE_MS
                               after a complete request / a hesitation (300 / 1200)
  LUNA_MIN_SPEECH_MS           shorter sounds are not speech (default 200)
  LUNA_BARGE_IN_MS             user speech this long interrupts a reply (300)
  LUNA_BACKCHANNEL_MAX_MS      longer speech is never a backchannel (700)
  LUNA_SPEECH_ENGINE           auto (default: Qwen with a key, else embedded),
                               qwen, embedded or none (text only)
  LUNA_ASR_WORKERS             recognition worker processes (default cores-1)
  DASHSCOPE_API_KEY            use the Qwen-Omni realtime engine; without it
                               the embedded offline engine serves (and it is
                               the fallback when Qwen fails)
  LUNA_QWEN_MODEL              qwen3.5-omni-flash-realtime (default; function
                               calling), qwen3.5-omni-plus-realtime, or
                               qwen3-omni-flash-realtime (no function calling)
  LUNA_QWEN_REGION / _URL      intl (default, Singapore) or cn (Beijing); or a
                               full realtime WebSocket URL without query
  LUNA_QWEN_VOICE, LUNA_QWEN_VAD_SILENCE_MS, LUNA_QWEN_RETRY_INITIAL_SECONDS ...
  LUNA_SHUTDOWN_GRACE_SECONDS  drain time after SIGTERM (default 10)
  LUNA_LOG_LEVEL               log level (default INFO)
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m gateway", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", help="bind host (overrides LUNA_GATEWAY_HOST)")
    parser.add_argument("--port", type=int, help="bind port, 0 for any free port (overrides LUNA_GATEWAY_PORT)")
    parser.add_argument("--action-agent", help="action agent address host:port (overrides LUNA_ACTION_AGENT_ADDRESS)")
    args = parser.parse_args(argv)
    overrides = {
        k: v
        for k, v in {"host": args.host, "port": args.port, "action_agent_address": args.action_agent}.items()
        if v is not None
    }
    settings = GatewaySettings().model_copy(update=overrides)
    configure_logging("gateway", settings.log_level)
    from gateway.speech.select import quiet_sdk_logging

    quiet_sdk_logging()
    # Imported here: loading the speech and understanding stack takes seconds that --help should not pay.
    from gateway.server import serve

    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
