"""Pure parts of the action agent: the graph's shape, venue and time resolution, speech wording, the tool
registry's schemas."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langgraph.checkpoint.memory import InMemorySaver

from action_agent import speech_text as say
from action_agent.graph.builder import build_graph
from action_agent.resolution.datetimes import TimeZoneError, When, resolve_when, zone
from action_agent.resolution.venues import Mentioned, resolve_venue
from action_agent.tools.registry import REGISTRY, TOOLS
from luna_common.vocabulary import VenueName

NY = zone("America/New_York")
NOW = datetime(2030, 1, 9, 15, 0, tzinfo=NY)  # a Wednesday afternoon
CATALOG = [
    VenueName(1, "Olive Garden", (), ("italian",)),
    VenueName(2, "The Blue Plate", (), ("american",)),
    VenueName(3, "Carrabba's Italian Grill", ("Carrabba's", "carrabbas"), ("italian",)),
    VenueName(4, "Starbucks", (), ("cafe",)),
    VenueName(5, "Sushi Zen", ("Sushi Zen on 5th",), ("sushi", "japanese")),
    VenueName(6, "Sushi Zen Express", (), ("sushi", "japanese")),
]


def test_the_graph_has_the_nodes_and_routes_of_the_spec():
    edges = {(e.source, e.target) for e in build_graph(InMemorySaver()).get_graph().edges}
    assert edges == {
        ("__start__", "parse"),
        ("parse", "resolve"), ("parse", "respond"), ("parse", "clarify"),
        ("resolve", "validate"), ("resolve", "error"), ("resolve", "clarify"),
        ("validate", "confirm"), ("validate", "execute"), ("validate", "error"), ("validate", "clarify"),
        ("confirm", "execute"), ("confirm", "error"), ("confirm", "__end__"),
        ("execute", "format"), ("execute", "error"),
        ("format", "__end__"), ("error", "__end__"), ("clarify", "__end__"), ("respond", "__end__"),
    }


@pytest.mark.parametrize(("text", "venue_id"), [
    ("Olive Garden", 1), ("olive garden", 1), ("Oliv Gardn", 1), ("carrabbas", 3), ("Carrabba's", 3),
    ("Sushi Zen on 5th", 5), ("sushi zen", 5), ("sushi zen express", 6), ("starbucks coffee", 4),
])
def test_venue_names_and_aliases(text, venue_id):
    found = resolve_venue(text, CATALOG)
    assert found.outcome == "found" and found.venue_id == venue_id


def test_ambiguous_and_not_found():
    assert resolve_venue("zen", CATALOG).options == ["Sushi Zen", "Sushi Zen Express"]
    missing = resolve_venue("Starbooks", CATALOG)
    assert missing.outcome == "not_found" and missing.name == "Starbooks" and missing.suggestions[0] == "Starbucks"


def test_context_and_history():
    mentioned = [Mentioned(5, "Sushi Zen", ("sushi",)), Mentioned(1, "Olive Garden", ("italian",))]
    history = [Mentioned(3, "Carrabba's Italian Grill", ("italian",))]
    for words in ("it", "that place", "there", "the restaurant", "that one"):
        assert resolve_venue(words, CATALOG, mentioned, history).venue_id == 5, words
    assert resolve_venue("that italian place", CATALOG, mentioned, history).venue_id == 1
    last_week = resolve_venue("the Italian place we went to last week", CATALOG, mentioned, history)
    assert (last_week.venue_id, last_week.source) == (3, "history")
    assert resolve_venue("it", CATALOG).outcome == "not_found"


@pytest.mark.parametrize(("text", "expected"), [
    ("2030-01-09T19:00:00-05:00", datetime(2030, 1, 9, 19, tzinfo=NY)),
    ("2030-01-09T19:00", datetime(2030, 1, 9, 19, tzinfo=NY)),
    ("at 7", datetime(2030, 1, 9, 19, tzinfo=NY)),
    ("7pm", datetime(2030, 1, 9, 19, tzinfo=NY)),
    ("7pm tonight", datetime(2030, 1, 9, 19, tzinfo=NY)),
    ("next Friday evening", datetime(2030, 1, 11, 19, tzinfo=NY)),  # dateparser: the coming Friday
    ("tomorrow at 7", datetime(2030, 1, 10, 19, tzinfo=NY)),
    ("tonight", datetime(2030, 1, 9, 19, tzinfo=NY)),
    ("8:30", datetime(2030, 1, 9, 20, 30, tzinfo=NY)),
    ("at 2", datetime(2030, 1, 10, 14, tzinfo=NY)),  # 2 PM has passed: tomorrow
    ("noon tomorrow", datetime(2030, 1, 10, 12, tzinfo=NY)),
    ("friday at 8pm", datetime(2030, 1, 11, 20, tzinfo=NY)),
])
def test_times_resolve_against_the_requests_now(text, expected):
    when = resolve_when(text, None, NOW, NY)
    assert when is not None and when.at == expected


def test_days_and_nonsense():
    assert resolve_when(None, "2030-01-12", NOW, NY) == When(day=date(2030, 1, 12))
    assert resolve_when("tomorrow", None, NOW, NY) == When(day=date(2030, 1, 10))
    assert resolve_when("purple elephant", None, NOW, NY) is None
    with pytest.raises(TimeZoneError):
        zone("Mars/Olympus")


@given(st.text(max_size=40))
def test_resolution_never_crashes(text):
    resolve_venue(text, CATALOG)
    resolve_when(text, None, NOW, NY)


def test_speech_says_times_and_codes_in_words():
    assert say.spell_code("K7M2P9") == "K 7 M 2 P 9"
    assert say.when_words(datetime(2030, 1, 9, 19, tzinfo=NY), NOW, NY) == "7 PM tonight"
    assert say.when_words(datetime(2030, 1, 9, 12, 30, tzinfo=NY), NOW, NY) == "12:30 PM today"
    assert say.when_words(datetime(2030, 1, 10, 20, tzinfo=NY), NOW, NY) == "8 PM tomorrow"
    assert say.when_words(datetime(2030, 1, 11, 19, tzinfo=NY), NOW, NY) == "7 PM on Friday"
    assert say.when_words(datetime(2030, 1, 22, 19, tzinfo=NY), NOW, NY) == "7 PM on Tuesday, January 22nd"
    text, follow_up = say.result_text("make_booking", {
        "party_size": 4, "venue_name": "Olive Garden", "time": "2030-01-09T19:00:00-05:00",
        "confirmation_code": "ABC123"}, NOW, NY)
    assert text == ("Done! I've booked a table for 4 at Olive Garden for 7 PM tonight. "
                    "Your confirmation code is A B C 1 2 3.")
    assert follow_up == "Would you like me to invite any friends?"


def test_registry_schemas_are_plain_function_schemas():
    assert len(TOOLS) == 14 and len(REGISTRY) == 14
    for tool in TOOLS:
        schema = tool.json_schema()
        assert schema["type"] == "object" and "$defs" not in schema and "title" not in schema
        for prop in schema["properties"].values():
            assert "anyOf" not in prop and "title" not in prop and "type" in prop
    respond = REGISTRY["respond_invite"].json_schema()
    assert respond["properties"]["response"]["enum"] == ["accept", "decline"]
    assert respond["required"] == ["response"]


def test_default_worker_count_follows_the_cpus_a_container_may_use(tmp_path, monkeypatch):
    from action_agent import settings

    cpu_max = tmp_path / "cpu.max"
    monkeypatch.setattr(settings, "CGROUP_CPU_MAX", cpu_max)
    monkeypatch.setattr(settings.os, "sched_getaffinity", lambda _pid: set(range(16)))
    assert settings.available_cpus() == 16  # no cgroup file: the affinity
    cpu_max.write_text("max 100000\n")
    assert settings.available_cpus() == 16
    cpu_max.write_text("150000 100000\n")  # a quota of 1.5 CPUs
    assert settings.available_cpus() == 2
    cpu_max.write_text("20000 100000\n")
    assert settings.available_cpus() == 1
    monkeypatch.setenv("LUNA_ACTION_WORKERS", "3")
    assert settings.ActionAgentSettings().workers == 3
