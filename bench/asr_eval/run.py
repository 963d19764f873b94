"""ASR evaluation of the embedded engine on held-out utterances synthesised by espeak-ng.

    .venv/bin/python -m bench.asr_eval                 # modest run: every sentence once, voices rotated
    .venv/bin/python -m bench.asr_eval --full          # every sentence x every voice, clean and noisy
    .venv/bin/python -m bench.asr_eval --lw 8 --show-errors
    .venv/bin/python -m bench.asr_eval --full --set blind3  # the third blind set: final figures only, never tuning

Prints word error rate, sentence accuracy, key-phrase recall, intent accuracy through recognition +
understanding (when gateway.understanding is importable), off-domain behaviour and the real-time
factor (decode CPU time / audio duration, one process = one core).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import tempfile
import time
from dataclasses import dataclass, replace
from typing import Any

from rapidfuzz.distance import Levenshtein

from bench.asr_eval.blind2_sentences import BLIND2
from bench.asr_eval.blind3_sentences import BLIND3
from bench.asr_eval.blind_sentences import BLIND
from bench.asr_eval.sentences import IN_DOMAIN, OFF_DOMAIN, TEST
from gateway.speech.embedded.asr import DecoderSettings
from gateway.speech.embedded.engine import EmbeddedEngine
from gateway.speech.embedded.language_model import ACCENTS, GENERAL_TOP, MIN_BACKOFF, normalize
from gateway.understanding.demo_vocabulary import DEMO_FRIENDS, demo_vocabulary
from luna_common.vocabulary import Vocabulary
from tests import audio

# (espeak-ng voice, words per minute)
VOICES = [("en-us", 160), ("en-us+m3", 140), ("en-gb+f2", 180), ("en-us+f3", 170), ("en-us+m1", 150)]
NOISE_SNR_DB = 15.0
SETS = {"dev": IN_DOMAIN, "test": TEST, "blind": BLIND, "blind2": BLIND2, "blind3": BLIND3}


@dataclass
class Result:
    split: str
    text: str
    voice: str
    noisy: bool
    hypothesis: str
    errors: int
    words: int
    audio_s: float
    cpu_s: float
    expected_intent: str | None = None
    intent: str | None = None
    reference_intent: str | None = None
    keys_found: int = 0
    keys: int = 0


def _score_words(text: str) -> list[str]:
    # "carrabba's" / "carrabbas" and "what's" / "whats" sound the same; spelling is not recognition
    return normalize(text).replace("'", "").split()


def _understander(vocabulary: Vocabulary) -> Any:
    try:
        from gateway.understanding import Understander
    except ImportError:
        return None
    return Understander(vocabulary)


def store_vocabulary() -> Vocabulary:
    """What the running stack's demo user hears: the seeded demo city's venues (158, not the 39 of the built-in
    demo vocabulary) and cuisines, with the evaluation sentences' friend names (the demo user's friends plus
    Olivia and Sam)."""
    from action_agent.domain.vocabulary import load_vocabulary
    from action_agent.store.demo_city import DEMO_USER_ID, seed
    from action_agent.store.engine import make_engine, migrate, session_factory

    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{os.path.join(directory, 'luna.db')}")
        try:
            migrate(engine)
            seed(engine)
            store = load_vocabulary(session_factory(engine), DEMO_USER_ID)
        finally:
            engine.dispose()
    return replace(store, friend_names=tuple(dict.fromkeys((*store.friend_names, *DEMO_FRIENDS)))).with_version()


def _intent(understander: Any, text: str) -> str | None:
    if understander is None:
        return None
    result = understander.understand(text, dt.datetime(2026, 5, 14, 15, 0, tzinfo=dt.UTC), "America/New_York")
    intent = result.intent
    return str(getattr(intent, "value", intent))


def recognise(engine: EmbeddedEngine, pcm: bytes, speaker: str | None = None) -> tuple[str, float]:
    """Stream a turn (see tests.audio.turn) in 20 ms frames, as the gateway would; return text and CPU seconds.

    The CPU includes the speaker adaptation the turn sets off after its transcript."""
    frames = audio.chunks(pcm)
    start = time.process_time()
    recognizer = engine.new_recognizer(speaker)
    for frame in frames:
        recognizer.accept(frame)
    text = recognizer.finish()
    engine.wait_for_adaptation()
    return text, time.process_time() - start


Utterance = tuple[str, str | None, tuple[str, ...]]


def speaker_key(voice: str, speed: int, snr: float | None) -> str:
    """Each voice and noise condition is one speaker (one session): cepstral mean and adaptation carry over in it."""
    return f"{voice}@{speed}{' noisy' if snr is not None else ''}"


def conditions(items: list[Utterance], full: bool, limit: int | None,
               snr: float) -> list[tuple[str, str | None, tuple[str, ...], str, int, float | None]]:
    """(text, intent, keys, voice, speed, SNR or None for clean) for each utterance to decode."""
    items = items[:limit] if limit else items
    out: list[tuple[str, str | None, tuple[str, ...], str, int, float | None]] = []
    for k, (text, intent, keys) in enumerate(items):
        if full:
            out += [(text, intent, keys, v, s, n) for v, s in VOICES for n in (None, snr)]
        else:
            voice, speed = VOICES[k % len(VOICES)]
            out.append((text, intent, keys, voice, speed, snr if k % 2 else None))  # every other one noisy
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="every sentence in every voice, clean and noisy")
    parser.add_argument("--limit", type=int, help="only the first N sentences of each set")
    parser.add_argument("--set", choices=("dev", "test", "both", "blind", "blind2", "blind3"), default="both",
                        help="dev: the sentences used while tuning; test: the held-out set; both: dev and test; "
                             "blind, blind2: sets written blind, since used to compare changes; blind3: a third "
                             "set written blind, for final figures only")
    parser.add_argument("--vocabulary", choices=("demo", "store"), default="demo",
                        help="demo: the built-in demo vocabulary (39 venues) the dev and test sets were written "
                             "for; store: the seeded demo city's 158 venues, as the running stack hears them (the "
                             "first blind set names venues only the store has)")
    parser.add_argument("--snr", type=float, default=NOISE_SNR_DB, help="SNR (dB) of the white noise added")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--general-weight", type=float, default=0.15)
    parser.add_argument("--general-top", type=int, default=GENERAL_TOP)
    parser.add_argument("--accents", default=",".join(ACCENTS),
                        help="espeak-ng voices whose readings join the dictionary, comma-separated ('' for none)")
    parser.add_argument("--min-backoff", type=float, default=MIN_BACKOFF,
                        help="least share each language-model context leaves for unseen word orders")
    defaults = DecoderSettings()
    for name in ("lw", "beam", "wbeam", "pbeam", "lponlybeam", "wip", "silprob", "noise_floor", "reject_general_share"):
            parser.add_argument(f"--{name.replace('_', '-')}", type=float, default=getattr(defaults, name))
    for name in ("maxwpf", "topn", "fwdflatsfwin", "adaptation_turns"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name))
    parser.add_argument("--no-fwdflat", action="store_true")
    parser.add_argument("--no-bestpath", action="store_true")
    parser.add_argument("--no-remove-noise", action="store_true")
    parser.add_argument("--no-suppression", action="store_true", help="no Wiener noise suppressor before decoding")
    parser.add_argument("--no-cmn-init", action="store_true", help="fresh decoders start from the model's mean")
    parser.add_argument("--no-sessions", action="store_true",
                        help="no speaker key: each turn starts from the previous turn's cepstral mean, whoever spoke "
                             "it (by default each voice and noise condition is one session, as the gateway passes "
                             "the session id)")
    args = parser.parse_args(argv)

    settings = replace(defaults, lw=args.lw, noise_floor=args.noise_floor, beam=args.beam, wbeam=args.wbeam,
                       pbeam=args.pbeam, lponlybeam=args.lponlybeam, wip=args.wip, silprob=args.silprob,
                       maxwpf=args.maxwpf, topn=args.topn, fwdflatsfwin=args.fwdflatsfwin,
                       adaptation_turns=args.adaptation_turns,
                       fwdflat=not args.no_fwdflat,
                       bestpath=not args.no_bestpath, reject_general_share=args.reject_general_share,
                       remove_noise=not args.no_remove_noise,
                       suppression_gain_floor=None if args.no_suppression else defaults.suppression_gain_floor,
                       cmn_init=None if args.no_cmn_init else defaults.cmn_init)
    started = time.monotonic()
    accents = tuple(a for a in args.accents.split(",") if a)
    vocabulary = store_vocabulary() if args.vocabulary == "store" else demo_vocabulary()
    engine = EmbeddedEngine(vocabulary, settings=settings, general_weight=args.general_weight,
                            general_top=args.general_top, accents=accents, min_backoff=args.min_backoff)
    build_s = time.monotonic() - started
    rebuild_started = time.monotonic()
    engine.update_vocabulary(replace(engine.vocabulary, friend_names=(*engine.vocabulary.friend_names, "Zed")))
    rebuild_s = time.monotonic() - rebuild_started
    understander = _understander(engine.vocabulary)

    chosen = ["dev", "test"] if args.set == "both" else [args.set]
    work = [(name, c) for name in chosen for c in conditions(SETS[name], args.full, args.limit, args.snr)]
    results: list[Result] = []
    for k, (split, (text, intent, keys, voice, speed, snr)) in enumerate(work):
        pcm = audio.turn(audio.speech(text, voice=voice, speed=speed), snr, seed=k)
        speaker = None if args.no_sessions else speaker_key(voice, speed, snr)
        hyp, cpu = recognise(engine, pcm, speaker)
        ref_words, hyp_words = _score_words(text), _score_words(hyp)
        flat_hyp = " " + " ".join(hyp_words) + " "
        found = sum(1 for key in keys if " " + " ".join(_score_words(key)) + " " in flat_hyp)
        r = Result(split, text, f"{voice}@{speed}", snr is not None, hyp, Levenshtein.distance(ref_words, hyp_words),
                   len(ref_words), len(pcm) / 2 / audio.RATE, cpu, intent, keys_found=found, keys=len(keys))
        if intent is not None and understander is not None:
            r.intent = _intent(understander, hyp)
            r.reference_intent = _intent(understander, text)
        results.append(r)

    off: list[tuple[str, str, str | None]] = []
    venue_names = {normalize(n).removeprefix("the ") for v in engine.vocabulary.venues for n in (v.name, *v.aliases)}
    for k, text in enumerate(OFF_DOMAIN):
        voice, speed = VOICES[k % len(VOICES)]
        hyp, _ = recognise(engine, audio.turn(audio.speech(text, voice=voice, speed=speed)))
        off.append((text, hyp, _intent(understander, hyp)))

    report(results, off, venue_names, settings, args, build_s, rebuild_s, understander is not None)


def _pct(num: float, den: float) -> str:
    return f"{100.0 * num / den:5.1f}%" if den else "  n/a"


def report(results: list[Result], off: list[tuple[str, str, str | None]], venue_names: set[str],
           settings: DecoderSettings, args: argparse.Namespace, build_s: float, rebuild_s: float,
           have_understanding: bool) -> None:
    print(f"asr_eval  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC  host={platform.node()} cpus={os.cpu_count()}")
    print(f"settings  {settings}  general_weight={args.general_weight} general_top={args.general_top} "
          f"accents={args.accents or 'none'} min_backoff={args.min_backoff} vocabulary={args.vocabulary} "
          f"sessions={'no' if args.no_sessions else 'per voice and condition'}")
    print(f"model     first build {build_s:.2f}s, rebuild after a vocabulary change {rebuild_s:.2f}s")
    groups: list[tuple[str, list[Result]]] = [("all", results)]
    for split in sorted({r.split for r in results}):
        rs = [r for r in results if r.split == split]
        groups += [(f"{split}", rs), (f"{split} clean", [r for r in rs if not r.noisy]),
                   (f"{split} noisy {args.snr:.0f} dB SNR", [r for r in rs if r.noisy])]
    groups += [(f"voice {v}", [r for r in results if r.voice == v]) for v in sorted({r.voice for r in results})]
    print(f"\n{'condition':<26} {'utts':>5} {'WER':>7} {'sent acc':>8} {'keys':>7} {'intent':>7} {'RTF':>6}")
    for name, rs in groups:
        if not rs:
            continue
        errors, words = sum(r.errors for r in rs), sum(r.words for r in rs)
        scored = [r for r in rs if r.expected_intent is not None and r.intent is not None]
        intent_ok = sum(1 for r in scored if r.intent == r.expected_intent)
        rtf = sum(r.cpu_s for r in rs) / sum(r.audio_s for r in rs)
        print(f"{name:<26} {len(rs):>5} {_pct(errors, words):>7} {_pct(sum(r.errors == 0 for r in rs), len(rs)):>8} "
              f"{_pct(sum(r.keys_found for r in rs), sum(r.keys for r in rs)):>7} "
              f"{_pct(intent_ok, len(scored)) if have_understanding else '  n/a':>7} {rtf:6.3f}")
    if have_understanding:
        print()
        for split in sorted({r.split for r in results}):
            scored = [r for r in results if r.expected_intent is not None and r.split == split]
            ref_ok = sum(1 for r in scored if r.reference_intent == r.expected_intent)
            print(f"{split}: intent accuracy on the reference text (understanding alone): {_pct(ref_ok, len(scored))}")
    booking_like = sum(1 for _, hyp, intent in off
                       if intent not in (None, "unclear") or any(f" {n} " in f" {hyp} " for n in venue_names))
    print(f"off-domain: {len(off)} utterances, {booking_like} came out with a venue name or a non-unclear intent"
          + ("" if have_understanding else " (no understanding module: venue names only)"))
    if args.show_errors:
        print("\nerrors:")
        for r in results:
            if r.errors or (r.intent is not None and r.intent != r.expected_intent):
                print(f"  [{r.split} {r.voice}{' noisy' if r.noisy else ''}] {r.text!r}\n     -> {r.hypothesis!r}"
                      + (f"  intent {r.intent} (want {r.expected_intent})" if r.intent else ""))
        for text, hyp, intent in off:
            print(f"  [off-domain] {text!r} -> {hyp!r} intent {intent}")
