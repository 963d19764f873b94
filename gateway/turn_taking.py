"""Word rules of turn-taking: backchannels that must not interrupt, hesitations that delay end of turn."""

from __future__ import annotations

import re

# Said while listening to the assistant, these mean "go on", not "stop". ("yes"/"no" are answers, not here.)
BACKCHANNEL_WORDS = {"ok", "okay", "m", "mm", "mmm", "hm", "hmm", "mhm", "mmhmm", "mm-hmm", "uh-huh", "uhhuh", "uh",
                     "huh", "aha", "right", "alright", "i", "see", "got", "it"}
BACKCHANNEL_MAX_WORDS = 3
# A pause after these means the user has not finished the sentence.
HESITATION_WORDS = {"um", "uh", "er", "erm", "hmm", "and", "or", "but", "so", "because", "with", "at", "for", "the",
                    "a", "to", "like"}
# Said over a reply, these words are meant: they stop it, however short the utterance. Any other short speech
# over a reply is taken for a backchannel: the embedded recogniser turns "mm-hmm" into anything from "you" to
# "tell lily too", so only these exact words are trusted from half a second of audio.
SHORT_COMMANDS = {"stop", "wait", "no", "nope", "cancel", "yes", "yeah", "yep", "hold", "pause", "quiet", "enough",
                  "actually", "sorry", "hey", "luna"}
_WORD = re.compile(r"[a-z']+(?:-[a-z']+)*")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def content_words(text: str) -> list[str]:
    """The words that are not backchannel sounds."""
    return [w for w in words(text) if w not in BACKCHANNEL_WORDS]


def is_backchannel(text: str) -> bool:
    w = words(text)
    return 0 < len(w) <= BACKCHANNEL_MAX_WORDS and not content_words(text)


def ends_in_hesitation(text: str) -> bool:
    w = words(text)
    return bool(w) and w[-1] in HESITATION_WORDS


def short_overlap_interrupts(text: str) -> bool:
    """Whether a short utterance said over a reply (judged on its final transcript) should stop the reply."""
    return any(w in SHORT_COMMANDS for w in content_words(text))
