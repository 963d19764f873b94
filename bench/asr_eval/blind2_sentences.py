"""Second blind set of held-out evaluation utterances for the embedded speech recogniser (2026-11-24).

Written by someone who had not seen the language-model patterns, the recogniser's code or the other evaluation
sets; only the demo city's venue, cuisine and friend names were looked up. Written after the first blind set
(blind_sentences.py) had been used to compare changes. The sixth round read its errors and compared changes on
it, so it is no longer blind either: blind3_sentences.py, written then, takes its place for final figures.

Each entry: (text as spoken, expected intent, key phrases that must survive recognition).
Lower case, no punctuation except apostrophes; numbers and times are written as words.
An expected intent of None marks a bare slot answer.
"""

from __future__ import annotations

BLIND2: list[tuple[str, str | None, tuple[str, ...]]] = [
    # make_booking
    ("book a table for two at olive garden on friday at eight", "make_booking", ("olive garden", "two", "friday")),
    ("hey can you reserve seoul garden for four people tomorrow night",
     "make_booking", ("seoul garden", "four", "tomorrow")),
    ("i'd like a reservation at le petit bistro saturday at seven thirty please",
     "make_booking", ("le petit bistro", "saturday", "seven thirty")),
    ("get us a table at carrabba's for six", "make_booking", ("carrabba's", "six")),
    # modify_booking
    ("can you move my olive garden booking to nine instead", "modify_booking", ("olive garden", "nine")),
    ("actually change the reservation to five people", "modify_booking", ("five",)),
    ("push my dinner at sushi zen to sunday", "modify_booking", ("sushi zen", "sunday")),
    # cancel_booking
    ("cancel my reservation at prime cut", "cancel_booking", ("prime cut",)),
    ("i need to cancel tonight's booking", "cancel_booking", ("tonight's",)),
    ("please call off the table at hudson smokehouse on thursday", "cancel_booking", ("hudson smokehouse", "thursday")),
    # check_booking
    ("what bookings do i have this week", "check_booking", ("this week",)),
    ("when is my reservation at bella napoli", "check_booking", ("bella napoli",)),
    ("do i have anything booked for saturday", "check_booking", ("saturday",)),
    # get_recommendations
    ("recommend a good thai place", "get_recommendations", ("thai",)),
    ("where should we go for cheap mexican food tonight", "get_recommendations", ("mexican", "tonight")),
    ("any suggestions for somewhere romantic for dinner", "get_recommendations", ("romantic",)),
    ("hey luna what's good for sushi around here", "get_recommendations", ("sushi",)),
    # search_venue
    ("find me a korean restaurant nearby", "search_venue", ("korean",)),
    ("look up lucky noodle", "search_venue", ("lucky noodle",)),
    ("is there a starbucks close to me", "search_venue", ("starbucks",)),
    # venue_info
    ("what time does the blue plate open", "venue_info", ("the blue plate",)),
    ("show me the menu for ramen ichiban", "venue_info", ("ramen ichiban",)),
    ("how expensive is empire steakhouse", "venue_info", ("empire steakhouse",)),
    ("what are the reviews like for athena taverna", "venue_info", ("athena taverna",)),
    # check_availability
    ("is there a table at golden dragon for three at seven", "check_availability", ("golden dragon", "three", "seven")),
    ("does joe's pizza have space tonight", "check_availability", ("joe's pizza", "tonight")),
    ("is casa madrid open on monday at six", "check_availability", ("casa madrid", "monday", "six")),
    # find_friends
    ("which of my friends are free friday night", "find_friends", ("friday",)),
    ("who's up for dinner tonight", "find_friends", ("tonight",)),
    ("is priya free this weekend", "find_friends", ("priya", "weekend")),
    # send_invite
    ("invite sarah to dinner at pho saigon", "send_invite", ("sarah", "pho saigon")),
    ("send john and emma an invite for saturday", "send_invite", ("john", "emma", "saturday")),
    ("ask marcus if he wants to come to the lobster pot", "send_invite", ("marcus", "the lobster pot")),
    ("can you invite david to my booking", "send_invite", ("david",)),
    # respond_invite
    ("accept olivia's invitation", "respond_invite", ("olivia's",)),
    ("tell sam i can't make it", "respond_invite", ("sam",)),
    ("yeah i'm in for the burger barn dinner", "respond_invite", ("burger barn",)),
    # check_invites
    ("do i have any invitations", "check_invites", ()),
    ("has anyone invited me out this week", "check_invites", ("this week",)),
    ("any new invites from priya", "check_invites", ("priya",)),
    # get_directions
    ("how do i get to casa oaxaca", "get_directions", ("casa oaxaca",)),
    ("give me directions to harbor oyster bar please", "get_directions", ("harbor oyster bar",)),
    ("what's the best way to walk to the daily grind", "get_directions", ("the daily grind",)),
    # estimate_travel
    ("how long will it take to get to naan stop", "estimate_travel", ("naan stop",)),
    ("how far is el toro from here", "estimate_travel", ("el toro",)),
    ("if i leave now when will i reach shake shack", "estimate_travel", ("shake shack",)),
    # greeting
    ("hi luna", "greeting", ()),
    ("good evening", "greeting", ()),
    # thanks
    ("thanks so much", "thanks", ()),
    ("that's great thank you", "thanks", ()),
    # help
    ("what can you do", "help", ()),
    ("help me out how does this work", "help", ()),
    # confirm
    ("yes go ahead", "confirm", ()),
    ("sounds good book it", "confirm", ()),
    # deny
    ("no never mind", "deny", ()),
    ("nope don't do that", "deny", ()),
    # bare slot answers
    ("seven thirty", None, ("seven thirty",)),
    ("just the two of us", None, ("two",)),
    ("bangkok street kitchen", None, ("bangkok street kitchen",)),
    ("next tuesday", None, ("tuesday",)),
]
