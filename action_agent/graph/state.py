"""The action graph's state (spec §8.1), checkpointed per session.

Turn fields are overwritten by every Execute; `memory` and `pending` live across turns so that
"book it" and a bare "four" can refer back to earlier turns.
"""

from __future__ import annotations

from typing import Any, TypedDict

# execution_status values
SUCCESS = "success"
FAILED = "failed"
NEEDS_CONFIRMATION = "needs_confirmation"
NEEDS_CLARIFICATION = "needs_clarification"
CANCELLED = "cancelled"
PENDING = "pending"


class ActionAgentState(TypedDict, total=False):
    # Input from the voice agent (one turn)
    session_id: str
    user_id: int
    intent: str
    entities: dict[str, Any]
    confidence: float
    request_id: str
    now: str  # ISO 8601, aware: the request's "now"
    time_zone: str
    utterance: str

    # Context from the conversation
    context: dict[str, Any]

    # Processing state
    resolved_entities: dict[str, Any]
    selected_tool: str | None
    tool_params: dict[str, Any]

    # Execution
    execution_result: dict[str, Any] | None
    execution_status: str
    error_code: str
    confirmation: dict[str, Any] | None

    # Output
    response_text: str
    follow_up_prompt: str | None
    errors: list[str]

    # Across turns: what was mentioned (venue, time, party size, last booking...) and a request
    # waiting for a missing slot.
    memory: dict[str, Any]
    pending: dict[str, Any] | None


def turn_input(
    *, session_id: str, user_id: int, request_id: str, intent: str, entities: dict[str, Any], confidence: float,
    now: str, time_zone: str, utterance: str, context: dict[str, Any],
) -> ActionAgentState:
    """A fresh turn: every per-turn field reset so nothing leaks from the previous turn's checkpoint."""
    return ActionAgentState(
        session_id=session_id, user_id=user_id, request_id=request_id, intent=intent, entities=entities,
        confidence=confidence, now=now, time_zone=time_zone, utterance=utterance, context=context,
        resolved_entities={}, selected_tool=None, tool_params={}, execution_result=None, execution_status=PENDING,
        error_code="", confirmation=None, response_text="", follow_up_prompt=None, errors=[],
    )
