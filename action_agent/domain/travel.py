"""Directions and travel estimates from the user's home, without an external maps service.

`Router` is the seam: the default estimates from great-circle distance with a street-grid detour
factor; a real router (OSRM, a transit API) can be plugged in by implementing `estimate`.
"""

from __future__ import annotations

import math
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from action_agent.domain.errors import InvalidRequest, NotFound
from action_agent.domain.views import DirectionsView, TravelEstimate, TravelMode
from action_agent.store.models import User, Venue

EARTH_RADIUS_KM = 6371.0088
# Streets are not straight lines: Manhattan's grid makes trips about 30% longer than the crow flies.
DETOUR_FACTOR = 1.3
WALK_KMH = 4.8
TRANSIT_KMH = 18.0
TRANSIT_OVERHEAD_MIN = 8  # walking to the station and waiting
DRIVE_KMH = 18.0
DRIVE_OVERHEAD_MIN = 5  # parking
COMPASS = ("north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def heading(lat1: float, lon1: float, lat2: float, lon2: float) -> str:
    """Compass direction (8 points) from the first point to the second."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    bearing = (math.degrees(math.atan2(x, y)) + 360) % 360
    return COMPASS[int((bearing + 22.5) // 45) % 8]


def walk_minutes(km: float) -> int:
    return max(1, round(km * DETOUR_FACTOR / WALK_KMH * 60))


def a_or_an(number: int) -> str:
    """The article before a spoken number of minutes: "an 8-minute walk", "an 11-minute walk", "a 6-minute walk"."""
    return "an" if str(number).startswith("8") or number in (11, 18) else "a"


def spoken_distance(km: float) -> str:
    if km < 1:
        metres = max(50, round(km * 1000 / 50) * 50)
        return f"{metres} metres"
    return f"{km:.1f} kilometres"


class Router(Protocol):
    def estimate(self, origin: tuple[float, float], destination: tuple[float, float],
                 mode: TravelMode) -> TravelEstimate:
        """Travel distance and minutes from origin to destination (lat, lon) by `mode`."""
        ...


class GreatCircleRouter:
    """Estimates from the straight-line distance, a detour factor and typical city speeds."""

    def estimate(self, origin: tuple[float, float], destination: tuple[float, float],
                 mode: TravelMode) -> TravelEstimate:
        km = distance_km(*origin, *destination)
        route_km = km * DETOUR_FACTOR
        if mode is TravelMode.WALK:
            minutes = walk_minutes(km)
        elif mode is TravelMode.TRANSIT:
            # Short hops are quicker on foot; nobody takes the subway for three blocks.
            minutes = min(walk_minutes(km), TRANSIT_OVERHEAD_MIN + round(route_km / TRANSIT_KMH * 60))
        else:
            minutes = DRIVE_OVERHEAD_MIN + round(route_km / DRIVE_KMH * 60)
        return TravelEstimate(mode, round(route_km, 2), max(1, minutes))


class TravelService:
    def __init__(self, sessions: sessionmaker[Session], router: Router | None = None) -> None:
        self._sessions = sessions
        self._router: Router = router or GreatCircleRouter()

    def _endpoints(self, user_id: int, venue_id: int) -> tuple[User, Venue]:
        with self._sessions() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound("I couldn't find your account.")
            venue = session.get(Venue, venue_id)
            if venue is None:
                raise NotFound("I couldn't find that venue.")
            return user, venue

    def estimate_travel(self, user_id: int, venue_id: int, mode: TravelMode | str) -> TravelEstimate:
        """Minutes from the user's home to the venue by walk, transit or drive. Raises NotFound, InvalidRequest."""
        try:
            travel_mode = TravelMode(mode)
        except ValueError as exc:
            raise InvalidRequest("Travel mode must be walk, transit or drive.") from exc
        user, venue = self._endpoints(user_id, venue_id)
        return self._router.estimate((user.home_latitude, user.home_longitude),
                                     (venue.latitude, venue.longitude), travel_mode)

    def directions(self, user_id: int, venue_id: int) -> DirectionsView:
        """Distance, heading and travel times from the user's home, with a spoken summary. Raises NotFound."""
        user, venue = self._endpoints(user_id, venue_id)
        origin, dest = (user.home_latitude, user.home_longitude), (venue.latitude, venue.longitude)
        km = distance_km(*origin, *dest)
        walk = self._router.estimate(origin, dest, TravelMode.WALK).minutes
        transit = self._router.estimate(origin, dest, TravelMode.TRANSIT).minutes
        drive = self._router.estimate(origin, dest, TravelMode.DRIVE).minutes
        direction = heading(*origin, *dest)
        how = (f"{a_or_an(walk)} {walk}-minute walk" if walk <= 25
               else f"about {transit} minutes by subway or {drive} by car")
        description = (f"{venue.name} is about {spoken_distance(km)} {direction} of you in {venue.neighbourhood}, "
                       f"{how}. The address is {venue.address}.")
        return DirectionsView(venue.id, venue.name, round(km, 2), walk, transit, drive, direction,
                              venue.neighbourhood, venue.address, description)
