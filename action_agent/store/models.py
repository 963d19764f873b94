"""The Luna domain schema: people, venues, bookings, invites (SQLAlchemy 2.x declarative)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names so Alembic migrations (and SQLite batch mode) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BOOKING_CONFIRMED = "confirmed"
BOOKING_CANCELLED = "cancelled"
INVITE_PENDING = "pending"
INVITE_ACCEPTED = "accepted"
INVITE_DECLINED = "declined"
INVITE_EXPIRED = "expired"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes, stored as UTC on every backend and always returned aware (UTC).

    SQLite has no time zone type, so there the value is stored as naive UTC text; comparisons
    stay correct because every stored value uses the same zone and format.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    home_latitude: Mapped[float] = mapped_column(Float)
    home_longitude: Mapped[float] = mapped_column(Float)
    home_neighbourhood: Mapped[str] = mapped_column(String(80), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.name


class Friendship(Base):
    """One row per direction: a friendship between A and B is stored as (A, B) and (B, A)."""

    __tablename__ = "friendships"
    __table_args__ = (CheckConstraint("user_id <> friend_id", name="not_self"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    friend_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime())


class Venue(Base):
    __tablename__ = "venues"
    __table_args__ = (
        CheckConstraint("price_level BETWEEN 1 AND 4", name="price_level_range"),
        CheckConstraint("capacity_per_slot > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    price_level: Mapped[int] = mapped_column(Integer)
    rating: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(200))
    neighbourhood: Mapped[str] = mapped_column(String(80))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(String(32))
    time_zone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    # Covers (seated guests) the venue can hold at any moment; a seating occupies its seats for 90 minutes.
    capacity_per_slot: Mapped[int] = mapped_column(Integer)
    outdoor_seating: Mapped[bool] = mapped_column(Boolean, default=False)
    kid_friendly: Mapped[bool] = mapped_column(Boolean, default=False)
    takes_reservations: Mapped[bool] = mapped_column(Boolean, default=True)
    vegetarian_options: Mapped[bool] = mapped_column(Boolean, default=False)

    aliases: Mapped[list[VenueAlias]] = relationship(
        cascade="all, delete-orphan", order_by="VenueAlias.alias", lazy="selectin"
    )
    cuisines: Mapped[list[VenueCuisine]] = relationship(
        cascade="all, delete-orphan", order_by="VenueCuisine.position", lazy="selectin"
    )
    hours: Mapped[list[OpeningHours]] = relationship(
        cascade="all, delete-orphan", order_by="(OpeningHours.weekday, OpeningHours.open_minute)", lazy="selectin"
    )


class VenueAlias(Base):
    __tablename__ = "venue_aliases"

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True)
    alias: Mapped[str] = mapped_column(String(120), primary_key=True)


class VenueCuisine(Base):
    __tablename__ = "venue_cuisines"

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True)
    cuisine: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    # The first cuisine is the venue's main one.
    position: Mapped[int] = mapped_column(Integer, default=0)


class OpeningHours(Base):
    """One opening interval in the venue's local time; close_minute > 1440 means it closes after midnight."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("open_minute >= 0 AND open_minute < 1440", name="open_range"),
        CheckConstraint("close_minute > open_minute AND close_minute <= 2880", name="close_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    # 0 = Monday ... 6 = Sunday.
    weekday: Mapped[int] = mapped_column(Integer)
    open_minute: Mapped[int] = mapped_column(Integer)
    close_minute: Mapped[int] = mapped_column(Integer)


class VenueInterest(Base):
    """A user wants to go to a venue."""

    __tablename__ = "venue_interests"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CheckIn(Base):
    __tablename__ = "check_ins"
    __table_args__ = (Index("ix_check_ins_venue_time", "venue_id", "checked_in_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime())
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("party_size BETWEEN 1 AND 20", name="party_size_range"),
        CheckConstraint("status IN ('confirmed', 'cancelled')", name="status_values"),
        UniqueConstraint("user_id", "idempotency_key", name="uq_bookings_user_idempotency_key"),
        Index("ix_bookings_venue_start", "venue_id", "start_at"),
        Index("ix_bookings_user_start", "user_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    party_size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=BOOKING_CONFIRMED)
    confirmation_code: Mapped[str] = mapped_column(String(6), unique=True)
    special_requests: Mapped[str | None] = mapped_column(Text, nullable=True)
    occasion: Mapped[str | None] = mapped_column(String(80), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    venue: Mapped[Venue] = relationship(lazy="joined")


class Invite(Base):
    __tablename__ = "invites"
    __table_args__ = (
        CheckConstraint("from_user_id <> to_user_id", name="not_self"),
        CheckConstraint("status IN ('pending', 'accepted', 'declined', 'expired')", name="status_values"),
        UniqueConstraint("from_user_id", "idempotency_key", name="uq_invites_from_idempotency_key"),
        UniqueConstraint("to_user_id", "response_key", name="uq_invites_to_response_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=INVITE_PENDING)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # The idempotency key of the answer (accept/decline): the same key again gets the same answer.
    response_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    from_user: Mapped[User] = relationship(foreign_keys=[from_user_id], lazy="joined")
    to_user: Mapped[User] = relationship(foreign_keys=[to_user_id], lazy="joined")
    venue: Mapped[Venue] = relationship(lazy="joined")


# The first response to each (user, request_id) of the action service (action_agent.idempotency): a retried
# Execute or Confirm is answered from here.
action_requests = Table(
    "action_requests",
    Base.metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column("request_id", String(128), primary_key=True),
    Column("method", String(16), nullable=False),
    Column("response", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
