"""The conversation's memory in the graph state: venues mentioned or recommended (most recent first),
the last time and party size said, the booking just made. It is what "book it" and "invite Sarah"
(same place, same time) refer back to."""

from __future__ import annotations

from typing import Any

MEMORY_VENUES = 5


def remember_mentions(memory: dict[str, Any], out: dict[str, Any], entities: dict[str, Any]) -> dict[str, Any]:
    if "venue_id" in out:
        memory = remember_venue(memory, out["venue_id"], out["venue_name"], ())
    for key in ("date_time", "party_size"):
        if key in out and (key in entities or (key == "date_time" and "date" in entities)):
            memory[key] = out[key]
    return memory


def remember_venue(memory: dict[str, Any], venue_id: int, name: str, cuisines: Any) -> dict[str, Any]:
    venues = [v for v in memory.get("venues", []) if v["venue_id"] != venue_id]
    known = next((v for v in memory.get("venues", []) if v["venue_id"] == venue_id), None)
    entry = {"venue_id": venue_id, "name": name, "cuisines": list(cuisines) or (known or {}).get("cuisines", [])}
    return {**memory, "venues": [entry, *venues][:MEMORY_VENUES]}


def remember_result(memory: dict[str, Any], tool: str, result: dict[str, Any]) -> dict[str, Any]:
    """What a tool's result adds: the booking just made, the places just recommended or described."""
    if tool in ("make_booking", "modify_booking"):
        memory = remember_venue(memory, result["venue_id"], result["venue_name"], ())
        memory.update(booking={k: result[k] for k in ("booking_id", "venue_id", "venue_name", "time",
                                                      "confirmation_code")},
                      date_time=result["time"], party_size=result["party_size"])
    elif tool in ("get_recommendations", "search_venue"):
        for venue in reversed(result["venues"][:3]):  # the top one ends up first: "book it" means it
            memory = remember_venue(memory, venue["venue_id"], venue["name"], venue["cuisines"])
    elif tool == "venue_info":
        memory = remember_venue(memory, result["venue_id"], result["name"], result["cuisines"])
    return memory
