"""The RESOLVE node (spec §7.3): names, referring words and time phrases to ids and instants, with
what earlier turns said carried over. Problems (not found, ambiguous) are recorded for ERROR/CLARIFY."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from langgraph.runtime import Runtime

from action_agent import speech_text as say
from action_agent.domain import BookingView, DomainError
from action_agent.graph.deps import GraphDeps
from action_agent.graph.helpers import error_code, idempotency_key, now_of, problem, tool_of
from action_agent.graph.memory import remember_mentions
from action_agent.graph.state import FAILED, NEEDS_CLARIFICATION, ActionAgentState
from action_agent.resolution.datetimes import on_day, resolve_when, zone
from action_agent.resolution.friends import interpret_matches
from action_agent.resolution.venues import Mentioned, resolve_venue, wants_history

HISTORY_WINDOW = timedelta(days=90)
# Slots a tool may take from earlier turns when this turn leaves them out (spec §6.3).
CARRY_OVER: dict[str, set[str]] = {
    "make_booking": {"venue", "date_time", "party_size"},
    "check_availability": {"venue", "date_time", "party_size"},
    "send_invite": {"venue", "date_time"},
    "venue_info": {"venue"},
    "get_directions": {"venue"},
    "estimate_travel": {"venue"},
}
# A day without a time, for looking (not booking): dinner time.
DEFAULT_MEAL_TIME = time(19)



async def resolve(state: ActionAgentState, runtime: Runtime[GraphDeps]) -> dict[str, Any]:
    """Names, referring words and time phrases to ids and instants; carry over what earlier turns said."""
    try:
        return await _resolve(state, runtime.context)
    except DomainError as exc:  # e.g. an unknown confirmation code
        return problem(error_code(exc), FAILED, message=exc.message)


async def _resolve(state: ActionAgentState, deps: GraphDeps) -> dict[str, Any]:
    tool = tool_of(state)
    entities, memory = state["entities"], dict(state.get("memory") or {})
    carry = CARRY_OVER.get(tool.name, set())
    now, tz = now_of(state), zone(state["time_zone"])
    user_id = state["user_id"]
    out: dict[str, Any] = {k: entities[k] for k in ("party_size", "cuisine", "price_level", "occasion",
                                                    "special_requests", "confirmation_code", "response")
                           if k in entities}
    if "party_size" not in out and "party_size" in carry and "party_size" in memory:
        out["party_size"] = memory["party_size"]
    if entities.get("distance") == "nearby":
        out["nearby"] = True
    if "distance_km" in entities:
        out["max_distance_km"] = entities["distance_km"]

    when = _when(entities, now, tz)
    if when is None:
        return problem("invalid_date_time", NEEDS_CLARIFICATION, slot="date_time")
    instant, day = when
    if instant is not None:
        out["date_time"] = instant.isoformat()
    elif day is not None:
        out["date"] = day.isoformat()
        if tool.name in ("check_availability", "get_recommendations"):
            out["date_time"] = on_day(day, DEFAULT_MEAL_TIME, tz).isoformat()
    elif "date_time" in carry and "date_time" in memory:
        out["date_time"] = memory["date_time"]

    if tool.name == "search_venue":
        out["query"] = entities.get("venue_name")
    elif "venue_name" in entities or "venue" in carry:
        trouble = await _resolve_venue(deps, state, entities.get("venue_name"), memory, out)
        if trouble:
            return trouble

    if "person_name" in entities and tool.name != "respond_invite":
        matches = await deps.read(deps.domain.social.find_friend_by_name, user_id, entities["person_name"])
        friends = await deps.read(deps.domain.social.list_friends, user_id) if not matches else []
        found = interpret_matches(matches, friends)
        if found.outcome == "ambiguous":
            return problem("ambiguous_person", NEEDS_CLARIFICATION, options=found.options)
        if found.outcome == "not_found" or found.friend is None:
            return problem("friend_not_found", FAILED, name=entities["person_name"], options=found.options)
        out["friend_id"], out["friend_name"] = found.friend.id, found.friend.first_name

    if tool.name in ("modify_booking", "cancel_booking"):
        trouble = await _resolve_booking(deps, state, memory, out)
        if trouble:
            return trouble
    if tool.name == "send_invite":
        booking = memory.get("booking")
        if booking and booking["venue_id"] == out.get("venue_id") and booking["time"] == out.get("date_time"):
            out["booking_id"] = booking["booking_id"]
    if tool.name == "respond_invite":
        trouble = await _resolve_invite(deps, state, out)
        if trouble:
            return trouble
    return {"resolved_entities": out, "memory": remember_mentions(memory, out, entities)}


def _when(entities: dict[str, Any], now: datetime, tz: ZoneInfo) -> tuple[datetime | None, date | None] | None:
    """(instant, day) from date_time and date; a day alone when no time was said; None when unreadable.
    With both, the day comes from `date` and the time from `date_time` ("tomorrow", then "at 7")."""
    parsed = {key: resolve_when(entities[key], None, now, tz) for key in ("date_time", "date") if entities.get(key)}
    if any(value is None for value in parsed.values()):
        return None
    at, on = parsed.get("date_time"), parsed.get("date")
    instant = at.at if at else None
    day = (on.day or (on.at.date() if on.at else None)) if on else (at.day if at else None)
    if instant is not None and on is not None and day is not None:
        instant = on_day(day, instant.astimezone(tz).time(), tz)
    return instant, day


async def _resolve_venue(deps: GraphDeps, state: ActionAgentState, text: str | None, memory: dict[str, Any],
                         out: dict[str, Any]) -> dict[str, Any] | None:
    mentioned = [Mentioned(v["venue_id"], v["name"], tuple(v.get("cuisines", ()))) for v in memory.get("venues", [])]
    if not text:
        if mentioned:
            out["venue_id"], out["venue_name"] = mentioned[0].venue_id, mentioned[0].name
        return None  # a missing venue is VALIDATE's business (it asks)
    catalog = await deps.catalog.venues()
    history: list[Mentioned] = []
    if wants_history(text, sorted({c for v in catalog for c in v.cuisines})):
        since = now_of(state) - HISTORY_WINDOW
        past = await deps.read(deps.domain.bookings.past_bookings, state["user_id"], since)
        by_id = {v.venue_id: v for v in catalog}
        history = [Mentioned(b.venue_id, b.venue_name, by_id[b.venue_id].cuisines if b.venue_id in by_id else ())
                   for b in past]
    found = resolve_venue(text, catalog, mentioned, history)
    if found.outcome == "found" and found.venue_id is not None:
        out["venue_id"], out["venue_name"] = found.venue_id, found.name
        return None
    if found.outcome == "ambiguous":
        return problem("ambiguous_venue", NEEDS_CLARIFICATION, options=found.options)
    suggestions = found.suggestions or [m.name for m in [*mentioned, *history]][:2]
    if not suggestions:
        # Nothing sounds alike: offer the user's best-ranked places instead.
        best = await deps.call(deps.domain.recommendations.recommend, state["user_id"], limit=2)
        suggestions = [r.venue.name for r in best]
    return problem("venue_not_found", FAILED, name=found.name, suggestions=suggestions)


async def _resolve_booking(deps: GraphDeps, state: ActionAgentState, memory: dict[str, Any],
                           out: dict[str, Any]) -> dict[str, Any] | None:
    """Which of the user's bookings: by code, by venue, the one just made, or the only upcoming one."""
    user_id = state["user_id"]
    if out.get("confirmation_code"):
        booking = await deps.read(deps.domain.bookings.get_booking_by_code, user_id,
                                                 out["confirmation_code"])
        candidates = [booking]
    else:
        upcoming = await deps.read(deps.domain.bookings.list_bookings, user_id)
        candidates = upcoming
        if "venue_id" in out and state["entities"].get("venue_name"):
            candidates = [b for b in upcoming if b.venue_id == out["venue_id"]]
        elif memory.get("booking") and any(b.id == memory["booking"]["booking_id"] for b in upcoming):
            candidates = [b for b in upcoming if b.id == memory["booking"]["booking_id"]]
    if not candidates:
        return problem("no_bookings", FAILED)
    if len(candidates) > 1:
        now, tz = now_of(state), zone(state["time_zone"])
        return problem("ambiguous_booking", NEEDS_CLARIFICATION,
                        options=[f"{b.venue_name} {say.when_words(b.start, now, tz)}" for b in candidates[:3]])
    _put_booking(out, candidates[0], zone(state["time_zone"]))
    return None


def _put_booking(out: dict[str, Any], booking: BookingView, tz: Any) -> None:
    out["booking_id"] = booking.id
    out["booking_venue"] = booking.venue_name
    out["booking_time"] = booking.start.astimezone(tz).isoformat()
    out.pop("venue_id", None)
    out["venue_name"] = booking.venue_name


async def _resolve_invite(deps: GraphDeps, state: ActionAgentState, out: dict[str, Any]) -> dict[str, Any] | None:
    """Which received invite: the one this very request already answered (a retry after a crash), else the one
    from the named friend, or the only one waiting."""
    answered = await deps.read(deps.domain.social.invite_answered_with, state["user_id"], idempotency_key(state))
    if answered is not None:
        out["invite_id"], out["from_friend_name"] = answered.id, answered.from_user.first_name
        out["venue_name"] = answered.venue_name
        return None
    received, _sent = await deps.read(deps.domain.social.list_invites, state["user_id"])
    waiting = [i for i in received if i.status == "pending"]
    name = (state["entities"].get("person_name") or "").strip().lower()
    if name:
        waiting = [i for i in waiting if name in (i.from_user.first_name.lower(), i.from_user.name.lower())]
    if not waiting:
        return problem("no_pending_invites", FAILED, name=state["entities"].get("person_name", ""))
    if len(waiting) > 1:
        return problem("ambiguous_invite", NEEDS_CLARIFICATION,
                        options=[f"the one from {i.from_user.first_name}" for i in waiting[:3]])
    out["invite_id"], out["from_friend_name"] = waiting[0].id, waiting[0].from_user.first_name
    out["venue_name"] = waiting[0].venue_name
    return None



def route_after_resolve(state: ActionAgentState) -> str:
    return {FAILED: "error", NEEDS_CLARIFICATION: "clarify"}.get(state["execution_status"], "validate")
