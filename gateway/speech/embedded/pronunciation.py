"""Pronunciations in the CMU phone set: CMUdict first, espeak-ng's IPA mapped to CMU phones for the rest.

"Carrabba's" is not in CMUdict; espeak-ng reads it as /kæɹˈæbəz/, which maps to K AE R AE B AH Z.
Accent readings (espeak-ng's British English, say) join as alternates, so "for" is also F AO and "party" P AA T IY.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache

import pocketsphinx

# Longest symbols first so diphthongs and affricates win over their parts.
_IPA_TO_CMU: dict[str, tuple[str, ...]] = {
    "tʃ": ("CH",), "dʒ": ("JH",), "eɪ": ("EY",), "aɪ": ("AY",), "ɔɪ": ("OY",), "aʊ": ("AW",), "oʊ": ("OW",),
    "əʊ": ("OW",), "ɪə": ("IH", "R"), "eə": ("EH", "R"), "ʊə": ("UH", "R"), "ɜː": ("ER",), "ɑː": ("AA",),
    "ɔː": ("AO",), "iː": ("IY",), "uː": ("UW",), "oː": ("OW",), "aː": ("AA",), "n̩": ("AH", "N"), "l̩": ("AH", "L"),
    "m̩": ("AH", "M"), "ɚ": ("ER",), "ɝ": ("ER",), "ɜ": ("ER",), "ɑ": ("AA",), "ɒ": ("AA",), "ɔ": ("AO",),
    "æ": ("AE",), "ʌ": ("AH",), "ə": ("AH",), "ɐ": ("AH",), "ɪ": ("IH",), "ᵻ": ("IH",), "i": ("IY",),
    "ʊ": ("UH",), "u": ("UW",), "ɛ": ("EH",), "e": ("EH",), "o": ("OW",), "a": ("AA",), "y": ("UW",),
    "p": ("P",), "b": ("B",), "t": ("T",), "d": ("D",), "k": ("K",), "ɡ": ("G",), "g": ("G",), "f": ("F",),
    "v": ("V",), "θ": ("TH",), "ð": ("DH",), "s": ("S",), "z": ("Z",), "ʃ": ("SH",), "ʒ": ("ZH",), "h": ("HH",),
    "m": ("M",), "n": ("N",), "ŋ": ("NG",), "l": ("L",), "ɫ": ("L",), "ɹ": ("R",), "r": ("R",), "ɾ": ("T",),
    "w": ("W",), "j": ("Y",), "x": ("K",), "ç": ("HH",), "ʔ": (), "ɬ": ("L",),
}
_IGNORED = set("ˈˌːˑ‿ -_.,'\u0361\u032f\u0329")
_MAX_SYMBOL = max(len(k) for k in _IPA_TO_CMU)

MODEL_DIR = os.path.join(pocketsphinx.get_model_path(), "en-us")
CMUDICT_PATH = os.path.join(MODEL_DIR, "cmudict-en-us.dict")


def ipa_to_cmu(ipa: str) -> list[str]:
    """Map an espeak-ng IPA string to CMU phones (stress and length marks dropped, unknown symbols skipped)."""
    phones: list[str] = []
    i = 0
    while i < len(ipa):
        if ipa[i] in _IGNORED:
            i += 1
            continue
        for size in range(_MAX_SYMBOL, 0, -1):
            symbol = ipa[i:i + size]
            if symbol in _IPA_TO_CMU:
                phones.extend(_IPA_TO_CMU[symbol])
                i += size
                break
        else:
            i += 1  # a symbol with no CMU counterpart (rare diacritic): leave it out
    # the flap and glottal stop can leave doubled phones ("T T"); the decoder prefers them merged
    return [p for k, p in enumerate(phones) if k == 0 or p != phones[k - 1]]


def espeak_ipa(words: list[str], voice: str = "en-us") -> list[str]:
    """IPA of each word, one espeak-ng call for all (one word per clause keeps the output aligned)."""
    if not words:
        return []
    text = "\n".join(f"{w}." for w in words)
    out = subprocess.run(["espeak-ng", "-q", "--ipa", "-v", voice], input=text.encode(), capture_output=True,
                         check=True, timeout=30).stdout.decode()
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    if len(lines) == len(words):
        return lines
    # espeak-ng joined or split clauses differently: fall back to one call per word
    return [subprocess.run(["espeak-ng", "-q", "--ipa", "-v", voice, w], capture_output=True, check=True,
                           timeout=10).stdout.decode().strip() for w in words]


_readings: dict[tuple[str, str], str] = {}  # (voice, word) -> IPA: a rebuild asks again for nearly every word
_readings_lock = threading.Lock()


def cached_ipa(words: Sequence[str], voice: str = "en-us") -> list[str]:
    """espeak_ipa, remembered per word for the life of the process (espeak-ng takes ~0.5 ms a word)."""
    with _readings_lock:
        missing = [w for w in dict.fromkeys(words) if (voice, w) not in _readings]
    if missing:
        found = dict(zip(missing, espeak_ipa(missing, voice), strict=True))
        with _readings_lock:
            _readings.update(((voice, w), ipa) for w, ipa in found.items())
    with _readings_lock:
        return [_readings[(voice, w)] for w in words]


@lru_cache(maxsize=1)
def cmudict() -> dict[str, list[str]]:
    """CMUdict as shipped with pocketsphinx: word → pronunciations (alternates "word(2)" folded in)."""
    entries: dict[str, list[str]] = {}
    with open(CMUDICT_PATH, encoding="utf-8") as f:
        for line in f:
            head, _, phones = line.strip().partition(" ")
            if not phones:
                continue
            word = head.split("(", 1)[0]
            entries.setdefault(word, []).append(phones.split("#", 1)[0].strip())
    return entries


def pronunciations(words: Iterable[str], names: set[str] | frozenset[str] = frozenset(),
                   accents: Sequence[str] = (), accented: set[str] | frozenset[str] | None = None
                   ) -> dict[str, list[str]]:
    """Pronunciations (space-separated CMU phones) for every word; generated ones for words CMUdict lacks.

    Words of `names` (venues, friends) also get espeak-ng's reading as an alternate when it differs from
    CMUdict's: names are said several ways ("napoli" with the vowel of "pot" or of "but", "kimchi").
    Every word of `accented` (default: all) also gets its reading in each espeak-ng voice of `accents` (e.g.
    "en-gb") when that differs.
    """
    known = cmudict()
    words = set(words)
    result = {w: list(known[w]) for w in words if w in known}
    generate = sorted(w for w in words if w not in known or w in names)
    for word, ipa in zip(generate, cached_ipa(generate), strict=True):
        _add(result.setdefault(word, []), ipa)
    spelled = sorted(w for w, p in result.items() if p and (accented is None or w in accented))
    for voice in accents:
        for word, ipa in zip(spelled, cached_ipa(spelled, voice), strict=True):
            _add(result[word], ipa)
    return {w: p for w, p in result.items() if p}


def _add(alternates: list[str], ipa: str) -> None:
    phones = " ".join(ipa_to_cmu(ipa))
    if phones and phones not in alternates:
        alternates.append(phones)


def write_dictionary(path: str, prons: dict[str, list[str]]) -> None:
    """A pocketsphinx dictionary file (alternates numbered word(2), word(3), ...)."""
    with open(path, "w", encoding="utf-8") as f:
        for word in sorted(prons):
            for k, phones in enumerate(prons[word]):
                f.write(f"{word if k == 0 else f'{word}({k + 1})'} {phones}\n")
