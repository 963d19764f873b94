"""Small helpers the graph's nodes share: the turn's clock and tool, and how a problem is recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from action_agent.domain import DomainError
from action_agent.graph.state import ActionAgentState
from action_agent.tools.registry import REGISTRY, Tool


def now_of(state: ActionAgentState) -> datetime:
    return datetime.fromisoformat(state["now"])


def tool_of(state: ActionAgentState) -> Tool:
    return REGISTRY[state["selected_tool"] or state["intent"]]


def problem(code: str, status: str, **details: Any) -> dict[str, Any]:
    return {"execution_status": status, "error_code": code, "execution_result": {"problem": code, **details}}


def error_code(exc: DomainError) -> str:
    """FullyBooked -> fully_booked, OutsideBookingWindow -> outside_booking_window."""
    name = type(exc).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def idempotency_key(state: ActionAgentState) -> str:
    """The store-side idempotency key of this turn's write: the confirmation it answers, else the request.
    A replay of the same request after a crash finds the booking, invite or answer the first run made."""
    confirmation = state.get("confirmation")
    return f"confirm:{confirmation['confirmation_id']}" if confirmation else f"request:{state['request_id']}"
