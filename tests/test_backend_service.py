"""luna.backend.v1.LunaService over a real grpc.aio server on loopback: auth, paging, filters, bad input,
the caller's own data only, dev sign-in, and the bookings watch."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from luna.backend.v1 import backend_pb2, backend_pb2_grpc

from action_agent.backend_service import SERVICE_NAME, LunaServicer
from luna_common.tokens import issue_token
from tests.servers import ROOT, TEST_TOKEN_SECRET, running_server, start_server
from tests.store_support import NOW, add_venue, daily, local, seeded_store

DEMO, SARAH = 1, 2


def auth(user_id: int) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {issue_token(user_id, TEST_TOKEN_SECRET)}"),)


async def start(servicer: LunaServicer) -> tuple[grpc.aio.Server, str]:
    server = grpc.aio.server()
    backend_pb2_grpc.add_LunaServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, f"127.0.0.1:{port}"


@pytest.fixture(scope="module")
async def luna(tmp_path_factory):
    with seeded_store("sqlite", tmp_path_factory.mktemp("backend")) as store:
        servicer = LunaServicer(store.domain, TEST_TOKEN_SECRET, dev_login=True, watch_poll_seconds=0.05)
        server, address = await start(servicer)
        async with grpc.aio.insecure_channel(address) as channel:
            yield backend_pb2_grpc.LunaServiceStub(channel), store
        servicer.close()
        await server.stop(0)


async def test_calls_need_a_valid_token(luna):
    stub, _ = luna
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stub.ListFriends(backend_pb2.ListFriendsRequest())
    assert missing.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "missing" in missing.value.details()
    forged = issue_token(DEMO, "another-secret-that-is-long-enough")
    for metadata in ((("authorization", f"Bearer {forged}"),), (("authorization", "Bearer nonsense"),),
                     (("authorization", "Basic dXNlcjpwYXNz"),)):
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await stub.ListMyBookings(backend_pb2.ListMyBookingsRequest(), metadata=metadata)
        assert bad.value.code() == grpc.StatusCode.UNAUTHENTICATED
    expired = issue_token(DEMO, TEST_TOKEN_SECRET, ttl_seconds=1, now=1_000_000)
    with pytest.raises(grpc.aio.AioRpcError) as old:
        await stub.ListVenues(backend_pb2.ListVenuesRequest(), metadata=(("authorization", f"Bearer {expired}"),))
    assert old.value.code() == grpc.StatusCode.UNAUTHENTICATED and "expired" in old.value.details()
    # The server keeps serving after rejecting calls.
    reply = await stub.ListFriends(backend_pb2.ListFriendsRequest(), metadata=auth(DEMO))
    assert {"Sarah Chen", "John Miller"} <= {f.name for f in reply.friends}


async def test_list_venues_pages_through_everything_once(luna):
    stub, _ = luna
    seen: list[int] = []
    token = ""
    total = None
    while True:
        reply = await stub.ListVenues(backend_pb2.ListVenuesRequest(page_size=40, page_token=token),
                                      metadata=auth(DEMO))
        assert len(reply.venues) <= 40
        total = reply.total_size
        seen += [v.id for v in reply.venues]
        token = reply.next_page_token
        if not token:
            break
    assert total is not None and total >= 150
    assert len(seen) == len(set(seen)) == total


async def test_list_venues_filters(luna):
    stub, _ = luna
    sushi = await stub.ListVenues(backend_pb2.ListVenuesRequest(cuisine="sushi", page_size=100), metadata=auth(DEMO))
    assert sushi.venues and all("sushi" in v.cuisines for v in sushi.venues)
    cheap = await stub.ListVenues(backend_pb2.ListVenuesRequest(max_price_level=1, page_size=100),
                                  metadata=auth(DEMO))
    assert cheap.venues and all(v.price_level == 1 for v in cheap.venues)
    query = await stub.ListVenues(backend_pb2.ListVenuesRequest(query="carrabbas"), metadata=auth(DEMO))
    assert [v.name for v in query.venues] == ["Carrabba's Italian Grill"]
    assert query.total_size == 1 and not query.next_page_token
    zen = await stub.ListVenues(backend_pb2.ListVenuesRequest(query="sushi zen"), metadata=auth(DEMO))
    assert {v.name for v in zen.venues} == {"Sushi Zen", "Sushi Zen Express"}
    none = await stub.ListVenues(backend_pb2.ListVenuesRequest(query="100%_"), metadata=auth(DEMO))
    assert none.total_size == 0 and not none.venues


@pytest.mark.parametrize(("request_", "fragment"), [
    (backend_pb2.ListVenuesRequest(page_size=-1), "page_size"),
    (backend_pb2.ListVenuesRequest(max_price_level=5), "max_price_level"),
    (backend_pb2.ListVenuesRequest(cuisine="martian"), "unknown cuisine"),
    (backend_pb2.ListVenuesRequest(page_token="not-a-token!"), "page_token"),
    (backend_pb2.ListVenuesRequest(query="x" * 201), "too long"),
])
async def test_list_venues_rejects_bad_input(luna, request_, fragment):
    stub, _ = luna
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.ListVenues(request_, metadata=auth(DEMO))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in err.value.details()


async def test_a_page_token_only_works_for_its_own_query(luna):
    stub, _ = luna
    first = await stub.ListVenues(backend_pb2.ListVenuesRequest(page_size=5), metadata=auth(DEMO))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.ListVenues(backend_pb2.ListVenuesRequest(page_size=5, cuisine="thai",
                                                            page_token=first.next_page_token), metadata=auth(DEMO))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_get_venue(luna):
    stub, _ = luna
    reply = await stub.GetVenue(backend_pb2.GetVenueRequest(venue_id=2), metadata=auth(DEMO))
    venue = reply.venue
    assert venue.name == "The Blue Plate" and venue.time_zone == "America/New_York"
    assert any(h.close_minute > 1440 for h in venue.hours) and venue.takes_reservations
    for bad, code in ((0, grpc.StatusCode.INVALID_ARGUMENT), (-3, grpc.StatusCode.INVALID_ARGUMENT),
                      (999_999, grpc.StatusCode.NOT_FOUND)):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetVenue(backend_pb2.GetVenueRequest(venue_id=bad), metadata=auth(DEMO))
        assert err.value.code() == code


async def test_each_caller_sees_only_their_own_bookings_and_invites(luna):
    stub, store = luna
    mine = await stub.ListMyBookings(backend_pb2.ListMyBookingsRequest(include_past=True), metadata=auth(DEMO))
    theirs = await stub.ListMyBookings(backend_pb2.ListMyBookingsRequest(include_past=True), metadata=auth(SARAH))
    assert mine.bookings and theirs.bookings
    assert not {b.id for b in mine.bookings} & {b.id for b in theirs.bookings}
    expected = {b.id for b in store.domain.bookings.list_bookings(DEMO, include_past=True)}
    assert {b.id for b in mine.bookings} == expected
    upcoming = await stub.ListMyBookings(backend_pb2.ListMyBookingsRequest(), metadata=auth(DEMO))
    assert upcoming.bookings and all(b.status == backend_pb2.BOOKING_STATUS_CONFIRMED for b in upcoming.bookings)
    assert all(b.start_time.ToDatetime().timestamp() > NOW.timestamp() for b in upcoming.bookings)
    assert any(b.venue_name == "Carrabba's Italian Grill" for b in mine.bookings)
    invites = await stub.ListMyInvites(backend_pb2.ListMyInvitesRequest(), metadata=auth(DEMO))
    assert invites.received and all(i.to_user.id == DEMO for i in invites.received)
    assert all(i.from_user.id == DEMO for i in invites.sent)
    assert any(i.from_user.name == "John Miller" and i.status == backend_pb2.INVITE_STATUS_PENDING
               for i in invites.received)


async def test_dev_login_issues_a_working_token(luna):
    stub, _ = luna
    users = await stub.ListDemoUsers(backend_pb2.ListDemoUsersRequest())
    assert users.users[0].name == "Alex Rivera" and len(users.users) >= 40
    login = await stub.DevLogin(backend_pb2.DevLoginRequest(user_id=SARAH))
    assert login.user.name == "Sarah Chen" and login.expires_at.seconds > 0
    friends = await stub.ListFriends(backend_pb2.ListFriendsRequest(),
                                     metadata=(("authorization", f"Bearer {login.token}"),))
    assert "Alex Rivera" in {f.name for f in friends.friends}
    for bad, code in ((0, grpc.StatusCode.INVALID_ARGUMENT), (999_999, grpc.StatusCode.NOT_FOUND)):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.DevLogin(backend_pb2.DevLoginRequest(user_id=bad))
        assert err.value.code() == code


async def test_dev_login_is_refused_when_disabled(luna):
    _, store = luna
    servicer = LunaServicer(store.domain, TEST_TOKEN_SECRET, dev_login=False)
    server, address = await start(servicer)
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = backend_pb2_grpc.LunaServiceStub(channel)
            for call, request in ((stub.DevLogin, backend_pb2.DevLoginRequest(user_id=1)),
                                  (stub.ListDemoUsers, backend_pb2.ListDemoUsersRequest())):
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await call(request)
                assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
                assert "LUNA_DEV_LOGIN" in err.value.details()
    finally:
        await server.stop(0)


async def test_watch_my_bookings_sends_the_list_then_every_change(luna):
    stub, store = luna
    venue = add_venue(store.sessions, daily(17 * 60, 23 * 60), capacity=20)
    call = stub.WatchMyBookings(backend_pb2.WatchMyBookingsRequest(), metadata=auth(DEMO))
    first = await asyncio.wait_for(call.read(), 5)
    before = {b.id for b in first.bookings}
    assert before
    booking = await asyncio.to_thread(store.domain.bookings.create_booking, DEMO, venue, local(3, 19), 2)
    second = await asyncio.wait_for(call.read(), 5)
    assert {b.id for b in second.bookings} == before | {booking.id}
    # Someone else's booking is not a change of mine; my cancellation is.
    await asyncio.to_thread(store.domain.bookings.create_booking, SARAH, venue, local(3, 19), 2)
    await asyncio.to_thread(store.domain.bookings.cancel_booking, DEMO, booking.id)
    third = await asyncio.wait_for(call.read(), 5)
    assert {b.id for b in third.bookings} == before
    call.cancel()
    with pytest.raises(grpc.aio.AioRpcError) as unauthenticated:
        await stub.WatchMyBookings(backend_pb2.WatchMyBookingsRequest()).read()
    assert unauthenticated.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_the_action_agent_process_migrates_and_serves_luna_service(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh' / 'luna.db'}"
    with running_server("action_agent", ["--database-url", url]) as server, \
            grpc.insecure_channel(server.address) as channel:
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        assert SERVICE_NAME in {s.name for r in replies for s in r.list_services_response.service}
        stub = backend_pb2_grpc.LunaServiceStub(channel)
        empty = stub.ListVenues(backend_pb2.ListVenuesRequest(), metadata=auth(DEMO), timeout=10)
        assert empty.total_size == 0  # migrated, not seeded
        with pytest.raises(grpc.RpcError) as err:
            stub.DevLogin(backend_pb2.DevLoginRequest(user_id=1), timeout=10)
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert (tmp_path / "fresh" / "luna.db").exists()


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_ends_open_watches_and_the_server_exits_promptly(tmp_path, workers):
    """Draining closes WatchMyBookings streams (they would otherwise hold the drain for the whole grace period);
    with several worker processes the parent's SIGTERM drains every worker."""
    url = f"sqlite:///{tmp_path / 'luna.db'}"
    env = {"LUNA_SHUTDOWN_GRACE_SECONDS": "30"}
    server = start_server("action_agent", ["--database-url", url, "--workers", str(workers)], env=env)
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = backend_pb2_grpc.LunaServiceStub(channel)
            watch = stub.WatchMyBookings(backend_pb2.WatchMyBookingsRequest(), metadata=auth(DEMO), timeout=60)
            assert list(next(watch).bookings) == []  # the stream is open (empty database)
            started = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            assert list(watch) == []  # the stream ends cleanly, without waiting for the grace period
            assert server.proc.wait(timeout=15) == 0
            assert time.monotonic() - started < 10, "draining waited for the open watch"
    finally:
        server.kill()


def _worker_pids(parent: int) -> set[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return {int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()}


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_several_workers_share_one_port_and_die_with_their_parent(tmp_path):
    url = f"sqlite:///{tmp_path / 'luna.db'}"
    server = start_server("action_agent", ["--database-url", url, "--workers", "2"], env={"LUNA_DEV_LOGIN": "1"})
    try:
        assert not server.address.endswith(":0")  # --port 0 became one real port, shared by the workers
        workers = _worker_pids(server.proc.pid)
        assert len(workers) == 2
        for _ in range(8):  # a fresh connection each time: the kernel spreads them over the workers
            with grpc.insecure_channel(server.address, options=[("grpc.use_local_subchannel_pool", 1)]) as channel:
                stub = backend_pb2_grpc.LunaServiceStub(channel)
                assert stub.ListDemoUsers(backend_pb2.ListDemoUsersRequest(), timeout=10).users == []
    finally:
        server.kill()  # kill -9 of the parent: no worker may keep serving
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


def test_help_says_where_conversation_state_is_stored():
    out = subprocess.run([sys.executable, "-m", "action_agent", "--help"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert "var/luna.checkpoints.db" in out and "same PostgreSQL database" in out
    assert "LUNA_ACTION_WORKERS" in out and "LUNA_SESSION_RETENTION_HOURS" in out
