"""The vocabulary Luna listens for: venue names and aliases, cuisines, and the user's friends' first names."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from action_agent.domain.social import SocialService
from action_agent.domain.venues import CANONICAL_CUISINES, VenueService
from luna_common.vocabulary import Vocabulary


def load_vocabulary(sessions: sessionmaker[Session], user_id: int) -> Vocabulary:
    """The user's vocabulary with a content digest as its version."""
    venues = tuple(VenueService(sessions).all_venue_names())
    friends = tuple(dict.fromkeys(f.first_name for f in SocialService(sessions).list_friends(user_id)))
    return Vocabulary(venues=venues, friend_names=friends, cuisines=CANONICAL_CUISINES).with_version()
