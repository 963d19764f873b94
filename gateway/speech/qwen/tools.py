"""The action agent's tools as realtime function declarations, and function calls as ActionService requests.

The model only proposes: a call becomes an ActionRequest that the action agent checks, and a critical
action comes back NEEDS_CONFIRMATION; the only way to confirm is ActionService.Confirm, which the
gateway calls after the user's own yes (see conversation.py), never on the model's word.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from google.protobuf import json_format, struct_pb2
from luna.action.v1 import action_pb2

log = logging.getLogger(__name__)

# The gateway's own tool: the model reports the user's yes/no to a pending confirmation.
ANSWER_CONFIRMATION = "answer_confirmation"

ANSWER_CONFIRMATION_DECLARATION: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": ANSWER_CONFIRMATION,
        "description": (
            "Report the user's spoken answer to the pending confirmation question (for example 'Shall I book it?'). "
            "Call it only right after the user clearly said yes or no to that question."
        ),
        "parameters": {
            "type": "object",
            "properties": {"confirmed": {"type": "boolean", "description": "true for yes, false for no"}},
            "required": ["confirmed"],
        },
    },
}

# Tool names of the registry (spec §5.4 and the intent taxonomy §7.1) → the intent Execute runs.
TOOL_INTENTS: dict[str, int] = {
    "make_booking": action_pb2.INTENT_MAKE_BOOKING,
    "modify_booking": action_pb2.INTENT_MODIFY_BOOKING,
    "cancel_booking": action_pb2.INTENT_CANCEL_BOOKING,
    "check_booking": action_pb2.INTENT_CHECK_BOOKING,
    "check_bookings": action_pb2.INTENT_CHECK_BOOKING,
    "get_recommendations": action_pb2.INTENT_GET_RECOMMENDATIONS,
    "search_venue": action_pb2.INTENT_SEARCH_VENUE,
    "search_venues": action_pb2.INTENT_SEARCH_VENUE,
    "venue_info": action_pb2.INTENT_VENUE_INFO,
    "get_venue_info": action_pb2.INTENT_VENUE_INFO,
    "check_availability": action_pb2.INTENT_CHECK_AVAILABILITY,
    "check_venue_availability": action_pb2.INTENT_CHECK_AVAILABILITY,
    "find_friends": action_pb2.INTENT_FIND_FRIENDS,
    "find_friends_at_venue": action_pb2.INTENT_FIND_FRIENDS,
    "send_invite": action_pb2.INTENT_SEND_INVITE,
    "respond_invite": action_pb2.INTENT_RESPOND_INVITE,
    "respond_to_invite": action_pb2.INTENT_RESPOND_INVITE,
    "check_invites": action_pb2.INTENT_CHECK_INVITES,
    "get_directions": action_pb2.INTENT_GET_DIRECTIONS,
    "estimate_travel": action_pb2.INTENT_ESTIMATE_TRAVEL,
}

# Argument names models (and the spec's registry) use for the Entities fields.
ARGUMENT_ALIASES: dict[str, str] = {
    "friend_name": "person_name",
    "cuisine_type": "cuisine",
    "price_range": "price_level",
    "max_distance": "distance_km",
    "datetime": "date_time",
    "time": "date_time",
    "venue": "venue_name",
    "restaurant": "venue_name",
    "people": "party_size",
    "guests": "party_size",
}

_ENTITY_FIELDS = action_pb2.Entities.DESCRIPTOR.fields_by_name


def intent_for_tool(name: str) -> int | None:
    if name in TOOL_INTENTS:
        return TOOL_INTENTS[name]
    value = action_pb2.Intent.DESCRIPTOR.values_by_name.get("INTENT_" + name.upper())
    return value.number if value is not None else None


def declarations(tools: Sequence[action_pb2.Tool]) -> list[dict[str, Any]]:
    """ListTools → session.update `tools`: each tool whose intent is known, plus answer_confirmation."""
    out: list[dict[str, Any]] = []
    for tool in tools:
        if intent_for_tool(tool.name) is None:
            log.warning("tool without an intent is not offered to the model", extra={"tool": tool.name})
            continue
        parameters = json_format.MessageToDict(tool.parameters) if tool.HasField("parameters") else {}
        description = tool.description
        if tool.requires_confirmation:
            description += " The app asks the user to confirm before anything is done."
        out.append({
            "type": "function",
            "function": {
                "name": tool.name,
                "description": description,
                "parameters": parameters or {"type": "object", "properties": {}},
            },
        })
    if out:
        out.append(ANSWER_CONFIRMATION_DECLARATION)
    return out


def entities_from_arguments(arguments: dict[str, Any]) -> tuple[action_pb2.Entities, dict[str, Any]]:
    """Typed entities from the call's arguments; the arguments that are not entities are returned apart."""
    entities = action_pb2.Entities()
    rest: dict[str, Any] = {}
    filled: set[str] = set()
    for key, value in arguments.items():
        name = ARGUMENT_ALIASES.get(key, key)
        field = _ENTITY_FIELDS.get(name)
        if field is None or value is None or name in filled:
            rest[key] = value
            continue
        try:
            if field.type in (field.TYPE_INT32, field.TYPE_INT64):
                setattr(entities, name, int(value))
            elif field.type in (field.TYPE_DOUBLE, field.TYPE_FLOAT):
                setattr(entities, name, float(value))
            else:
                setattr(entities, name, str(value))
        except (TypeError, ValueError):
            rest[key] = value
            continue
        filled.add(name)
    return entities, rest


def action_request(
    name: str,
    arguments: dict[str, Any],
    *,
    request_id: str,
    session_id: str,
    user_id: int,
    utterance: str,
    time_zone: str,
    turn_count: int = 0,
) -> action_pb2.ActionRequest | None:
    """The Execute request for a function call; None when the tool is not an action of the registry."""
    intent = intent_for_tool(name)
    if intent is None:
        return None
    entities, rest = entities_from_arguments(arguments)
    extra = struct_pb2.Struct()
    extra.update({"engine": "qwen", "tool": name})
    if rest:
        # Ids and other non-entity arguments (venue_id, booking_id, ...) travel along, so nothing is lost.
        extra.update({"tool_arguments": json.loads(json.dumps(rest, default=str))})
    request = action_pb2.ActionRequest(
        request_id=request_id,
        session_id=session_id,
        user_id=user_id,
        intent=intent,  # type: ignore[arg-type]
        entities=entities,
        confidence=1.0,
        context=action_pb2.ActionContext(turn_count=turn_count, extra=extra),
        time_zone=time_zone,
        utterance=utterance,
    )
    request.now.GetCurrentTime()
    return request


STATUS_WORDS = {
    action_pb2.ACTION_STATUS_SUCCESS: "success",
    action_pb2.ACTION_STATUS_NEEDS_CONFIRMATION: "needs_confirmation",
    action_pb2.ACTION_STATUS_NEEDS_CLARIFICATION: "needs_clarification",
    action_pb2.ACTION_STATUS_CANCELLED: "cancelled",
    action_pb2.ACTION_STATUS_FAILED: "failed",
}


def reply_text(response: action_pb2.ActionResponse) -> str:
    """What Luna says for an action response: the answer, then the natural next step."""
    if response.status == action_pb2.ACTION_STATUS_NEEDS_CONFIRMATION and response.confirmation.prompt:
        return response.confirmation.prompt
    return " ".join(part for part in (response.speak_text, response.follow_up_prompt) if part)


def function_output(response: action_pb2.ActionResponse) -> str:
    """function_call_output for the model: the status, what to say, and the facts behind it."""
    status = STATUS_WORDS.get(response.status, "failed")
    output: dict[str, Any] = {"status": status, "action": response.action, "say": reply_text(response)}
    if response.error_code:
        output["error_code"] = response.error_code
    if response.HasField("result"):
        output["result"] = json_format.MessageToDict(response.result)
    if status == "needs_confirmation":
        output["note"] = (
            "Nothing has been done yet. Ask the user this confirmation question and wait for a clear yes or no."
        )
    return json.dumps(output)


def simple_output(status: str, say: str, **extra: Any) -> str:
    return json.dumps({"status": status, "say": say, **extra})
