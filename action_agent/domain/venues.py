"""Venues: look up, search and page through venues, and the names people call them by."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from action_agent.domain.convert import venue_view
from action_agent.domain.errors import InvalidRequest, NotFound
from action_agent.domain.views import VenuePage, VenueView
from action_agent.store.models import Venue, VenueAlias, VenueCuisine
from luna_common.vocabulary import VenueName

# The cuisine tags venues carry (lowercase); what the understanding layer maps spoken words onto.
CANONICAL_CUISINES: tuple[str, ...] = (
    "italian", "sushi", "japanese", "ramen", "thai", "mexican", "indian", "chinese", "korean", "vietnamese",
    "french", "mediterranean", "greek", "american", "steakhouse", "seafood", "pizza", "burgers", "vegetarian",
    "cafe", "bbq", "middle eastern", "spanish",
)
MAX_PAGE = 100
T = TypeVar("T")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class VenueService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def get_venue(self, venue_id: int) -> VenueView:
        """Raises NotFound."""
        with self._sessions() as session:
            venue = session.get(Venue, venue_id)
            if venue is None:
                raise NotFound("I couldn't find that venue.")
            return venue_view(venue)

    def search_venues(self, query: str | None = None, cuisine: str | None = None, max_price: int | None = None,
                      limit: int = 20, offset: int = 0) -> VenuePage:
        """Venues whose name, alias, cuisine or neighbourhood contains `query` (case-insensitive), optionally of a
        cuisine and at most a price level; best rated first, stable for paging. Raises InvalidRequest."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidRequest(f"The page size must be between 1 and {MAX_PAGE}.")
        if offset < 0:
            raise InvalidRequest("The offset can't be negative.")
        if max_price is not None and not 1 <= max_price <= 4:
            raise InvalidRequest("The maximum price level must be between 1 and 4.")
        if query is not None and len(query) > 200:
            raise InvalidRequest("The search text is too long.")
        counted = self._filter(select(Venue.id), query, cuisine, max_price).subquery()
        page = self._filter(select(Venue), query, cuisine, max_price)
        with self._sessions() as session:
            total = session.execute(select(func.count()).select_from(counted)).scalar_one()
            rows = session.scalars(page.order_by(Venue.rating.desc(), Venue.name, Venue.id).limit(limit).offset(offset))
            return VenuePage([venue_view(v) for v in rows], int(total))

    @staticmethod
    def _filter(base: Select[T], query: str | None, cuisine: str | None, max_price: int | None) -> Select[T]:
        if query and query.strip():
            pattern = f"%{_escape_like(query.strip().lower())}%"
            alias_match = select(VenueAlias.venue_id).where(func.lower(VenueAlias.alias).like(pattern, escape="\\"))
            cuisine_match = select(VenueCuisine.venue_id).where(VenueCuisine.cuisine.like(pattern, escape="\\"))
            base = base.where(or_(
                func.lower(Venue.name).like(pattern, escape="\\"),
                func.lower(Venue.neighbourhood).like(pattern, escape="\\"),
                Venue.id.in_(alias_match),
                Venue.id.in_(cuisine_match),
            ))
        if cuisine and cuisine.strip():
            base = base.where(Venue.id.in_(
                select(VenueCuisine.venue_id).where(VenueCuisine.cuisine == cuisine.strip().lower())))
        if max_price is not None:
            base = base.where(Venue.price_level <= max_price)
        return base

    def all_venue_names(self) -> list[VenueName]:
        """Every venue's name, aliases and cuisines (for name resolution and speech-recognition hints)."""
        with self._sessions() as session:
            venues = session.scalars(select(Venue).order_by(Venue.id)).all()
            return [VenueName(v.id, v.name, tuple(a.alias for a in v.aliases), tuple(c.cuisine for c in v.cuisines))
                    for v in venues]

    def all_venues(self) -> list[VenueView]:
        with self._sessions() as session:
            return [venue_view(v) for v in session.scalars(select(Venue).order_by(Venue.id))]
