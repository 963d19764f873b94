"""The names Luna must recognise and understand: venues (with aliases), cuisines and the user's friends.

Built by the action agent from the domain store (ActionService.GetVocabulary) and
used by the gateway's understanding and speech recognition.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class VenueName:
    venue_id: int
    name: str
    aliases: tuple[str, ...] = ()
    cuisines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    venues: tuple[VenueName, ...] = ()
    friend_names: tuple[str, ...] = ()
    cuisines: tuple[str, ...] = ()
    version: str = field(default="")

    def with_version(self) -> Vocabulary:
        """A copy whose version is a digest of the content, so caches can tell when to rebuild."""
        body = json.dumps([asdict(v) for v in self.venues] + [list(self.friend_names), list(self.cuisines)],
                          sort_keys=True)
        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        return Vocabulary(self.venues, self.friend_names, self.cuisines, digest)
