"""The `luna understand` command contract: one JSON object per text, --jsonl in order, --eval metrics."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

LUNA = Path(sys.executable).parent / "luna"
NOW = "2026-05-14T15:00:00-04:00"
ROOT = Path(__file__).resolve().parent.parent


def luna(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LUNA_DATABASE_URL")}
    return subprocess.run([str(LUNA), "understand", *args], input=stdin, capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env, check=False)


def test_one_text_prints_one_json_object(tmp_path: Path) -> None:
    # A directory without var/luna.db: --user falls back to the demo vocabulary.
    done = luna("--now", NOW, "--tz", "America/New_York", "--user", "1",
                "table for four at carrabbas tonight at seven thirty", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == {
        "text": "table for four at carrabbas tonight at seven thirty",
        "intent": "make_booking",
        "confidence": json.loads(lines[0])["confidence"],
        "entities": {"venue_name": "Carrabba's Italian Grill", "date_time": "2026-05-14T19:30:00-04:00",
                     "party_size": 4},
    }
    assert 0 < json.loads(lines[0])["confidence"] <= 1


def test_jsonl_answers_each_line_in_order() -> None:
    rows = [
        {"text": "cancel my reservation at olive garden"},
        {"text": "what's the weather like"},
        {"text": "book a table tomorrow at 8 pm", "now": "2026-05-14T23:30:00+00:00", "tz": "Asia/Tokyo"},
        {"text": "invite sara to lunch"},
    ]
    done = luna("--jsonl", "--now", NOW, stdin="".join(json.dumps(r) + "\n" for r in rows))
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["text"] for o in out] == [r["text"] for r in rows]
    assert [o["intent"] for o in out] == ["cancel_booking", "unclear", "make_booking", "send_invite"]
    assert out[0]["entities"] == {"venue_name": "Olive Garden"}
    assert out[1]["entities"] == {}
    assert out[2]["entities"] == {"date_time": "2026-05-16T20:00:00+09:00"}
    assert out[3]["entities"] == {"person_name": "Sarah"}


def test_bad_input_is_an_error_not_a_guess() -> None:
    assert luna("--jsonl", stdin='{"no_text": 1}\n').returncode == 2
    assert luna("--now", "yesterday-ish", "hello").returncode == 2


def test_eval_prints_the_metrics() -> None:
    done = luna("--eval", str(ROOT / "tests" / "data" / "understanding" / "heldout.jsonl"))
    assert done.returncode == 0, done.stderr
    for label in ("intent accuracy", "entity precision", "entity recall", "entity F1", "out-of-scope recall",
                  "latency median", "latency p99", "make_booking", "unclear"):
        assert label in done.stdout


def test_user_vocabulary_comes_from_the_store_when_there_is_one(tmp_path: Path) -> None:
    store = pytest.importorskip("action_agent.store")
    vocab_module = pytest.importorskip("action_agent.domain.vocabulary")
    from gateway.understanding.demo_vocabulary import demo_vocabulary

    url = f"sqlite:///{tmp_path / 'luna.db'}"
    seeded = subprocess.run([str(LUNA), "seed", "--database-url", url, "--now", NOW], capture_output=True,
                            text=True, timeout=120, check=False)
    assert seeded.returncode == 0, seeded.stderr
    engine = store.make_engine(url)
    try:
        vocabulary = vocab_module.load_vocabulary(store.engine.session_factory(engine), 1)
    finally:
        engine.dispose()
    demo_names = {v.name for v in demo_vocabulary().venues}
    only_in_store = next(v.name for v in vocabulary.venues if v.name not in demo_names)
    env = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run([str(LUNA), "understand", "--user", "1", "--now", NOW,
                           f"book a table at {only_in_store.lower()} for two"],
                          capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["entities"]["venue_name"] == only_in_store
