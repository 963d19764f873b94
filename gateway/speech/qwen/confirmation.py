"""Did the user's own words say yes or no? The gate in front of ActionService.Confirm on the Qwen path.

The model reports a yes/no through a tool call, but the gateway confirms only when the user's
transcript agrees, so a model mistake (or a prompt injection) cannot confirm a booking.
"""

from __future__ import annotations

import re

_YES = {
    "yes", "yeah", "yep", "yup", "sure", "ok", "okay", "confirm", "confirmed", "correct", "right",
    "absolutely", "definitely", "please", "go ahead", "do it", "book it", "sounds good", "that's right",
    "of course", "perfect", "great",
}
_NO = {
    "no", "nope", "nah", "don't", "do not", "cancel", "stop", "never mind", "nevermind", "wait", "hold on",
    "not", "wrong", "negative",
}
_WORDS = re.compile(r"[a-z']+")


def heard_yes_or_no(text: str) -> bool | None:
    """True for a clear yes, False for a clear no, None when unclear or both."""
    words = _WORDS.findall(text.lower().replace("’", "'"))
    joined = " ".join(words)
    padded = f" {joined} "
    yes = any(f" {phrase} " in padded for phrase in _YES)
    no = any(f" {phrase} " in padded for phrase in _NO)
    if yes == no:
        return None
    return yes
