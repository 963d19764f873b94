"""Third blind set of held-out evaluation utterances for the embedded speech recogniser (2026-11-24).

Written by someone who had not seen the language-model patterns, the recogniser's code or the other evaluation
sets; only the demo vocabulary's venue, cuisine and friend names were looked up. Written when the second blind
set (blind2_sentences.py) was taken up for comparing changes: use this one only for final figures, never to tune
the recogniser, its patterns or its language model.

Each entry: (text as spoken, expected intent, key phrases that must survive recognition).
Lower case, no punctuation except apostrophes; numbers and times are written as words.
An expected intent of None marks a bare slot answer.
"""

from __future__ import annotations

BLIND3: list[tuple[str, str | None, tuple[str, ...]]] = [
    # make_booking
    ("book a table for four at seoul garden tomorrow at seven thirty", "make_booking",
     ("seoul garden", "four", "seven thirty")),
    ("hey luna could you reserve a table at le petit bistro for two on friday at eight o'clock", "make_booking",
     ("le petit bistro", "two", "friday")),
    ("i'd like to get a table for six at hudson smokehouse next saturday around half past six", "make_booking",
     ("hudson smokehouse", "six", "next saturday")),
    ("can you grab us a spot at casa oaxaca tonight for three people", "make_booking",
     ("casa oaxaca", "tonight", "three")),
    # get_recommendations
    ("what's good around here for dinner tonight", "get_recommendations", ("dinner", "tonight")),
    ("could you suggest a nice greek place for a date night", "get_recommendations", ("greek",)),
    ("any recommendations for cheap vietnamese food near me", "get_recommendations", ("vietnamese",)),
    ("hey luna where should we eat tonight there's five of us and we all love spicy food", "get_recommendations",
     ("five", "spicy")),
    # venue_info
    ("what time does the daily grind open on sunday", "venue_info", ("the daily grind", "sunday")),
    ("is harbor oyster bar expensive", "venue_info", ("harbor oyster bar", "expensive")),
    ("does verde vegetarian have outdoor seating", "venue_info", ("verde vegetarian", "outdoor seating")),
    ("what's the address of mykonos grill", "venue_info", ("mykonos grill", "address")),
    # send_invite
    ("invite sarah to dinner at bella napoli on friday", "send_invite", ("sarah", "bella napoli")),
    ("can you ask marcus and priya if they want to join us at kimchi house tomorrow night", "send_invite",
     ("marcus", "priya", "kimchi house")),
    ("send an invite to emma for my booking at the lobster pot", "send_invite", ("emma", "the lobster pot")),
    ("please let david know he's invited to lunch at naan stop on saturday", "send_invite", ("david", "naan stop")),
    # modify_booking
    ("can you move my reservation at empire steakhouse to nine o'clock", "modify_booking",
     ("empire steakhouse", "nine")),
    ("actually change the booking to five people instead of four", "modify_booking", ("five", "four")),
    ("push my taj mahal kitchen booking to next friday please", "modify_booking",
     ("taj mahal kitchen", "next friday")),
    # cancel_booking
    ("cancel my table at burger barn tonight", "cancel_booking", ("burger barn", "tonight")),
    ("i need to cancel the reservation for saturday", "cancel_booking", ("cancel", "saturday")),
    ("hey luna please call off our dinner at golden dragon tomorrow", "cancel_booking",
     ("golden dragon", "tomorrow")),
    # check_booking
    ("what reservations do i have this week", "check_booking", ("reservations", "this week")),
    ("when is my booking at sichuan house", "check_booking", ("sichuan house",)),
    ("do i have anything booked for tomorrow night", "check_booking", ("booked", "tomorrow night")),
    # search_venue
    ("find me a spanish restaurant in the east village", "search_venue", ("spanish", "east village")),
    ("are there any ramen places near union square", "search_venue", ("ramen", "union square")),
    ("look for falafel king", "search_venue", ("falafel king",)),
    # check_availability
    ("is there a table free at aegean table at eight tonight", "check_availability",
     ("aegean table", "eight", "tonight")),
    ("does athena taverna have room for six on saturday at seven", "check_availability",
     ("athena taverna", "six", "saturday")),
    ("can we get in at lucky noodle right now for two", "check_availability", ("lucky noodle", "two")),
    # find_friends
    ("which of my friends are free tonight", "find_friends", ("friends", "tonight")),
    ("is olivia around this weekend", "find_friends", ("olivia", "this weekend")),
    ("who's nearby and up for dinner", "find_friends", ("nearby", "dinner")),
    # respond_invite
    ("accept john's invite to tokyo table", "respond_invite", ("john's", "tokyo table")),
    ("tell sam i can't make it on thursday", "respond_invite", ("sam", "thursday")),
    ("sure count me in for priya's dinner at casa madrid", "respond_invite", ("priya's", "casa madrid")),
    # check_invites
    ("do i have any new invitations", "check_invites", ("invitations",)),
    ("has anyone invited me to anything this weekend", "check_invites", ("invited", "this weekend")),
    ("what invites did i get from marcus", "check_invites", ("invites", "marcus")),
    # get_directions
    ("how do i get to morning glory cafe", "get_directions", ("morning glory cafe",)),
    ("give me directions to pho saigon", "get_directions", ("pho saigon",)),
    ("hey luna what's the best way to walk to brooklyn diner from here", "get_directions",
     ("brooklyn diner", "walk")),
    # estimate_travel
    ("how long will it take to get to prime cut steakhouse", "estimate_travel", ("prime cut steakhouse",)),
    ("how far is el toro taqueria by subway", "estimate_travel", ("el toro taqueria", "subway")),
    ("if we leave now will we make it to marco's trattoria by seven thirty", "estimate_travel",
     ("marco's trattoria", "seven thirty")),
    # greeting
    ("hey luna good evening", "greeting", ()),
    ("hi there", "greeting", ()),
    # thanks
    ("thanks so much luna", "thanks", ("thanks",)),
    ("that's perfect thank you", "thanks", ("thank you",)),
    # help
    ("what can you do", "help", ()),
    ("how does this work could you help me out", "help", ("help",)),
    # confirm
    ("yes please go ahead", "confirm", ("yes",)),
    ("yeah that works for me", "confirm", ("yeah",)),
    # deny
    ("no thanks", "deny", ("no",)),
    ("actually don't do that", "deny", ("don't",)),
    # bare slot answers
    ("seven thirty", None, ("seven thirty",)),
    ("there'll be four of us", None, ("four",)),
    ("at shake shack", None, ("shake shack",)),
    ("next saturday at noon", None, ("next saturday", "noon")),
]
