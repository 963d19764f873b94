"""200 concurrent booking attempts for the last 10 seats of a slot, through the real ActionService:
exactly 10 bookings, every other attempt a spoken "fully booked, here are other times" (SQLite and PostgreSQL).

Each attempt is its own user and session and takes the real flow: Execute make_booking -> NEEDS_CONFIRMATION
-> Confirm yes (an attempt may also be told "fully booked" at the Execute, when the seats are already gone).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass

import grpc
import pytest
from luna.action.v1 import action_pb2 as pb
from luna.action.v1 import action_pb2_grpc

from tests.action_support import ZONE, agent_server, request_now, stamp
from tests.reliability_support import booked_seats, prepare_slot, seed_url
from tests.store_support import database_url

ATTEMPTS = 200
SEATS_LEFT = 10
S = pb.ActionStatus


@dataclass
class Attempt:
    user_id: int
    status: pb.ActionStatus.ValueType = S.ACTION_STATUS_UNSPECIFIED
    error_code: str = ""
    speak_text: str = ""
    alternatives: int = 0
    code: str = ""
    stage: str = ""


async def attempt(stub: action_pb2_grpc.ActionServiceStub, user_id: int, venue: str, when: str) -> Attempt:
    session = f"contend-{uuid.uuid4().hex[:12]}"
    now = stamp(request_now())
    out = Attempt(user_id)
    ask = await stub.Execute(pb.ActionRequest(
        request_id=uuid.uuid4().hex, session_id=session, user_id=user_id, intent=pb.INTENT_MAKE_BOOKING,
        entities=pb.Entities(venue_name=venue, party_size=1, date_time=when), confidence=0.95, now=now,
        time_zone=ZONE, utterance=f"book a table for one at {venue}"), timeout=120)
    reply, out.stage = ask, "execute"
    if ask.status == S.ACTION_STATUS_NEEDS_CONFIRMATION:
        reply = await stub.Confirm(pb.ConfirmRequest(
            request_id=uuid.uuid4().hex, session_id=session, user_id=user_id,
            confirmation_id=ask.confirmation.confirmation_id, confirmed=True, now=now), timeout=120)
        out.stage = "confirm"
    out.status, out.error_code = reply.status, reply.error_code
    out.speak_text = " ".join(t for t in (reply.speak_text, reply.follow_up_prompt) if t)
    if "alternatives" in reply.result:
        out.alternatives = len(reply.result["alternatives"])
    if reply.status == S.ACTION_STATUS_SUCCESS:
        out.code = reply.result["confirmation_code"]
    return out


async def contend(address: str, users: tuple[int, ...], venue: str, when: str) -> list[Attempt]:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = action_pb2_grpc.ActionServiceStub(channel)
        return list(await asyncio.wait_for(
            asyncio.gather(*(attempt(stub, user, venue, when) for user in users)), timeout=150))


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_two_hundred_attempts_for_the_last_ten_seats(backend, tmp_path):
    with database_url(backend, tmp_path) as url:
        seed_url(url)
        slot = prepare_slot(url, users=ATTEMPTS + 1, capacity=50, seats_left=SEATS_LEFT)
        before = booked_seats(url, slot.venue_id, slot.start)
        assert before == (2, 40)
        with agent_server(url) as server:
            results = await contend(server.address, slot.users[1:], slot.venue_name, slot.iso())
            assert server.proc.poll() is None
        statuses = Counter(S.Name(r.status) for r in results)
        won = [r for r in results if r.status == S.ACTION_STATUS_SUCCESS]
        lost = [r for r in results if r.status != S.ACTION_STATUS_SUCCESS]
        assert len(won) == SEATS_LEFT, statuses
        assert len({r.code for r in won}) == SEATS_LEFT
        for r in lost:
            assert r.status == S.ACTION_STATUS_FAILED and r.error_code == "fully_booked", (r, statuses)
            # "fully booked, here are other times": the answer names the slot's state and offers times.
            assert "fully booked" in r.speak_text and "I could do" in r.speak_text, r.speak_text
            assert r.alternatives >= 1, r
        # Most losers get past the Execute while seats still look free and learn at the Confirm.
        assert Counter(r.stage for r in lost)["confirm"] >= 1
        assert booked_seats(url, slot.venue_id, slot.start) == (2 + SEATS_LEFT, 50)
