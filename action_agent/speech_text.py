"""Speech-ready wording: short answers that say the key facts, in words a voice can read aloud.

Times are spoken relative to the request's "now" in the user's zone ("7 PM tonight"), codes are
spelled character by character, and errors follow the templates of spec §13.2.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from action_agent.domain.hours import format_time

ERROR_TEMPLATES = {
    "intent_unclear": "I'm not sure what you'd like to do. You can ask me to find restaurants, make bookings, "
                      "or connect with friends.",
    "venue_not_found": "I couldn't find that venue. Could you give me more details or try a different name?",
    "booking_failed": "I wasn't able to complete that booking. Would you like me to try a different time or venue?",
    "service_unavailable": "I'm having some technical difficulties right now. Please try again in a few minutes.",
    "speech_unclear": "I didn't catch that. Could you please repeat?",
}

QUESTIONS = {
    "venue": "Which restaurant would you like?",
    "date_time": "What day and time?",
    "time": "At what time?",
    "party_size": "For how many people?",
    "person": "Who would you like to invite?",
    "booking": "Which booking? You can tell me the confirmation code.",
    "change": "What would you like to change: the time or the number of people?",
    "invite": "Which invite? Tell me who it's from.",
    "response": "Would you like to accept or decline it?",
    "search": "What kind of place are you looking for?",
}

GREETING = "Hi! I'm Luna. I can find restaurants, book tables and invite your friends. What would you like to do?"
THANKS = "You're welcome! Enjoy your meal."
HELP = ("You can ask me things like: find me a sushi place nearby, book a table for four at Olive Garden at 7, "
        "invite Sarah, or do I have any invites?")


def spell_code(code: str) -> str:
    """"K7M2P9" -> "K 7 M 2 P 9": read one character at a time."""
    return " ".join(code.upper())


def number_word(n: int) -> str:
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
             "twelve"]
    return words[n] if 0 <= n < len(words) else str(n)


def join_words(items: Sequence[str], last: str = "and") -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def when_words(value: datetime | str, now: datetime, tz: ZoneInfo) -> str:
    """"7 PM tonight", "12:30 PM today", "8 PM tomorrow", "7 PM on Friday", "7 PM on Friday, December 18th"."""
    at = (datetime.fromisoformat(value) if isinstance(value, str) else value).astimezone(tz)
    today = now.astimezone(tz).date()
    clock = format_time(at)
    days = (at.date() - today).days
    if days == 0:
        return f"{clock} tonight" if at.hour >= 17 else f"{clock} today"
    if days == 1:
        return f"{clock} tomorrow"
    if days == -1:
        return f"{clock} yesterday"
    if 1 < days < 7:
        return f"{clock} on {at:%A}"
    return f"{clock} on {at:%A}, {at:%B} {_ordinal(at.day)}"


def clock_words(value: datetime | str, tz: ZoneInfo) -> str:
    """"7 PM", "6:30 PM"."""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_time(at.astimezone(tz))


def party_words(party_size: int) -> str:
    return "just you" if party_size == 1 else f"{party_size} people"


def price_words(level: int) -> str:
    return {1: "cheap", 2: "moderately priced", 3: "upscale", 4: "high-end"}.get(level, "")


def confirmation_prompt(tool: str, p: dict[str, Any], names: dict[str, str], now: datetime, tz: ZoneInfo) -> str:
    """The yes/no question before a critical action."""
    venue = names.get("venue", "")
    when = when_words(p["date_time"], now, tz) if p.get("date_time") else ""
    if tool == "make_booking":
        return f"Should I book a table for {p['party_size']} at {venue} for {when}?"
    if tool == "modify_booking":
        changes = [f"to {when}" if when else "", f"for {p['party_size']} people" if p.get("party_size") else ""]
        return f"Should I change your booking at {venue} {join_words(changes)}?".replace("  ", " ")
    if tool == "cancel_booking":
        return f"Should I cancel your booking at {venue} for {names.get('booking_time', '')}?".replace(" for ?", "?")
    if tool == "send_invite":
        return f"Should I invite {names.get('person', '')} to {venue} at {when}?"
    return f"Should I go ahead with {tool.replace('_', ' ')}?"


def cancelled_text(tool: str) -> str:
    return {
        "make_booking": "Okay, I won't book it.",
        "modify_booking": "Okay, I'll leave your booking as it is.",
        "cancel_booking": "Okay, your booking stays as it is.",
        "send_invite": "Okay, I won't send the invite.",
    }.get(tool, "Okay, I won't do that.")


def result_text(tool: str, r: dict[str, Any], now: datetime, tz: ZoneInfo) -> tuple[str, str]:
    """(speak_text, follow_up_prompt) for a tool's result."""
    def when(value: str) -> str:
        return when_words(value, now, tz)

    if tool == "make_booking":
        return (f"Done! I've booked a table for {r['party_size']} at {r['venue_name']} for {when(r['time'])}. "
                f"Your confirmation code is {spell_code(r['confirmation_code'])}.",
                "Would you like me to invite any friends?")
    if tool == "modify_booking":
        return (f"Done. Your booking at {r['venue_name']} is now for {r['party_size']} at {when(r['time'])}. "
                f"Your confirmation code is still {spell_code(r['confirmation_code'])}.", "")
    if tool == "cancel_booking":
        return f"Your booking at {r['venue_name']} for {when(r['time'])} is cancelled.", ""
    if tool == "check_booking":
        bookings, total = r["bookings"], int(r.get("total", len(r["bookings"])))
        if not bookings:
            return "You don't have any upcoming bookings.", "Would you like me to find a place?"
        parts = [f"{b['venue_name']} for {b['party_size']} at {when(b['time'])}" for b in bookings[:3]]
        if total == 1:
            b = bookings[0]
            return (f"You have a booking at {parts[0]}. The confirmation code is "
                    f"{spell_code(b['confirmation_code'])}.", "")
        more = f", and {total - 3} more" if total > 3 else ""
        return f"You have {total} upcoming bookings: {join_words(parts)}{more}.", ""
    if tool in ("get_recommendations", "search_venue"):
        venues = r["venues"]
        if not venues:
            what = r.get("cuisine") or r.get("query") or "places"
            return f"I couldn't find any {what} that match right now.", "Would you like me to look a bit further?"
        top = venues[0]
        reasons = top.get("reasons") or []
        walk = f", a {top['walk_minutes']}-minute walk away" if top.get("walk_minutes") and not reasons else ""
        first = f"{top['name']}{walk}" + (f". {reasons[0]}" if reasons else "")
        others = [v["name"] for v in venues[1:3]]
        text = f"I'd suggest {first}." if tool == "get_recommendations" else f"I found {first}."
        if others:
            text += f" You could also try {join_words(others, 'or')}."
        follow_up = (f"Would you like me to book {top['name']}?" if top.get("takes_reservations", True)
                     else f"Would you like directions to {top['name']}?")
        return text.replace("..", "."), follow_up
    if tool == "venue_info":
        cuisine = join_words([c.title() for c in r["cuisines"][:2]])
        now_open = "It's open now." if r.get("open_now") else "It's closed right now."
        return (f"{r['name']} is a {price_words(r['price_level'])} {cuisine} place in {r['neighbourhood']}, "
                f"rated {r['rating']:.1f}. {now_open} Hours: {r['hours']}.", f"Would you like to book {r['name']}?")
    if tool == "check_availability":
        if r["available"]:
            size = f" for {r['party_size']}" if r.get("time_given") else ""
            return (f"Yes, {r['venue_name']} has a table{size} at {when(r['time'])}.",
                    "Would you like me to book it?")
        alternatives = [clock_words(t, tz) for t in r["alternatives"][:2]]
        text = r["reason"] or f"{r['venue_name']} isn't available then."
        if alternatives:
            return f"{text} I could do {join_words(alternatives, 'or')}.", "Would one of those work?"
        return f"{text} Its hours are {r['hours']}.", ""
    if tool == "find_friends":
        if "friends" in r:
            return (f"Your friends on Luna are {join_words(r['friends'])}." if r["friends"]
                    else "You haven't added any friends yet."), ""
        parts = []
        if r["checked_in"]:
            parts.append(f"{join_words(r['checked_in'])} {'is' if len(r['checked_in']) == 1 else 'are'} "
                         f"at {r['venue_name']} right now")
        if r["interested"]:
            parts.append(f"{join_words(r['interested'])} "
                         f"{'wants' if len(r['interested']) == 1 else 'want'} to go to {r['venue_name']}")
        if not parts:
            return f"None of your friends are at {r['venue_name']} or planning to go.", ""
        return f"{'. '.join(parts)}.", "Would you like me to invite someone?"
    if tool == "send_invite":
        return f"Done. I've invited {r['to_name']} to {r['venue_name']} at {when(r['time'])}.", \
            "I'll let you know when they answer."
    if tool == "respond_invite":
        verb = "accepted" if r["status"] == "accepted" else "declined"
        return f"Done. You've {verb} {r['from_name']}'s invite to {r['venue_name']} at {when(r['time'])}.", ""
    if tool == "check_invites":
        received = r["received"]
        if not received:
            return "You don't have any pending invites.", ""
        parts = [f"{i['from_name']} invited you to {i['venue_name']} at {when(i['time'])}" for i in received[:3]]
        count = "one pending invite" if len(received) == 1 else f"{number_word(len(received))} pending invites"
        return f"You have {count}. {join_words(parts)}.", "Would you like to accept or decline?"
    if tool == "get_directions":
        return r["description"], ""
    if tool == "estimate_travel":
        verbs = {"walk": "walk", "transit": "by subway", "drive": "drive"}
        parts = [f"{e['minutes']} minutes {'on foot' if e['mode'] == 'walk' else verbs[e['mode']]}"
                 .replace("minutes drive", "minutes by car") for e in r["estimates"]]
        return f"Getting to {r['venue_name']} takes about {join_words(parts, 'or')}.", ""
    return "Done.", ""
