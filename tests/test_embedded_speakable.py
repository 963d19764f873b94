"""speakable(): numbers, times, codes and prices as a person would say them."""

from __future__ import annotations

import pytest

from gateway.speech.embedded.speakable import number_words, ordinal_words, speakable, time_words


@pytest.mark.parametrize(("n", "words"), [
    (0, "zero"), (7, "seven"), (13, "thirteen"), (40, "forty"), (42, "forty two"), (100, "one hundred"),
    (115, "one hundred fifteen"), (1200, "one thousand two hundred"), (2_000_005, "two million five"),
])
def test_number_words(n: int, words: str) -> None:
    assert number_words(n) == words


@pytest.mark.parametrize(("n", "words"), [(1, "first"), (2, "second"), (3, "third"), (5, "fifth"), (12, "twelfth"),
                                          (20, "twentieth"), (21, "twenty first"), (14, "fourteenth")])
def test_ordinal_words(n: int, words: str) -> None:
    assert ordinal_words(n) == words


@pytest.mark.parametrize(("args", "words"), [
    ((7, 30, "PM"), "seven thirty PM"), ((7, 0, "pm"), "seven PM"), ((7, 5, ""), "seven oh five"),
    ((19, 45, ""), "seven forty five PM"), ((12, 0, ""), "noon"), ((12, 0, "AM"), "midnight"),
    ((0, 15, ""), "twelve fifteen AM"), ((9, 0, ""), "nine o'clock"),
])
def test_time_words(args: tuple[int, int, str], words: str) -> None:
    assert time_words(*args) == words


@pytest.mark.parametrize(("text", "spoken"), [
    ("Table for 4 at 7:30 PM.", "Table for four at seven thirty PM."),
    ("See you at 7pm tonight", "See you at seven PM tonight"),
    ("Dinner at 19:00", "Dinner at seven PM"),
    ("at 8:05 a.m.", "at eight oh five AM"),
    ("Your code is ABC123.", "Your code is A B C one two three."),
    ("Code LUNA-7K2P", "Code L U N A seven K two P"),
    ("It costs $12.50", "It costs twelve dollars fifty"),
    ("about $45 a head", "about forty five dollars a head"),
    ("only $1", "only one dollar"),
    ("$0.75", "seventy five cents"),
    ("March 3rd", "March third"),
    ("2.3 mi away, about 15 min", "two point three miles away, about fifteen minutes"),
    ("a 4.5 rating", "a four point five rating"),
    ("1,200 reviews", "one thousand two hundred reviews"),
    ("Joe's 24-Hour Diner", "Joe's twenty four-Hour Diner"),
    ("NYC is great", "NYC is great"),
    ("Salt & Pepper", "Salt and Pepper"),
])
def test_speakable(text: str, spoken: str) -> None:
    assert speakable(text) == spoken
