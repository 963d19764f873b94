"""The demo city: a deterministic New York of venues, people, friendships, bookings and invites.

`build_city(now)` generates the rows from a fixed random seed; times are relative to `now`, so the
demo user's booking at Carrabba's Italian Grill is always "last week" and John's invite is always
pending. `seed(engine)` writes them (`luna seed`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, func, insert, select, text

from action_agent.domain.availability import SEATING, Seating, peak_covers
from action_agent.domain.bookings import CODE_ALPHABET
from action_agent.domain.hours import open_interval_containing
from action_agent.domain.views import OpeningHoursView
from action_agent.store.engine import migrate
from action_agent.store.models import (
    Base,
    Booking,
    CheckIn,
    Friendship,
    Invite,
    OpeningHours,
    User,
    Venue,
    VenueAlias,
    VenueCuisine,
    VenueInterest,
)

RANDOM_SEED = 20261124
CITY_TIME_ZONE = "America/New_York"
DEMO_USER_ID = 1
DEMO_USER_NAME = "Alex Rivera"

# name -> (latitude, longitude, borough area code, streets)
NEIGHBOURHOODS: dict[str, tuple[float, float, str, tuple[str, ...]]] = {
    "Union Square": (40.7359, -73.9911, "212", ("E 14th St", "Broadway", "University Pl", "E 16th St")),
    "Flatiron": (40.7411, -73.9897, "212", ("5th Ave", "W 21st St", "Broadway", "E 22nd St")),
    "Gramercy": (40.7368, -73.9845, "212", ("Irving Pl", "Park Ave S", "E 18th St", "3rd Ave")),
    "Greenwich Village": (40.7336, -74.0027, "212", ("Bleecker St", "MacDougal St", "W 4th St", "Christopher St")),
    "West Village": (40.7358, -74.0036, "212", ("Hudson St", "Bedford St", "Perry St", "W 10th St")),
    "East Village": (40.7265, -73.9815, "212", ("Avenue A", "St Marks Pl", "E 7th St", "1st Ave")),
    "SoHo": (40.7233, -74.0030, "212", ("Spring St", "Prince St", "Greene St", "Thompson St")),
    "Tribeca": (40.7163, -74.0086, "212", ("Franklin St", "Greenwich St", "Duane St", "Hudson St")),
    "Lower East Side": (40.7150, -73.9843, "212", ("Orchard St", "Ludlow St", "Rivington St", "Essex St")),
    "Chinatown": (40.7158, -73.9970, "212", ("Mott St", "Mulberry St", "Pell St", "Canal St")),
    "Little Italy": (40.7191, -73.9973, "212", ("Mulberry St", "Grand St", "Hester St", "Baxter St")),
    "Chelsea": (40.7465, -74.0014, "212", ("W 23rd St", "8th Ave", "9th Ave", "W 19th St")),
    "Midtown": (40.7549, -73.9840, "212", ("W 44th St", "6th Ave", "W 46th St", "Madison Ave")),
    "Hell's Kitchen": (40.7638, -73.9918, "212", ("9th Ave", "W 51st St", "10th Ave", "W 47th St")),
    "Koreatown": (40.7478, -73.9870, "212", ("W 32nd St", "W 31st St", "5th Ave", "W 33rd St")),
    "Upper West Side": (40.7870, -73.9754, "212", ("Amsterdam Ave", "Columbus Ave", "W 79th St", "Broadway")),
    "Upper East Side": (40.7736, -73.9566, "212", ("Lexington Ave", "2nd Ave", "E 78th St", "3rd Ave")),
    "Harlem": (40.8116, -73.9465, "212", ("Lenox Ave", "W 125th St", "Frederick Douglass Blvd", "W 116th St")),
    "Financial District": (40.7075, -74.0113, "212", ("Stone St", "Pearl St", "William St", "Broad St")),
    "Williamsburg": (40.7081, -73.9571, "718", ("Bedford Ave", "N 6th St", "Wythe Ave", "Grand St")),
    "DUMBO": (40.7033, -73.9881, "718", ("Front St", "Water St", "Jay St", "Washington St")),
    "Park Slope": (40.6710, -73.9814, "718", ("5th Ave", "7th Ave", "Union St", "Flatbush Ave")),
    "Greenpoint": (40.7304, -73.9515, "718", ("Manhattan Ave", "Franklin St", "Nassau Ave", "Greenpoint Ave")),
}

# main cuisine -> venue names; EXTRA_CUISINES adds the broader tags a place also carries.
VENUE_NAMES: dict[str, tuple[str, ...]] = {
    "italian": ("Trattoria Bella", "Osteria del Ponte", "Nonna's Kitchen", "Il Forno Rosso", "Bottega Lucca",
                "Pasta Fresca", "Cucina Verde", "Enoteca Sorrento"),
    "sushi": ("Kaito Sushi", "Umi Omakase", "Hana Sushi Bar", "Tsuki Sushi", "Koi Hand Roll", "Sushi Nakamura"),
    "japanese": ("Izakaya Kenji", "Yakitori Hide", "Sakura Tei", "Donburi House", "Kappo Minami", "Tempura Matsu"),
    "ramen": ("Ramen Ichiban", "Tonkotsu Street", "Menya Kaze", "Shoyu and Co", "Noodle Temple",
              "Hakata Ramen Bar"),
    "thai": ("Thai Basil", "Bangkok Street Kitchen", "Lemongrass House", "Siam Orchid", "Chiang Mai Table",
             "Som Tum Corner", "Pad Thai Palace"),
    "mexican": ("Casa Azul", "Taqueria El Sol", "La Esquina Verde", "Mole Poblano", "Tacos Guerrero",
                "Cantina Roja", "El Mercado"),
    "indian": ("Tandoor Palace", "Masala Junction", "Curry Leaf", "Bombay Spice", "Dosa Garden",
               "Saffron Indian Kitchen", "Chai and Naan"),
    "chinese": ("Golden Dragon", "Jade Garden", "Dim Sum Palace", "Sichuan House", "Shanghai Dumpling",
                "Peking Garden", "Noodle Village"),
    "korean": ("Seoul Kitchen", "Gangnam BBQ", "Bibim House", "Kimchi Table", "Han Bat", "Jongro Grill"),
    "vietnamese": ("Pho Saigon", "Banh Mi Corner", "Little Hanoi", "Lotus Pho", "Mekong Kitchen", "Pho Bac",
                   "Saigon Grill"),
    "french": ("Le Petit Bistro", "Chez Colette", "Brasserie Lumiere", "Cafe du Marche", "La Table d'Or",
               "Bistro Margot", "Maison Rouge"),
    "mediterranean": ("Olive and Fig", "Mezze Table", "Cedar and Salt", "Sea Salt Kitchen", "Riviera Table",
                      "Blue Olive"),
    "greek": ("Taverna Naxos", "Opa Souvlaki", "Mykonos Blue", "Athena Grill", "Santorini Kitchen", "Pita Corner"),
    "american": ("The Corner Diner", "Liberty Tavern", "Hudson Kitchen", "Brooklyn Social", "Union Square Grill",
                 "The Green Table", "Stone Street Tavern"),
    "steakhouse": ("Prime and Rye", "The Chop House", "Gotham Steak", "Ironwood Steakhouse", "Butcher's Cut",
                   "Knife and Fork Steakhouse"),
    "seafood": ("Pier 17 Oyster House", "Lobster Shack", "Catch of the Day", "The Salty Anchor",
                "Clam Bar Brooklyn", "Harbor Fish House", "Mussel Bay"),
    "pizza": ("Slice of Heaven", "Brick Oven Pizzeria", "Village Pizza", "Margherita Pizza Co", "Crust and Co",
              "Coal Fired Pizza Bar", "Greenpoint Pie"),
    "burgers": ("Burger Joint", "Smash Burger Co", "Patty Shack", "Double Stack", "The Burger Bar",
                "Shake and Grill"),
    "vegetarian": ("Green Leaf", "Sprout Kitchen", "Root and Vine", "The Plant Table", "Harvest Bowl",
                   "Beet Street"),
    "cafe": ("Bean There Cafe", "Morning Ritual", "Ground Control Coffee", "Daily Grind", "Steam Room Coffee",
             "Brew and Bloom", "Park Slope Roasters"),
    "bbq": ("Smoke and Barrel", "Hickory Pit", "Brisket Brothers", "Fire and Smoke BBQ", "Low and Slow",
            "Burnt Ends"),
    "middle eastern": ("Falafel House", "Shawarma King", "Cedar Grill", "Beirut Kitchen", "Sahara Nights",
                       "Zaatar", "Aleppo Table"),
    "spanish": ("Tapas Barcelona", "La Bodega", "Casa Madrid", "Paella House", "Sevilla Tapas", "El Toro Blanco",
                "Jamon y Vino"),
}
EXTRA_CUISINES: dict[str, tuple[str, ...]] = {
    "sushi": ("japanese",), "ramen": ("japanese",), "pizza": ("italian",), "burgers": ("american",),
    "bbq": ("american",), "steakhouse": ("american",), "greek": ("mediterranean",),
    "middle eastern": ("mediterranean",), "vegetarian": ("mediterranean",),
}
# Where a cuisine clusters (otherwise any neighbourhood).
CUISINE_NEIGHBOURHOODS: dict[str, tuple[str, ...]] = {
    "chinese": ("Chinatown",), "korean": ("Koreatown",), "italian": ("Little Italy", "West Village"),
}
PRICE_RANGE: dict[str, tuple[int, int]] = {
    "steakhouse": (3, 4), "french": (2, 4), "sushi": (2, 4), "seafood": (2, 4), "cafe": (1, 1), "pizza": (1, 2),
    "burgers": (1, 2), "vietnamese": (1, 2), "middle eastern": (1, 2), "mexican": (1, 3), "bbq": (2, 3),
}

_DAILY = tuple(range(7))


def _every(days: tuple[int, ...], open_minute: int, close_minute: int) -> list[tuple[int, int, int]]:
    return [(d, open_minute, close_minute) for d in days]


# Weekly hours patterns: (weekday, open minute, close minute); close > 1440 closes after midnight.
HOURS_PATTERNS: dict[str, list[tuple[int, int, int]]] = {
    "all_day": _every(_DAILY, 11 * 60, 23 * 60),
    "late_weekend": _every((0, 1, 2, 3), 17 * 60, 23 * 60) + _every((4, 5), 17 * 60, 26 * 60)
    + _every((6,), 17 * 60, 22 * 60),
    "closed_monday": _every((1, 2, 3, 4, 5, 6), 12 * 60, 22 * 60),
    "lunch_and_dinner": _every(_DAILY, 11 * 60 + 30, 15 * 60) + _every(_DAILY, 17 * 60 + 30, 22 * 60 + 30),
    "late_night": _every(_DAILY, 18 * 60, 27 * 60),
    "brunch": _every((5, 6), 10 * 60, 16 * 60) + _every((2, 3, 4, 5, 6), 17 * 60 + 30, 23 * 60),
    "cafe": _every(_DAILY, 7 * 60, 19 * 60),
}


@dataclass(frozen=True)
class FeaturedVenue:
    name: str
    cuisines: tuple[str, ...]
    neighbourhood: str
    address: str
    latitude: float
    longitude: float
    price_level: int
    rating: float
    hours: list[tuple[int, int, int]]
    capacity: int
    aliases: tuple[str, ...] = ()
    outdoor_seating: bool = False
    kid_friendly: bool = True


# The venues the spec's examples name; open for dinner every day and taking reservations.
FEATURED_VENUES: tuple[FeaturedVenue, ...] = (
    FeaturedVenue("Olive Garden", ("italian",), "Midtown", "2 Times Square, New York, NY 10036",
                  40.7577, -73.9857, 2, 4.1, HOURS_PATTERNS["all_day"], 120, ("the olive garden",)),
    FeaturedVenue("The Blue Plate", ("american",), "Chelsea", "210 W 14th St, New York, NY 10011",
                  40.7392, -74.0007, 2, 4.5,
                  _every((0, 1, 2, 3, 6), 11 * 60, 23 * 60) + _every((4, 5), 11 * 60, 25 * 60), 60,
                  ("blue plate",), outdoor_seating=True),
    FeaturedVenue("Carrabba's Italian Grill", ("italian",), "Gramercy", "320 Park Ave S, New York, NY 10010",
                  40.7420, -73.9856, 2, 4.3, _every(_DAILY, 11 * 60 + 30, 22 * 60 + 30), 80,
                  ("Carrabba's", "carrabbas", "Carrabbas Italian Grill")),
    FeaturedVenue("Starbucks", ("cafe",), "Union Square", "10 Union Square E, New York, NY 10003",
                  40.7349, -73.9887, 1, 4.0, _every(_DAILY, 6 * 60, 22 * 60), 30, ("starbucks union square",)),
    FeaturedVenue("Sushi Zen", ("sushi", "japanese"), "Flatiron", "150 5th Ave, New York, NY 10011",
                  40.7393, -73.9925, 3, 4.6, _every(_DAILY, 12 * 60, 23 * 60), 40, ("Sushi Zen on 5th",),
                  kid_friendly=False),
    FeaturedVenue("Sushi Zen Express", ("sushi", "japanese"), "Midtown", "58 W 46th St, New York, NY 10036",
                  40.7571, -73.9818, 2, 4.2, _every(_DAILY, 11 * 60, 22 * 60), 30),
)

# (name, home neighbourhood). The first is the demo user; the next eight are the demo user's friends,
# whose first names are unique among them.
USERS: tuple[tuple[str, str], ...] = (
    (DEMO_USER_NAME, "Union Square"),
    ("Sarah Chen", "Flatiron"), ("John Miller", "Gramercy"), ("Priya Patel", "East Village"),
    ("Marcus Johnson", "Harlem"), ("Emma Wilson", "West Village"), ("David Kim", "Koreatown"),
    ("Sofia Garcia", "Williamsburg"), ("Liam O'Brien", "Chelsea"),
    ("Noah Thompson", "Upper West Side"), ("Olivia Martinez", "SoHo"), ("Ethan Brooks", "Park Slope"),
    ("Ava Nguyen", "Lower East Side"), ("Lucas Rossi", "Little Italy"), ("Mia Johansson", "Tribeca"),
    ("Mason Lee", "Chinatown"), ("Isabella Cohen", "Upper East Side"), ("Logan Park", "Koreatown"),
    ("Chloe Dubois", "Greenwich Village"), ("Jacob Levy", "Upper West Side"), ("Grace Okafor", "Harlem"),
    ("Daniel Schwartz", "Financial District"), ("Zoe Adams", "DUMBO"), ("Henry Walsh", "Hell's Kitchen"),
    ("Lily Tanaka", "Greenpoint"), ("Owen Murphy", "Midtown"), ("Hannah Goldberg", "Upper East Side"),
    ("Samuel Reyes", "East Village"), ("Nora Fitzgerald", "Park Slope"), ("Caleb Hughes", "Williamsburg"),
    ("Ella Svensson", "Chelsea"), ("Isaac Moreno", "Lower East Side"), ("Aria Shah", "Gramercy"),
    ("Leo Bianchi", "West Village"), ("Maya Singh", "Flatiron"), ("Julian Castillo", "Hell's Kitchen"),
    ("Ruby Sato", "SoHo"), ("Nathan Price", "Tribeca"), ("Stella Kowalski", "Greenpoint"),
    ("Adrian Lopez", "Harlem"), ("Violet Hayes", "DUMBO"), ("Theo Novak", "Midtown"),
    ("Iris Romano", "Little Italy"), ("Felix Wagner", "Financial District"), ("Hazel Brennan", "Park Slope"),
)
DEMO_FRIEND_IDS = tuple(range(2, 10))
DEMO_HOME = (40.7352, -73.9903)  # E 14th St, by Union Square


@dataclass
class City:
    """Rows per table, ready for bulk insert, in dependency order."""

    tables: dict[type[Base], list[dict[str, Any]]] = field(default_factory=dict)

    def rows(self, model: type[Base]) -> list[dict[str, Any]]:
        return self.tables.setdefault(model, [])


@dataclass(frozen=True)
class SeedReport:
    seeded: bool
    users: int
    venues: int
    bookings: int
    invites: int


class SeedError(Exception):
    """The database already holds data and neither replacing nor skipping was asked for."""


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(CITY_TIME_ZONE)).astimezone(UTC)


class _Builder:
    def __init__(self, now: datetime) -> None:
        self.rng = random.Random(RANDOM_SEED)
        self.now = now.astimezone(UTC)
        self.today = self.now.astimezone(ZoneInfo(CITY_TIME_ZONE)).date()
        self.city = City()
        self.venue_ids: dict[str, int] = {}
        self.venue_hours: dict[int, tuple[OpeningHoursView, ...]] = {}
        self.venue_capacity: dict[int, int] = {}
        self.seatings: dict[int, list[Seating]] = {}
        self.codes: set[str] = set()
        self.created = self.now - timedelta(days=400)

    def build(self) -> City:
        # Dependency order matters for the bulk insert.
        for model in (User, Venue, VenueAlias, VenueCuisine, OpeningHours, Friendship, VenueInterest, CheckIn,
                      Booking, Invite):
            self.city.rows(model)
        self._users()
        self._venues()
        self._friendships()
        self._interests()
        self._check_ins()
        self._bookings()
        self._invites()
        return self.city

    def _jitter(self, lat: float, lon: float, spread: float = 0.0035) -> tuple[float, float]:
        return round(lat + self.rng.uniform(-spread, spread), 6), round(lon + self.rng.uniform(-spread, spread), 6)

    def _users(self) -> None:
        for user_id, (name, hood) in enumerate(USERS, start=1):
            lat, lon = DEMO_HOME if user_id == DEMO_USER_ID else self._jitter(*NEIGHBOURHOODS[hood][:2])
            self.city.rows(User).append(dict(id=user_id, name=name, home_latitude=lat, home_longitude=lon,
                                             home_neighbourhood=hood, time_zone=CITY_TIME_ZONE,
                                             created_at=self.created))

    def _add_venue(self, name: str, cuisines: tuple[str, ...], hood: str, address: str, lat: float, lon: float,
                   price: int, rating: float, hours: list[tuple[int, int, int]], capacity: int,
                   aliases: tuple[str, ...], outdoor: bool, kids: bool, reservations: bool, veg: bool) -> int:
        venue_id = len(self.venue_ids) + 1
        self.venue_ids[name] = venue_id
        area_code = NEIGHBOURHOODS[hood][2]
        self.city.rows(Venue).append(dict(
            id=venue_id, name=name, price_level=price, rating=rating, address=address, neighbourhood=hood,
            latitude=lat, longitude=lon, phone=f"({area_code}) 555-{self.rng.randint(100, 9999):04d}",
            time_zone=CITY_TIME_ZONE, capacity_per_slot=capacity, outdoor_seating=outdoor, kid_friendly=kids,
            takes_reservations=reservations, vegetarian_options=veg))
        self.city.rows(VenueAlias).extend(dict(venue_id=venue_id, alias=a) for a in aliases)
        self.city.rows(VenueCuisine).extend(
            dict(venue_id=venue_id, cuisine=c, position=i) for i, c in enumerate(cuisines))
        rows = self.city.rows(OpeningHours)
        for weekday, open_minute, close_minute in hours:
            rows.append(dict(id=len(rows) + 1, venue_id=venue_id, weekday=weekday, open_minute=open_minute,
                             close_minute=close_minute))
        self.venue_hours[venue_id] = tuple(OpeningHoursView(*h) for h in hours)
        self.venue_capacity[venue_id] = capacity
        self.seatings[venue_id] = []
        return venue_id

    def _venues(self) -> None:
        for f in FEATURED_VENUES:
            self._add_venue(f.name, f.cuisines, f.neighbourhood, f.address, f.latitude, f.longitude, f.price_level,
                            f.rating, f.hours, f.capacity, f.aliases, f.outdoor_seating, f.kid_friendly, True, True)
        hoods = list(NEIGHBOURHOODS)
        for cuisine, names in VENUE_NAMES.items():
            for name in names:
                rng = self.rng
                hood = rng.choice(CUISINE_NEIGHBOURHOODS.get(cuisine) or tuple(hoods)) if rng.random() < 0.7 \
                    else rng.choice(hoods)
                lat, lon, _code, streets = NEIGHBOURHOODS[hood]
                lat, lon = self._jitter(lat, lon)
                zip_code = "11211" if NEIGHBOURHOODS[hood][2] == "718" else f"100{rng.randint(1, 38):02d}"
                borough = "Brooklyn" if NEIGHBOURHOODS[hood][2] == "718" else "New York"
                address = f"{rng.randint(2, 480)} {rng.choice(streets)}, {borough}, NY {zip_code}"
                low, high = PRICE_RANGE.get(cuisine, (1, 3))
                if cuisine == "cafe":
                    pattern = "cafe"
                elif cuisine in ("ramen", "pizza", "korean", "burgers"):
                    pattern = rng.choice(("late_night", "late_weekend", "all_day"))
                elif cuisine == "american":
                    pattern = rng.choice(("brunch", "all_day", "late_weekend"))
                else:
                    pattern = rng.choice(("all_day", "late_weekend", "closed_monday", "lunch_and_dinner"))
                kid_prone = cuisine in ("pizza", "burgers", "american", "italian", "mexican", "chinese")
                self._add_venue(
                    name, (cuisine, *EXTRA_CUISINES.get(cuisine, ())), hood, address, lat, lon,
                    rng.randint(low, high), round(rng.uniform(3.5, 4.9), 1), HOURS_PATTERNS[pattern],
                    rng.choice((20, 30, 40)) if cuisine == "cafe" else rng.choice((30, 40, 50, 60, 80)),
                    (), rng.random() < 0.4, rng.random() < (0.75 if kid_prone else 0.3),
                    rng.random() < (0.2 if cuisine == "cafe" else 0.9),
                    cuisine in ("vegetarian", "indian", "mediterranean", "middle eastern") or rng.random() < 0.6)

    def _friendships(self) -> None:
        pairs: list[tuple[int, int]] = [(DEMO_USER_ID, f) for f in DEMO_FRIEND_IDS]
        # The demo user's friends know each other a little, and everyone else has a few friends.
        pairs += [(2, 3), (2, 4), (3, 5), (4, 6), (6, 7), (7, 8), (8, 9), (2, 9)]
        others = list(range(2, len(USERS) + 1))
        for user_id in range(10, len(USERS) + 1):
            for friend_id in self.rng.sample([o for o in others if o != user_id], 3):
                pairs.append((user_id, friend_id))
        seen: set[tuple[int, int]] = set()
        for a, b in pairs:
            key = (min(a, b), max(a, b))
            if key in seen:
                continue
            seen.add(key)
            since = self.created + timedelta(days=self.rng.randint(1, 300))
            self.city.rows(Friendship).append(dict(user_id=a, friend_id=b, since=since))
            self.city.rows(Friendship).append(dict(user_id=b, friend_id=a, since=since))

    def _interests(self) -> None:
        v = self.venue_ids
        wanted: list[tuple[int, int]] = [
            (2, v["Sushi Zen"]), (4, v["Sushi Zen"]), (3, v["The Blue Plate"]), (6, v["Olive Garden"]),
            (5, v["Carrabba's Italian Grill"]), (7, v["Gangnam BBQ"]), (8, v["Tapas Barcelona"]),
            (9, v["Le Petit Bistro"]), (2, v["Le Petit Bistro"]),
            (DEMO_USER_ID, v["Le Petit Bistro"]), (DEMO_USER_ID, v["Ramen Ichiban"]),
        ]
        venue_count = len(v)
        for user_id in range(2, len(USERS) + 1):
            for venue_id in self.rng.sample(range(1, venue_count + 1), self.rng.randint(2, 5)):
                wanted.append((user_id, venue_id))
        seen: set[tuple[int, int]] = set()
        for user_id, venue_id in wanted:
            if (user_id, venue_id) not in seen:
                seen.add((user_id, venue_id))
                self.city.rows(VenueInterest).append(dict(
                    user_id=user_id, venue_id=venue_id,
                    created_at=self.now - timedelta(days=self.rng.randint(1, 90))))

    def _check_ins(self) -> None:
        rows = self.city.rows(CheckIn)
        v = self.venue_ids
        # Checked in right now (no check-out): Priya at The Blue Plate, Marcus at Starbucks.
        current = [(4, v["The Blue Plate"], 35), (5, v["Starbucks"], 20)]
        for user_id in self.rng.sample(range(10, len(USERS) + 1), 12):
            current.append((user_id, self.rng.randint(1, len(v)), self.rng.randint(5, 150)))
        for user_id, venue_id, minutes_ago in current:
            rows.append(dict(id=len(rows) + 1, user_id=user_id, venue_id=venue_id,
                             checked_in_at=self.now - timedelta(minutes=minutes_ago), checked_out_at=None))
        # Past visits.
        for _ in range(80):
            start = self.now - timedelta(days=self.rng.randint(1, 60), minutes=self.rng.randint(0, 600))
            rows.append(dict(id=len(rows) + 1, user_id=self.rng.randint(1, len(USERS)),
                             venue_id=self.rng.randint(1, len(v)), checked_in_at=start,
                             checked_out_at=start + timedelta(minutes=self.rng.randint(30, 150))))

    def _code(self) -> str:
        while True:
            code = "".join(self.rng.choice(CODE_ALPHABET) for _ in range(6))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _book(self, user_id: int, venue_name_or_id: str | int, start: datetime, party: int,
              status: str = "confirmed", occasion: str | None = None, requests: str | None = None) -> int | None:
        """Add a booking when the venue is open for the seating and has room (as the real rules demand)."""
        venue_id = self.venue_ids[venue_name_or_id] if isinstance(venue_name_or_id, str) else venue_name_or_id
        if open_interval_containing(self.venue_hours[venue_id], CITY_TIME_ZONE, start, SEATING) is None:
            return None
        if status == "confirmed":
            if peak_covers(self.seatings[venue_id], start) + party > self.venue_capacity[venue_id]:
                return None
            self.seatings[venue_id].append(Seating(start, party))
        rows = self.city.rows(Booking)
        booking_id = len(rows) + 1
        created = min(start, self.now) - timedelta(days=self.rng.randint(1, 10))
        rows.append(dict(id=booking_id, user_id=user_id, venue_id=venue_id, start_at=start, party_size=party,
                         status=status, confirmation_code=self._code(), special_requests=requests,
                         occasion=occasion, idempotency_key=None, created_at=created,
                         updated_at=created if status == "confirmed" else created + timedelta(hours=3)))
        return booking_id

    def _bookings(self) -> None:
        today = self.today
        demo = DEMO_USER_ID
        # "That Italian place we went to last week."
        self._book(demo, "Carrabba's Italian Grill", _local(today - timedelta(days=7), 19, 30), 2)
        self._book(demo, "Sushi Zen", _local(today - timedelta(days=20), 20), 2, occasion="date night")
        self._book(demo, "Sushi Zen Express", _local(today - timedelta(days=12), 12, 30), 3, status="cancelled")
        self.demo_upcoming = self._book(demo, "The Blue Plate", _local(today + timedelta(days=3), 19), 2)
        self._book(demo, "Le Petit Bistro", _local(today + timedelta(days=10), 19, 30), 4, occasion="birthday",
                   requests="A cake at the end, please")
        for user_id in range(2, len(USERS) + 1):
            for _ in range(self.rng.randint(2, 4)):
                day = today + timedelta(days=self.rng.randint(-30, 30))
                start = _local(day, self.rng.choice((12, 18, 19, 19, 20, 20, 21)), self.rng.choice((0, 30)))
                if abs(start - self.now) < timedelta(hours=3):
                    continue  # keep the seed's "now" free of half-started bookings
                status = "cancelled" if self.rng.random() < 0.1 else "confirmed"
                self._book(user_id, self.rng.randint(1, len(self.venue_ids)), start, self.rng.randint(2, 6), status)

    def _invites(self) -> None:
        today, v = self.today, self.venue_ids
        rows = self.city.rows(Invite)

        def invite(sender: int, to: int, venue: int, at: datetime, status: str, message: str | None,
                   booking_id: int | None = None) -> None:
            created = min(at, self.now) - timedelta(days=self.rng.randint(1, 4))
            rows.append(dict(id=len(rows) + 1, from_user_id=sender, to_user_id=to, venue_id=venue, at=at,
                             booking_id=booking_id, status=status, message=message, idempotency_key=None,
                             created_at=created, updated_at=created))

        invite(3, DEMO_USER_ID, v["The Blue Plate"], _local(today + timedelta(days=1), 19, 30), "pending",
               "Dinner at The Blue Plate tomorrow?")
        invite(DEMO_USER_ID, 2, v["The Blue Plate"], _local(today + timedelta(days=3), 19), "pending",
               "Join me at The Blue Plate?", self.demo_upcoming)
        invite(6, DEMO_USER_ID, v["Olive Garden"], _local(today + timedelta(days=5), 18, 30), "accepted", None)
        invite(7, DEMO_USER_ID, v["Gangnam BBQ"], _local(today - timedelta(days=4), 20), "declined",
               "Korean BBQ night")
        for _ in range(25):
            sender = self.rng.randint(2, len(USERS))
            friends = sorted(r["friend_id"] for r in self.city.rows(Friendship)
                             if r["user_id"] == sender and r["friend_id"] != DEMO_USER_ID)
            if not friends:
                continue
            at = _local(today + timedelta(days=self.rng.randint(-10, 14)), self.rng.choice((18, 19, 20)))
            status = "pending" if at > self.now else self.rng.choice(("accepted", "declined", "expired"))
            invite(sender, self.rng.choice(friends), self.rng.randint(1, len(v)), at, status, None)


def build_city(now: datetime | None = None) -> City:
    """The demo city's rows for `now` (default: the current time). Same `now`, same city."""
    return _Builder(now or datetime.now(UTC)).build()


def _is_empty(engine: Engine) -> bool:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Venue)).scalar_one() == 0 and \
            connection.execute(select(func.count()).select_from(User)).scalar_one() == 0


def seed(engine: Engine, now: datetime | None = None, *, if_empty: bool = False, replace: bool = False) -> SeedReport:
    """Migrate the schema and load the demo city.

    On a database that already has data: with `if_empty`, do nothing; with `replace`, delete everything
    first; otherwise raise SeedError.
    """
    migrate(engine)
    city = build_city(now)
    if not _is_empty(engine):
        if if_empty:
            return SeedReport(False, 0, 0, 0, 0)
        if not replace:
            raise SeedError("the database already has data; use --if-empty to keep it or --replace to reload it")
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "alembic_version":
                connection.execute(delete(table))
        for model, rows in city.tables.items():
            if rows:
                connection.execute(insert(model), rows)
        if connection.dialect.name == "postgresql":
            # Explicit ids do not advance PostgreSQL sequences; move them past the seeded rows.
            for model in city.tables:
                if "id" in model.__table__.c:
                    name = model.__tablename__
                    connection.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"))
    return SeedReport(True, len(city.rows(User)), len(city.rows(Venue)), len(city.rows(Booking)),
                      len(city.rows(Invite)))
