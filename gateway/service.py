"""luna.voice.v1.VoiceGateway: the gRPC face of the voice gateway."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import grpc
from luna.voice.v1 import voice_pb2, voice_pb2_grpc

from gateway.action_client import ActionClient
from gateway.audio.codec import AudioConfigError, negotiate_input, negotiate_output
from gateway.conversation import Conversation, Services
from gateway.sessions import ResumeError, Session, SessionLimitExceeded, SessionRegistry
from gateway.settings import GatewaySettings
from gateway.speech.base import SpeechEngine
from gateway.speech.qwen.session import OUTPUT_SAMPLE_RATE
from gateway.speech.select import create_engine, create_qwen
from gateway.speech.workers import RecognitionPool
from gateway.understanders import Understanders, UpdateSpeech
from gateway.understanding import to_proto
from luna_common.tokens import TokenClaims, TokenError, bearer_token, verify_token
from luna_common.vocabulary import Vocabulary

log = logging.getLogger(__name__)

DEFAULT_TIME_ZONE = "UTC"


def _valid_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class VoiceGatewayServicer(voice_pb2_grpc.VoiceGatewayServicer):
    def __init__(self, settings: GatewaySettings, token_secret: str) -> None:
        self.settings = settings
        self.token_secret = token_secret
        engine = create_engine(settings)
        qwen = create_qwen(settings) if engine is not None else None
        action = ActionClient(settings.action_agent_address, settings.action_timeout_seconds,
                              settings.action_connections)
        recognition = RecognitionPool(settings, settings.asr_workers) if engine and settings.asr_workers else None
        self.services = Services(
            settings=settings,
            registry=SessionRegistry(settings.max_sessions, settings.max_sessions_per_user,
                                     settings.idle_timeout_seconds),
            action=action, understanders=Understanders(action, self._speech_updater(engine, recognition)),
            engine=engine, recognition=recognition, qwen=qwen)
        self._stats_task: asyncio.Task[None] | None = None

    @staticmethod
    def _speech_updater(engine: SpeechEngine | None, recognition: RecognitionPool | None) -> UpdateSpeech | None:
        """Where new vocabulary goes: the recognition workers, else the in-process engine."""
        if recognition is not None:
            return recognition.update_vocabulary
        if engine is None:
            return None
        engine_ = engine

        async def update(vocabulary: Vocabulary) -> None:
            await asyncio.to_thread(engine_.update_vocabulary, vocabulary)

        return update

    async def start(self) -> None:
        """Load the models before serving, so the first turns do not pay for them."""
        jobs: list[Awaitable[object]] = [self.services.understanders.default()]
        if self.services.recognition is not None:
            jobs.append(self.services.recognition.start())
        await asyncio.gather(*jobs)

    @property
    def registry(self) -> SessionRegistry:
        return self.services.registry

    # ---- Converse ----

    async def Converse(
        self, request_iterator: AsyncIterator[voice_pb2.ClientEvent], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[voice_pb2.ServerEvent]:
        self._ensure_stats()
        first = await anext(request_iterator, None)
        if first is None or first.WhichOneof("event") != "start":
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the first event of Converse must be start")
            return
        start = first.start
        try:
            claims = verify_token(start.session_token, self.token_secret)
        except TokenError as exc:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(exc))
            return
        time_zone = start.time_zone or DEFAULT_TIME_ZONE
        if not _valid_time_zone(time_zone):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown time_zone {start.time_zone!r}")
            return
        try:
            input_audio = negotiate_input(start.input_audio)
            # Qwen speaks at 24 kHz: a Qwen session sends that rate unless the client asked for another.
            qwen = self.services.qwen
            default_rate = (OUTPUT_SAMPLE_RATE if qwen is not None and not start.text_only and qwen.available()
                            else self.settings.output_sample_rate)
            output_audio = negotiate_output(start.output_audio, default_rate)
        except AudioConfigError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            return
        try:
            session, resumed = self._open_session(claims, start, time_zone)
        except SessionLimitExceeded as exc:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
            return
        except ResumeError as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
            return

        conversation = Conversation(self.services, session, input_audio, output_audio, start.text_only)
        if session.connection is not None:
            session.connection.supersede()
        session.connection = conversation
        session.touch()
        engine = await conversation.start_engine()
        log.info("session connected", extra={"event": "connected", "session_id": session.id,
                                             "user_id": session.user_id, "resumed": resumed, "engine": engine})
        yield voice_pb2.ServerEvent(connected=voice_pb2.Connected(
            session_id=session.id, resume_token=session.resume_token, input_audio=input_audio,
            output_audio=output_audio if not conversation.text_only else voice_pb2.AudioConfig(),
            engine=engine,
            idle_timeout_seconds=int(self.settings.idle_timeout_seconds), resumed=resumed))
        conversation.greet(resumed)
        reader = asyncio.get_running_loop().create_task(conversation.read(request_iterator))
        # However reading ends (the client vanished, a bug), the stream must not wait forever for output.
        reader.add_done_callback(lambda _: conversation.out.close())
        try:
            async for event, on_sent in conversation.out.events():
                yield event
                if on_sent is not None:
                    on_sent()
            if conversation.abort_status is not None:
                await context.abort(*conversation.abort_status)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
            await conversation.shutdown()

    def _open_session(self, claims: TokenClaims, start: voice_pb2.Start, time_zone: str) -> tuple[Session, bool]:
        if start.resume_token:
            session = self.registry.resume(claims.user_id, start.resume_token)
            if start.time_zone:
                session.time_zone = time_zone
            return session, True
        return self.registry.create(claims.user_id, time_zone), False

    # ---- unary calls ----

    async def _caller(self, context: grpc.aio.ServicerContext) -> TokenClaims:
        try:
            return verify_token(bearer_token(context.invocation_metadata()), self.token_secret)
        except TokenError as exc:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED,
                                f"{exc} (send metadata 'authorization: Bearer <token>')")
            raise AssertionError("unreachable") from exc

    async def _own_session(self, session_id: str, context: grpc.aio.ServicerContext) -> Session:
        claims = await self._caller(context)
        if not session_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "session_id is required")
        session = self.registry.get(session_id, claims.user_id)
        if session is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no session {session_id!r} for this user")
            raise AssertionError("unreachable")
        return session

    async def GetSession(
        self, request: voice_pb2.GetSessionRequest, context: grpc.aio.ServicerContext
    ) -> voice_pb2.GetSessionResponse:
        session = await self._own_session(request.session_id, context)
        return voice_pb2.GetSessionResponse(session=session.info())

    async def EndSession(
        self, request: voice_pb2.EndSessionRequest, context: grpc.aio.ServicerContext
    ) -> voice_pb2.EndSessionResponse:
        session = await self._own_session(request.session_id, context)
        info = self.registry.end(session, voice_pb2.END_REASON_ENDED_BY_API, "ended through EndSession")
        return voice_pb2.EndSessionResponse(session=info)

    async def Understand(
        self, request: voice_pb2.UnderstandRequest, context: grpc.aio.ServicerContext
    ) -> voice_pb2.UnderstandResponse:
        claims = await self._caller(context)
        text = request.text.strip()
        if not text or len(text) > self.settings.max_text_chars:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                f"text is required (1 to {self.settings.max_text_chars} characters)")
        time_zone = request.time_zone or DEFAULT_TIME_ZONE
        if request.session_id:
            session = await self._own_session(request.session_id, context)
            time_zone = request.time_zone or session.time_zone
        if not _valid_time_zone(time_zone):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown time_zone {request.time_zone!r}")
        zone = ZoneInfo(time_zone)
        now = request.now.ToDatetime(tzinfo=UTC).astimezone(zone) if request.HasField("now") else datetime.now(zone)
        understander = await self.services.understanders.for_user(claims.user_id)
        understanding = await asyncio.to_thread(understander.understand, text, now, time_zone)
        intent, confidence, entities = to_proto(understanding)
        return voice_pb2.UnderstandResponse(intent=intent, confidence=confidence, entities=entities)

    # ---- health ----

    def stats(self) -> dict[str, float]:
        sessions = list(self.registry.sessions())
        return {"active_sessions": len(sessions),
                "connected_sessions": sum(1 for s in sessions if s.connection is not None),
                "avg_latency_ms": round(self.registry.average_latency_ms(), 1)}

    def _ensure_stats(self) -> None:
        if self._stats_task is None or self._stats_task.done():
            self._stats_task = asyncio.get_running_loop().create_task(self._log_stats())

    async def _log_stats(self) -> None:
        while True:
            await asyncio.sleep(self.settings.stats_interval_seconds)
            log.info("gateway stats", extra={"event": "gateway_stats", **self.stats()})

    async def close(self) -> None:
        if self._stats_task is not None:
            self._stats_task.cancel()
        await self.registry.close()
        await self.services.action.close()
        if self.services.recognition is not None:
            self.services.recognition.close()
