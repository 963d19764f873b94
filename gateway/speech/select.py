"""Choosing the speech engine for this gateway process.

Every engine implements gateway.speech.base.SpeechEngine: per-turn streaming
recognition plus streaming synthesis. A speech-to-speech engine (Qwen-Omni
realtime) plugs in behind the same seam: it recognises the user's turn and
voices the reply text the action agent produced, so turn-taking, barge-in and
actions stay in the gateway whatever engine runs.
"""

from __future__ import annotations

import logging

from gateway.settings import GatewaySettings
from gateway.speech.base import SpeechEngine

log = logging.getLogger(__name__)


def create_engine(settings: GatewaySettings) -> SpeechEngine | None:
    """The configured engine, or None for a text-only gateway (LUNA_SPEECH_ENGINE=none)."""
    if settings.speech_engine == "none":
        return None
    if settings.speech_engine == "auto" and settings.dashscope_api_key:
        # The Qwen-Omni engine is a separate piece of work; until it exists the embedded engine serves.
        log.warning("DASHSCOPE_API_KEY is set but the Qwen engine is not available; using the embedded engine")
    from gateway.speech.embedded.engine import EmbeddedEngine

    return EmbeddedEngine()
