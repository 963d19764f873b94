"""The one registry of voice tools: name, description, parameter model, confirmation rule, handler.

The graph looks tools up here by intent; ListTools publishes the same entries as function-calling
declarations, so a language model sees exactly what the graph runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from action_agent.tools import handlers, params
from action_agent.tools.context import ToolContext

Handler = Callable[[ToolContext, Any], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    params: type[params.ToolParams]
    requires_confirmation: bool
    handler: Handler
    # Slots the graph must have (after resolution) before it can run the tool, in asking order.
    required_slots: tuple[str, ...] = ()
    # Whether the tool writes: writes get an idempotency key.
    writes: bool = False

    def json_schema(self) -> dict[str, Any]:
        return function_schema(self.params)


TOOLS: tuple[Tool, ...] = (
    Tool("make_booking", "Create a reservation at a venue for a party at a date and time.", params.MakeBooking,
         True, handlers.make_booking, ("venue", "date_time", "party_size"), writes=True),
    Tool("modify_booking", "Change the time, party size or requests of one of the user's bookings.",
         params.ModifyBooking, True, handlers.modify_booking, ("booking", "change"), writes=True),
    Tool("cancel_booking", "Cancel one of the user's bookings.", params.CancelBooking, True,
         handlers.cancel_booking, ("booking",), writes=True),
    Tool("check_booking", "List the user's upcoming bookings, or look one up by confirmation code.",
         params.CheckBooking, False, handlers.check_booking),
    Tool("get_recommendations", "Recommend venues for the user by cuisine, price, distance and occasion.",
         params.GetRecommendations, False, handlers.get_recommendations),
    Tool("search_venue", "Find venues by name, cuisine or distance from the user.", params.SearchVenue, False,
         handlers.search_venue, ("search",)),
    Tool("venue_info", "Describe a venue: cuisine, price, rating, address and opening hours.", params.VenueInfo,
         False, handlers.venue_info, ("venue",)),
    Tool("check_availability", "Check whether a venue is open and has a table for a party at a time.",
         params.CheckAvailability, False, handlers.check_availability, ("venue",)),
    Tool("find_friends", "Find friends who want to go to a venue or are there now; without a venue, all friends.",
         params.FindFriends, False, handlers.find_friends),
    Tool("send_invite", "Invite a friend to dine at a venue at a date and time.", params.SendInvite, True,
         handlers.send_invite, ("person", "venue", "date_time"), writes=True),
    Tool("respond_invite", "Accept or decline an invitation the user received.", params.RespondInvite, False,
         handlers.respond_invite, ("invite", "response"), writes=True),
    Tool("check_invites", "List the invitations waiting for the user's answer.", params.CheckInvites, False,
         handlers.check_invites),
    Tool("get_directions", "Directions from the user to a venue.", params.GetDirections, False,
         handlers.get_directions, ("venue",)),
    Tool("estimate_travel", "How long it takes the user to reach a venue on foot, by transit or by car.",
         params.EstimateTravel, False, handlers.estimate_travel, ("venue",)),
)

REGISTRY: dict[str, Tool] = {tool.name: tool for tool in TOOLS}


def get_tool(name: str) -> Tool | None:
    return REGISTRY.get(name)


def function_schema(model: type[params.ToolParams]) -> dict[str, Any]:
    """The model's JSON schema reduced to what function-calling APIs accept: no titles, no $defs,
    and `X | None` written as plain optional `X`."""
    return _clean(model.model_json_schema())


def _clean(node: Any) -> Any:
    if isinstance(node, list):
        return [_clean(item) for item in node]
    if not isinstance(node, dict):
        return node
    any_of = node.get("anyOf")
    if isinstance(any_of, list):
        options = [o for o in any_of if o != {"type": "null"}]
        if len(options) == 1:
            merged = {**{k: v for k, v in node.items() if k != "anyOf"}, **options[0]}
            if merged.get("default", 0) is None:
                merged.pop("default")
            return _clean(merged)
    return {k: _clean(v) for k, v in node.items() if k not in ("title", "$defs")}
