"""Booking rules of the Luna domain on SQLite and PostgreSQL: window, hours, capacity, idempotency,
ownership, and exactly-capacity under concurrent requests for the last seats."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from action_agent.domain import (
    FullyBooked,
    InvalidRequest,
    NotAllowed,
    NotFound,
    OutsideBookingWindow,
    VenueClosed,
)
from action_agent.domain.bookings import CODE_ALPHABET
from action_agent.store.models import Booking
from tests.store_support import BACKENDS, NOW, add_user, add_venue, daily, local, seeded_store

DEMO, SARAH = 1, 2


@pytest.fixture(scope="module", params=BACKENDS)
def store(request, tmp_path_factory):
    with seeded_store(request.param, tmp_path_factory.mktemp(f"bookings-{request.param}")) as s:
        yield s


def test_create_booking_returns_a_confirmed_view_with_a_readable_code(store):
    venue = add_venue(store.sessions, daily(17 * 60, 23 * 60))
    booking = store.domain.bookings.create_booking(DEMO, venue, local(2, 19), 4, special_requests=" window ",
                                                   occasion="birthday")
    assert booking.status == "confirmed" and booking.party_size == 4 and booking.venue_id == venue
    assert booking.start == local(2, 19) and booking.start.tzinfo is not None
    assert len(booking.confirmation_code) == 6 and set(booking.confirmation_code) <= set(CODE_ALPHABET)
    assert not set("01OILSB58") & set(CODE_ALPHABET)
    assert booking.special_requests == "window" and booking.occasion == "birthday"
    assert store.domain.bookings.get_booking_by_code(DEMO, booking.confirmation_code.lower()) == booking


@pytest.mark.parametrize("party", [0, -1, 21])
def test_party_size_must_be_1_to_20(store, party):
    venue = add_venue(store.sessions, daily(17 * 60, 23 * 60), capacity=50)
    with pytest.raises(InvalidRequest, match="between 1 and 20"):
        store.domain.bookings.create_booking(DEMO, venue, local(2, 19), party)
    assert store.domain.bookings.create_booking(DEMO, venue, local(2, 19), 20).party_size == 20


def test_start_must_be_in_the_future_and_within_60_days(store):
    venue = add_venue(store.sessions, daily(0, 1440))
    with pytest.raises(OutsideBookingWindow, match="passed"):
        store.domain.bookings.create_booking(DEMO, venue, NOW - timedelta(minutes=1), 2)
    with pytest.raises(OutsideBookingWindow, match="60 days"):
        store.domain.bookings.create_booking(DEMO, venue, NOW + timedelta(days=60, minutes=15), 2)
    assert store.domain.bookings.create_booking(DEMO, venue, NOW + timedelta(days=59), 2).status == "confirmed"


def test_naive_times_are_rejected(store):
    venue = add_venue(store.sessions, daily(0, 1440))
    with pytest.raises(InvalidRequest, match="time zone"):
        store.domain.bookings.create_booking(DEMO, venue, local(1, 19).replace(tzinfo=None), 2)


def test_unknown_venue_and_no_reservations(store):
    with pytest.raises(NotFound):
        store.domain.bookings.create_booking(DEMO, 999_999, local(1, 19), 2)
    walk_in = add_venue(store.sessions, daily(7 * 60, 19 * 60), takes_reservations=False)
    with pytest.raises(InvalidRequest, match="doesn't take reservations"):
        store.domain.bookings.create_booking(DEMO, walk_in, local(1, 12), 2)


def test_the_whole_90_minute_seating_must_fit_before_closing(store):
    venue = add_venue(store.sessions, daily(17 * 60, 22 * 60))
    assert store.domain.bookings.create_booking(DEMO, venue, local(1, 20, 30), 2).status == "confirmed"
    with pytest.raises(VenueClosed, match="closes before") as err:
        store.domain.bookings.create_booking(DEMO, venue, local(1, 20, 45), 2)
    # Nearest bookable times that day: 20:30, then 20:15, then 20:00.
    assert err.value.alternatives == [local(1, 20, 30), local(1, 20, 15), local(1, 20)]
    with pytest.raises(VenueClosed, match="closed then"):
        store.domain.bookings.create_booking(DEMO, venue, local(1, 16), 2)


def test_closed_days_cannot_be_booked(store):
    friday = (NOW.astimezone(local(0, 0).tzinfo).weekday() + 2) % 7  # NOW is a Wednesday
    hours = [(d, 17 * 60, 23 * 60) for d in range(7) if d != friday]
    venue = add_venue(store.sessions, hours)
    with pytest.raises(VenueClosed) as err:
        store.domain.bookings.create_booking(DEMO, venue, local(2, 19), 2)
    assert err.value.alternatives == []
    assert "closed Friday" in err.value.hours
    assert store.domain.bookings.create_booking(DEMO, venue, local(3, 19), 2).status == "confirmed"


def test_closing_after_midnight_allows_late_seatings(store):
    # Open 6 PM to 2 AM every day: a seating at 12:15 AM belongs to the previous evening's opening.
    venue = add_venue(store.sessions, daily(18 * 60, 26 * 60))
    late = store.domain.bookings.create_booking(DEMO, venue, local(2, 0, 15), 2)
    assert late.start == local(2, 0, 15)
    with pytest.raises(VenueClosed):
        store.domain.bookings.create_booking(DEMO, venue, local(2, 1), 2)  # would end at 2:30 AM
    with pytest.raises(VenueClosed):
        store.domain.bookings.create_booking(DEMO, venue, local(2, 3), 2)


def test_capacity_counts_overlapping_seatings_and_offers_alternatives(store):
    venue = add_venue(store.sessions, daily(17 * 60, 23 * 60), capacity=10)
    bookings = store.domain.bookings
    bookings.create_booking(DEMO, venue, local(3, 19), 6)
    bookings.create_booking(SARAH, venue, local(3, 20), 4)  # overlaps 19:00 (until 20:30)
    with pytest.raises(FullyBooked, match="fully booked for 2 at 7:30 PM") as err:
        bookings.create_booking(DEMO, venue, local(3, 19, 30), 2)
    alternatives = err.value.alternatives
    assert alternatives and len(alternatives) <= 3
    for alternative in alternatives:
        assert store.domain.availability.check_availability(venue, alternative, 2).available
    distances = [abs(a - local(3, 19, 30)) for a in alternatives]
    assert distances == sorted(distances)
    # 21:30 starts after the 20:00 seating ends: room again.
    assert bookings.create_booking(DEMO, venue, local(3, 21, 30), 10).party_size == 10
    # A party larger than the room never fits.
    with pytest.raises(FullyBooked, match="can't seat"):
        bookings.create_booking(DEMO, venue, local(4, 19), 11)


def test_check_availability_reports_reasons_without_raising(store):
    venue = add_venue(store.sessions, daily(17 * 60, 23 * 60), capacity=4)
    availability = store.domain.availability
    assert availability.check_availability(venue, local(5, 19), 4).available
    store.domain.bookings.create_booking(DEMO, venue, local(5, 19), 4)
    full = availability.check_availability(venue, local(5, 19), 1)
    assert not full.available and "fully booked" in full.reason and full.alternatives
    assert all(a.astimezone(local(0, 0).tzinfo).date() == local(5, 0).date() for a in full.alternatives)
    closed = availability.check_availability(venue, local(5, 12), 2)
    assert not closed.available and "closed" in closed.reason
    assert not availability.check_availability(venue, local(5, 19), 0).available
    assert availability.is_open(venue, local(5, 18)) and not availability.is_open(venue, local(5, 23))
    with pytest.raises(NotFound):
        availability.check_availability(999_999, local(5, 19), 2)


def test_idempotency_key_returns_the_original_and_creates_nothing(store):
    venue = add_venue(store.sessions, daily(17 * 60, 23 * 60))
    first = store.domain.bookings.create_booking(DEMO, venue, local(6, 19), 2, idempotency_key="req-42")
    with store.sessions() as session:
        before = session.scalar(select(func.count(Booking.id)))
    again = store.domain.bookings.create_booking(DEMO, venue, local(6, 20), 3, idempotency_key="req-42")
    assert again == first
    with store.sessions() as session:
        assert session.scalar(select(func.count(Booking.id))) == before
    # Keys are per user: the same key from someone else is a different request.
    other = store.domain.bookings.create_booking(SARAH, venue, local(6, 19), 2, idempotency_key="req-42")
    assert other.id != first.id


def test_concurrent_requests_with_one_idempotency_key_make_one_booking(store):
    venue = add_venue(store.sessions, daily(17 * 60, 23 * 60), capacity=20)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: store.domain.bookings.create_booking(
            DEMO, venue, local(7, 19), 2, idempotency_key="same-request"), range(8)))
    assert len({r.id for r in results}) == 1
    with store.sessions() as session:
        assert session.scalar(select(func.count(Booking.id)).where(Booking.venue_id == venue)) == 1


def test_modify_rechecks_availability_and_ignores_its_own_seats(store):
    venue = add_venue(store.sessions, daily(17 * 60, 23 * 60), capacity=10)
    bookings = store.domain.bookings
    mine = bookings.create_booking(DEMO, venue, local(8, 19), 8)
    bookings.create_booking(SARAH, venue, local(8, 21), 6)
    assert bookings.modify_booking(DEMO, mine.id, party_size=10).party_size == 10
    with pytest.raises(FullyBooked):
        bookings.modify_booking(DEMO, mine.id, start=local(8, 20))  # 10 + 6 overlap
    unchanged = bookings.get_booking(DEMO, mine.id)
    assert unchanged.start == local(8, 19) and unchanged.party_size == 10
    moved = bookings.modify_booking(DEMO, mine.id, start=local(8, 17), party_size=4)
    assert (moved.start, moved.party_size, moved.confirmation_code) == (local(8, 17), 4, mine.confirmation_code)
    with pytest.raises(VenueClosed):
        bookings.modify_booking(DEMO, mine.id, start=local(8, 22))
    with pytest.raises(NotAllowed):
        bookings.modify_booking(SARAH, mine.id, party_size=2)
    with pytest.raises(NotFound):
        bookings.modify_booking(DEMO, 999_999, party_size=2)


def test_cancel_only_by_the_owner_and_it_frees_the_seats(store):
    venue = add_venue(store.sessions, daily(17 * 60, 23 * 60), capacity=4)
    bookings = store.domain.bookings
    mine = bookings.create_booking(DEMO, venue, local(9, 19), 4)
    with pytest.raises(NotAllowed):
        bookings.cancel_booking(SARAH, mine.id)
    assert bookings.get_booking(DEMO, mine.id).status == "confirmed"
    with pytest.raises(FullyBooked):
        bookings.create_booking(SARAH, venue, local(9, 19), 1)
    cancelled = bookings.cancel_booking(DEMO, mine.id)
    assert cancelled.status == "cancelled"
    assert bookings.cancel_booking(DEMO, mine.id) == cancelled
    with pytest.raises(InvalidRequest, match="cancelled"):
        bookings.modify_booking(DEMO, mine.id, party_size=2)
    assert bookings.create_booking(SARAH, venue, local(9, 19), 4).status == "confirmed"
    assert mine.id not in {b.id for b in bookings.list_bookings(DEMO)}
    assert mine.id in {b.id for b in bookings.list_bookings(DEMO, include_past=True)}


def test_past_bookings_cannot_be_cancelled(store):
    with store.sessions() as session:
        past_id = session.scalar(select(Booking.id).where(Booking.user_id == DEMO, Booking.start_at < NOW,
                                                          Booking.status == "confirmed"))
    assert past_id is not None
    with pytest.raises(InvalidRequest, match="already started"):
        store.domain.bookings.cancel_booking(DEMO, past_id)


def test_no_call_returns_or_changes_another_users_bookings(store):
    bookings = store.domain.bookings
    stranger = add_user(store.sessions, "Quentin Stranger")
    demo_ids = {b.id for b in bookings.list_bookings(DEMO, include_past=True)}
    assert demo_ids
    assert bookings.list_bookings(stranger, include_past=True) == []
    assert bookings.past_bookings(stranger, NOW - timedelta(days=365)) == []
    for booking in bookings.list_bookings(DEMO, include_past=True):
        with pytest.raises(NotFound):
            bookings.get_booking_by_code(stranger, booking.confirmation_code)
        with pytest.raises(NotAllowed):
            bookings.get_booking(stranger, booking.id)
        with pytest.raises(NotAllowed):
            bookings.cancel_booking(stranger, booking.id)
        with pytest.raises(NotAllowed):
            bookings.modify_booking(stranger, booking.id, party_size=2)
    assert bookings.list_bookings(DEMO, include_past=True) == sorted(
        bookings.list_bookings(DEMO, include_past=True), key=lambda b: (b.start, b.id))
    assert {b.id for b in bookings.list_bookings(DEMO, include_past=True)} == demo_ids


def test_past_bookings_find_last_weeks_italian_dinner(store):
    past = store.domain.bookings.past_bookings(DEMO, NOW - timedelta(days=8))
    assert "Carrabba's Italian Grill" in [b.venue_name for b in past]
    assert all(b.start <= NOW for b in past)


@pytest.mark.parametrize("party", [1, 3])
def test_concurrent_requests_for_the_last_seats_exactly_fill_capacity(store, party):
    capacity = 12
    venue = add_venue(store.sessions, daily(17 * 60, 23 * 60), capacity=capacity)
    users = [add_user(store.sessions, f"Racer {i}") for i in range(4)]
    start = local(10 + party, 19, 30)
    barrier = threading.Barrier(32)

    def attempt(i: int) -> str:
        barrier.wait()
        try:
            store.domain.bookings.create_booking(users[i % len(users)], venue, start, party)
            return "ok"
        except FullyBooked:
            return "full"

    with ThreadPoolExecutor(32) as pool:
        outcomes = list(pool.map(attempt, range(32)))
    assert outcomes.count("ok") == capacity // party
    assert outcomes.count("full") == 32 - capacity // party
    with store.sessions() as session:
        seated = session.scalar(select(func.sum(Booking.party_size)).where(Booking.venue_id == venue))
    assert seated == (capacity // party) * party


def test_concurrent_moves_into_the_last_seats_never_overbook(store):
    venue = add_venue(store.sessions, daily(11 * 60, 23 * 60), capacity=4)
    users = [add_user(store.sessions, f"Mover {i}") for i in range(5)]
    # Five seatings of 2, each 90 minutes apart, so none overlap; then all try to move to 9 PM at once.
    originals = [store.domain.bookings.create_booking(u, venue, local(14, 11) + timedelta(minutes=90 * i), 2)
                 for i, u in enumerate(users)]
    barrier = threading.Barrier(len(originals))

    def move(index: int) -> bool:
        barrier.wait()
        try:
            store.domain.bookings.modify_booking(users[index], originals[index].id, start=local(14, 21))
            return True
        except FullyBooked:
            return False

    with ThreadPoolExecutor(len(originals)) as pool:
        moved = list(pool.map(move, range(len(originals))))
    assert moved.count(True) == 2
    with store.sessions() as session:
        at_nine = session.scalar(select(func.sum(Booking.party_size)).where(
            Booking.venue_id == venue, Booking.start_at == local(14, 21)))
    assert at_nine == 4
