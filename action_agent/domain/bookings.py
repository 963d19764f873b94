"""Bookings: create, modify, cancel and list a user's reservations, enforcing the booking rules atomically.

Every write runs in a transaction that holds the write lock before it checks capacity (SQLite: BEGIN
IMMEDIATE; PostgreSQL: the venue row locked FOR UPDATE), so concurrent requests for the last seats
cannot both succeed.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from action_agent.domain.availability import HOURS_ONLY, enforce_booking_rules
from action_agent.domain.clock import Clock, require_aware, utc_now
from action_agent.domain.convert import VENUE_NAME_ONLY, booking_view
from action_agent.domain.errors import InvalidRequest, NotAllowed, NotFound
from action_agent.domain.views import BookingView
from action_agent.store.engine import write_session
from action_agent.store.models import BOOKING_CANCELLED, BOOKING_CONFIRMED, Booking, User, Venue

# No 0/O, 1/I/L, 5/S or 8/B: codes are read aloud and typed from memory.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY234679"
CODE_LENGTH = 6
MAX_TEXT = 500
MAX_IDEMPOTENCY_KEY = 128


# What a BookingView needs, as one joined select (no ORM objects, no venue aliases, cuisines or hours).
_VIEW_COLUMNS = (Booking.id, Booking.venue_id, Venue.name, Booking.start_at, Booking.party_size, Booking.status,
                 Booking.confirmation_code, Booking.special_requests, Booking.occasion, Booking.created_at,
                 Booking.updated_at)


_VIEW_QUERY = select(*_VIEW_COLUMNS).join(Venue, Venue.id == Booking.venue_id)
# list_bookings' queries, built once (building one per call costs more CPU than running it on SQLite).
_ALL_OF_USER = _VIEW_QUERY.where(Booking.user_id == bindparam("user_id")).order_by(Booking.start_at, Booking.id)
_UPCOMING_OF_USER = (_VIEW_QUERY
                     .where(Booking.user_id == bindparam("user_id"), Booking.status == BOOKING_CONFIRMED,
                            Booking.start_at > bindparam("after"))
                     .order_by(Booking.start_at, Booking.id))


def _row_view(row: Sequence[Any]) -> BookingView:
    (booking_id, venue_id, venue_name, start, party_size, status, code, special_requests, occasion, created_at,
     updated_at) = row
    return BookingView(booking_id, venue_id, venue_name, start, party_size, status, code, special_requests, occasion,
                       created_at, updated_at)


def new_confirmation_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _clean_text(value: str | None, what: str, limit: int = MAX_TEXT) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > limit:
        raise InvalidRequest(f"The {what} is too long (at most {limit} characters).")
    return value or None


def _lock_venue(session: Session, venue_id: int) -> Venue:
    query = select(Venue).where(Venue.id == venue_id).options(*HOURS_ONLY).with_for_update(of=Venue)
    venue = session.execute(query).unique().scalar_one_or_none()
    if venue is None:
        raise NotFound("I couldn't find that venue.")
    return venue


def _owned_booking(session: Session, user_id: int, booking_id: int, lock: bool = False) -> Booking:
    query = select(Booking).where(Booking.id == booking_id).options(*VENUE_NAME_ONLY)
    if lock:
        # PostgreSQL: hold the row so a concurrent cancel and modify of one booking serialize.
        query = query.with_for_update(of=Booking)
    booking = session.execute(query).unique().scalar_one_or_none()
    if booking is None:
        raise NotFound("I couldn't find that booking.")
    if booking.user_id != user_id:
        raise NotAllowed("That booking belongs to someone else.")
    return booking


class BookingService:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def create_booking(self, user_id: int, venue_id: int, start: datetime, party_size: int,
                       special_requests: str | None = None, occasion: str | None = None,
                       idempotency_key: str | None = None) -> BookingView:
        """Book a table. The same `idempotency_key` (per user) returns the original booking and creates nothing.

        Raises NotFound (user/venue), InvalidRequest, OutsideBookingWindow, VenueClosed, FullyBooked.
        """
        require_aware(start, "the booking time")
        if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            raise InvalidRequest(f"The idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY} characters.")
        special_requests = _clean_text(special_requests, "special request")
        occasion = _clean_text(occasion, "occasion", 80)
        try:
            with write_session(self._sessions) as session:
                existing = self._by_idempotency_key(session, user_id, idempotency_key)
                if existing is not None:
                    return booking_view(existing)
                if session.get(User, user_id) is None:
                    raise NotFound("I couldn't find your account.")
                venue = _lock_venue(session, venue_id)
                now = self._clock()
                enforce_booking_rules(session, venue, start, party_size, now)
                booking = Booking(user_id=user_id, venue_id=venue.id, start_at=start, party_size=party_size,
                                  status=BOOKING_CONFIRMED, confirmation_code=self._unused_code(session),
                                  special_requests=special_requests, occasion=occasion,
                                  idempotency_key=idempotency_key, created_at=now, updated_at=now)
                session.add(booking)
                session.commit()
                return booking_view(booking)
        except IntegrityError:
            # Only a concurrent request with the same idempotency key can get here (capacity and codes are
            # checked under the write lock): return the booking it made.
            with self._sessions() as session:
                existing = self._by_idempotency_key(session, user_id, idempotency_key)
                if existing is None:
                    raise
                return booking_view(existing)

    @staticmethod
    def _by_idempotency_key(session: Session, user_id: int, key: str | None) -> Booking | None:
        if key is None:
            return None
        return session.execute(
            select(Booking).where(Booking.user_id == user_id, Booking.idempotency_key == key).options(*VENUE_NAME_ONLY)
        ).scalar_one_or_none()

    @staticmethod
    def _unused_code(session: Session) -> str:
        while True:
            code = new_confirmation_code()
            if session.execute(select(Booking.id).where(Booking.confirmation_code == code)).first() is None:
                return code

    def modify_booking(self, user_id: int, booking_id: int, start: datetime | None = None,
                       party_size: int | None = None) -> BookingView:
        """Move and/or resize the user's booking; availability is re-checked in the same transaction
        (the booking's own seats do not count against it). Raises NotFound, NotAllowed, InvalidRequest,
        OutsideBookingWindow, VenueClosed, FullyBooked."""
        if start is not None:
            require_aware(start, "the booking time")
        with write_session(self._sessions) as session:
            booking = _owned_booking(session, user_id, booking_id, lock=True)
            now = self._clock()
            if booking.status != BOOKING_CONFIRMED:
                raise InvalidRequest("That booking was cancelled; make a new one instead.")
            if booking.start_at <= now:
                raise InvalidRequest("That booking has already started.")
            if start is None and party_size is None:
                return booking_view(booking)
            venue = _lock_venue(session, booking.venue_id)
            new_start = booking.start_at if start is None else start
            new_party = booking.party_size if party_size is None else party_size
            enforce_booking_rules(session, venue, new_start, new_party, now, exclude_booking_id=booking.id)
            booking.start_at = new_start
            booking.party_size = new_party
            booking.updated_at = now
            session.commit()
            return booking_view(booking)

    def cancel_booking(self, user_id: int, booking_id: int) -> BookingView:
        """Cancel the user's own upcoming booking (cancelling twice returns it unchanged).
        Raises NotFound, NotAllowed (someone else's), InvalidRequest (already started)."""
        with write_session(self._sessions) as session:
            booking = _owned_booking(session, user_id, booking_id, lock=True)
            if booking.status == BOOKING_CANCELLED:
                return booking_view(booking)
            now = self._clock()
            if booking.start_at <= now:
                raise InvalidRequest("That booking has already started, so it can't be cancelled.")
            booking.status = BOOKING_CANCELLED
            booking.updated_at = now
            session.commit()
            return booking_view(booking)

    def list_bookings(self, user_id: int, include_past: bool = False) -> list[BookingView]:
        """The user's bookings by start time: upcoming confirmed ones, or all (past, cancelled) with include_past."""
        values: dict[str, Any] = {"user_id": user_id}
        if include_past:
            query = _ALL_OF_USER
        else:
            query, values["after"] = _UPCOMING_OF_USER, self._clock()
        with self._sessions() as session:
            return [_row_view(r) for r in session.execute(query, values)]

    def get_booking(self, user_id: int, booking_id: int) -> BookingView:
        """One of the user's bookings. Raises NotFound, NotAllowed."""
        with self._sessions() as session:
            return booking_view(_owned_booking(session, user_id, booking_id))

    def get_booking_by_code(self, user_id: int, code: str) -> BookingView:
        """The user's booking with this confirmation code (case-insensitive). Another user's code is NotFound."""
        normalized = code.strip().upper().replace(" ", "")
        with self._sessions() as session:
            row = session.execute(
                _VIEW_QUERY.where(Booking.confirmation_code == normalized, Booking.user_id == user_id)
            ).one_or_none()
        if row is None:
            raise NotFound("I couldn't find a booking of yours with that code.")
        return _row_view(row)

    def past_bookings(self, user_id: int, since: datetime) -> list[BookingView]:
        """The user's confirmed bookings that started between `since` and now, most recent first."""
        require_aware(since, "the start of the period")
        with self._sessions() as session:
            rows = session.execute(
                _VIEW_QUERY
                .where(Booking.user_id == user_id, Booking.status == BOOKING_CONFIRMED,
                       Booking.start_at >= since, Booking.start_at <= self._clock())
                .order_by(Booking.start_at.desc(), Booking.id.desc())
            )
            return [_row_view(r) for r in rows]

    def changes_marker(self, user_id: int) -> tuple[object, ...]:
        """A cheap value that changes whenever the user's bookings change: counts, seats, the last update,
        and the next upcoming start (when it passes, the upcoming list changes without any write)."""
        now = self._clock()
        confirmed = case((Booking.status == BOOKING_CONFIRMED, 1), else_=0)
        upcoming = case((and_(Booking.status == BOOKING_CONFIRMED, Booking.start_at > now), Booking.start_at))
        with self._sessions() as session:
            row = session.execute(
                select(func.count(Booking.id), func.sum(confirmed), func.sum(Booking.party_size),
                       func.max(Booking.updated_at), func.max(Booking.id), func.min(upcoming))
                .where(Booking.user_id == user_id)
            ).one()
            return tuple(row)
