"""Availability: the booking rules (open for the whole seating, booking window, party size, capacity)
and the nearest alternative times when a request cannot be met."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, lazyload, sessionmaker

from action_agent.domain.clock import Clock, require_aware, utc_now
from action_agent.domain.convert import hours_of
from action_agent.domain.errors import (
    DomainError,
    FullyBooked,
    InvalidRequest,
    NotFound,
    OutsideBookingWindow,
    VenueClosed,
)
from action_agent.domain.hours import (
    format_time,
    hours_in_words,
    intervals_on_local_day,
    is_open_at,
    open_interval_containing,
)
from action_agent.domain.views import AvailabilityView
from action_agent.store.models import BOOKING_CONFIRMED, Booking, Venue

SEATING = timedelta(minutes=90)
BOOKING_WINDOW = timedelta(days=60)
MIN_PARTY, MAX_PARTY = 1, 20
ALTERNATIVE_STEP = timedelta(minutes=15)
MAX_ALTERNATIVES = 3
# The rules need a venue's hours, not its names and cuisines: skip those loads on the hot path.
HOURS_ONLY = (lazyload(Venue.aliases), lazyload(Venue.cuisines), joinedload(Venue.hours))


@dataclass(frozen=True)
class Seating:
    start: datetime
    party_size: int


def peak_covers(seatings: list[Seating], start: datetime) -> int:
    """Most guests seated at once during [start, start + SEATING).

    Occupancy only rises when a seating starts, so the peak is at `start` or at a seating's start inside the window.
    """
    end = start + SEATING
    points = [start, *(s.start for s in seatings if start < s.start < end)]
    return max(sum(s.party_size for s in seatings if s.start <= p < s.start + SEATING) for p in points)


def _seatings(session: Session, venue_id: int, since: datetime, until: datetime,
              exclude_booking_id: int | None) -> list[Seating]:
    """Confirmed seatings overlapping [since, until)."""
    query = select(Booking.start_at, Booking.party_size).where(
        Booking.venue_id == venue_id,
        Booking.status == BOOKING_CONFIRMED,
        Booking.start_at > since - SEATING,
        Booking.start_at < until,
    )
    if exclude_booking_id is not None:
        query = query.where(Booking.id != exclude_booking_id)
    return [Seating(start, size) for start, size in session.execute(query)]


def nearest_alternatives(session: Session, venue: Venue, start: datetime, party_size: int, now: datetime,
                         exclude_booking_id: int | None = None, limit: int = MAX_ALTERNATIVES) -> list[datetime]:
    """Bookable start times on the same local day as `start` (15-minute steps), nearest first."""
    hours = hours_of(venue)
    intervals = intervals_on_local_day(hours, venue.time_zone, start)
    if not intervals or party_size > venue.capacity_per_slot:
        return []
    seatings = _seatings(session, venue.id, intervals[0][0], intervals[-1][1], exclude_booking_id)
    local_day = start.astimezone(intervals[0][0].tzinfo).date()
    candidates: list[datetime] = []
    for open_at, close_at in intervals:
        t = open_at
        while t + SEATING <= close_at:
            if t.date() == local_day and now < t <= now + BOOKING_WINDOW and t != start \
                    and peak_covers(seatings, t) + party_size <= venue.capacity_per_slot:
                candidates.append(t)
            t += ALTERNATIVE_STEP
    candidates.sort(key=lambda t: (abs(t - start), t))
    return candidates[:limit]


def enforce_booking_rules(session: Session, venue: Venue, start: datetime, party_size: int, now: datetime,
                          exclude_booking_id: int | None = None) -> None:
    """Raise the DomainError that stops this booking, if any. Call inside the transaction that books."""
    require_aware(start, "the booking time")
    if not MIN_PARTY <= party_size <= MAX_PARTY:
        raise InvalidRequest(f"Party size must be between {MIN_PARTY} and {MAX_PARTY}.")
    if start <= now:
        raise OutsideBookingWindow("That time has already passed.")
    if start > now + BOOKING_WINDOW:
        raise OutsideBookingWindow(f"Bookings open at most {BOOKING_WINDOW.days} days ahead.")
    if not venue.takes_reservations:
        raise InvalidRequest(f"{venue.name} doesn't take reservations.")
    hours = hours_of(venue)
    if open_interval_containing(hours, venue.time_zone, start, SEATING) is None:
        alternatives = nearest_alternatives(session, venue, start, party_size, now, exclude_booking_id)
        text = hours_in_words(hours)
        if is_open_at(hours, venue.time_zone, start):
            message = f"{venue.name} closes before a 90-minute seating at that time would end."
        else:
            message = f"{venue.name} is closed then. Hours: {text}."
        raise VenueClosed(message, alternatives, text)
    if party_size > venue.capacity_per_slot:
        raise FullyBooked(f"{venue.name} can't seat a party of {party_size}.")
    seatings = _seatings(session, venue.id, start, start + SEATING, exclude_booking_id)
    if peak_covers(seatings, start) + party_size > venue.capacity_per_slot:
        alternatives = nearest_alternatives(session, venue, start, party_size, now, exclude_booking_id)
        local = start.astimezone(ZoneInfo(venue.time_zone))
        raise FullyBooked(f"{venue.name} is fully booked for {party_size} at {format_time(local)}.", alternatives)


class AvailabilityService:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def check_availability(self, venue_id: int, start: datetime, party_size: int) -> AvailabilityView:
        """Whether `party_size` can book `venue_id` at `start`; when not, why and the nearest times that day.

        Raises NotFound for an unknown venue; every rule failure is reported in the view instead.
        """
        require_aware(start, "the time")
        with self._sessions() as session:
            venue = session.get(Venue, venue_id, options=HOURS_ONLY)
            if venue is None:
                raise NotFound("I couldn't find that venue.")
            try:
                enforce_booking_rules(session, venue, start, party_size, self._clock())
            except (VenueClosed, FullyBooked) as exc:
                return AvailabilityView(False, exc.message, exc.alternatives)
            except DomainError as exc:
                return AvailabilityView(False, exc.message, [])
            return AvailabilityView(True, "", [])

    def is_open(self, venue_id: int, at: datetime) -> bool:
        """Whether the venue is open at the instant `at` (aware)."""
        require_aware(at, "the time")
        with self._sessions() as session:
            venue = session.get(Venue, venue_id, options=HOURS_ONLY)
            if venue is None:
                raise NotFound("I couldn't find that venue.")
            return is_open_at(hours_of(venue), venue.time_zone, at)
