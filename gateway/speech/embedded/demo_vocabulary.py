"""The vocabulary the recogniser starts with before the action agent sends the live one: the demo city's names.

The understanding package owns the demo vocabulary (the store's seed uses the same names); this copy only
stands in when that package is not importable, so the engine still starts with Luna's names.
Replaced through EmbeddedEngine.update_vocabulary as soon as the gateway receives GetVocabulary.
"""

from __future__ import annotations

from luna_common.vocabulary import VenueName, Vocabulary

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

FRIENDS = ("Sarah", "John", "Priya", "Marcus", "Emma", "David", "Olivia", "Sam")

CUISINES = ("italian", "sushi", "japanese", "ramen", "thai", "mexican", "indian", "chinese", "korean", "vietnamese",
            "french", "mediterranean", "greek", "american", "steakhouse", "seafood", "pizza", "burgers", "vegetarian",
            "cafe", "bbq", "middle eastern", "spanish")


def demo_vocabulary() -> Vocabulary:
    try:
        from gateway.understanding.demo_vocabulary import demo_vocabulary as shared
    except ImportError:
        return Vocabulary(tuple(VenueName(i, name, aliases, cuisines)
                                for i, (name, aliases, cuisines) in enumerate(_VENUES, start=1)),
                          FRIENDS, CUISINES).with_version()
    return shared()
