"""Social: friends, who wants to go where, who is there now, and dining invites between friends."""

from __future__ import annotations

from datetime import datetime, timedelta

from rapidfuzz import fuzz, process
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from action_agent.domain.clock import Clock, require_aware, utc_now
from action_agent.domain.convert import INVITE_VENUE_NAME_ONLY, invite_view, user_view
from action_agent.domain.errors import InvalidRequest, NotAllowed, NotFound
from action_agent.domain.views import InviteView, UserView
from action_agent.store.engine import write_session
from action_agent.store.models import (
    INVITE_ACCEPTED,
    INVITE_DECLINED,
    INVITE_EXPIRED,
    INVITE_PENDING,
    Booking,
    CheckIn,
    Friendship,
    Invite,
    User,
    Venue,
    VenueInterest,
)

# A check-in without a check-out counts as "there now" for this long.
CHECK_IN_PRESENCE = timedelta(hours=3)
FUZZY_NAME_CUTOFF = 80
MAX_MESSAGE = 500


def _friend_ids(session: Session, user_id: int) -> set[int]:
    return set(session.scalars(select(Friendship.friend_id).where(Friendship.user_id == user_id)))


def _friends(session: Session, user_id: int) -> list[User]:
    return list(session.scalars(
        select(User).join(Friendship, Friendship.friend_id == User.id)
        .where(Friendship.user_id == user_id).order_by(User.name, User.id)))


class SocialService:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def get_user(self, user_id: int) -> UserView:
        """Raises NotFound."""
        with self._sessions() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound("I couldn't find that person.")
            return user_view(user)

    def list_users(self, limit: int = 100) -> list[UserView]:
        """Everyone, by id (the demo sign-in picker)."""
        with self._sessions() as session:
            return [user_view(u) for u in session.scalars(select(User).order_by(User.id).limit(limit))]

    def list_friends(self, user_id: int) -> list[UserView]:
        """The user's friends, by name."""
        with self._sessions() as session:
            return [user_view(u) for u in _friends(session, user_id)]

    def find_friend_by_name(self, user_id: int, name: str) -> list[UserView]:
        """The user's friends matching a spoken name, best first: exact first or full name, else close fuzzy
        matches ("Sara" -> Sarah). Empty when nobody matches; several when the name is ambiguous."""
        wanted = " ".join(name.lower().split())
        if not wanted:
            return []
        with self._sessions() as session:
            friends = [user_view(u) for u in _friends(session, user_id)]
        exact = [f for f in friends if wanted in (f.name.lower(), f.first_name.lower())]
        if exact:
            return exact
        choices = {i: f.name.lower() for i, f in enumerate(friends)}
        scored: dict[int, float] = {}
        for scorer, texts in ((fuzz.WRatio, choices), (fuzz.ratio, {i: f.first_name.lower()
                                                                    for i, f in enumerate(friends)})):
            for _text, score, index in process.extract(wanted, texts, scorer=scorer, score_cutoff=FUZZY_NAME_CUTOFF,
                                                       limit=None):
                scored[index] = max(scored.get(index, 0.0), score)
        return [friends[i] for i, _ in sorted(scored.items(), key=lambda kv: -kv[1])]

    def friends_interested(self, user_id: int, venue_id: int) -> list[UserView]:
        """The user's friends who want to go to the venue."""
        with self._sessions() as session:
            rows = session.scalars(
                select(User).join(VenueInterest, VenueInterest.user_id == User.id)
                .join(Friendship, Friendship.friend_id == User.id)
                .where(Friendship.user_id == user_id, VenueInterest.venue_id == venue_id)
                .order_by(User.name))
            return [user_view(u) for u in rows]

    def friends_checked_in(self, user_id: int, venue_id: int) -> list[UserView]:
        """The user's friends checked in at the venue now (in the last 3 hours, not checked out)."""
        now = self._clock()
        with self._sessions() as session:
            rows = session.scalars(
                select(User).join(CheckIn, CheckIn.user_id == User.id)
                .join(Friendship, Friendship.friend_id == User.id)
                .where(Friendship.user_id == user_id, CheckIn.venue_id == venue_id,
                       CheckIn.checked_in_at > now - CHECK_IN_PRESENCE, CheckIn.checked_in_at <= now,
                       CheckIn.checked_out_at.is_(None))
                .distinct().order_by(User.name))
            return [user_view(u) for u in rows]

    def interested_venue_ids(self, user_id: int) -> dict[int, list[UserView]]:
        """venue id -> the user's friends who want to go there (for ranking recommendations)."""
        with self._sessions() as session:
            rows = session.execute(
                select(VenueInterest.venue_id, User).join(User, User.id == VenueInterest.user_id)
                .join(Friendship, Friendship.friend_id == User.id)
                .where(Friendship.user_id == user_id).order_by(User.name))
            result: dict[int, list[UserView]] = {}
            for venue_id, user in rows:
                result.setdefault(venue_id, []).append(user_view(user))
            return result

    def send_invite(self, user_id: int, to_user_id: int, venue_id: int, at: datetime, booking_id: int | None = None,
                    message: str | None = None, idempotency_key: str | None = None) -> InviteView:
        """Invite a friend to a venue at a time (optionally for one of the sender's bookings). The same
        idempotency key returns the original invite. Raises NotFound, NotAllowed (not a friend, someone
        else's booking), InvalidRequest (past time, booking elsewhere)."""
        require_aware(at, "the invite time")
        if message is not None and len(message) > MAX_MESSAGE:
            raise InvalidRequest(f"The message is too long (at most {MAX_MESSAGE} characters).")
        if idempotency_key is not None and not 0 < len(idempotency_key) <= 128:
            raise InvalidRequest("The idempotency key must be 1 to 128 characters.")
        try:
            with write_session(self._sessions) as session:
                existing = self._by_key(session, user_id, idempotency_key)
                if existing is not None:
                    return invite_view(existing)
                if session.get(User, user_id) is None:
                    raise NotFound("I couldn't find your account.")
                if session.get(User, to_user_id) is None:
                    raise NotFound("I couldn't find that person.")
                if to_user_id == user_id:
                    raise InvalidRequest("You can't invite yourself.")
                if to_user_id not in _friend_ids(session, user_id):
                    raise NotAllowed("You can only invite your friends.")
                if session.get(Venue, venue_id) is None:
                    raise NotFound("I couldn't find that venue.")
                now = self._clock()
                if at <= now:
                    raise InvalidRequest("That time has already passed.")
                if booking_id is not None:
                    booking = session.get(Booking, booking_id)
                    if booking is None:
                        raise NotFound("I couldn't find that booking.")
                    if booking.user_id != user_id:
                        raise NotAllowed("That booking belongs to someone else.")
                    if booking.venue_id != venue_id:
                        raise InvalidRequest("That booking is at a different venue.")
                invite = Invite(from_user_id=user_id, to_user_id=to_user_id, venue_id=venue_id, at=at,
                                booking_id=booking_id, status=INVITE_PENDING, message=(message or "").strip() or None,
                                idempotency_key=idempotency_key, created_at=now, updated_at=now)
                session.add(invite)
                session.commit()
                session.refresh(invite)
                return invite_view(invite)
        except IntegrityError:
            with self._sessions() as session:
                existing = self._by_key(session, user_id, idempotency_key)
                if existing is None:
                    raise
                return invite_view(existing)

    @staticmethod
    def _by_key(session: Session, user_id: int, key: str | None) -> Invite | None:
        if key is None:
            return None
        return session.execute(
            select(Invite).where(Invite.from_user_id == user_id, Invite.idempotency_key == key)
            .options(*INVITE_VENUE_NAME_ONLY)
        ).unique().scalar_one_or_none()

    def respond_invite(self, user_id: int, invite_id: int, accept: bool,
                       idempotency_key: str | None = None) -> InviteView:
        """Accept or decline an invite the user received. The same `idempotency_key` again returns the invite as
        that first answer left it (and changes nothing). Raises NotFound (including invites between other
        people), NotAllowed (the sender answering their own invite), InvalidRequest (answered or expired)."""
        if idempotency_key is not None and not 0 < len(idempotency_key) <= 128:
            raise InvalidRequest("The idempotency key must be 1 to 128 characters.")
        with write_session(self._sessions) as session:
            invite = session.execute(
                select(Invite).where(Invite.id == invite_id).options(*INVITE_VENUE_NAME_ONLY).with_for_update(of=Invite)
            ).unique().scalar_one_or_none()
            if invite is None or user_id not in (invite.from_user_id, invite.to_user_id):
                raise NotFound("I couldn't find that invite.")
            if invite.to_user_id != user_id:
                raise NotAllowed("Only the person invited can answer an invite.")
            if idempotency_key is not None and invite.response_key == idempotency_key:
                return invite_view(invite)  # this very answer, replayed
            now = self._clock()
            if invite.status == INVITE_PENDING and invite.at <= now:
                invite.status = INVITE_EXPIRED
                invite.updated_at = now
                session.commit()
                raise InvalidRequest("That invite has expired.")
            if invite.status != INVITE_PENDING:
                raise InvalidRequest(f"That invite was already {invite.status}.")
            invite.status = INVITE_ACCEPTED if accept else INVITE_DECLINED
            invite.response_key = idempotency_key
            invite.updated_at = now
            session.commit()
            return invite_view(invite)

    def invite_answered_with(self, user_id: int, idempotency_key: str) -> InviteView | None:
        """The invite the user answered with this idempotency key, if any."""
        with self._sessions() as session:
            invite = session.execute(
                select(Invite).where(Invite.to_user_id == user_id, Invite.response_key == idempotency_key)
                .options(*INVITE_VENUE_NAME_ONLY)
            ).unique().scalar_one_or_none()
            return None if invite is None else invite_view(invite)

    def list_invites(self, user_id: int) -> tuple[list[InviteView], list[InviteView]]:
        """(received, sent), soonest first; pending invites whose time has passed read as expired."""
        now = self._clock()
        with self._sessions() as session:
            rows = session.scalars(
                select(Invite).where(or_(Invite.to_user_id == user_id, Invite.from_user_id == user_id))
                .options(*INVITE_VENUE_NAME_ONLY).order_by(Invite.at, Invite.id)).unique()
            received: list[InviteView] = []
            sent: list[InviteView] = []
            for invite in rows:
                status = INVITE_EXPIRED if invite.status == INVITE_PENDING and invite.at <= now else invite.status
                (received if invite.to_user_id == user_id else sent).append(invite_view(invite, status))
            return received, sent
