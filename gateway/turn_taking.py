"""Word rules of turn-taking: backchannels that must not interrupt, hesitations that delay end of turn."""

from __future__ import annotations

import re

# Said while listening to the assistant, these mean "go on", not "stop". ("yes"/"no" are answers, not here.)
BACKCHANNEL_WORDS = {"ok", "okay", "mm", "mmm", "hmm", "mhm", "mmhmm", "mm-hmm", "uh-huh", "uhhuh", "uh", "huh",
                     "aha", "right", "alright", "i", "see", "got", "it"}
BACKCHANNEL_MAX_WORDS = 3
# A pause after these means the user has not finished the sentence.
HESITATION_WORDS = {"um", "uh", "er", "erm", "hmm", "and", "or", "but", "so", "because", "with", "at", "for", "the",
                    "a", "to", "like"}
_WORD = re.compile(r"[a-z']+(?:-[a-z']+)*")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def is_backchannel(text: str) -> bool:
    w = words(text)
    return 0 < len(w) <= BACKCHANNEL_MAX_WORDS and all(x in BACKCHANNEL_WORDS for x in w)


def ends_in_hesitation(text: str) -> bool:
    w = words(text)
    return bool(w) and w[-1] in HESITATION_WORDS
