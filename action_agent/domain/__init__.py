"""The Luna domain: business rules over the store, as services that return frozen views and raise
typed DomainErrors. Sync (SQLAlchemy sessions); async callers use asyncio.to_thread.

    domain = Domain(store.sessions)
    booking = domain.bookings.create_booking(user_id, venue_id, start, party_size=4)
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from action_agent.domain.availability import AvailabilityService
from action_agent.domain.bookings import BookingService
from action_agent.domain.clock import Clock, utc_now
from action_agent.domain.errors import (
    DomainError,
    FullyBooked,
    InvalidRequest,
    NotAllowed,
    NotFound,
    OutsideBookingWindow,
    VenueClosed,
)
from action_agent.domain.recommendations import RecommendationService
from action_agent.domain.social import SocialService
from action_agent.domain.travel import GreatCircleRouter, Router, TravelService
from action_agent.domain.venues import CANONICAL_CUISINES, VenueService
from action_agent.domain.views import (
    AvailabilityView,
    BookingView,
    DirectionsView,
    FriendView,
    InviteView,
    OpeningHoursView,
    Recommendation,
    TravelEstimate,
    TravelMode,
    UserView,
    VenuePage,
    VenueView,
)
from action_agent.domain.vocabulary import load_vocabulary
from luna_common.vocabulary import Vocabulary


class Domain:
    """Every domain service over one sessionmaker (and one clock, so tests can pin "now")."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock = utc_now, router: Router | None = None) -> None:
        self.sessions = sessions
        bind = sessions.kw.get("bind")
        # Short indexed reads on SQLite (WAL: readers never wait for writers) cost less than a thread hop, so
        # async callers may run them inline (see ToolContext.read); on PostgreSQL they go over the network.
        self.inline_reads = getattr(getattr(bind, "dialect", None), "name", "") == "sqlite"
        self.venues = VenueService(sessions)
        self.availability = AvailabilityService(sessions, clock)
        self.bookings = BookingService(sessions, clock)
        self.social = SocialService(sessions, clock)
        self.travel = TravelService(sessions, router)
        self.recommendations = RecommendationService(sessions, clock)

    def load_vocabulary(self, user_id: int) -> Vocabulary:
        return load_vocabulary(self.sessions, user_id)


__all__ = [
    "CANONICAL_CUISINES", "AvailabilityService", "AvailabilityView", "BookingService", "BookingView",
    "DirectionsView", "Domain", "DomainError", "FriendView", "FullyBooked", "GreatCircleRouter", "InvalidRequest",
    "InviteView", "NotAllowed", "NotFound", "OpeningHoursView", "OutsideBookingWindow", "Recommendation",
    "RecommendationService", "Router", "SocialService", "TravelEstimate", "TravelMode", "TravelService",
    "UserView", "VenueClosed", "VenuePage", "VenueService", "VenueView", "load_vocabulary",
]
