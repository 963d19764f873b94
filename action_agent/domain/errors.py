"""Typed errors of the Luna domain. Each carries a human `message` fit to be spoken or shown."""

from __future__ import annotations

from datetime import datetime


class DomainError(Exception):
    """Base of every domain rule violation; `message` is a short sentence for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The venue, booking, user or invite does not exist (or is not visible to the caller)."""


class NotAllowed(DomainError):
    """The caller may not do this (someone else's booking, inviting a non-friend, ...)."""


class InvalidRequest(DomainError):
    """The request breaks a rule: party size, past time, a venue that takes no reservations, ..."""


class VenueClosed(DomainError):
    """The venue is not open for the whole seating. `alternatives`: nearest bookable times that day."""

    def __init__(self, message: str, alternatives: list[datetime] | None = None, hours: str = "") -> None:
        super().__init__(message)
        self.alternatives = list(alternatives or [])
        self.hours = hours


class FullyBooked(DomainError):
    """No capacity left for the party at that time. `alternatives`: nearest available times the same day."""

    def __init__(self, message: str, alternatives: list[datetime] | None = None) -> None:
        super().__init__(message)
        self.alternatives = list(alternatives or [])


class OutsideBookingWindow(DomainError):
    """The start time is in the past or more than the booking window (60 days) ahead."""
