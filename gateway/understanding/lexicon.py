"""Domain lexicons: the words people use for cuisines, prices, distances, occasions and invite answers.

All keys are in normalized form (see text.py): lowercase, apostrophes removed, number words as digits.
"""

from __future__ import annotations

CANONICAL_CUISINES: tuple[str, ...] = (
    "italian", "sushi", "japanese", "ramen", "thai", "mexican", "indian", "chinese", "korean", "vietnamese",
    "french", "mediterranean", "greek", "american", "steakhouse", "seafood", "pizza", "burgers", "vegetarian",
    "cafe", "bbq", "middle eastern", "spanish",
)

# Surface phrase -> canonical cuisine. Dishes map to the cuisine a diner would search for.
CUISINE_SYNONYMS: dict[str, str] = {
    **{c: c for c in CANONICAL_CUISINES},
    "pasta": "italian", "trattoria": "italian",
    "sashimi": "sushi", "omakase": "sushi",
    "noodles": "ramen", "noodle": "ramen", "ramen noodles": "ramen",
    "pad thai": "thai",
    "tacos": "mexican", "taco": "mexican", "burritos": "mexican", "burrito": "mexican", "taqueria": "mexican",
    "curry": "indian", "curries": "indian", "tikka masala": "indian",
    "dim sum": "chinese", "dumplings": "chinese", "szechuan": "chinese", "sichuan": "chinese",
    "korean bbq": "korean", "kbbq": "korean",
    "pho": "vietnamese", "banh mi": "vietnamese",
    "gyro": "greek", "gyros": "greek",
    "diner": "american",
    "steak": "steakhouse", "steaks": "steakhouse", "steakhouses": "steakhouse", "steak house": "steakhouse",
    "fish": "seafood", "oysters": "seafood", "oyster": "seafood", "lobster": "seafood",
    "pizzas": "pizza", "pizzeria": "pizza", "slice": "pizza",
    "burger": "burgers", "hamburger": "burgers", "hamburgers": "burgers",
    "vegan": "vegetarian", "veggie": "vegetarian", "plant based": "vegetarian",
    "coffee": "cafe", "coffee shop": "cafe", "cafes": "cafe", "espresso": "cafe",
    "barbecue": "bbq", "barbeque": "bbq",
    "falafel": "middle eastern", "shawarma": "middle eastern", "kebab": "middle eastern", "lebanese": "middle eastern",
    "tapas": "spanish", "paella": "spanish",
}

PRICE_WORDS: dict[str, int] = {
    "cheap": 1, "cheapest": 1, "inexpensive": 1, "budget": 1, "budget friendly": 1, "affordable": 1,
    "low cost": 1, "low budget": 1,
    "mid range": 2, "midrange": 2, "moderate": 2, "moderately priced": 2, "mid priced": 2,
    "reasonably priced": 2, "not too expensive": 2,
    "upscale": 3, "pricey": 3, "expensive": 3, "classy": 3,
    "fancy": 4, "fanciest": 4, "luxury": 4, "luxurious": 4, "high end": 4, "fine dining": 4, "splurge": 4,
}

NEARBY_PHRASES: tuple[str, ...] = (
    "nearby", "near by", "near me", "near here", "around here", "close by", "close to me", "close to here",
    "in the area", "walking distance", "closest", "nearest", "around me", "in my neighborhood",
)

KM_PER_UNIT: dict[str, float] = {
    "mile": 1.609344, "miles": 1.609344, "mi": 1.609344,
    "km": 1.0, "kms": 1.0, "kilometer": 1.0, "kilometers": 1.0, "kilometre": 1.0, "kilometres": 1.0,
}

# Phrase -> occasion. "romantic" alone is not a date: it also describes anniversaries.
OCCASION_PHRASES: dict[str, str] = {
    "anniversary": "anniversary",
    "birthday": "birthday", "bday": "birthday",
    "date night": "date", "a date": "date", "first date": "date", "dinner date": "date", "romantic date": "date",
    "business": "business", "client dinner": "business", "client lunch": "business", "work dinner": "business",
    "work lunch": "business",
}

# Invite answers; declines are checked first ("i would love to but i cant make it").
DECLINE_PHRASES: tuple[str, ...] = (
    "decline", "reject", "turn down", "say no", "respond no", "rsvp no", "answer no", "cant make it", "cant go",
    "cannot make it", "cannot go", "wont make it", "not going", "pass on", "ill pass", "im going to pass",
    "no thanks", "not coming", "cant come", "skip it",
)
ACCEPT_PHRASES: tuple[str, ...] = (
    "accept", "im in", "count me in", "ill be there", "ill go", "ill come", "ill join", "say yes", "respond yes",
    "rsvp yes", "answer yes", "love to", "id love", "sounds fun", "join", "yes", "going",
)

FILLERS: frozenset[str] = frozenset({"um", "umm", "uhm", "uh", "uhh", "er", "erm", "ah", "hmm", "mm", "hm"})

# Words that never name a friend even when they look like one ("same" vs "Sam").
NOT_NAMES: frozenset[str] = frozenset({
    "same", "seam", "sum", "some", "sham", "scam", "slam", "spam", "join", "done", "don", "dad", "mom", "date",
    "market", "marks", "jones", "olive", "oliver", "salad", "emmy", "prior", "pride",
})

# Informal first names people use for a friend.
NICKNAMES: dict[str, str] = {"dave": "David", "davey": "David", "johnny": "John", "sammy": "Sam",
                             "marc": "Marcus", "sara": "Sarah",
                             "jon": "John"}

# Things Luna never books or answers (spec §7.1 out of scope). Their presence vetoes a dining intent, so
# "cancel my hotel reservation" can never cancel a table. Words a dining request may contain ("taxi" in
# "how long by taxi", "music" in "do they have live music") are deliberately absent.
OUT_OF_SCOPE_WORDS: frozenset[str] = frozenset({
    "hotel", "hotels", "motel", "airbnb", "flight", "flights", "airfare", "airline", "airport", "plane",
    "weather", "forecast", "alarm", "alarms", "timer", "playlist",
})
