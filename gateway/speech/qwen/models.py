"""What each Qwen-Omni realtime model supports, by model name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelCapabilities:
    # Tools in session.update and response.function_call_arguments.* over the realtime socket.
    function_calling: bool
    default_voice: str


def capabilities_for(model: str) -> ModelCapabilities:
    """Function calling is documented for the qwen3.5 realtime models (and newer); not for qwen3-omni and older."""
    name = model.lower()
    family = name.removeprefix("qwen").split("-", 1)[0]  # "3.5", "3", "" (qwen-omni-turbo)
    try:
        version = float(family) if family else 0.0
    except ValueError:
        version = 0.0
    if version >= 3.5:
        return ModelCapabilities(function_calling=True, default_voice="Tina")
    # qwen-omni-turbo-realtime predates Cherry as the default voice.
    return ModelCapabilities(function_calling=False, default_voice="Cherry" if family else "Chelsie")
