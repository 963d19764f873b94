"""luna.action.v1.ActionService: the gRPC face of the action graph.

Requests are checked (INVALID_ARGUMENT names the field), answered once per request_id (a retry gets
the recorded first response), run one turn at a time per session, within the caller's deadline.
Domain failures are spoken FAILED responses; infrastructure failures are UNAVAILABLE or INTERNAL.

At the deadline (or when the caller cancels) the caller gets DEADLINE_EXCEEDED (or nothing), but the work is
not cancelled: a database write in a worker thread cannot be stopped, so the turn runs to its end and records
its response under its request_id. When that turn answered a confirmation, its outcome is also recorded as
unheard (under the confirmation's id), and the user's next yes or no to that confirmation is told it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

import grpc
import psycopg
from google.protobuf import json_format, struct_pb2
from luna.action.v1 import action_pb2, action_pb2_grpc
from sqlalchemy.exc import DBAPIError, OperationalError

from action_agent.agent import ActionAgent, NoPendingConfirmation, Outcome, Turn
from action_agent.domain import Domain
from action_agent.idempotency import ResponseLog
from action_agent.resolution.datetimes import TimeZoneError, zone
from action_agent.tools.registry import TOOLS

log = logging.getLogger(__name__)

MAX_REQUEST_ID_LENGTH = 128
MAX_ID_LENGTH = 128
MAX_TEXT_LENGTH = 500
MAX_UTTERANCE_LENGTH = 2000
T = TypeVar("T")
# Where the unheard outcome of an answered confirmation is recorded (the action_requests log, method UNHEARD).
UNHEARD_PREFIX = "unheard:"
UNHEARD = "unheard"

_STATUS = {
    "success": action_pb2.ACTION_STATUS_SUCCESS,
    "needs_confirmation": action_pb2.ACTION_STATUS_NEEDS_CONFIRMATION,
    "needs_clarification": action_pb2.ACTION_STATUS_NEEDS_CLARIFICATION,
    "cancelled": action_pb2.ACTION_STATUS_CANCELLED,
    "failed": action_pb2.ACTION_STATUS_FAILED,
}
_UNAVAILABLE_ERRORS = (OperationalError, sqlite3.OperationalError, psycopg.OperationalError, ConnectionError)


class RequestError(Exception):
    """The request cannot be acted on; becomes INVALID_ARGUMENT."""


@dataclass
class _Caller:
    """One call's side of its work: whether the caller has gone (deadline, cancel), and the turn's outcome."""

    user_id: int
    gone: bool = False
    outcome: Outcome | None = None


class ActionServicer(action_pb2_grpc.ActionServiceServicer):
    def __init__(self, agent: ActionAgent, domain: Domain, responses: ResponseLog) -> None:
        self._agent = agent
        self._domain = domain
        self._responses = responses
        self._tools = list_tools_response()
        # Requests being answered now, so a concurrent retry waits for the same answer instead of running twice.
        self._inflight: dict[tuple[int, str], asyncio.Future[None]] = {}
        # Work whose caller left before it finished (kept referenced until it ends).
        self._unattended: set[asyncio.Task[Any]] = set()

    async def Execute(
        self, request: action_pb2.ActionRequest, context: grpc.aio.ServicerContext
    ) -> action_pb2.ActionResponse:
        await validate_action_request(request, context)
        try:
            turn = turn_from_request(request)
        except RequestError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return await self._once(request.user_id, request.session_id, request.request_id, "execute", context,
                                lambda: self._agent.execute(turn, self._replay(turn.user_id)))

    async def Confirm(
        self, request: action_pb2.ConfirmRequest, context: grpc.aio.ServicerContext
    ) -> action_pb2.ActionResponse:
        problem = _id_problem(request.request_id, request.session_id, request.user_id)
        if not problem and not 0 < len(request.confirmation_id) <= MAX_ID_LENGTH:
            problem = "confirmation_id is required"
        if problem:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, problem)
        try:
            now = _now(request.now if request.HasField("now") else None)
        except RequestError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return await self._once(
            request.user_id, request.session_id, request.request_id, "confirm", context,
            lambda: self._agent.confirm(request.user_id, request.session_id, request.confirmation_id,
                                        request.confirmed, now, request.request_id, self._replay(request.user_id)))

    async def ListTools(
        self, request: action_pb2.ListToolsRequest, context: grpc.aio.ServicerContext
    ) -> action_pb2.ListToolsResponse:
        return self._tools

    async def GetVocabulary(
        self, request: action_pb2.GetVocabularyRequest, context: grpc.aio.ServicerContext
    ) -> action_pb2.GetVocabularyResponse:
        if request.user_id < 0:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "user_id must be 0 (venues only) or a user id")
        vocabulary = await self._guarded(context, asyncio.to_thread(self._domain.load_vocabulary, request.user_id))
        return action_pb2.GetVocabularyResponse(
            venues=[action_pb2.VenueVocabulary(venue_id=v.venue_id, name=v.name, aliases=v.aliases,
                                               cuisines=v.cuisines) for v in vocabulary.venues],
            friend_names=vocabulary.friend_names, cuisines=vocabulary.cuisines, version=vocabulary.version)

    async def drain(self, grace_seconds: float) -> None:
        """Wait (up to `grace_seconds`) for work whose caller left, so a stop does not cut it short."""
        if self._unattended:
            await asyncio.wait(set(self._unattended), timeout=grace_seconds)

    def _replay(self, user_id: int) -> Callable[[str], Awaitable[Outcome | None]]:
        async def unheard(confirmation_id: str) -> Outcome | None:
            recorded = await self._responses.lookup(user_id, UNHEARD_PREFIX + confirmation_id)
            return None if recorded is None else Outcome(**json.loads(recorded))
        return unheard

    async def _record_unheard(self, user_id: int, outcome: Outcome) -> None:
        """Keep the outcome of an answered confirmation whose caller has gone, for the next answer to it."""
        if outcome.answered:
            await self._responses.record(user_id, UNHEARD_PREFIX + outcome.answered, UNHEARD,
                                         json.dumps(dataclasses.asdict(outcome)).encode())

    async def _once(self, user_id: int, session_id: str, request_id: str, method: str,
                    context: grpc.aio.ServicerContext,
                    run: Callable[[], Awaitable[Outcome]]) -> action_pb2.ActionResponse:
        """Answer a request id once: replay the recorded response, or run it and record the response."""
        key = (user_id, request_id)
        caller = _Caller(user_id)

        async def work() -> action_pb2.ActionResponse:
            while True:
                running = self._inflight.get(key)
                if running is not None:
                    # A concurrent retry: wait for the first call, then read its recorded answer (or, if it
                    # failed, run in its place).
                    await asyncio.wait([running])
                    continue
                recorded = await self._responses.lookup(user_id, request_id)
                if recorded is not None:
                    return action_pb2.ActionResponse.FromString(recorded)
                if key not in self._inflight:
                    break
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._inflight[key] = done
            try:
                async with self._agent.session_lock(user_id, session_id):
                    outcome = caller.outcome = await run()
                    response = response_from_outcome(outcome, request_id, session_id)
                    answer = response.SerializeToString()
                    stored = await self._responses.record(user_id, request_id, method, answer)
                    # Still under the session's lock, so the user's next answer finds it. No await follows
                    # this check: a caller still here when it is made gets the response.
                    if caller.gone:
                        await self._record_unheard(user_id, outcome)
                # Normally our own answer; a concurrent twin's (another worker's) when it recorded first.
                return response if stored == answer else action_pb2.ActionResponse.FromString(stored)
            finally:
                del self._inflight[key]
                done.set_result(None)

        return await self._guarded(context, work(), caller)

    async def _guarded(self, context: grpc.aio.ServicerContext, work: Coroutine[Any, Any, T],
                       caller: _Caller | None = None) -> T:
        """Run within the caller's deadline; map failures to gRPC status codes (the server keeps serving).

        The work runs as its own task: at the deadline, or when the caller cancels, the caller is answered
        (or gone) but the work goes on to its end; cancelling it would stop the turn between its database
        write (a worker thread, which no cancel stops) and its record of what happened."""
        task = asyncio.ensure_future(work)
        try:
            finished, _ = await asyncio.wait((task,), timeout=context.time_remaining())
        except asyncio.CancelledError:
            self._leave(task, caller)
            raise
        if not finished:
            self._leave(task, caller)
            await _abort(context, grpc.StatusCode.DEADLINE_EXCEEDED, "the action did not finish within the deadline")
        try:
            return task.result()
        except Exception as exc:
            code, message = _status_of(exc)
        await _abort(context, code, message)

    def _leave(self, task: asyncio.Task[Any], caller: _Caller | None) -> None:
        """The caller has gone before the work's answer reached it."""
        if caller is not None:
            caller.gone = True
            if task.done() and not task.cancelled() and task.exception() is None and caller.outcome is not None:
                # It finished in the very moment the caller left: its answer was not delivered either.
                self._keep(asyncio.ensure_future(self._record_unheard(caller.user_id, caller.outcome)))
                return
        if task.done():
            _log_failure(task)
        else:
            self._keep(task)

    def _keep(self, task: asyncio.Task[Any]) -> None:
        self._unattended.add(task)
        task.add_done_callback(self._unattended.discard)
        task.add_done_callback(_log_failure)


def _log_failure(task: asyncio.Task[Any]) -> None:
    """Log what unattended work (its caller gone) failed with; nobody else will see it."""
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        code, message = _status_of(exc)
        log.warning("work of a call whose caller left failed: %s: %s", code.name, message)


def _status_of(exc: BaseException) -> tuple[grpc.StatusCode, str]:
    """The gRPC status a failure maps to."""
    if isinstance(exc, TimeoutError):
        return grpc.StatusCode.DEADLINE_EXCEEDED, "the action did not finish within the deadline"
    if isinstance(exc, NoPendingConfirmation):
        return grpc.StatusCode.FAILED_PRECONDITION, str(exc)
    if isinstance(exc, TimeZoneError):
        return grpc.StatusCode.INVALID_ARGUMENT, str(exc)
    if isinstance(exc, _UNAVAILABLE_ERRORS):
        log.warning("database unavailable: %s", exc)
        return grpc.StatusCode.UNAVAILABLE, "the booking database is unavailable; try again shortly"
    if isinstance(exc, DBAPIError):
        log.error("database error", exc_info=exc)
        return grpc.StatusCode.INTERNAL, f"database error ({type(exc.orig).__name__})"
    log.error("action failed", exc_info=exc)
    return grpc.StatusCode.INTERNAL, f"the action agent failed ({type(exc).__name__})"


async def _abort(context: grpc.aio.ServicerContext, code: grpc.StatusCode, message: str) -> NoReturn:
    await context.abort(code, message)
    raise AssertionError("unreachable")


def _id_problem(request_id: str, session_id: str, user_id: int) -> str:
    if not request_id or len(request_id) > MAX_REQUEST_ID_LENGTH:
        return f"request_id is required (1 to {MAX_REQUEST_ID_LENGTH} characters)"
    if not session_id or len(session_id) > MAX_ID_LENGTH:
        return f"session_id is required (1 to {MAX_ID_LENGTH} characters)"
    if user_id <= 0:
        return "user_id must be a positive user id"
    return ""


async def validate_action_request(request: action_pb2.ActionRequest, context: grpc.aio.ServicerContext) -> None:
    """Abort with INVALID_ARGUMENT, naming the field, when the request cannot be acted on."""
    problem = _id_problem(request.request_id, request.session_id, request.user_id)
    if problem:
        pass
    elif request.intent == action_pb2.INTENT_UNSPECIFIED or request.intent not in action_pb2.Intent.values():
        problem = "intent must be set to one of the luna.action.v1.Intent values"
    elif not 0.0 <= request.confidence <= 1.0:
        problem = "confidence must be between 0 and 1"
    elif len(request.utterance) > MAX_UTTERANCE_LENGTH:
        problem = f"utterance is too long (at most {MAX_UTTERANCE_LENGTH} characters)"
    if problem:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, problem)


def _now(stamp: Any | None) -> datetime:
    """The request's "now"; RequestError when the timestamp is outside the range of dates."""
    if stamp is None:
        return datetime.now(UTC)
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError) as exc:
        raise RequestError("now is out of range (a timestamp between years 1 and 9999 is required)") from exc


def intent_name(value: int) -> str:
    return action_pb2.Intent.Name(value).removeprefix("INTENT_").lower()  # type: ignore[arg-type]


def entities_dict(entities: action_pb2.Entities) -> dict[str, Any]:
    """The slots that are set, as plain values."""
    out: dict[str, Any] = {}
    for field, value in entities.ListFields():
        if isinstance(value, str):
            value = value.strip()
            if len(value) > MAX_TEXT_LENGTH:
                raise RequestError(f"entities.{field.name} is too long (at most {MAX_TEXT_LENGTH} characters)")
            if not value:
                continue
        out[field.name] = value
    if "response" in out and out["response"] not in ("accept", "decline"):
        raise RequestError("entities.response must be \"accept\" or \"decline\"")
    return out


def turn_from_request(request: action_pb2.ActionRequest) -> Turn:
    try:
        zone(request.time_zone or "UTC")
    except TimeZoneError as exc:
        raise RequestError(f"time_zone: {exc}") from exc
    context = {"turn_count": request.context.turn_count,
               "previous_intents": [intent_name(i) for i in request.context.previous_intents
                                    if i in action_pb2.Intent.values()],
               "extra": json_format.MessageToDict(request.context.extra)}
    return Turn(request_id=request.request_id, session_id=request.session_id, user_id=request.user_id,
                intent=intent_name(request.intent), entities=entities_dict(request.entities),
                confidence=request.confidence, now=_now(request.now if request.HasField("now") else None),
                time_zone=request.time_zone or "UTC", utterance=request.utterance, context=context)


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def response_from_outcome(outcome: Outcome, request_id: str, session_id: str) -> action_pb2.ActionResponse:
    status = _STATUS.get(outcome.status, action_pb2.ACTION_STATUS_UNSPECIFIED)
    response = action_pb2.ActionResponse(
        request_id=request_id, session_id=session_id, status=status, action=outcome.action,
        result=_struct(outcome.result), speak_text=outcome.speak_text, follow_up_prompt=outcome.follow_up_prompt,
        error_code=outcome.error_code)
    if outcome.confirmation is not None:
        c = outcome.confirmation
        response.confirmation.CopyFrom(action_pb2.PendingConfirmation(
            confirmation_id=c["confirmation_id"], action=c["action"], details=_struct(c["details"]),
            prompt=c["prompt"]))
        response.confirmation.expires_at.FromDatetime(datetime.fromisoformat(c["expires_at"]))
    return response


def list_tools_response() -> action_pb2.ListToolsResponse:
    return action_pb2.ListToolsResponse(tools=[
        action_pb2.Tool(name=t.name, description=t.description, requires_confirmation=t.requires_confirmation,
                        parameters=_struct(t.json_schema())) for t in TOOLS])
