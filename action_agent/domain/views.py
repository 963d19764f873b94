"""What the domain services return: frozen, ORM-free views safe to pass across threads and layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class OpeningHoursView:
    weekday: int  # 0 = Monday ... 6 = Sunday
    open_minute: int  # minutes after local midnight
    close_minute: int  # may exceed 1440: closes after midnight


@dataclass(frozen=True)
class VenueView:
    id: int
    name: str
    aliases: tuple[str, ...]
    cuisines: tuple[str, ...]
    price_level: int
    rating: float
    address: str
    neighbourhood: str
    latitude: float
    longitude: float
    phone: str
    time_zone: str
    hours: tuple[OpeningHoursView, ...]
    capacity_per_slot: int
    outdoor_seating: bool
    kid_friendly: bool
    takes_reservations: bool
    vegetarian_options: bool
    # Opening hours in words, e.g. "Monday to Thursday 5 PM to 11 PM, Friday and Saturday 5 PM to 2 AM, closed Sunday".
    hours_text: str


@dataclass(frozen=True)
class VenuePage:
    venues: list[VenueView]
    total: int


@dataclass(frozen=True)
class BookingView:
    id: int
    venue_id: int
    venue_name: str
    start: datetime  # aware, UTC
    party_size: int
    status: str  # "confirmed" | "cancelled"
    confirmation_code: str
    special_requests: str | None
    occasion: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AvailabilityView:
    available: bool
    # Why not, in words ("" when available).
    reason: str
    # Nearest bookable start times the same (local) day, nearest first.
    alternatives: list[datetime] = field(default_factory=list)


@dataclass(frozen=True)
class UserView:
    id: int
    name: str
    first_name: str


FriendView = UserView


class TravelMode(StrEnum):
    WALK = "walk"
    TRANSIT = "transit"
    DRIVE = "drive"


@dataclass(frozen=True)
class TravelEstimate:
    mode: TravelMode
    distance_km: float
    minutes: int


@dataclass(frozen=True)
class DirectionsView:
    venue_id: int
    venue_name: str
    distance_km: float  # great-circle distance from the user's home
    walk_minutes: int
    transit_minutes: int
    drive_minutes: int
    heading: str  # compass direction from the user, e.g. "northeast"
    neighbourhood: str
    address: str
    # Spoken-style summary, e.g. "Sushi Zen is about 600 metres northwest of you in Flatiron, a 7-minute walk."
    description: str


@dataclass(frozen=True)
class Recommendation:
    venue: VenueView
    score: float
    distance_km: float
    walk_minutes: int
    # Short phrases ready for speech: "It's a 6-minute walk", "Sarah wants to go", "It's rated 4.7".
    reasons: list[str]


@dataclass(frozen=True)
class InviteView:
    id: int
    from_user: UserView
    to_user: UserView
    venue_id: int
    venue_name: str
    at: datetime
    booking_id: int | None
    status: str  # "pending" | "accepted" | "declined" | "expired"
    message: str | None
    created_at: datetime
