"""Initial schema: users, friendships, venues (aliases, cuisines, hours), interests, check-ins, bookings, invites.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 00:29:08.217765
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("home_latitude", sa.Float(), nullable=False),
        sa.Column("home_longitude", sa.Float(), nullable=False),
        sa.Column("home_neighbourhood", sa.String(length=80), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_table(
        "venues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("price_level", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Float(), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("neighbourhood", sa.String(length=80), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("capacity_per_slot", sa.Integer(), nullable=False),
        sa.Column("outdoor_seating", sa.Boolean(), nullable=False),
        sa.Column("kid_friendly", sa.Boolean(), nullable=False),
        sa.Column("takes_reservations", sa.Boolean(), nullable=False),
        sa.Column("vegetarian_options", sa.Boolean(), nullable=False),
        sa.CheckConstraint("capacity_per_slot > 0", name=op.f("ck_venues_capacity_positive")),
        sa.CheckConstraint("price_level BETWEEN 1 AND 4", name=op.f("ck_venues_price_level_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
    )
    op.create_index(op.f("ix_venues_name"), "venues", ["name"], unique=False)

    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("party_size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("confirmation_code", sa.String(length=6), nullable=False),
        sa.Column("special_requests", sa.Text(), nullable=True),
        sa.Column("occasion", sa.String(length=80), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('confirmed', 'cancelled')", name=op.f("ck_bookings_status_values")),
        sa.CheckConstraint("party_size BETWEEN 1 AND 20", name=op.f("ck_bookings_party_size_range")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_bookings_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_bookings_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("confirmation_code", name=op.f("uq_bookings_confirmation_code")),
        sa.UniqueConstraint("user_id", "idempotency_key", name="uq_bookings_user_idempotency_key"),
    )
    op.create_index("ix_bookings_user_start", "bookings", ["user_id", "start_at"], unique=False)
    op.create_index("ix_bookings_venue_start", "bookings", ["venue_id", "start_at"], unique=False)

    op.create_table(
        "check_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_check_ins_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_check_ins_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_ins")),
    )
    op.create_index(op.f("ix_check_ins_user_id"), "check_ins", ["user_id"], unique=False)
    op.create_index("ix_check_ins_venue_time", "check_ins", ["venue_id", "checked_in_at"], unique=False)

    op.create_table(
        "friendships",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("friend_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("user_id <> friend_id", name=op.f("ck_friendships_not_self")),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["users.id"], name=op.f("fk_friendships_friend_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_friendships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "friend_id", name=op.f("pk_friendships")),
    )
    op.create_index(op.f("ix_friendships_friend_id"), "friendships", ["friend_id"], unique=False)

    op.create_table(
        "opening_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("open_minute", sa.Integer(), nullable=False),
        sa.Column("close_minute", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "close_minute > open_minute AND close_minute <= 2880", name=op.f("ck_opening_hours_close_range")
        ),
        sa.CheckConstraint("open_minute >= 0 AND open_minute < 1440", name=op.f("ck_opening_hours_open_range")),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_opening_hours_weekday_range")),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_opening_hours_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opening_hours")),
    )
    op.create_index(op.f("ix_opening_hours_venue_id"), "opening_hours", ["venue_id"], unique=False)

    op.create_table(
        "venue_aliases",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_venue_aliases_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("venue_id", "alias", name=op.f("pk_venue_aliases")),
    )
    op.create_table(
        "venue_cuisines",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("cuisine", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_venue_cuisines_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("venue_id", "cuisine", name=op.f("pk_venue_cuisines")),
    )
    op.create_index(op.f("ix_venue_cuisines_cuisine"), "venue_cuisines", ["cuisine"], unique=False)

    op.create_table(
        "venue_interests",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_venue_interests_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_venue_interests_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "venue_id", name=op.f("pk_venue_interests")),
    )
    op.create_index(op.f("ix_venue_interests_venue_id"), "venue_interests", ["venue_id"], unique=False)

    op.create_table(
        "invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_user_id", sa.Integer(), nullable=False),
        sa.Column("to_user_id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'expired')", name=op.f("ck_invites_status_values")
        ),
        sa.CheckConstraint("from_user_id <> to_user_id", name=op.f("ck_invites_not_self")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_invites_booking_id_bookings"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["from_user_id"], ["users.id"], name=op.f("fk_invites_from_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["to_user_id"], ["users.id"], name=op.f("fk_invites_to_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_invites_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
        sa.UniqueConstraint("from_user_id", "idempotency_key", name="uq_invites_from_idempotency_key"),
    )
    op.create_index(op.f("ix_invites_from_user_id"), "invites", ["from_user_id"], unique=False)
    op.create_index(op.f("ix_invites_to_user_id"), "invites", ["to_user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_invites_to_user_id"), table_name="invites")
    op.drop_index(op.f("ix_invites_from_user_id"), table_name="invites")

    op.drop_table("invites")
    op.drop_index(op.f("ix_venue_interests_venue_id"), table_name="venue_interests")

    op.drop_table("venue_interests")
    op.drop_index(op.f("ix_venue_cuisines_cuisine"), table_name="venue_cuisines")

    op.drop_table("venue_cuisines")
    op.drop_table("venue_aliases")
    op.drop_index(op.f("ix_opening_hours_venue_id"), table_name="opening_hours")

    op.drop_table("opening_hours")
    op.drop_index(op.f("ix_friendships_friend_id"), table_name="friendships")

    op.drop_table("friendships")
    op.drop_index("ix_check_ins_venue_time", table_name="check_ins")
    op.drop_index(op.f("ix_check_ins_user_id"), table_name="check_ins")

    op.drop_table("check_ins")
    op.drop_index("ix_bookings_venue_start", table_name="bookings")
    op.drop_index("ix_bookings_user_start", table_name="bookings")

    op.drop_table("bookings")
    op.drop_index(op.f("ix_venues_name"), table_name="venues")

    op.drop_table("venues")
    op.drop_table("users")
