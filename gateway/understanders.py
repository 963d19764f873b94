"""Understanders per user vocabulary, and keeping the speech engine's vocabulary current.

The action agent owns the names (venues, cuisines, the user's friends). They
are fetched once per user per refresh interval; an Understander is built per
vocabulary version and shared by every session with that version. When the
agent cannot answer, understanding still works with its built-in vocabulary.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from gateway.action_client import ActionClient
from gateway.understanding import Understander
from luna_common.vocabulary import Vocabulary

UpdateSpeech = Callable[[Vocabulary], Awaitable[None]]

log = logging.getLogger(__name__)

REFRESH_SECONDS = 300.0
MAX_CACHED = 64


@dataclass
class _UserEntry:
    fetched_at: float
    version: str


class Understanders:
    def __init__(self, action: ActionClient, update_speech: UpdateSpeech | None) -> None:
        self._action = action
        self._update_speech = update_speech
        self._default: Understander | None = None
        self._by_version: dict[str, Understander] = {}
        self._users: dict[int, _UserEntry] = {}
        self._friends: set[str] = set()
        self._engine_version = ""
        self._lock = asyncio.Lock()

    async def default(self) -> Understander:
        if self._default is None:
            self._default = await asyncio.to_thread(Understander)
        return self._default

    async def for_user(self, user_id: int) -> Understander:
        entry = self._users.get(user_id)
        if entry is not None and time.monotonic() - entry.fetched_at < REFRESH_SECONDS:
            return self._by_version.get(entry.version) or await self.default()
        async with self._lock:
            try:
                vocabulary = (await self._action.vocabulary(user_id)).with_version()
            except Exception as exc:  # the agent is down or lacks GetVocabulary: built-in names still work
                log.warning("vocabulary unavailable", extra={"event": "vocabulary_unavailable",
                                                             "user_id": user_id, "error": str(exc)})
                self._users[user_id] = _UserEntry(time.monotonic(), "")
                return await self.default()
            understander = self._by_version.get(vocabulary.version)
            if understander is None:
                if len(self._by_version) >= MAX_CACHED:
                    self._by_version.pop(next(iter(self._by_version)))
                understander = await asyncio.to_thread(Understander, vocabulary)
                self._by_version[vocabulary.version] = understander
            self._users[user_id] = _UserEntry(time.monotonic(), vocabulary.version)
            try:
                await self._update_engine(vocabulary)
            except Exception as exc:  # recognition keeps its previous names; understanding has the new ones
                self._engine_version = ""
                log.warning("speech vocabulary update failed", extra={"event": "speech_vocabulary_failed",
                                                                      "error": str(exc)})
            return understander

    async def _update_engine(self, vocabulary: Vocabulary) -> None:
        """The engine is shared by all sessions: it learns the venues and every connected user's friends."""
        if self._update_speech is None:
            return
        self._friends.update(vocabulary.friend_names)
        merged = Vocabulary(vocabulary.venues, tuple(sorted(self._friends)), vocabulary.cuisines).with_version()
        if merged.version != self._engine_version:
            self._engine_version = merged.version
            await self._update_speech(merged)
