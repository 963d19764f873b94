"""Friend resolution: what the domain's name search found, read as found / ambiguous / not found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from action_agent.domain.views import UserView


@dataclass(frozen=True)
class FriendResolution:
    outcome: Literal["found", "ambiguous", "not_found"]
    friend: UserView | None = None
    options: list[str] = field(default_factory=list)


def interpret_matches(matches: Sequence[UserView], all_friends: Sequence[UserView]) -> FriendResolution:
    """`matches`: the user's friends matching the spoken name, best first (SocialService.find_friend_by_name)."""
    if len(matches) == 1:
        return FriendResolution("found", matches[0])
    if matches:
        # Same first name twice: say the full names so the user can tell them apart.
        firsts = [m.first_name for m in matches]
        names = [m.name if firsts.count(m.first_name) > 1 else m.first_name for m in matches]
        return FriendResolution("ambiguous", options=names[:3])
    return FriendResolution("not_found", options=[f.first_name for f in all_friends[:3]])
