"""The action graph's nodes (spec §8.3). Each takes the state and returns the fields it changes.

PARSE sorts the turn, RESOLVE (resolve.py) turns names into ids, VALIDATE checks the tool's parameters,
CONFIRM waits for the user's yes (LangGraph interrupt), EXECUTE runs the tool, FORMAT words the
result; ERROR, CLARIFY and RESPOND word everything else.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import interrupt
from pydantic import ValidationError

from action_agent import speech_text as say
from action_agent.domain import DomainError, FullyBooked, VenueClosed
from action_agent.graph.deps import GraphDeps
from action_agent.graph.helpers import error_code, idempotency_key, now_of, problem, tool_of
from action_agent.graph.memory import remember_result
from action_agent.graph.state import (
    CANCELLED,
    FAILED,
    NEEDS_CLARIFICATION,
    PENDING,
    SUCCESS,
    ActionAgentState,
)
from action_agent.resolution.datetimes import zone
from action_agent.tools.context import ToolContext
from action_agent.tools.registry import REGISTRY

CONFIRMATION_TTL = timedelta(minutes=2)
CONVERSATIONAL = {"greeting", "thanks", "help", "confirm", "deny"}
CONFIRMATION_NAMESPACE = uuid.UUID("6f1d4e0a-3c2b-4a57-9a41-1c0de5a1c7e4")

# --- PARSE -------------------------------------------------------------------------------------------------------


async def parse(state: ActionAgentState) -> dict[str, Any]:
    """Classify the turn; a bare answer ("four") completes the request waiting for it."""
    intent, entities = state["intent"], dict(state.get("entities") or {})
    pending = state.get("pending")
    if pending and intent in ("unclear", pending["intent"]):
        intent = pending["intent"]
        earlier = dict(pending["entities"])
        if "date_time" in entities and "date" in earlier and "date" not in entities:
            # "tomorrow" then "at 7": the day from before, the time from now.
            entities["date"] = earlier.pop("date")
        entities = {**earlier, **entities}
    return {"intent": intent, "entities": entities, "pending": None,
            "selected_tool": intent if intent in REGISTRY else None}


def route_after_parse(state: ActionAgentState) -> str:
    if state["intent"] in REGISTRY:
        return "resolve"
    return "respond" if state["intent"] in CONVERSATIONAL else "clarify"


# --- RESOLVE: see resolve.py ------------------------------------------------------------------------------------


# --- VALIDATE ----------------------------------------------------------------------------------------------------


def _has(slot: str, r: dict[str, Any]) -> bool:
    keys = {"venue": ("venue_id",), "date_time": ("date_time",), "party_size": ("party_size",),
            "person": ("friend_id",), "booking": ("booking_id",), "invite": ("invite_id",), "response": ("response",),
            "change": ("date_time", "party_size", "special_requests"),
            "search": ("query", "cuisine", "nearby", "max_distance_km")}[slot]
    return any(r.get(k) not in (None, "", False) for k in keys)


async def validate(state: ActionAgentState) -> dict[str, Any]:
    """Every required slot present and the tool's parameter model satisfied."""
    tool, resolved = tool_of(state), state["resolved_entities"]
    for slot in tool.required_slots:
        if not _has(slot, resolved):
            if slot == "date_time" and "date" in resolved:
                slot = "time"
            return problem(f"missing_{slot}", NEEDS_CLARIFICATION, slot=slot)
    fields = tool.params.model_fields
    try:
        checked = tool.params.model_validate({k: v for k, v in resolved.items() if k in fields and v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "request"
        return problem("invalid_parameters", FAILED, field=where, message=first["msg"])
    update: dict[str, Any] = {"tool_params": checked.model_dump(mode="json", exclude_none=True),
                              "selected_tool": tool.name}
    if tool.requires_confirmation:
        # Kept while the confirmation waits, so "make it four" amends the request instead of starting over.
        update["pending"] = _keep_for_next_turn(state, "")
    return update


def route_after_validate(state: ActionAgentState) -> str:
    if state["execution_status"] == NEEDS_CLARIFICATION:
        return "clarify"
    if state["execution_status"] == FAILED:
        return "error"
    return "confirm" if tool_of(state).requires_confirmation else "execute"


# --- CONFIRM -----------------------------------------------------------------------------------------------------


def confirmation_id(state: ActionAgentState) -> str:
    # Deterministic: the node runs again on resume and must find the same id.
    return str(uuid.uuid5(CONFIRMATION_NAMESPACE, f"{state['user_id']}/{state['session_id']}/{state['request_id']}"))


async def confirm(state: ActionAgentState) -> dict[str, Any]:
    """Ask before a critical action and wait (interrupt) for the yes or no; resumed by Command(resume=...)."""
    tool, p, resolved = tool_of(state), state["tool_params"], state["resolved_entities"]
    now, tz = now_of(state), zone(state["time_zone"])
    names = {"venue": resolved.get("venue_name", ""), "person": resolved.get("friend_name", ""),
             "booking_time": say.when_words(resolved["booking_time"], now, tz) if "booking_time" in resolved else ""}
    expires_at = now + CONFIRMATION_TTL
    pending: dict[str, Any] = {"confirmation_id": confirmation_id(state), "action": tool.name,
               "details": {**p, **{k: v for k, v in resolved.items() if k in ("venue_name", "friend_name",
                                                                                "booking_time")}},
               "prompt": say.confirmation_prompt(tool.name, p, names, now, tz),
               "expires_at": expires_at.isoformat()}
    decision = interrupt(pending)
    # Who answered is kept, so a retry of that very answer after a crash can be given the same outcome.
    answered: dict[str, Any] = {"confirmation": {**pending, "answered_by": decision.get("request_id", "")},
                                "pending": None}
    if datetime.fromisoformat(decision["now"]) > expires_at:
        return {**answered, **problem("confirmation_expired", FAILED)}
    if not decision["confirmed"]:
        return {**answered, "execution_status": CANCELLED, "response_text": say.cancelled_text(tool.name),
                "follow_up_prompt": "Anything else I can do?"}
    return {**answered, "execution_status": PENDING}


def route_after_confirm(state: ActionAgentState) -> str:
    return {CANCELLED: "__end__", FAILED: "error"}.get(state["execution_status"], "execute")


# --- EXECUTE / FORMAT --------------------------------------------------------------------------------------------


async def execute(state: ActionAgentState, runtime: Runtime[GraphDeps]) -> dict[str, Any]:
    """Run the tool as the request's user. Domain errors become a spoken failure; anything else propagates."""
    tool = tool_of(state)
    params = tool.params.model_validate(state["tool_params"])
    # Writes carry an idempotency key: a replay after a crash returns the first booking, invite or answer.
    key = idempotency_key(state) if tool.writes else None
    ctx = ToolContext(runtime.context.domain, state["user_id"], now_of(state), zone(state["time_zone"]), key)
    try:
        result = await tool.handler(ctx, params)
    except DomainError as exc:
        details: dict[str, Any] = {"message": exc.message}
        if isinstance(exc, FullyBooked | VenueClosed):
            details["alternatives"] = [ctx.local(t) for t in exc.alternatives]
        return problem(error_code(exc), FAILED, **details)
    return {"execution_result": result, "execution_status": SUCCESS}


def route_after_execute(state: ActionAgentState) -> str:
    return "format" if state["execution_status"] == SUCCESS else "error"


async def format_result(state: ActionAgentState) -> dict[str, Any]:
    """The result in words, and what it adds to the conversation's memory."""
    tool, result = tool_of(state), state["execution_result"] or {}
    now, tz = now_of(state), zone(state["time_zone"])
    text, follow_up = say.result_text(tool.name, result, now, tz)
    memory = remember_result(dict(state.get("memory") or {}), tool.name, result)
    return {"response_text": text, "follow_up_prompt": follow_up, "memory": memory}


# --- ERROR / CLARIFY / RESPOND -----------------------------------------------------------------------------------


def _keep_for_next_turn(state: ActionAgentState, drop: str) -> dict[str, Any]:
    """The partial request, kept so the next turn's answer completes it."""
    return {"intent": state["intent"], "entities": {k: v for k, v in state["entities"].items() if k != drop}}


async def error(state: ActionAgentState) -> dict[str, Any]:
    """Say what went wrong and what the user can do (spec §12.2, §13.2)."""
    code, r = state["error_code"], state["execution_result"] or {}
    tz = zone(state["time_zone"])
    pending = None
    follow_up = ""
    if code == "venue_not_found":
        suggestions = r.get("suggestions") or []
        if suggestions:
            text = f"I couldn't find {r['name']}. Did you mean {say.join_words(suggestions, 'or')}?"
        else:
            text = say.ERROR_TEMPLATES["venue_not_found"].replace("that venue", r.get("name") or "that venue")
        pending = _keep_for_next_turn(state, "venue_name")
    elif code == "friend_not_found":
        friends = say.join_words(r.get("options") or [])
        text = f"I couldn't find a friend named {r['name']}." + (f" Your friends include {friends}." if friends else "")
        follow_up = "Who would you like to invite?"
        pending = _keep_for_next_turn(state, "person_name")
    elif code == "no_bookings":
        text, follow_up = "You don't have any upcoming bookings.", "Would you like me to find a place?"
    elif code == "no_pending_invites":
        text = f"You don't have a pending invite from {r['name']}." if r.get("name") else \
            "You don't have any pending invites."
    elif code == "confirmation_expired":
        text = "That confirmation timed out, so I didn't do anything. Just ask again if you still want it."
    elif code in ("fully_booked", "venue_closed"):
        spoken = [say.clock_words(t, tz) for t in r.get("alternatives", [])[:2]]
        text = r["message"] + (f" I could do {say.join_words(spoken, 'or')} instead." if spoken else "")
        follow_up = "Would one of those times work?" if spoken else say.ERROR_TEMPLATES["booking_failed"]
    elif code == "invalid_parameters":
        text = f"I can't do that: {r['field'].replace('_', ' ')} {r['message'].lower()}."
    else:
        text = r.get("message") or say.ERROR_TEMPLATES["service_unavailable"]
    return {"response_text": text, "follow_up_prompt": follow_up, "execution_status": FAILED, "pending": pending,
            "errors": [*state.get("errors", []), code]}


async def clarify(state: ActionAgentState) -> dict[str, Any]:
    """Ask one short question and keep the partial request for the answer."""
    code, r = state.get("error_code") or "", state.get("execution_result") or {}
    if not code:  # the turn's intent was not understood
        return {"response_text": say.ERROR_TEMPLATES["intent_unclear"], "follow_up_prompt": "",
                "execution_status": NEEDS_CLARIFICATION, "error_code": "intent_unclear"}
    if code.startswith("ambiguous_"):
        text = f"Did you mean {say.join_words(r['options'], 'or')}?"
        drop = {"ambiguous_venue": "venue_name", "ambiguous_person": "person_name"}.get(code, "")
    else:
        slot = r.get("slot", "")
        text = say.QUESTIONS.get(slot, say.QUESTIONS["date_time"])
        drop = "date_time" if code == "invalid_date_time" else ""
    return {"response_text": text, "follow_up_prompt": "", "execution_status": NEEDS_CLARIFICATION,
            "pending": _keep_for_next_turn(state, drop)}


async def respond(state: ActionAgentState) -> dict[str, Any]:
    """Greeting, thanks and help are answered directly; a yes or no with nothing pending is explained."""
    intent = state["intent"]
    if intent in ("confirm", "deny"):
        return {"response_text": "There's nothing waiting for a yes or no right now.",
                "follow_up_prompt": "What would you like to do?", "execution_status": FAILED,
                "error_code": "no_pending_confirmation"}
    text = {"greeting": say.GREETING, "thanks": say.THANKS, "help": say.HELP}[intent]
    return {"response_text": text, "follow_up_prompt": "", "execution_status": SUCCESS}

