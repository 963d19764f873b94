"""Side by side: the same audio decoded by the landed settings and by other configurations, turn by turn.

    .venv/bin/python -m bench.asr_eval.compare --full --set test --out /tmp/a.jsonl lponlybeam=1e-32 topn=6
    .venv/bin/python -m bench.asr_eval.compare --report /tmp/a.jsonl

A configuration is comma-separated overrides of DecoderSettings fields or of the language model's options
(general_weight, general_top, min_backoff, order), e.g. "lw=5.5,wip=0.65". The landed settings always run too, as
"landed". Every configuration hears the same turns in the same order, so differences are the configuration's.
Single runs move with the order of turns and with small changes to the model (docs/benchmarks.md, tenth round), so
a difference of less than about half a point, or on one set only, is noise.

`--part 0/2` and `--part 1/2` split the speakers (voice and noise condition) between two processes, one per core;
a speaker's turns stay in one process, in order, so cepstral means and adaptation carry over as in the benchmark.
`--report` adds up the parts' files. RTF figures compare rows of one run only: parallel processes share the CPU.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import sys
import time
from collections import defaultdict
from typing import Any, TextIO

from rapidfuzz.distance import Levenshtein

from bench.asr_eval.run import (
    NOISE_SNR_DB,
    SETS,
    _intent,
    _score_words,
    _understander,
    conditions,
    recognise,
    speaker_key,
)
from gateway.speech.embedded.asr import DecoderSettings
from gateway.speech.embedded.engine import EmbeddedEngine
from gateway.understanding.demo_vocabulary import demo_vocabulary
from tests import audio

MODEL_OPTIONS = {"general_weight", "general_top", "min_backoff", "order"}
LANDED = "landed"


def parse_configuration(spec: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Parse "key=value,..." into (DecoderSettings overrides, engine options); ValueError says what is wrong."""
    fields = {f.name for f in dataclasses.fields(DecoderSettings)}
    settings: dict[str, Any] = {}
    engine: dict[str, Any] = {}
    for item in filter(None, spec.split(",")):
        key, sep, raw = item.partition("=")
        if not sep:
            raise ValueError(f"{item!r} is not key=value")
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            raise ValueError(f"{key}: {raw!r} is not a number, boolean or tuple") from None
        if key in fields:
            settings[key] = value
        elif key in MODEL_OPTIONS:
            engine[key] = value
        else:
            raise ValueError(f"unknown setting {key!r}: not a DecoderSettings field nor one of {sorted(MODEL_OPTIONS)}")
    return settings, engine


def build_engine(spec: str) -> EmbeddedEngine:
    settings, options = parse_configuration(spec)
    engine = EmbeddedEngine(demo_vocabulary(), settings=DecoderSettings(**settings), **options)
    # the benchmark decodes on the model rebuilt with one more friend (it times the rebuild): so do these runs
    engine.update_vocabulary(dataclasses.replace(engine.vocabulary,
                                                 friend_names=(*engine.vocabulary.friend_names, "Zed")))
    return engine


def decode(configurations: list[str], split: str, full: bool, limit: int | None, part: int, parts: int,
           out: TextIO | None) -> list[dict[str, Any]]:
    """Decode this part's turns with each configuration in turn; each row is also written to `out` as it comes."""
    engines = {name: build_engine("" if name == LANDED else name) for name in configurations}
    understander = _understander(next(iter(engines.values())).vocabulary)
    work = conditions(SETS[split], full, limit, NOISE_SNR_DB)
    mine = set(sorted({speaker_key(v, s, n) for _, _, _, v, s, n in work})[part::parts])
    rows: list[dict[str, Any]] = []
    for k, (text, intent, _keys, voice, speed, snr) in enumerate(work):
        speaker = speaker_key(voice, speed, snr)
        if speaker not in mine:
            continue
        pcm = audio.turn(audio.speech(text, voice=voice, speed=speed), snr, seed=k)
        reference = _score_words(text)
        for name, engine in engines.items():
            hyp, cpu = recognise(engine, pcm, speaker)
            row = {"configuration": name, "set": split, "turn": k, "speaker": speaker, "text": text,
                   "hypothesis": hyp, "errors": Levenshtein.distance(reference, _score_words(hyp)),
                   "words": len(reference), "audio_s": len(pcm) / 2 / audio.RATE, "cpu_s": cpu, "intent": intent,
                   "recognised_intent": _intent(understander, hyp) if intent else None}
            rows.append(row)
            if out is not None:
                out.write(json.dumps(row) + "\n")
                out.flush()
    return rows


def report(rows: list[dict[str, Any]]) -> None:
    names = list(dict.fromkeys(r["configuration"] for r in rows))
    # group -> configuration -> [errors, words, intents right, intents scored, cpu, audio]
    totals: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0, 0.0, 0.0]))
    for r in rows:
        noisy = r["speaker"].endswith(" noisy")
        voice = r["speaker"].removesuffix(" noisy")
        for group in ("all", "noisy" if noisy else "clean", voice, f"{voice} {'noisy' if noisy else 'clean'}"):
            t = totals[group][r["configuration"]]
            t[0] += r["errors"]
            t[1] += r["words"]
            if r["intent"]:
                t[2] += r["recognised_intent"] == r["intent"]
                t[3] += 1
            t[4] += r["cpu_s"]
            t[5] += r["audio_s"]
    print(f"{'':<22}" + "".join(f"{name[:28]:<30}" for name in names))
    print(f"{'':<22}" + "WER    intent  RTF           " * len(names))
    for group, by_name in totals.items():
        cells = []
        for name in names:
            e, w, right, scored, cpu, audio_s = by_name[name]
            cells.append(f"{100 * e / max(w, 1):5.1f}% {100 * right / max(scored, 1):5.1f}% "
                         f"{cpu / max(audio_s, 1e-9):.3f}        ")
        print(f"{group:<22}" + "".join(cells))


def parse_part(spec: str) -> tuple[int, int]:
    """Parse "K/N" into (K, N), K counted from 0."""
    k, sep, n = spec.partition("/")
    if not (sep and k.isdigit() and n.isdigit() and int(k) < int(n)):
        raise ValueError(f"--part {spec!r}: want K/N with 0 <= K < N, e.g. 0/2")
    return int(k), int(n)


def read_rows(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as rows:
        return [json.loads(line) for line in rows]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("configurations", nargs="*", help='overrides, e.g. "topn=6" or "lw=5.5,wip=0.65"')
    parser.add_argument("--set", choices=sorted(SETS), default="test")
    parser.add_argument("--full", action="store_true", help="every sentence in every voice, clean and noisy")
    parser.add_argument("--limit", type=int, help="only the first N sentences")
    parser.add_argument("--part", default="0/1", help="K/N: the K-th of N shares of the speakers (from 0)")
    parser.add_argument("--out", help="write one JSON line per turn and configuration here (for --report)")
    parser.add_argument("--report", nargs="+", metavar="FILE", help="add up the files of earlier runs and print")
    args = parser.parse_args(argv)
    if args.report:
        report([row for path in args.report for row in read_rows(path)])
        return
    try:
        for spec in args.configurations:
            parse_configuration(spec)
        part, parts = parse_part(args.part)
    except ValueError as e:
        parser.error(str(e))
    started = time.monotonic()
    configurations = [LANDED, *args.configurations]
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            rows = decode(configurations, args.set, args.full, args.limit, part, parts, out)
    else:
        rows = decode(configurations, args.set, args.full, args.limit, part, parts, None)
    report(rows)
    print(f"\n{time.monotonic() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
