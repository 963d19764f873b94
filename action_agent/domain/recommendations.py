"""Recommendations: rank venues for a user by cuisine, price, distance, rating, opening hours and friends'
interest, with the reasons in words so Luna can say why ("It's a 6-minute walk and Sarah wants to go")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from action_agent.domain.clock import Clock, require_aware, utc_now
from action_agent.domain.errors import InvalidRequest, NotFound
from action_agent.domain.hours import closes_at, format_time, is_open_at
from action_agent.domain.social import SocialService
from action_agent.domain.travel import a_or_an, distance_km, walk_minutes
from action_agent.domain.venues import VenueService
from action_agent.domain.views import Recommendation, UserView, VenueView
from action_agent.store.models import User, VenueInterest

# "Nearby" means walking distance: at most about a 20-minute walk on the street grid.
WALKING_DISTANCE_KM = 1.2
MAX_RESULTS = 20
# Occasion words -> what makes a venue suit them.
DATE_OCCASIONS = {"date", "date night", "anniversary", "romantic", "valentine's day"}
FAMILY_OCCASIONS = {"family", "kids", "family dinner", "with kids"}
DATE_CUISINES = {"french", "italian", "sushi", "japanese", "spanish", "mediterranean", "greek", "seafood"}
GROUP_OCCASIONS = {"birthday", "celebration", "party", "business", "business dinner", "work dinner"}


@dataclass(frozen=True)
class _Scored:
    venue: VenueView
    score: float
    km: float
    walk: int
    reasons: list[str]


def friends_phrase(friends: list[UserView]) -> str:
    names = [f.first_name for f in friends]
    if len(names) == 1:
        return f"{names[0]} wants to go"
    if len(names) == 2:
        return f"{names[0]} and {names[1]} want to go"
    others = len(names) - 2
    return f"{names[0]}, {names[1]} and {others} other friend{'s' if others > 1 else ''} want to go"


def distance_phrase(km: float, walk: int) -> str:
    if walk <= 25:
        return f"It's {a_or_an(walk)} {walk}-minute walk"
    return f"It's {km:.1f} kilometres away"


class RecommendationService:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock
        self._venues = VenueService(sessions)
        self._social = SocialService(sessions, clock)

    def recommend(self, user_id: int, cuisine: str | None = None, price_level: int | None = None,
                  max_distance_km: float | None = None, nearby: bool = False, at: datetime | None = None,
                  occasion: str | None = None, near: tuple[float, float] | None = None,
                  limit: int = 3) -> list[Recommendation]:
        """The best venues for the user, best first.

        Hard filters: cuisine, price level (at most), distance (nearby = walking distance, from `near` or the
        user's home), and being open at `at` when a time is given. Ranking: rating, closeness, friends who want
        to go, the user's own wish list, price fit, occasion fit and being open now. Raises NotFound, InvalidRequest.
        """
        if not 1 <= limit <= MAX_RESULTS:
            raise InvalidRequest(f"I can recommend between 1 and {MAX_RESULTS} places at a time.")
        if price_level is not None and not 1 <= price_level <= 4:
            raise InvalidRequest("The price level must be between 1 and 4.")
        if max_distance_km is not None and max_distance_km <= 0:
            raise InvalidRequest("The distance must be positive.")
        if at is not None:
            require_aware(at, "the time")
        with self._sessions() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound("I couldn't find your account.")
            origin = near or (user.home_latitude, user.home_longitude)
            own_wishes = set(session.scalars(select(VenueInterest.venue_id).where(VenueInterest.user_id == user_id)))
        limit_km = max_distance_km
        if nearby:
            limit_km = min(limit_km or WALKING_DISTANCE_KM, WALKING_DISTANCE_KM)
        wanted_cuisine = cuisine.strip().lower() if cuisine and cuisine.strip() else None
        when = at or self._clock()
        interest = self._social.interested_venue_ids(user_id)
        scored: list[_Scored] = []
        for venue in self._venues.all_venues():
            if wanted_cuisine and wanted_cuisine not in venue.cuisines:
                continue
            if price_level is not None and venue.price_level > price_level:
                continue
            km = distance_km(origin[0], origin[1], venue.latitude, venue.longitude)
            if limit_km is not None and km > limit_km:
                continue
            open_then = is_open_at(venue.hours, venue.time_zone, when)
            if at is not None and not open_then:
                continue
            scored.append(self._score(venue, km, open_then, when, interest.get(venue.id, []),
                                      venue.id in own_wishes, price_level, occasion))
        scored.sort(key=lambda s: (-s.score, s.venue.id))
        return [Recommendation(s.venue, round(s.score, 3), round(s.km, 2), s.walk, s.reasons) for s in scored[:limit]]

    @staticmethod
    def _score(venue: VenueView, km: float, open_then: bool, when: datetime, friends: list[UserView],
               on_wish_list: bool, price_level: int | None, occasion: str | None) -> _Scored:
        walk = walk_minutes(km)
        reasons = [distance_phrase(km, walk)]
        score = (venue.rating - 3.0) / 2.0  # 4.0 -> 0.5, 5.0 -> 1.0
        score += max(0.0, 1.0 - km / 5.0)  # closer is better; beyond 5 km distance stops helping
        if friends:
            score += 0.35 * min(len(friends), 3)
            reasons.append(friends_phrase(friends))
        if on_wish_list:
            score += 0.3
            reasons.append("It's on your wish list")
        if venue.rating >= 4.4:
            reasons.append(f"It's rated {venue.rating:.1f}")
        if price_level is not None:
            # Prefer the requested price level over much cheaper places when asked for it.
            score += 0.15 * (1 - (price_level - venue.price_level) / 3)
        words = (occasion or "").strip().lower()
        if words in DATE_OCCASIONS and venue.rating >= 4.3 and (
                venue.price_level >= 3 or DATE_CUISINES.intersection(venue.cuisines)):
            score += 0.3
            reasons.append("It's a good spot for a date")
        elif words in FAMILY_OCCASIONS and venue.kid_friendly:
            score += 0.3
            reasons.append("It's kid friendly")
        elif words in GROUP_OCCASIONS and venue.takes_reservations and venue.capacity_per_slot >= 40:
            score += 0.2
            reasons.append("It takes reservations for groups")
        if open_then:
            score += 0.3
            closing = closes_at(venue.hours, venue.time_zone, when)
            if closing is not None:
                reasons.append(f"It's open until {format_time(closing)}")
        else:
            reasons.append("It's closed right now")
        return _Scored(venue, score, km, walk, reasons)
