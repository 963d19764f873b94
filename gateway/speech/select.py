"""Choosing the speech engines of this gateway process.

Every process has the embedded engine (gateway.speech.base.SpeechEngine: per-turn streaming recognition
plus streaming synthesis) unless it is text-only. With DASHSCOPE_API_KEY set (and LUNA_SPEECH_ENGINE auto
or qwen) voice sessions are served by Qwen-Omni realtime, speech to speech; the embedded engine stays loaded
as the fallback a session switches to when Qwen fails (and that new sessions use while Qwen backs off).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from gateway.settings import GatewaySettings
from gateway.speech.base import SpeechEngine

if TYPE_CHECKING:
    from gateway.speech.qwen.engine import QwenEngine

log = logging.getLogger(__name__)

# websocket-client reports a normal close (code 1000) at ERROR ("... - goodbye"), and again through the SDK's
# on_error ("websocket error: Connection closed normally ...").
CLEAN_CLOSE = "Connection closed normally"


class EngineConfigError(ValueError):
    pass


def create_engine(settings: GatewaySettings) -> SpeechEngine | None:
    """The embedded engine, or None for a text-only gateway (LUNA_SPEECH_ENGINE=none)."""
    if settings.speech_engine == "none":
        return None
    from gateway.speech.embedded.engine import EmbeddedEngine

    return EmbeddedEngine()


def create_qwen(settings: GatewaySettings) -> QwenEngine | None:
    """The Qwen-Omni engine when configured: LUNA_SPEECH_ENGINE auto (or qwen) and DASHSCOPE_API_KEY set."""
    if settings.speech_engine not in ("auto", "qwen"):
        return None
    from gateway.speech.qwen.engine import QwenEngine
    from gateway.speech.qwen.settings import QwenSettings

    qwen_settings = QwenSettings()
    if not qwen_settings.enabled:
        if settings.speech_engine == "qwen":
            raise EngineConfigError("LUNA_SPEECH_ENGINE=qwen needs DASHSCOPE_API_KEY")
        return None
    log.info("speech engine: qwen", extra={"event": "speech_engine", "model": qwen_settings.model,
                                           "endpoint": qwen_settings.endpoint})
    return QwenEngine(qwen_settings, settings.action_timeout_seconds)


class _CleanCloseFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return CLEAN_CLOSE not in record.getMessage()


def quiet_sdk_logging() -> None:
    """The dashscope SDK and websocket-client log at WARNING and above only; a clean close is not an error."""
    for name in ("dashscope", "websocket"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        if not any(isinstance(f, _CleanCloseFilter) for f in logger.filters):
            logger.addFilter(_CleanCloseFilter())
