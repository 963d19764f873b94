"""One turn's meaning and action: understanding → Execute or Confirm → the reply to speak.

Independent of audio and of the stream: the conversation hands it a user
text (recognised or typed) and gets back what to say. The action call runs in
its own task shielded from interruption, so an action that was sent always
completes once (the request_id is its idempotency key) and its result lands
in the session context even if the reply is never spoken.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from google.protobuf.struct_pb2 import Struct
from google.protobuf.timestamp_pb2 import Timestamp
from luna.action.v1 import action_pb2
from luna.voice.v1 import voice_pb2

from gateway.action_client import ActionClient, ActionUnavailable
from gateway.sessions import Session
from gateway.understanding import Understander, to_proto

log = logging.getLogger(__name__)

# Spec §13.2 wording.
SPEECH_UNCLEAR = "I didn't catch that. Could you please repeat?"
SERVICE_UNAVAILABLE = "I'm having some technical difficulties right now. Please try again in a few minutes."
FAILURE_WORDING = {
    "venue_not_found": "I couldn't find that venue. Could you give me more details or try a different name?",
    "booking_failed": "I wasn't able to complete that booking. Would you like me to try a different time or venue?",
    "intent_unclear": "I'm not sure what you'd like to do. You can ask me to find restaurants, make bookings, "
                      "or connect with friends.",
}

Emit = Callable[[voice_pb2.ServerEvent], None]
OnState = Callable[[voice_pb2.SessionState.ValueType], None]


@dataclass
class TurnTimings:
    # Monotonic time of the user's end of speech (or of the text arriving).
    started: float = field(default_factory=time.monotonic)
    endpointing_ms: float = 0.0
    asr_ms: float = 0.0
    understanding_ms: float = 0.0
    action_ms: float = 0.0
    tts_first_chunk_ms: float = 0.0

    def metrics(self, turn_id: str, total_ms: float) -> voice_pb2.ServerEvent:
        return voice_pb2.ServerEvent(turn_metrics=voice_pb2.TurnMetrics(
            turn_id=turn_id, endpointing_ms=round(self.endpointing_ms, 1), asr_ms=round(self.asr_ms, 1),
            understanding_ms=round(self.understanding_ms, 1), action_ms=round(self.action_ms, 1),
            tts_first_chunk_ms=round(self.tts_first_chunk_ms, 1), total_ms=round(total_ms, 1)))


@dataclass
class TurnOutcome:
    reply_text: str
    status: action_pb2.ActionStatus.ValueType = action_pb2.ACTION_STATUS_UNSPECIFIED
    error: voice_pb2.Error | None = None

    @property
    def asks_user(self) -> bool:
        return self.status in (action_pb2.ACTION_STATUS_NEEDS_CONFIRMATION,
                               action_pb2.ACTION_STATUS_NEEDS_CLARIFICATION)


def error_event(code: str, message: str, retryable: bool) -> voice_pb2.ServerEvent:
    return voice_pb2.ServerEvent(error=voice_pb2.Error(code=code, message=message, retryable=retryable))


def unclear_outcome(code: str = "speech_unclear", message: str = "no words were recognised in that turn"
                    ) -> TurnOutcome:
    return TurnOutcome(SPEECH_UNCLEAR, error=voice_pb2.Error(code=code, message=message, retryable=True))


def _struct(value: dict[str, Any]) -> Struct:
    s = Struct()
    # JSON round trip: entity values may be dates or other non-Struct types.
    s.update(json.loads(json.dumps(value, default=str)))
    return s


def _timestamp(moment: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(moment)
    return ts


def reply_text(response: action_pb2.ActionResponse) -> str:
    if response.status == action_pb2.ACTION_STATUS_NEEDS_CONFIRMATION:
        return response.confirmation.prompt or response.speak_text
    text = " ".join(t.strip() for t in (response.speak_text, response.follow_up_prompt) if t.strip())
    if not text and response.status == action_pb2.ACTION_STATUS_FAILED:
        text = FAILURE_WORDING.get(response.error_code, FAILURE_WORDING["booking_failed"])
    return text


class TurnLogic:
    def __init__(self, session: Session, action: ActionClient, engine_name: str, emit: Emit,
                 on_state: OnState) -> None:
        self.session = session
        self.action = action
        self.engine_name = engine_name
        self.emit = emit
        self.on_state = on_state

    def now(self) -> datetime:
        return datetime.now(ZoneInfo(self.session.time_zone))

    async def understand(self, understander: Understander, text: str
                         ) -> tuple[action_pb2.Intent.ValueType, float, action_pb2.Entities, dict[str, Any]]:
        understanding = await asyncio.to_thread(understander.understand, text, self.now(), self.session.time_zone)
        intent, confidence, entities = to_proto(understanding)
        return intent, confidence, entities, dict(understanding.entities)

    async def run_text(self, understander: Understander, turn_id: str, text: str,
                       timings: TurnTimings) -> TurnOutcome:
        """A user utterance: understand it, then confirm the pending action or execute a new one."""
        ctx = self.session.context
        ctx.turn_count += 1
        started = time.monotonic()
        intent, confidence, entities, entity_dict = await self.understand(understander, text)
        timings.understanding_ms = (time.monotonic() - started) * 1000
        ctx.entities_mentioned.update({k: v for k, v in entity_dict.items() if v not in (None, "", [])})
        pending = ctx.pending_confirmation
        if pending is not None and intent in (action_pb2.INTENT_CONFIRM, action_pb2.INTENT_DENY):
            ctx.recent_intents.append(intent)
            return await self.confirm(turn_id, pending.confirmation_id, intent == action_pb2.INTENT_CONFIRM, timings)
        request = action_pb2.ActionRequest(
            request_id=f"{self.session.id}:{turn_id}", session_id=self.session.id, user_id=self.session.user_id,
            intent=intent, entities=entities, confidence=confidence,
            context=action_pb2.ActionContext(
                turn_count=ctx.turn_count, previous_intents=list(ctx.recent_intents),
                extra=_struct({"engine": self.engine_name, "entities_mentioned": ctx.entities_mentioned})),
            now=_timestamp(self.now()), time_zone=self.session.time_zone, utterance=text)
        ctx.recent_intents.append(intent)
        return await self._act(self.action.execute(request), timings, answers_confirmation=False)

    async def confirm(self, turn_id: str, confirmation_id: str, confirmed: bool,
                      timings: TurnTimings) -> TurnOutcome:
        request = action_pb2.ConfirmRequest(
            request_id=f"{self.session.id}:{turn_id}:confirm", session_id=self.session.id,
            user_id=self.session.user_id, confirmation_id=confirmation_id, confirmed=confirmed,
            now=_timestamp(self.now()))
        return await self._act(self.action.confirm(request), timings, answers_confirmation=True)

    async def _act(self, call: Any, timings: TurnTimings, answers_confirmation: bool) -> TurnOutcome:
        self.on_state(voice_pb2.SESSION_STATE_EXECUTING)
        started = time.monotonic()
        task = asyncio.get_running_loop().create_task(self._complete(call, answers_confirmation))
        # Shielded: interrupting the turn stops the reply, never the action.
        outcome = await asyncio.shield(task)
        timings.action_ms = (time.monotonic() - started) * 1000
        return outcome

    async def _complete(self, call: Any, answers_confirmation: bool) -> TurnOutcome:
        session, ctx = self.session, self.session.context
        try:
            response: action_pb2.ActionResponse = await call
        except ActionUnavailable as exc:
            log.warning("action agent unavailable", extra={"event": "action_unavailable",
                                                           "session_id": session.id, "error": str(exc)})
            session.metrics.errors += 1
            error = voice_pb2.Error(code="service_unavailable", retryable=True,
                                    message=f"the action service is unavailable ({exc.code.name}: {exc.details})")
            self.emit(voice_pb2.ServerEvent(error=error))
            return TurnOutcome(SERVICE_UNAVAILABLE, action_pb2.ACTION_STATUS_FAILED)
        ctx.last_result = response
        if response.status == action_pb2.ACTION_STATUS_NEEDS_CONFIRMATION:
            ctx.pending_confirmation = response.confirmation
        elif answers_confirmation:
            ctx.pending_confirmation = None
        if response.status == action_pb2.ACTION_STATUS_SUCCESS and response.action:
            session.metrics.actions_executed += 1
        self.emit(voice_pb2.ServerEvent(action_result=voice_pb2.ActionResult(
            action=response.action, status=response.status, result=response.result, speak_text=response.speak_text,
            follow_up_prompt=response.follow_up_prompt, error_code=response.error_code)))
        if response.status == action_pb2.ACTION_STATUS_NEEDS_CONFIRMATION:
            self.emit(confirmation_event(response.confirmation))
        return TurnOutcome(reply_text(response), response.status)


def confirmation_event(pending: action_pb2.PendingConfirmation) -> voice_pb2.ServerEvent:
    return voice_pb2.ServerEvent(action_confirmation=voice_pb2.ActionConfirmation(
        confirmation_id=pending.confirmation_id, action=pending.action, details=pending.details,
        prompt=pending.prompt, expires_at=pending.expires_at))


def new_turn_id() -> str:
    return uuid.uuid4().hex[:16]
