"""Parameter models of the voice tools: what a caller (the graph or a function-calling model) passes.

Venues and friends may be given by id or by name; the graph's RESOLVE step fills the ids.
Times are aware ISO 8601 date-times.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

PartySize = Field(ge=1, le=20, description="Number of people, 1 to 20")


class ToolParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VenueRef(ToolParams):
    venue_id: int | None = Field(default=None, ge=1, description="Venue id; give this or venue_name")
    venue_name: str | None = Field(default=None, min_length=1, max_length=200,
                                   description="Venue name as said; give this or venue_id")

    @model_validator(mode="after")
    def _needs_venue(self) -> Self:
        if self.venue_id is None and not self.venue_name:
            raise ValueError("venue_id or venue_name is required")
        return self


class BookingRef(ToolParams):
    booking_id: int | None = Field(default=None, ge=1, description="Booking id; give this or confirmation_code")
    confirmation_code: str | None = Field(default=None, min_length=4, max_length=12,
                                          description="The booking's confirmation code, e.g. ABC123; or booking_id")

    @model_validator(mode="after")
    def _needs_booking(self) -> Self:
        if self.booking_id is None and not self.confirmation_code:
            raise ValueError("booking_id or confirmation_code is required")
        return self


class MakeBooking(VenueRef):
    party_size: int = PartySize
    date_time: AwareDatetime = Field(description="Start of the reservation, ISO 8601 with offset")
    special_requests: str | None = Field(default=None, max_length=500)
    occasion: str | None = Field(default=None, max_length=80, description="e.g. birthday, date night")


class ModifyBooking(BookingRef):
    date_time: AwareDatetime | None = Field(default=None, description="New start, ISO 8601 with offset")
    party_size: int | None = Field(default=None, ge=1, le=20, description="New number of people")
    special_requests: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _needs_change(self) -> Self:
        if self.date_time is None and self.party_size is None and self.special_requests is None:
            raise ValueError("a new date_time, party_size or special_requests is required")
        return self


class CancelBooking(BookingRef):
    pass


class CheckBooking(ToolParams):
    confirmation_code: str | None = Field(default=None, min_length=4, max_length=12,
                                          description="Look up one booking; omit for all upcoming bookings")


class GetRecommendations(ToolParams):
    cuisine: str | None = Field(default=None, max_length=40, description="Lowercase cuisine, e.g. sushi")
    price_level: int | None = Field(default=None, ge=1, le=4, description="1 (cheap) to 4 (luxury)")
    max_distance_km: float | None = Field(default=None, gt=0, le=100)
    nearby: bool = Field(default=False, description="Only places near the user")
    occasion: str | None = Field(default=None, max_length=80)
    date_time: AwareDatetime | None = Field(default=None, description="When the user wants to go")
    limit: int = Field(default=3, ge=1, le=10)


class SearchVenue(ToolParams):
    query: str | None = Field(default=None, max_length=200, description="Venue name or words to look for")
    cuisine: str | None = Field(default=None, max_length=40)
    nearby: bool = False
    max_distance_km: float | None = Field(default=None, gt=0, le=100)

    @model_validator(mode="after")
    def _needs_something(self) -> Self:
        if not self.query and not self.cuisine and not self.nearby and self.max_distance_km is None:
            raise ValueError("query, cuisine or a distance is required")
        return self


class VenueInfo(VenueRef):
    pass


class CheckAvailability(VenueRef):
    date_time: AwareDatetime | None = Field(default=None, description="When; omit for \"now\"")
    party_size: int = Field(default=2, ge=1, le=20)


class FindFriends(ToolParams):
    venue_id: int | None = Field(default=None, ge=1, description="Friends interested in or at this venue")
    venue_name: str | None = Field(default=None, max_length=200)


class SendInvite(VenueRef):
    friend_id: int | None = Field(default=None, ge=1, description="The friend's user id; or friend_name")
    friend_name: str | None = Field(default=None, max_length=80, description="The friend's first name; or friend_id")
    date_time: AwareDatetime = Field(description="When, ISO 8601 with offset")
    booking_id: int | None = Field(default=None, ge=1, description="The booking the invite is for, if any")
    message: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _needs_friend(self) -> Self:
        if self.friend_id is None and not self.friend_name:
            raise ValueError("friend_id or friend_name is required")
        return self


class RespondInvite(ToolParams):
    invite_id: int | None = Field(default=None, ge=1, description="The invite's id, when known")
    from_friend_name: str | None = Field(default=None, max_length=80,
                                         description="Who sent the invite (picks among pending invites)")
    response: Literal["accept", "decline"]


class CheckInvites(ToolParams):
    pass


class GetDirections(VenueRef):
    pass


class EstimateTravel(VenueRef):
    mode: Literal["walk", "transit", "drive"] | None = Field(default=None, description="Omit for all modes")


__all__ = [
    "CancelBooking", "CheckAvailability", "CheckBooking", "CheckInvites", "EstimateTravel", "FindFriends",
    "GetDirections", "GetRecommendations", "MakeBooking", "ModifyBooking", "RespondInvite", "SearchVenue",
    "SendInvite", "ToolParams", "VenueInfo",
]
