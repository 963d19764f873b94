"""Social rules: friends, interest and check-ins, invites only to friends and answered only by the invitee."""

from __future__ import annotations

from datetime import timedelta

import pytest

from action_agent.domain import InvalidRequest, NotAllowed, NotFound
from action_agent.store.models import CheckIn, Invite, VenueInterest
from tests.store_support import BACKENDS, NOW, add_user, add_venue, daily, local, seeded_store

DEMO, SARAH, JOHN = 1, 2, 3


@pytest.fixture(scope="module", params=BACKENDS)
def store(request, tmp_path_factory):
    with seeded_store(request.param, tmp_path_factory.mktemp(f"social-{request.param}")) as s:
        yield s


def venue_id(store, name: str) -> int:
    return next(v.venue_id for v in store.domain.venues.all_venue_names() if v.name == name)


def test_find_friend_by_name_exact_fuzzy_and_ambiguous(store):
    social = store.domain.social
    assert [f.name for f in social.find_friend_by_name(DEMO, "sarah")] == ["Sarah Chen"]
    assert [f.name for f in social.find_friend_by_name(DEMO, "John Miller")] == ["John Miller"]
    assert social.find_friend_by_name(DEMO, "Sara")[0].name == "Sarah Chen"
    assert social.find_friend_by_name(DEMO, "Zebediah") == []
    assert social.find_friend_by_name(DEMO, "  ") == []
    # Only the user's own friends: Noah exists but is not Alex's friend.
    assert social.find_friend_by_name(DEMO, "Noah") == []
    twin = add_user(store.sessions, "Sarah Twin", friends=(JOHN,))
    assert {f.id for f in social.find_friend_by_name(JOHN, "sarah")} == {SARAH, twin}


def test_friends_interested_and_checked_in(store):
    social = store.domain.social
    sushi_zen = venue_id(store, "Sushi Zen")
    assert "Sarah" in [f.first_name for f in social.friends_interested(DEMO, sushi_zen)]
    blue_plate = venue_id(store, "The Blue Plate")
    assert [f.first_name for f in social.friends_checked_in(DEMO, blue_plate)] == ["Priya"]
    # Someone who is not Alex's friend checking in does not show up; an old check-in neither.
    stranger = add_user(store.sessions, "Una Known")
    with store.sessions() as session:
        session.add_all([
            CheckIn(user_id=stranger, venue_id=blue_plate, checked_in_at=NOW - timedelta(minutes=5)),
            CheckIn(user_id=JOHN, venue_id=blue_plate, checked_in_at=NOW - timedelta(hours=5)),
            CheckIn(user_id=SARAH, venue_id=blue_plate, checked_in_at=NOW - timedelta(hours=1),
                    checked_out_at=NOW - timedelta(minutes=10)),
            VenueInterest(user_id=stranger, venue_id=sushi_zen, created_at=NOW),
        ])
        session.commit()
    assert [f.first_name for f in social.friends_checked_in(DEMO, blue_plate)] == ["Priya"]
    assert "Una" not in [f.first_name for f in social.friends_interested(DEMO, sushi_zen)]


def test_invites_go_only_to_friends(store):
    social = store.domain.social
    venue = venue_id(store, "Olive Garden")
    stranger = add_user(store.sessions, "Vera Distant")
    with pytest.raises(NotAllowed, match="friends"):
        social.send_invite(DEMO, stranger, venue, local(2, 19))
    with pytest.raises(InvalidRequest, match="yourself"):
        social.send_invite(DEMO, DEMO, venue, local(2, 19))
    with pytest.raises(InvalidRequest, match="passed"):
        social.send_invite(DEMO, SARAH, venue, NOW - timedelta(hours=1))
    with pytest.raises(NotFound):
        social.send_invite(DEMO, 999_999, venue, local(2, 19))
    invite = social.send_invite(DEMO, SARAH, venue, local(2, 19), message="Pasta?")
    assert (invite.from_user.id, invite.to_user.id, invite.status, invite.message) == (DEMO, SARAH, "pending", "Pasta?")


def test_invite_with_a_booking_must_be_the_senders_booking_there(store):
    social, bookings = store.domain.social, store.domain.bookings
    venue = add_venue(store.sessions, daily(17 * 60, 23 * 60), capacity=20)
    mine = bookings.create_booking(DEMO, venue, local(4, 19), 2)
    sarahs = bookings.create_booking(SARAH, venue, local(4, 20), 2)
    assert social.send_invite(DEMO, SARAH, venue, local(4, 19), booking_id=mine.id).booking_id == mine.id
    with pytest.raises(NotAllowed):
        social.send_invite(DEMO, SARAH, venue, local(4, 19), booking_id=sarahs.id)
    with pytest.raises(InvalidRequest, match="different venue"):
        social.send_invite(DEMO, SARAH, venue_id(store, "Olive Garden"), local(4, 19), booking_id=mine.id)


def test_invite_idempotency(store):
    social = store.domain.social
    venue = venue_id(store, "Sushi Zen")
    first = social.send_invite(DEMO, JOHN, venue, local(3, 19), idempotency_key="inv-1")
    again = social.send_invite(DEMO, JOHN, venue, local(3, 20), idempotency_key="inv-1")
    assert again == first
    _received, sent = social.list_invites(DEMO)
    assert [i.id for i in sent].count(first.id) == 1


def test_only_the_invitee_can_respond(store):
    social = store.domain.social
    invite = social.send_invite(SARAH, DEMO, venue_id(store, "Sushi Zen"), local(5, 19))
    with pytest.raises(NotAllowed, match="Only the person invited"):
        social.respond_invite(SARAH, invite.id, accept=True)
    outsider = add_user(store.sessions, "Walt Outside")
    with pytest.raises(NotFound):
        social.respond_invite(outsider, invite.id, accept=True)
    with pytest.raises(NotFound):
        social.respond_invite(DEMO, 999_999, accept=True)
    accepted = social.respond_invite(DEMO, invite.id, accept=True)
    assert accepted.status == "accepted"
    with pytest.raises(InvalidRequest, match="already accepted"):
        social.respond_invite(DEMO, invite.id, accept=False)


def test_expired_invites_cannot_be_answered(store):
    social = store.domain.social
    with store.sessions() as session:
        old = Invite(from_user_id=JOHN, to_user_id=DEMO, venue_id=1, at=NOW - timedelta(hours=2), status="pending",
                     created_at=NOW - timedelta(days=1), updated_at=NOW - timedelta(days=1))
        session.add(old)
        session.commit()
        old_id = old.id
    received, _ = social.list_invites(DEMO)
    assert next(i for i in received if i.id == old_id).status == "expired"
    with pytest.raises(InvalidRequest, match="expired"):
        social.respond_invite(DEMO, old_id, accept=True)


def test_list_invites_shows_only_the_callers(store):
    social = store.domain.social
    outsider = add_user(store.sessions, "Xena Apart")
    assert social.list_invites(outsider) == ([], [])
    received, sent = social.list_invites(DEMO)
    assert received and sent
    assert all(i.to_user.id == DEMO for i in received)
    assert all(i.from_user.id == DEMO for i in sent)
    assert [i.at for i in received] == sorted(i.at for i in received)
