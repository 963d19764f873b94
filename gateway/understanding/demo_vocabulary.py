"""The built-in demo vocabulary: a small set of venue and friend names for use without a store.

Used when the domain store is not available (tests, evaluation, `luna understand` without a database).
The seeded domain store (action_agent/store/demo_city.py) differs: its demo user's friends share six of these
eight names (Liam and Sofia instead of Olivia and Sam), and only 13 of these 39 venues are among its 158. With a
store, the user hears the store's names.
"""

from __future__ import annotations

from gateway.understanding.lexicon import CANONICAL_CUISINES
from luna_common.vocabulary import VenueName, Vocabulary

# (name, aliases, cuisines): invented New York restaurants plus the names the spec's examples use.
_VENUES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Olive Garden", (), ("italian",)),
    ("The Blue Plate", ("Blue Plate",), ("american",)),
    ("Carrabba's Italian Grill", ("Carrabba's", "carrabbas"), ("italian",)),
    ("Starbucks", (), ("cafe",)),
    ("Sushi Zen", ("Sushi Zen on 5th",), ("sushi", "japanese")),
    ("Sushi Zen Express", (), ("sushi", "japanese")),
    ("Joe's Pizza", (), ("pizza",)),
    ("Pho Saigon", (), ("vietnamese",)),
    ("Taj Mahal Kitchen", ("Taj Mahal",), ("indian",)),
    ("El Toro Taqueria", ("El Toro",), ("mexican",)),
    ("Le Petit Bistro", (), ("french",)),
    ("Seoul Garden", (), ("korean",)),
    ("Prime Cut Steakhouse", ("Prime Cut",), ("steakhouse",)),
    ("Bella Napoli", (), ("italian", "pizza")),
    ("Golden Dragon", ("The Golden Dragon",), ("chinese",)),
    ("Bangkok Street Kitchen", ("Bangkok Street",), ("thai",)),
    ("Ramen Ichiban", (), ("ramen", "japanese")),
    ("Athena Taverna", (), ("greek",)),
    ("Hudson Smokehouse", (), ("bbq",)),
    ("The Lobster Pot", ("Lobster Pot",), ("seafood",)),
    ("Verde Vegetarian", (), ("vegetarian",)),
    ("Burger Barn", (), ("burgers",)),
    ("Casa Madrid", (), ("spanish",)),
    ("Falafel King", (), ("middle eastern",)),
    ("Aegean Table", (), ("mediterranean",)),
    ("Brooklyn Diner", (), ("american",)),
    ("Morning Glory Cafe", (), ("cafe",)),
    ("Empire Steakhouse", (), ("steakhouse",)),
    ("Lucky Noodle", (), ("chinese",)),
    ("Sichuan House", (), ("chinese",)),
    ("Naan Stop", (), ("indian",)),
    ("Tokyo Table", (), ("japanese",)),
    ("Kimchi House", (), ("korean",)),
    ("Harbor Oyster Bar", (), ("seafood",)),
    ("Marco's Trattoria", (), ("italian",)),
    ("Mykonos Grill", (), ("greek",)),
    ("Shake Shack", (), ("burgers",)),
    ("The Daily Grind", ("Daily Grind",), ("cafe",)),
    ("Casa Oaxaca", (), ("mexican",)),
)

DEMO_FRIENDS: tuple[str, ...] = ("Sarah", "John", "Priya", "Marcus", "Emma", "David", "Olivia", "Sam")


def demo_vocabulary() -> Vocabulary:
    """The demo city's vocabulary (venue ids are local to this list: the store assigns its own)."""
    venues = tuple(
        VenueName(venue_id=i, name=name, aliases=aliases, cuisines=cuisines)
        for i, (name, aliases, cuisines) in enumerate(_VENUES, start=1)
    )
    return Vocabulary(venues=venues, friend_names=DEMO_FRIENDS, cuisines=CANONICAL_CUISINES).with_version()
