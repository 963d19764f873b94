"""luna understand: the intent and entities of a text as JSON, or an evaluation over a labelled file.

    luna understand --now 2026-05-14T15:00:00-04:00 "table for four at olive garden tonight at seven"
    echo '{"text": "cancel my booking"}' | luna understand --jsonl
    luna understand --eval tests/data/understanding/heldout.jsonl
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from gateway.understanding.understander import DEFAULT_TZ, Understander
from luna_common.vocabulary import Vocabulary

_SQLITE_DEFAULT = Path("var/luna.db")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="*", help="the words to understand")
    parser.add_argument("--now", help="ISO 8601 time relative days resolve against (default: now)")
    parser.add_argument("--tz", default=None, help=f"IANA time zone of the user (default {DEFAULT_TZ})")
    parser.add_argument("--user", type=int, default=None,
                        help="user whose friends and venues to know (read from the database when there is one)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--jsonl", action="store_true",
                      help="read JSON lines with a text (and optional now, tz) from stdin, write one result per line")
    mode.add_argument("--eval", metavar="FILE", type=Path,
                      help="score a labelled JSONL file: intent accuracy, per-intent F1, entity P/R/F1, latency")
    mode.add_argument("--cv", metavar="K", type=int,
                      help="K-fold cross-validation of the intent classifier on the training sentences, per threshold")
    parser.add_argument("--errors", action="store_true", help="with --eval: list the utterances that were wrong")
    parser.add_argument("--json", action="store_true", help="with --eval: print the summary as JSON")


def _database_url() -> str | None:
    url = os.environ.get("DATABASE_URL") or os.environ.get("LUNA_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{_SQLITE_DEFAULT}" if _SQLITE_DEFAULT.exists() else None


def load_user_vocabulary(user_id: int | None) -> Vocabulary | None:
    """The user's vocabulary from the domain store when it is installed and a database exists, else None
    (the caller falls back to the built-in demo vocabulary, which the store's seed also contains)."""
    url = _database_url()
    if user_id is None or url is None:
        return None
    try:
        vocab_module = importlib.import_module("action_agent.domain.vocabulary")
        engine_module = importlib.import_module("action_agent.store.engine")
    except ImportError:
        return None
    try:
        engine = engine_module.make_engine(url)
        try:
            vocabulary: Vocabulary = vocab_module.load_vocabulary(engine_module.session_factory(engine), user_id)
        finally:
            engine.dispose()
    except Exception as exc:  # an unmigrated or unreachable database: say so, keep working with the demo names
        print(f"luna understand: could not read the vocabulary from the database ({exc}); using the demo city",
              file=sys.stderr)
        return None
    if not vocabulary.venues:  # a database that was never seeded knows no names at all
        print("luna understand: the database has no venues (run `luna seed`); using the demo city", file=sys.stderr)
        return None
    return vocabulary


def _parse_now(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _print(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _run_jsonl(understander: Understander, now: datetime | None, tz: str) -> int:
    for lineno, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text = str(row["text"])
            row_now = _parse_now(row.get("now")) or now
            row_tz = row.get("tz") or tz
        except (ValueError, KeyError, TypeError) as exc:
            print(f"luna understand: line {lineno}: {exc}", file=sys.stderr)
            return 2
        _print(understander.understand(text, row_now, row_tz).as_dict())
        sys.stdout.flush()
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        now = _parse_now(args.now)
    except ValueError:
        print(f"luna understand: --now is not ISO 8601: {args.now}", file=sys.stderr)
        return 2
    tz = args.tz or DEFAULT_TZ
    if args.cv is not None:
        from gateway.understanding.evaluation import cross_validate

        for row in cross_validate(args.cv):
            print(json.dumps(row))
        return 0
    understander = Understander(load_user_vocabulary(args.user))
    if args.eval is not None:
        from gateway.understanding.evaluation import evaluate, format_report, load_examples

        report = evaluate(understander, load_examples(args.eval))
        print(json.dumps(report.summary()) if args.json else format_report(report, show_errors=args.errors))
        return 0
    if args.jsonl:
        return _run_jsonl(understander, now, tz)
    text = " ".join(args.text)
    if not text.strip():
        print("luna understand: give a TEXT, --jsonl or --eval FILE", file=sys.stderr)
        return 2
    _print(understander.understand(text, now, tz).as_dict())
    return 0
