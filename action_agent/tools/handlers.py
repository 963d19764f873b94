"""Tool handlers: validated parameters in, a JSON-ready result out. Ids are resolved by the graph;
every call acts as ctx.user_id. Domain errors propagate to the graph, which speaks them."""

from __future__ import annotations

from typing import Any

from action_agent.domain import BookingView, InviteView, VenueView
from action_agent.domain.errors import NotFound
from action_agent.domain.recommendations import WALKING_DISTANCE_KM
from action_agent.tools import params
from action_agent.tools.context import ToolContext

MAX_LISTED = 10


def booking_result(ctx: ToolContext, booking: BookingView) -> dict[str, Any]:
    return {"booking_id": booking.id, "confirmation_code": booking.confirmation_code, "venue_id": booking.venue_id,
            "venue_name": booking.venue_name, "time": ctx.local(booking.start), "party_size": booking.party_size,
            "status": booking.status, "special_requests": booking.special_requests or "",
            "occasion": booking.occasion or ""}


def venue_result(venue: VenueView) -> dict[str, Any]:
    return {"venue_id": venue.id, "name": venue.name, "cuisines": list(venue.cuisines),
            "price_level": venue.price_level, "rating": venue.rating, "address": venue.address,
            "neighbourhood": venue.neighbourhood, "hours": venue.hours_text, "phone": venue.phone,
            "takes_reservations": venue.takes_reservations}


def invite_result(ctx: ToolContext, invite: InviteView) -> dict[str, Any]:
    return {"invite_id": invite.id, "from_name": invite.from_user.first_name, "to_name": invite.to_user.first_name,
            "venue_id": invite.venue_id, "venue_name": invite.venue_name, "time": ctx.local(invite.at),
            "booking_id": invite.booking_id or 0, "status": invite.status, "message": invite.message or ""}


def _venue_id(ref: params.VenueRef | params.FindFriends) -> int:
    if ref.venue_id is None:
        raise NotFound("I couldn't find that venue.")
    return ref.venue_id


async def _booking_id(ctx: ToolContext, ref: params.BookingRef) -> int:
    if ref.booking_id is not None:
        return ref.booking_id
    assert ref.confirmation_code is not None  # BookingRef requires one of the two
    return (await ctx.read(ctx.domain.bookings.get_booking_by_code, ctx.user_id, ref.confirmation_code)).id


async def make_booking(ctx: ToolContext, p: params.MakeBooking) -> dict[str, Any]:
    booking = await ctx.call(ctx.domain.bookings.create_booking, ctx.user_id, _venue_id(p), p.date_time,
                             p.party_size, special_requests=p.special_requests, occasion=p.occasion,
                             idempotency_key=ctx.idempotency_key)
    return booking_result(ctx, booking)


async def modify_booking(ctx: ToolContext, p: params.ModifyBooking) -> dict[str, Any]:
    booking_id = await _booking_id(ctx, p)
    booking = await ctx.call(ctx.domain.bookings.modify_booking, ctx.user_id, booking_id, start=p.date_time,
                             party_size=p.party_size)
    return booking_result(ctx, booking)


async def cancel_booking(ctx: ToolContext, p: params.CancelBooking) -> dict[str, Any]:
    booking = await ctx.call(ctx.domain.bookings.cancel_booking, ctx.user_id, await _booking_id(ctx, p))
    return booking_result(ctx, booking)


async def check_booking(ctx: ToolContext, p: params.CheckBooking) -> dict[str, Any]:
    if p.confirmation_code:
        found = await ctx.read(ctx.domain.bookings.get_booking_by_code, ctx.user_id, p.confirmation_code)
        return {"bookings": [booking_result(ctx, found)]}
    bookings = await ctx.read(ctx.domain.bookings.list_bookings, ctx.user_id)
    # A spoken answer names a few; the result carries the next ones, not a whole diary.
    return {"bookings": [booking_result(ctx, b) for b in bookings[:MAX_LISTED]], "total": len(bookings)}


async def get_recommendations(ctx: ToolContext, p: params.GetRecommendations) -> dict[str, Any]:
    items = await ctx.call(ctx.domain.recommendations.recommend, ctx.user_id, cuisine=p.cuisine,
                           price_level=p.price_level, max_distance_km=p.max_distance_km, nearby=p.nearby,
                           at=p.date_time, occasion=p.occasion, limit=p.limit)
    return {"venues": [{**venue_result(r.venue), "distance_km": round(r.distance_km, 2),
                        "walk_minutes": r.walk_minutes, "reasons": list(r.reasons)} for r in items],
            "cuisine": p.cuisine or "", "nearby": p.nearby}


async def search_venue(ctx: ToolContext, p: params.SearchVenue) -> dict[str, Any]:
    limit_km = WALKING_DISTANCE_KM if p.nearby else p.max_distance_km
    if limit_km is not None and not p.query:
        # Distance ranking needs the user's location: the recommender filters by it.
        items = await ctx.call(ctx.domain.recommendations.recommend, ctx.user_id, cuisine=p.cuisine,
                               max_distance_km=p.max_distance_km, nearby=p.nearby, limit=5)
        return {"venues": [{**venue_result(r.venue), "distance_km": round(r.distance_km, 2),
                            "walk_minutes": r.walk_minutes} for r in items],
                "total": len(items), "query": p.cuisine or ""}
    page = await ctx.call(ctx.domain.venues.search_venues, query=p.query, cuisine=p.cuisine, limit=20)
    found = [venue_result(v) for v in page.venues]
    if limit_km is not None:
        # "Is there a Starbucks nearby?": the named places, nearest first, within reach.
        for venue in found:
            walk = await ctx.call(ctx.domain.travel.estimate_travel, ctx.user_id, venue["venue_id"], "walk")
            venue.update(distance_km=round(walk.distance_km, 2), walk_minutes=walk.minutes)
        found = sorted((v for v in found if v["distance_km"] <= limit_km), key=lambda v: v["distance_km"])
    return {"venues": found[:5], "total": len(found) if limit_km is not None else page.total,
            "query": p.query or p.cuisine or ""}


async def venue_info(ctx: ToolContext, p: params.VenueInfo) -> dict[str, Any]:
    venue = await ctx.call(ctx.domain.venues.get_venue, _venue_id(p))
    open_now = await ctx.call(ctx.domain.availability.is_open, venue.id, ctx.now)
    return {**venue_result(venue), "open_now": open_now}


async def check_availability(ctx: ToolContext, p: params.CheckAvailability) -> dict[str, Any]:
    venue_id = _venue_id(p)
    at = p.date_time or ctx.now
    venue = await ctx.call(ctx.domain.venues.get_venue, venue_id)
    view = await ctx.call(ctx.domain.availability.check_availability, venue_id, at, p.party_size)
    open_then = await ctx.call(ctx.domain.availability.is_open, venue_id, at)
    return {"venue_id": venue_id, "venue_name": venue.name, "time": ctx.local(at), "party_size": p.party_size,
            "available": view.available, "open": open_then, "reason": view.reason, "hours": venue.hours_text,
            "alternatives": [ctx.local(t) for t in view.alternatives], "time_given": p.date_time is not None}


async def find_friends(ctx: ToolContext, p: params.FindFriends) -> dict[str, Any]:
    if p.venue_id is None:
        friends = await ctx.read(ctx.domain.social.list_friends, ctx.user_id)
        return {"friends": [f.first_name for f in friends]}
    venue = await ctx.call(ctx.domain.venues.get_venue, p.venue_id)
    interested = await ctx.call(ctx.domain.social.friends_interested, ctx.user_id, p.venue_id)
    there = await ctx.call(ctx.domain.social.friends_checked_in, ctx.user_id, p.venue_id)
    return {"venue_id": venue.id, "venue_name": venue.name, "interested": [f.first_name for f in interested],
            "checked_in": [f.first_name for f in there]}


async def send_invite(ctx: ToolContext, p: params.SendInvite) -> dict[str, Any]:
    if p.friend_id is None:
        raise NotFound("I couldn't find that friend.")
    invite = await ctx.call(ctx.domain.social.send_invite, ctx.user_id, p.friend_id, _venue_id(p), p.date_time,
                            booking_id=p.booking_id, message=p.message, idempotency_key=ctx.idempotency_key)
    return invite_result(ctx, invite)


async def respond_invite(ctx: ToolContext, p: params.RespondInvite) -> dict[str, Any]:
    if p.invite_id is None:
        raise NotFound("I couldn't find that invite.")
    invite = await ctx.call(ctx.domain.social.respond_invite, ctx.user_id, p.invite_id, p.response == "accept",
                            idempotency_key=ctx.idempotency_key)
    return invite_result(ctx, invite)


async def check_invites(ctx: ToolContext, p: params.CheckInvites) -> dict[str, Any]:
    received, sent = await ctx.read(ctx.domain.social.list_invites, ctx.user_id)
    return {"received": [invite_result(ctx, i) for i in received if i.status == "pending"],
            "sent": [invite_result(ctx, i) for i in sent if i.status == "pending"]}


async def get_directions(ctx: ToolContext, p: params.GetDirections) -> dict[str, Any]:
    d = await ctx.call(ctx.domain.travel.directions, ctx.user_id, _venue_id(p))
    return {"venue_id": d.venue_id, "venue_name": d.venue_name, "distance_km": d.distance_km,
            "walk_minutes": d.walk_minutes, "transit_minutes": d.transit_minutes, "drive_minutes": d.drive_minutes,
            "heading": d.heading, "address": d.address, "description": d.description}


async def estimate_travel(ctx: ToolContext, p: params.EstimateTravel) -> dict[str, Any]:
    venue = await ctx.call(ctx.domain.venues.get_venue, _venue_id(p))
    modes = [p.mode] if p.mode else ["walk", "transit", "drive"]
    estimates = [await ctx.call(ctx.domain.travel.estimate_travel, ctx.user_id, venue.id, mode) for mode in modes]
    return {"venue_id": venue.id, "venue_name": venue.name,
            "estimates": [{"mode": e.mode.value, "minutes": e.minutes, "distance_km": round(e.distance_km, 2)}
                          for e in estimates]}
