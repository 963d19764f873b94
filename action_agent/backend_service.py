"""luna.backend.v1.LunaService: the domain's read API for the app, authenticated by session token.

Every call except the dev sign-in ones reads the caller from "authorization: Bearer <token>" and
sees only the caller's data. Domain calls are synchronous SQLAlchemy work, run off the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import NoReturn, TypeVar

import grpc
from google.protobuf import timestamp_pb2
from luna.backend.v1 import backend_pb2, backend_pb2_grpc

from action_agent.domain import CANONICAL_CUISINES, Domain
from action_agent.domain.errors import DomainError, InvalidRequest, NotAllowed, NotFound
from action_agent.domain.views import BookingView, InviteView, UserView, VenueView
from luna_common.tokens import DEFAULT_TTL_SECONDS, TokenError, bearer_token, issue_token, verify_token

SERVICE_NAME = backend_pb2.DESCRIPTOR.services_by_name["LunaService"].full_name
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
WATCH_POLL_SECONDS = 1.0
T = TypeVar("T")

_BOOKING_STATUS = {"confirmed": backend_pb2.BOOKING_STATUS_CONFIRMED, "cancelled": backend_pb2.BOOKING_STATUS_CANCELLED}
_INVITE_STATUS = {
    "pending": backend_pb2.INVITE_STATUS_PENDING, "accepted": backend_pb2.INVITE_STATUS_ACCEPTED,
    "declined": backend_pb2.INVITE_STATUS_DECLINED, "expired": backend_pb2.INVITE_STATUS_EXPIRED,
}


def _timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def venue_message(v: VenueView) -> backend_pb2.Venue:
    return backend_pb2.Venue(
        id=v.id, name=v.name, aliases=v.aliases, cuisines=v.cuisines, price_level=v.price_level, rating=v.rating,
        address=v.address, neighbourhood=v.neighbourhood, latitude=v.latitude, longitude=v.longitude, phone=v.phone,
        hours=[backend_pb2.OpeningHours(weekday=h.weekday, open_minute=h.open_minute, close_minute=h.close_minute)
               for h in v.hours],
        capacity_per_slot=v.capacity_per_slot, outdoor_seating=v.outdoor_seating, kid_friendly=v.kid_friendly,
        takes_reservations=v.takes_reservations, vegetarian_options=v.vegetarian_options, time_zone=v.time_zone,
    )


def booking_message(b: BookingView) -> backend_pb2.Booking:
    return backend_pb2.Booking(
        id=b.id, venue_id=b.venue_id, venue_name=b.venue_name, start_time=_timestamp(b.start),
        party_size=b.party_size, status=_BOOKING_STATUS.get(b.status, backend_pb2.BOOKING_STATUS_UNSPECIFIED),
        confirmation_code=b.confirmation_code, special_requests=b.special_requests or "", occasion=b.occasion or "",
        created_at=_timestamp(b.created_at), updated_at=_timestamp(b.updated_at),
    )


def user_message(u: UserView) -> backend_pb2.UserSummary:
    return backend_pb2.UserSummary(id=u.id, name=u.name)


def invite_message(i: InviteView) -> backend_pb2.Invite:
    return backend_pb2.Invite(
        id=i.id, from_user=user_message(i.from_user), to_user=user_message(i.to_user), venue_id=i.venue_id,
        venue_name=i.venue_name, time=_timestamp(i.at), booking_id=i.booking_id or 0,
        status=_INVITE_STATUS.get(i.status, backend_pb2.INVITE_STATUS_UNSPECIFIED), message=i.message or "",
    )


def _filter_digest(request: backend_pb2.ListVenuesRequest) -> str:
    body = f"{request.query}\x00{request.cuisine}\x00{request.max_price_level}"
    return hashlib.sha256(body.encode()).hexdigest()[:12]


def encode_page_token(offset: int, request: backend_pb2.ListVenuesRequest) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{_filter_digest(request)}".encode()).decode().rstrip("=")


def decode_page_token(token: str, request: backend_pb2.ListVenuesRequest) -> int:
    """The offset in a page token; raises InvalidRequest when it is malformed or from a different filter."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        offset_text, _, digest = text.partition(":")
        offset = int(offset_text)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest("page_token is not a token this service issued") from exc
    if offset < 0 or digest != _filter_digest(request):
        raise InvalidRequest("page_token does not belong to this query (query, cuisine and price must not change)")
    return offset


class LunaServicer(backend_pb2_grpc.LunaServiceServicer):
    def __init__(self, domain: Domain, token_secret: str, dev_login: bool = False,
                 watch_poll_seconds: float = WATCH_POLL_SECONDS) -> None:
        self._domain = domain
        self._secret = token_secret
        self._dev_login = dev_login
        self._poll = watch_poll_seconds
        self._closing = asyncio.Event()

    def close(self) -> None:
        """End open WatchMyBookings streams (on shutdown, so draining does not wait for them)."""
        self._closing.set()

    async def _caller(self, context: grpc.aio.ServicerContext) -> int:
        try:
            return verify_token(bearer_token(context.invocation_metadata()), self._secret).user_id
        except TokenError as exc:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, f"{exc}: send 'authorization: Bearer <token>'")
            raise AssertionError("unreachable") from exc

    @staticmethod
    async def _fail(context: grpc.aio.ServicerContext, error: DomainError) -> NoReturn:
        if isinstance(error, NotFound):
            code = grpc.StatusCode.NOT_FOUND
        elif isinstance(error, NotAllowed):
            code = grpc.StatusCode.PERMISSION_DENIED
        elif isinstance(error, InvalidRequest):
            code = grpc.StatusCode.INVALID_ARGUMENT
        else:
            code = grpc.StatusCode.FAILED_PRECONDITION
        await context.abort(code, error.message)
        raise AssertionError("unreachable")

    async def _run(self, context: grpc.aio.ServicerContext, call: Callable[[], T]) -> T:
        try:
            return await asyncio.to_thread(call)
        except DomainError as exc:
            await self._fail(context, exc)

    async def ListVenues(self, request: backend_pb2.ListVenuesRequest,
                         context: grpc.aio.ServicerContext) -> backend_pb2.ListVenuesResponse:
        await self._caller(context)
        if request.page_size < 0:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "page_size must not be negative")
        if not 0 <= request.max_price_level <= 4:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "max_price_level must be 0 (any) or 1 to 4")
        cuisine = request.cuisine.strip().lower()
        if cuisine and cuisine not in CANONICAL_CUISINES:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                f"unknown cuisine {request.cuisine!r}; one of: {', '.join(CANONICAL_CUISINES)}")
        page_size = min(request.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        try:
            offset = decode_page_token(request.page_token, request) if request.page_token else 0
        except InvalidRequest as exc:
            await self._fail(context, exc)
        page = await self._run(context, lambda: self._domain.venues.search_venues(
            request.query or None, cuisine or None, request.max_price_level or None, page_size, offset))
        next_offset = offset + len(page.venues)
        token = encode_page_token(next_offset, request) if next_offset < page.total and page.venues else ""
        return backend_pb2.ListVenuesResponse(venues=[venue_message(v) for v in page.venues],
                                              next_page_token=token, total_size=page.total)

    async def GetVenue(self, request: backend_pb2.GetVenueRequest,
                       context: grpc.aio.ServicerContext) -> backend_pb2.GetVenueResponse:
        await self._caller(context)
        if request.venue_id <= 0:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "venue_id must be a positive venue id")
        venue = await self._run(context, lambda: self._domain.venues.get_venue(request.venue_id))
        return backend_pb2.GetVenueResponse(venue=venue_message(venue))

    async def ListMyBookings(self, request: backend_pb2.ListMyBookingsRequest,
                             context: grpc.aio.ServicerContext) -> backend_pb2.ListMyBookingsResponse:
        user_id = await self._caller(context)
        bookings = await self._run(context, lambda: self._domain.bookings.list_bookings(user_id, request.include_past))
        return backend_pb2.ListMyBookingsResponse(bookings=[booking_message(b) for b in bookings])

    async def WatchMyBookings(self, request: backend_pb2.WatchMyBookingsRequest,
                              context: grpc.aio.ServicerContext) -> AsyncIterator[backend_pb2.WatchMyBookingsResponse]:
        user_id = await self._caller(context)
        bookings = self._domain.bookings
        last_marker: object = None
        last_sent: list[BookingView] | None = None
        while not self._closing.is_set():
            # A cheap aggregate first; the full list only when it moved.
            marker = await self._run(context, lambda: bookings.changes_marker(user_id))
            if marker != last_marker:
                last_marker = marker
                current = await self._run(context, lambda: bookings.list_bookings(user_id, request.include_past))
                if current != last_sent:
                    last_sent = current
                    yield backend_pb2.WatchMyBookingsResponse(bookings=[booking_message(b) for b in current])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self._poll)

    async def ListMyInvites(self, request: backend_pb2.ListMyInvitesRequest,
                            context: grpc.aio.ServicerContext) -> backend_pb2.ListMyInvitesResponse:
        user_id = await self._caller(context)
        received, sent = await self._run(context, lambda: self._domain.social.list_invites(user_id))
        return backend_pb2.ListMyInvitesResponse(received=[invite_message(i) for i in received],
                                                 sent=[invite_message(i) for i in sent])

    async def ListFriends(self, request: backend_pb2.ListFriendsRequest,
                          context: grpc.aio.ServicerContext) -> backend_pb2.ListFriendsResponse:
        user_id = await self._caller(context)
        friends = await self._run(context, lambda: self._domain.social.list_friends(user_id))
        return backend_pb2.ListFriendsResponse(friends=[user_message(f) for f in friends])

    async def _require_dev_login(self, context: grpc.aio.ServicerContext) -> None:
        if not self._dev_login:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                "dev login is disabled on this server (set LUNA_DEV_LOGIN=1 to enable it)")

    async def ListDemoUsers(self, request: backend_pb2.ListDemoUsersRequest,
                            context: grpc.aio.ServicerContext) -> backend_pb2.ListDemoUsersResponse:
        await self._require_dev_login(context)
        users = await self._run(context, self._domain.social.list_users)
        return backend_pb2.ListDemoUsersResponse(users=[user_message(u) for u in users])

    async def DevLogin(self, request: backend_pb2.DevLoginRequest,
                       context: grpc.aio.ServicerContext) -> backend_pb2.DevLoginResponse:
        await self._require_dev_login(context)
        if request.user_id <= 0:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "user_id must be a positive user id")
        user = await self._run(context, lambda: self._domain.social.get_user(request.user_id))
        now = time.time()
        token = issue_token(user.id, self._secret, DEFAULT_TTL_SECONDS, now=now)
        expires = timestamp_pb2.Timestamp(seconds=int(now) + DEFAULT_TTL_SECONDS)
        return backend_pb2.DevLoginResponse(token=token, user=user_message(user), expires_at=expires)
