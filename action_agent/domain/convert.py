"""ORM rows to frozen views: the only place that knows both shapes."""

from __future__ import annotations

from sqlalchemy.orm import joinedload, lazyload, load_only

from action_agent.domain.hours import hours_in_words
from action_agent.domain.views import BookingView, InviteView, OpeningHoursView, UserView, VenueView
from action_agent.store.models import Booking, Invite, User, Venue

# Loader options for bookings and invites, whose views need only the venue's name: one join, not the
# three extra selects (aliases, cuisines, hours) a full venue costs.
_NAME_ONLY = (load_only(Venue.id, Venue.name), lazyload(Venue.aliases), lazyload(Venue.cuisines),
              lazyload(Venue.hours))
VENUE_NAME_ONLY = (joinedload(Booking.venue).options(*_NAME_ONLY),)
INVITE_VENUE_NAME_ONLY = (joinedload(Invite.venue).options(*_NAME_ONLY),)


def hours_of(venue: Venue) -> tuple[OpeningHoursView, ...]:
    return tuple(OpeningHoursView(h.weekday, h.open_minute, h.close_minute) for h in venue.hours)


def venue_view(venue: Venue) -> VenueView:
    hours = hours_of(venue)
    return VenueView(
        id=venue.id,
        name=venue.name,
        aliases=tuple(a.alias for a in venue.aliases),
        cuisines=tuple(c.cuisine for c in venue.cuisines),
        price_level=venue.price_level,
        rating=venue.rating,
        address=venue.address,
        neighbourhood=venue.neighbourhood,
        latitude=venue.latitude,
        longitude=venue.longitude,
        phone=venue.phone,
        time_zone=venue.time_zone,
        hours=hours,
        capacity_per_slot=venue.capacity_per_slot,
        outdoor_seating=venue.outdoor_seating,
        kid_friendly=venue.kid_friendly,
        takes_reservations=venue.takes_reservations,
        vegetarian_options=venue.vegetarian_options,
        hours_text=hours_in_words(hours),
    )


def booking_view(booking: Booking) -> BookingView:
    return BookingView(
        id=booking.id,
        venue_id=booking.venue_id,
        venue_name=booking.venue.name,
        start=booking.start_at,
        party_size=booking.party_size,
        status=booking.status,
        confirmation_code=booking.confirmation_code,
        special_requests=booking.special_requests,
        occasion=booking.occasion,
        created_at=booking.created_at,
        updated_at=booking.updated_at,
    )


def user_view(user: User) -> UserView:
    return UserView(id=user.id, name=user.name, first_name=user.first_name)


def invite_view(invite: Invite, status: str | None = None) -> InviteView:
    return InviteView(
        id=invite.id,
        from_user=user_view(invite.from_user),
        to_user=user_view(invite.to_user),
        venue_id=invite.venue_id,
        venue_name=invite.venue.name,
        at=invite.at,
        booking_id=invite.booking_id,
        status=status or invite.status,
        message=invite.message,
        created_at=invite.created_at,
    )
