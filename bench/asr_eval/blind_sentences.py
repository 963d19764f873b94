"""Blind held-out evaluation utterances for the embedded speech recogniser.

Written blind by someone who had not seen the language-model patterns or the training data; only the demo
city's venue, cuisine and friend names were looked up (and, of the earlier evaluation sets, the first fifteen
development sentences glimpsed as a format example; none was reused). Written before the third round of
recogniser work and used only for final figures until the fifth round (2026-11-24), which compared changes on
it: it is no longer blind. blind2_sentences.py, written then, takes its place for final figures.

Each entry: (text as spoken, expected intent, key phrases that must survive recognition).
Lower case, no punctuation except apostrophes; numbers and times are written as words.
An expected intent of None marks a bare slot answer.
"""

from __future__ import annotations

BLIND: list[tuple[str, str | None, tuple[str, ...]]] = [
    # make_booking
    ("hey can you grab us a table at kaito sushi for three tonight", "make_booking", ("kaito sushi", "three")),
    ("i need a reservation for two at chez colette on thursday", "make_booking", ("two", "chez colette")),
    ("book tandoor palace for six people at seven thirty", "make_booking", ("tandoor palace", "seven thirty")),
    ("let's do dinner at gangnam bbq saturday night for five", "make_booking", ("gangnam bbq", "five")),
    ("could i reserve the blue plate for brunch on sunday", "make_booking", ("blue plate", "sunday")),
    ("table for four at taverna naxos around eight please", "make_booking", ("four", "taverna naxos")),
    ("set up a reservation at prime and rye for my anniversary friday", "make_booking",
     ("prime and rye", "friday")),
    # modify_booking
    ("can we push the chez colette booking back half an hour", "modify_booking", ("chez colette",)),
    ("change the party size on my reservation to seven", "modify_booking", ("seven",)),
    ("i need to switch my kaito sushi table to thursday instead", "modify_booking", ("kaito sushi", "thursday")),
    ("could you move dinner tonight to a bit earlier like six fifteen", "modify_booking", ("six fifteen",)),
    # cancel_booking
    ("we can't make it anymore cancel the gangnam bbq reservation", "cancel_booking", ("gangnam bbq",)),
    ("drop my booking for saturday", "cancel_booking", ("saturday",)),
    ("go ahead and cancel dinner at tandoor palace", "cancel_booking", ("tandoor palace",)),
    ("i want to cancel all my reservations this week", "cancel_booking", ("cancel",)),
    # check_booking
    ("what reservations do i have coming up", "check_booking", ("reservations",)),
    ("what time is my table at le petit bistro", "check_booking", ("le petit bistro",)),
    ("do i have anything booked for friday night", "check_booking", ("friday",)),
    ("remind me where i'm eating tonight", "check_booking", ("tonight",)),
    # get_recommendations
    ("where should we go for dinner tonight", "get_recommendations", ("dinner",)),
    ("any good thai places near me", "get_recommendations", ("thai",)),
    ("recommend somewhere cheap for vietnamese in the east village", "get_recommendations",
     ("vietnamese", "east village")),
    ("i'm craving ramen what do you suggest", "get_recommendations", ("ramen",)),
    ("what's a nice spot for a date night in soho", "get_recommendations", ("date night", "soho")),
    # search_venue
    ("look up a place called mezze table", "search_venue", ("mezze table",)),
    ("is there a restaurant named little hanoi", "search_venue", ("little hanoi",)),
    ("search for sichuan house", "search_venue", ("sichuan house",)),
    # venue_info
    ("what are the hours for carrabba's tonight", "venue_info", ("carrabba's",)),
    ("does the blue plate have outdoor seating", "venue_info", ("blue plate", "outdoor seating")),
    ("how expensive is sushi zen", "venue_info", ("sushi zen",)),
    ("what's the address of olive garden", "venue_info", ("address", "olive garden")),
    # check_availability
    ("is there room at bistro margot for four at eight", "check_availability", ("bistro margot", "four")),
    ("can olive garden fit a group of ten on saturday", "check_availability", ("olive garden", "ten")),
    ("any tables open at sushi zen tonight", "check_availability", ("sushi zen", "tonight")),
    ("does seoul kitchen have anything free around nine tomorrow", "check_availability",
     ("seoul kitchen", "nine")),
    # find_friends
    ("which of my friends are free this weekend", "find_friends", ("friends",)),
    ("who do i know that likes korean food", "find_friends", ("korean",)),
    ("show me my friends list", "find_friends", ("friends",)),
    # send_invite
    ("invite sarah to dinner at the blue plate friday", "send_invite", ("sarah", "blue plate")),
    ("ask marcus and priya if they want to join us tonight", "send_invite", ("marcus", "priya")),
    ("send emma an invite for tapas barcelona on saturday", "send_invite", ("emma", "tapas barcelona")),
    ("see if david wants to come get ramen with me", "send_invite", ("david",)),
    # respond_invite
    ("tell john i'm in for thursday", "respond_invite", ("john",)),
    ("decline sofia's invitation", "respond_invite", ("sofia's",)),
    ("yeah accept liam's dinner invite", "respond_invite", ("liam's",)),
    # check_invites
    ("has anyone invited me to anything", "check_invites", ("invited",)),
    ("do i have any pending invites", "check_invites", ("invites",)),
    # get_directions
    ("how do i get to golden dragon from here", "get_directions", ("golden dragon",)),
    ("give me directions to jade garden", "get_directions", ("jade garden",)),
    # estimate_travel
    ("how long will it take to walk to sushi zen", "estimate_travel", ("walk", "sushi zen")),
    ("how far is burger joint from my place", "estimate_travel", ("burger joint",)),
    # greeting / thanks / help
    ("hi luna good evening", "greeting", ("hi",)),
    ("that's perfect thanks so much", "thanks", ("thanks",)),
    ("what kinds of things can you help me with", "help", ("help",)),
    # confirm
    ("yes please go ahead", "confirm", ("yes",)),
    ("sounds good book it", "confirm", ("book it",)),
    # deny
    ("no never mind", "deny", ("no",)),
    ("nope that's not right", "deny", ("nope",)),
    # bare slot answers
    ("seven thirty on saturday", None, ("seven thirty", "saturday")),
    ("just the two of us", None, ("two",)),
]
