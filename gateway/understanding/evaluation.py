"""Scoring an Understander on labelled utterances: intent accuracy, per-intent F1, entity precision/recall/F1,
out-of-scope recall and latency. Used by `luna understand --eval FILE` and by the held-out accuracy test.

A labelled file has one JSON object per line: {"text", "intent", "entities", "now", "tz"}.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from gateway.understanding.classifier import IntentClassifier
from gateway.understanding.templates import template_sentences
from gateway.understanding.understander import (
    DEFAULT_TZ,
    INTENTS,
    TRAINING_FILE,
    Understander,
    Understanding,
    masked_text,
)


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: dict[str, Any]
    now: datetime | None = None
    tz: str = DEFAULT_TZ


def load_examples(path: Path) -> list[Example]:
    examples = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            now = datetime.fromisoformat(row["now"]) if row.get("now") else None
            examples.append(Example(row["text"], row["intent"], dict(row.get("entities", {})), now,
                                    row.get("tz") or DEFAULT_TZ))
    return examples


def _pairs(entities: dict[str, Any]) -> set[tuple[str, Any]]:
    """Comparable (key, value) pairs; distances compare to 0.01 km."""
    return {(k, round(float(v), 2) if k == "distance_km" else v) for k, v in entities.items()}


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@dataclass
class Report:
    total: int = 0
    correct: int = 0
    intent_f1: dict[str, tuple[float, float, float, int]] = field(default_factory=dict)  # p, r, f1, support
    entity_tp: int = 0
    entity_fp: int = 0
    entity_fn: int = 0
    oos_total: int = 0
    oos_found: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[tuple[Example, Understanding]] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def entity_precision(self) -> float:
        found = self.entity_tp + self.entity_fp
        return self.entity_tp / found if found else 1.0

    @property
    def entity_recall(self) -> float:
        expected = self.entity_tp + self.entity_fn
        return self.entity_tp / expected if expected else 1.0

    @property
    def entity_f1(self) -> float:
        return _f1(self.entity_precision, self.entity_recall)

    @property
    def oos_recall(self) -> float:
        return self.oos_found / self.oos_total if self.oos_total else 1.0

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0

    @property
    def p99_ms(self) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[math.ceil(0.99 * len(ordered)) - 1]  # nearest rank

    def summary(self) -> dict[str, Any]:
        return {
            "utterances": self.total,
            "intent_accuracy": round(self.intent_accuracy, 4),
            "entity_precision": round(self.entity_precision, 4),
            "entity_recall": round(self.entity_recall, 4),
            "entity_f1": round(self.entity_f1, 4),
            "out_of_scope_recall": round(self.oos_recall, 4),
            "median_ms": round(self.median_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
        }


def evaluate(understander: Understander, examples: list[Example]) -> Report:
    report = Report()
    predicted: list[str] = []
    understander.understand("warm up", examples[0].now if examples else None)  # first-call costs are start-up
    for ex in examples:
        start = time.perf_counter()
        result = understander.understand(ex.text, ex.now, ex.tz)
        report.latencies_ms.append((time.perf_counter() - start) * 1000.0)
        predicted.append(result.intent)
        report.total += 1
        ok_intent = result.intent == ex.intent
        report.correct += ok_intent
        if ex.intent == "unclear":
            report.oos_total += 1
            report.oos_found += result.intent == "unclear"
        want, got = _pairs(ex.entities), _pairs(result.entities)
        report.entity_tp += len(want & got)
        report.entity_fp += len(got - want)
        report.entity_fn += len(want - got)
        if not ok_intent or want != got:
            report.errors.append((ex, result))
    gold = Counter(ex.intent for ex in examples)
    guessed = Counter(predicted)
    hits = Counter(ex.intent for ex, p in zip(examples, predicted, strict=True) if ex.intent == p)
    for intent in INTENTS:
        if not gold[intent] and not guessed[intent]:
            continue
        p = hits[intent] / guessed[intent] if guessed[intent] else 0.0
        r = hits[intent] / gold[intent] if gold[intent] else 0.0
        report.intent_f1[intent] = (p, r, _f1(p, r), gold[intent])
    return report


def format_report(report: Report, show_errors: bool = False) -> str:
    s = report.summary()
    lines = [
        f"utterances            {s['utterances']}",
        f"intent accuracy       {s['intent_accuracy']:.4f}",
        f"entity precision      {s['entity_precision']:.4f}",
        f"entity recall         {s['entity_recall']:.4f}",
        f"entity F1             {s['entity_f1']:.4f}",
        f"out-of-scope recall   {s['out_of_scope_recall']:.4f}  ({report.oos_found}/{report.oos_total})",
        f"latency median        {s['median_ms']:.3f} ms per utterance",
        f"latency p99           {s['p99_ms']:.3f} ms per utterance",
        "",
        f"{'intent':<22}{'precision':>10}{'recall':>10}{'F1':>10}{'support':>9}",
    ]
    for intent, (p, r, f1, n) in report.intent_f1.items():
        lines.append(f"{intent:<22}{p:>10.3f}{r:>10.3f}{f1:>10.3f}{n:>9}")
    if show_errors and report.errors:
        lines += ["", "errors (expected -> got):"]
        for ex, got in report.errors:
            lines.append(f"  {ex.text!r}")
            if ex.intent != got.intent:
                lines.append(f"      intent   {ex.intent} -> {got.intent} ({got.confidence:.2f})")
            if _pairs(ex.entities) != _pairs(got.entities):
                lines.append(f"      entities {json.dumps(ex.entities, sort_keys=True)}")
                lines.append(f"            -> {json.dumps(got.entities, sort_keys=True)}")
    return "\n".join(lines)


def cross_validate(folds: int = 5, thresholds: Sequence[float] = (0.0, 0.2, 0.25, 0.3, 0.4, 0.5),
                   path: Path = TRAINING_FILE) -> list[dict[str, float]]:
    """K-fold cross-validation of the intent classifier on the hand-written training sentences (the pattern
    sentences stay in every training fold), for each confidence threshold below which the answer is
    "unclear". This, not the held-out set, is what the threshold is chosen on."""
    examples = load_examples(path)
    masked = [masked_text(ex.text) for ex in examples]
    patterns = template_sentences()
    pattern_texts = [masked_text(s) for s, _ in patterns]
    pattern_labels = [i for _, i in patterns]
    # Deterministic stratified folds: the n-th example of each intent goes to fold n mod K.
    seen: Counter[str] = Counter()
    fold_of = []
    for ex in examples:
        fold_of.append(seen[ex.intent] % folds)
        seen[ex.intent] += 1
    predictions: list[tuple[str, float]] = [("", 0.0)] * len(examples)
    for k in range(folds):
        train = [i for i, f in enumerate(fold_of) if f != k]
        model = IntentClassifier().fit([masked[i] for i in train] + pattern_texts,
                                       [examples[i].intent for i in train] + pattern_labels)
        for i, f in enumerate(fold_of):
            if f == k:
                predictions[i] = model.predict(masked[i])
    results = []
    for threshold in thresholds:
        got = [intent if conf >= threshold else "unclear" for intent, conf in predictions]
        correct = sum(g == ex.intent for g, ex in zip(got, examples, strict=True))
        oos = [g for g, ex in zip(got, examples, strict=True) if ex.intent == "unclear"]
        in_scope = [(g, ex) for g, ex in zip(got, examples, strict=True) if ex.intent != "unclear"]
        results.append({
            "threshold": threshold,
            "intent_accuracy": round(correct / len(examples), 4),
            "out_of_scope_recall": round(sum(g == "unclear" for g in oos) / max(1, len(oos)), 4),
            "in_scope_sent_to_unclear": round(sum(g == "unclear" for g, _ in in_scope) / max(1, len(in_scope)), 4),
        })
    return results
