"""Voice sessions: identity, multi-turn context (spec §6.3), metrics, resume and inactivity expiry.

Sessions live in memory only. A session outlives its connection: when the
stream drops it waits, detached, until it is resumed with its resume token or
its inactivity timeout passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
import time
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from google.protobuf.timestamp_pb2 import Timestamp
from luna.action.v1 import action_pb2
from luna.voice.v1 import voice_pb2

log = logging.getLogger(__name__)

RECENT_INTENTS = 5
RECENT_LATENCIES = 200


class SessionLimitExceeded(Exception):
    pass


class ResumeError(Exception):
    pass


class Connection(Protocol):
    """The live Converse stream a session is attached to."""

    def close(self, reason: voice_pb2.EndReason.ValueType, message: str) -> None:
        """Send session_ended with `reason` and finish the stream."""
        ...

    def supersede(self) -> None:
        """Finish the stream without ending the session (another connection resumed it)."""
        ...


@dataclass
class ConversationContext:
    turn_count: int = 0
    recent_intents: deque[action_pb2.Intent.ValueType] = field(default_factory=lambda: deque(maxlen=RECENT_INTENTS))
    entities_mentioned: dict[str, Any] = field(default_factory=dict)
    pending_confirmation: action_pb2.PendingConfirmation | None = None
    # The latest action response, kept even when its reply was interrupted and never spoken.
    last_result: action_pb2.ActionResponse | None = None


@dataclass
class SessionMetrics:
    total_audio_seconds: float = 0.0
    actions_executed: int = 0
    errors: int = 0
    turn_latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=50))


class Session:
    def __init__(self, user_id: int, time_zone: str) -> None:
        self.id = str(uuid.uuid4())
        self.user_id = user_id
        self.time_zone = time_zone
        self.created_at = datetime.now(UTC)
        self.resume_token = secrets.token_urlsafe(24)
        self.state: voice_pb2.SessionState.ValueType = voice_pb2.SESSION_STATE_IDLE
        self.context = ConversationContext()
        self.metrics = SessionMetrics()
        self.last_activity = time.monotonic()
        # Turns in flight (processing, executing or speaking) keep the session from idling out.
        self.busy = 0
        self.connection: Connection | None = None
        self.ended = False
        # One action at a time per session, in turn order.
        self.action_lock = asyncio.Lock()

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def info(self) -> voice_pb2.SessionInfo:
        created = Timestamp()
        created.FromDatetime(self.created_at)
        return voice_pb2.SessionInfo(
            session_id=self.id, user_id=self.user_id, state=self.state, created_at=created,
            turn_count=self.context.turn_count, actions_executed=self.metrics.actions_executed,
            total_audio_seconds=round(self.metrics.total_audio_seconds, 3), errors=self.metrics.errors,
            connected=self.connection is not None,
        )


class SessionRegistry:
    def __init__(self, max_sessions: int, max_sessions_per_user: int, idle_timeout_seconds: float) -> None:
        self.max_sessions = max_sessions
        self.max_sessions_per_user = max_sessions_per_user
        self.idle_timeout_seconds = idle_timeout_seconds
        self._sessions: dict[str, Session] = {}
        self._latencies: deque[float] = deque(maxlen=RECENT_LATENCIES)
        self._sweeper: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._sessions)

    def sessions(self) -> Iterable[Session]:
        return list(self._sessions.values())

    def create(self, user_id: int, time_zone: str) -> Session:
        if len(self._sessions) >= self.max_sessions:
            raise SessionLimitExceeded(f"the gateway is at its limit of {self.max_sessions} sessions; try again later")
        mine = [s for s in self._sessions.values() if s.user_id == user_id]
        detached = sorted((s for s in mine if s.connection is None and not s.busy), key=lambda s: s.last_activity)
        if len(mine) >= self.max_sessions_per_user and detached:
            # The user started afresh instead of resuming: their stalest dropped session gives way.
            self.end(detached[0], voice_pb2.END_REASON_CLIENT_ENDED, "replaced by a new session of the same user")
            mine.remove(detached[0])
        if len(mine) >= self.max_sessions_per_user:
            raise SessionLimitExceeded(
                f"user {user_id} already has {len(mine)} open sessions (limit {self.max_sessions_per_user}); "
                "end one or resume it with its resume token"
            )
        session = Session(user_id, time_zone)
        self._sessions[session.id] = session
        self._ensure_sweeper()
        return session

    def resume(self, user_id: int, resume_token: str) -> Session:
        for session in self._sessions.values():
            if hmac.compare_digest(session.resume_token, resume_token):
                if session.user_id != user_id:
                    break  # Someone else's token: answer exactly as for an unknown one.
                return session
        raise ResumeError("unknown or expired resume token; start a new session")

    def get(self, session_id: str, user_id: int) -> Session | None:
        """The session when it exists and belongs to `user_id` (others' sessions are invisible)."""
        session = self._sessions.get(session_id)
        return session if session is not None and session.user_id == user_id else None

    def end(self, session: Session, reason: voice_pb2.EndReason.ValueType, message: str = "") -> voice_pb2.SessionInfo:
        """End a session for good: tell its connection (if any) and forget it."""
        if not session.ended:
            session.ended = True
            session.state = voice_pb2.SESSION_STATE_IDLE
            self._sessions.pop(session.id, None)
            if session.connection is not None:
                session.connection.close(reason, message)
            log.info("session ended", extra={"event": "session_ended", "session_id": session.id,
                                             "reason": voice_pb2.EndReason.Name(reason),
                                             "turns": session.context.turn_count})
        return session.info()

    def record_latency(self, session: Session, total_ms: float) -> None:
        session.metrics.turn_latencies_ms.append(total_ms)
        self._latencies.append(total_ms)

    def average_latency_ms(self) -> float:
        return sum(self._latencies) / len(self._latencies) if self._latencies else 0.0

    def expire_idle(self, now: float | None = None) -> list[Session]:
        now = time.monotonic() if now is None else now
        expired = [s for s in self._sessions.values()
                   if not s.busy and now - s.last_activity >= self.idle_timeout_seconds]
        for session in expired:
            self.end(session, voice_pb2.END_REASON_IDLE_TIMEOUT,
                     f"no activity for {self.idle_timeout_seconds:g} seconds")
        return expired

    def _ensure_sweeper(self) -> None:
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    async def _sweep(self) -> None:
        # Check often enough that a session ends within ~10% (at most 1 s) of its timeout.
        interval = min(1.0, self.idle_timeout_seconds / 10)
        while self._sessions:
            await asyncio.sleep(interval)
            self.expire_idle()

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
