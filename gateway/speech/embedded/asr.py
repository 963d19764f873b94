"""Incremental pocketsphinx recognition of 16 kHz PCM16 against the domain language model.

Decoders take ~0.1 s to build, so finished recognisers give theirs back to a pool and the next turn
reuses it; a vocabulary update replaces the model and retires decoders of the old one.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass

import numpy as np
import pocketsphinx

from gateway.speech.base import INPUT_SAMPLE_RATE
from gateway.speech.embedded.language_model import LanguageModelFiles
from gateway.speech.embedded.noise_suppression import NoiseSuppressor
from gateway.speech.embedded.pitch import PitchTracker
from gateway.speech.embedded.pronunciation import MODEL_DIR

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DecoderSettings:
    """pocketsphinx search settings, tuned on bench/asr_eval's development sentences.

    fwdflat=False cuts the real-time factor by about a third for ~3 points of WER.
    """

    # Language-model weight of the first (tree) pass: 6 and 5.5 gave the same WER side by side on the test set and
    # the second blind set, 6 with 3-4% less CPU (its beams hold fewer acoustically likely, linguistically unlikely
    # words); 5 was worse. The flat pass and the lattice best path weigh the model with pocketsphinx's own
    # fwdflatlw 8.5 and bestpathlw 9.5: 7.2/8.0 and 5.5/5.5 cost 2 and 7 points of WER, 10/11 gained nothing.
    lw: float = 6.0
    # Search beams, wider than pocketsphinx's defaults (1e-48, 7e-29, 1e-48): on the test set WER 14.9% -> 13.2%,
    # mostly in noise, for ~20% more CPU; wider still (1e-80, 1e-50) gained nothing more.
    beam: float = 1e-60
    wbeam: float = 1e-40
    pbeam: float = 1e-60
    # Beam on the last phone of single-phone words ("a", "i", "oh"), pocketsphinx's default. Wider is more accurate
    # and slower, side by side on the test set and the second blind set: 1e-32 took WER from 11.4% to 10.8% on both
    # (most of it on the fast British voice) for 7% more CPU, and read RTF 0.104 alone on the test set, past the
    # 0.1 target; 1e-35 and 1e-40 gained more for 14% and 26%. Where CPU is spare, this is the setting to widen.
    lponlybeam: float = 7e-29
    maxwpf: int = -1
    topn: int = 8  # Gaussians scored per frame: 4 (the default) lost ~6 points of WER in noise
    # Word insertion penalty and the probability of a silence between words (pocketsphinx's defaults 0.65 and
    # 0.005). 0.5 and 0.05 together, side by side: WER 11.6% -> 11.4% on the test set, 11.0% -> 10.7% on the
    # second blind set; each alone gained on both sets too, by less.
    wip: float = 0.5
    silprob: float = 0.05
    fwdflat: bool = True  # second flat-lexicon pass: slower, more accurate
    # Frames around each first-pass word start in which the flat pass looks for successor words (pocketsphinx's
    # default 25). 10 took 7% off the decoding CPU, side by side on the test set and the second blind set, with
    # WER 0.1 points lower on both; narrowing the first pass's beams instead cost WER.
    fwdflatsfwin: int = 10
    bestpath: bool = True
    # How often accept() asks the search for a partial hypothesis: each ask backtraces the search, so 100 ms cost
    # about 10% of the decoding CPU in one side-by-side trial; 200 ms still gives five partials a second.
    partial_interval_ms: int = 200
    # RMS (in PCM16 units, 100 ≈ -50 dBFS) of Gaussian noise added to the input. Digitally silent or band-limited
    # input (browser noise suppression, synthetic speech) drives the log filterbank energies far below anything
    # the acoustic model saw in training; a faint noise floor cut clean-speech WER on the development set
    # from 35% to 17%.
    noise_floor: float = 100.0
    # Least gain of the Wiener noise suppressor run before the noise floor is added (noise_suppression.py);
    # None disables it. On the test set's noisy turns (white noise at 15 dB SNR over the whole turn) it took WER
    # from 18.8% to 14.9% and left clean turns as they were; gain floors 0.2 and 0.5 did worse.
    suppression_gain_floor: float | None = 0.3
    # Front-end options. The acoustic model's feat.params overrides these when the decoder is built, so
    # make_decoder sets them again afterwards (reinit_feat).
    remove_noise: bool = True
    # Rejection of off-domain speech: a final transcript is returned empty (so the turn is "unclear") when at
    # least this share of its words exist only in the general-English fallback of the language model ("the
    # quick brown fox jumps over the lazy dog" -> "look week grown thoughts dumb absolutely the dog"); 0 disables
    # it. A third cost nothing on the development sets; a quarter rejected more off-domain speech but lost ~2
    # points of intent accuracy. Off-domain speech forced onto domain words is not caught by this.
    reject_general_share: float = 0.34
    # Vocal-tract-length warp for high voices: the acoustic model fits adult male voices best, so a speaker whose
    # median pitch (pitch.py, over the first ~0.4 s of voiced speech) is at least `high_pitch_hz` is decoded
    # with the front end's frequency axis warped by `high_pitch_warp` (pocketsphinx "inverse_linear"). On 40
    # development sentences in the high (~230 Hz) voice, 1.2 cut WER from 22% to 16% (1.1: 21%, 1.3: 16%). Audio is
    # held back until the pitch is known, which delays the first partial hypothesis by about half a second of
    # speech (never the final one). high_pitch_warp=1.0 disables it.
    high_pitch_hz: float = 170.0
    high_pitch_warp: float = 1.2
    # Speaker-adaptive warp (vocal-tract-length normalisation by maximum likelihood). Pitch does not tell a deep
    # voice from an average one ("en-us+m3" and "en-gb+f2" read ~110 Hz, as "en-us" does), yet they decode best
    # with different warps. So after each of a speaker's first `warp_scoring_turns` turns below `high_pitch_hz`, the
    # turn's audio is aligned to its transcript under each of `warp_candidates`, and later turns are decoded with the
    # warp that fitted most of the scored turns best (DecoderPool.speaker_warp). The alignments run after the final
    # transcript (not on the turn's latency path), each at about a sixth of a decode's CPU. Side by side on the test
    # set and the second blind set: WER 11.6% -> 10.1% and 9.9% -> 8.9% with 3 scored turns (deep voices 7.2% ->
    # 3.3% clean, the fast British one 11.8% -> 9.3%); 1 scored turn chose worse, 5 and 8 chose the same.
    # High voices keep `high_pitch_warp`: choosing between 1.1 and 1.2 for them gained nothing on those sets and
    # cost 6 points on the high voice's clean turns with the store's 158 venues, and across the pitch classes the
    # likelihood pointed the wrong way in noise (the high voice scored best unwarped).
    warp_candidates: tuple[float, ...] = (0.9, 1.0)
    warp_scoring_turns: int = 3
    # Cepstral mean a new decoder starts from. The model's default "40,3,-1,0..." is far from real speech, so the
    # first turn on a fresh decoder was misrecognised ("the blue plate" right after start-up); this is the live
    # mean measured after a turn of development speech. Pooled decoders then carry their adapted mean on (for a
    # speaker heard before, their own mean replaces it): resetting it every turn cost 1.7 points of WER on the
    # development set.
    cmn_init: tuple[float, ...] | None = (52.4, -4.4, -1.6, 3.6, -2.7, -2.2, -3.2, -5.3, -2.6, -2.2, -0.3, -0.6, -1.4)

    def decoder_options(self) -> dict[str, float | int | bool]:
        front_end = ("partial_interval_ms", "noise_floor", "suppression_gain_floor", "remove_noise", "cmn_init",
                     "reject_general_share", "high_pitch_hz", "high_pitch_warp", "warp_candidates",
                     "warp_scoring_turns")
        return {k: v for k, v in asdict(self).items() if k not in front_end}

    def cmn_string(self) -> str | None:
        return None if self.cmn_init is None else ",".join(f"{x:g}" for x in self.cmn_init)


# The name pocketsphinx gives the search a decoder is built with (the language model); an alignment replaces it.
LM_SEARCH = "_default"


def aligned_loglik(decoder: pocketsphinx.Decoder, transcript: str, pcm16: bytes) -> float | None:
    """Acoustic log-likelihood of `pcm16` force-aligned to `transcript`; None where it does not align.

    The whole turn is one batch, so the cepstral mean is the turn's own whatever the decoder held before. The
    decoder is left searching with its language model again.
    """
    try:
        decoder.set_align_text(transcript)
        decoder.start_utt()
        decoder.process_raw(pcm16, False, True)
        decoder.end_utt()
        segments = list(decoder.seg())
    except (RuntimeError, ValueError, KeyError):
        return None
    finally:
        decoder.activate_search(LM_SEARCH)
    # pocketsphinx hands scores over as probabilities: one that underflowed to 0 carries no comparison
    if not segments or any(seg.ascore <= 0.0 for seg in segments):
        return None
    return sum(math.log(seg.ascore) for seg in segments)


def make_decoder(model: LanguageModelFiles, settings: DecoderSettings, warp: float = 1.0) -> pocketsphinx.Decoder:
    options: dict[str, float | int | bool | str] = dict(settings.decoder_options())
    if warp != 1.0:
        options.update(warp_type="inverse_linear", warp_params=f"{warp:g}")
    decoder = pocketsphinx.Decoder(hmm=os.path.join(MODEL_DIR, "en-us"), lm=model.lm_path, dict=model.dict_path,
                                   samprate=INPUT_SAMPLE_RATE, loglevel="FATAL", **options)
    if decoder.config["remove_noise"] != settings.remove_noise:
        decoder.config["remove_noise"] = settings.remove_noise
        decoder.reinit_feat()
    cmn = settings.cmn_string()
    if cmn is not None:
        decoder.set_cmn(cmn)
    return decoder


class DecoderPool:
    """Decoders for the current model, lent to one recogniser at a time (pocketsphinx is not thread-safe).

    Decoders with a frequency warp are pooled apart from plain ones (the warp is fixed when the front end is built).
    The pool also remembers each speaker's cepstral mean and how well each candidate warp fits their voice (see
    PocketsphinxRecognizer), and runs the warp scoring after turns on one background thread.
    """

    MAX_SPEAKERS = 4096  # speakers remembered (a few dozen numbers each), least recently used forgotten first

    def __init__(self, model: LanguageModelFiles, settings: DecoderSettings) -> None:
        self._lock = threading.Lock()
        self._model = model
        self._settings = settings
        self._generation = 0
        self._idle: dict[float, list[pocketsphinx.Decoder]] = {1.0: [make_decoder(model, settings)]}
        self._cmn: OrderedDict[tuple[str, float], str] = OrderedDict()
        # speaker -> (turns scored, per warp: (turns it fitted best, summed aligned log-likelihood))
        self._warp_scores: OrderedDict[str, tuple[int, dict[float, tuple[int, float]]]] = OrderedDict()
        self._scoring = ThreadPoolExecutor(1, thread_name_prefix="warp-scoring")
        self._scoring_jobs: set[Future[None]] = set()

    @property
    def settings(self) -> DecoderSettings:
        return self._settings

    @property
    def model(self) -> LanguageModelFiles:
        return self._model

    @property
    def generation(self) -> int:
        return self._generation

    def replace_model(self, model: LanguageModelFiles) -> None:
        decoder = make_decoder(model, self._settings)  # built before swapping so turns never wait on it
        with self._lock:
            self._model = model
            self._generation += 1
            self._idle = {1.0: [decoder]}

    def take(self, warp: float = 1.0) -> tuple[pocketsphinx.Decoder, int]:
        with self._lock:
            idle = self._idle.get(warp)
            if idle:
                return idle.pop(), self._generation
            model, generation = self._model, self._generation
        return make_decoder(model, self._settings, warp), generation

    def give_back(self, decoder: pocketsphinx.Decoder, generation: int, warp: float = 1.0) -> None:
        with self._lock:
            if generation == self._generation:
                self._idle.setdefault(warp, []).append(decoder)

    def speaker_cmn(self, speaker: str, warp: float) -> str | None:
        with self._lock:
            cmn = self._cmn.get((speaker, warp))
            if cmn is not None:
                self._cmn.move_to_end((speaker, warp))
            return cmn

    def remember_cmn(self, speaker: str, warp: float, cmn: str) -> None:
        with self._lock:
            self._cmn[(speaker, warp)] = cmn
            self._cmn.move_to_end((speaker, warp))
            while len(self._cmn) > self.MAX_SPEAKERS:
                self._cmn.popitem(last=False)

    def warp_turns_scored(self, speaker: str) -> int:
        with self._lock:
            entry = self._warp_scores.get(speaker)
            return entry[0] if entry is not None else 0

    def speaker_warp(self, speaker: str, candidates: tuple[float, ...]) -> float | None:
        """The candidate warp that fitted most of the speaker's scored turns best (ties: the higher summed
        likelihood); None before any turn was scored.

        Turns vote rather than add up: a turn the decoder got wrong is aligned to a transcript shaped by the warp
        it was decoded with, which then fits far better than the others and would outweigh several right turns.
        """
        with self._lock:
            entry = self._warp_scores.get(speaker)
            if entry is None:
                return None
            self._warp_scores.move_to_end(speaker)
            scored = {w: entry[1][w] for w in candidates if w in entry[1]}
            return max(scored, key=scored.__getitem__) if scored else None

    def add_warp_scores(self, speaker: str, scores: dict[float, float]) -> None:
        best = max(scores, key=scores.__getitem__)
        with self._lock:
            turns, totals = self._warp_scores.get(speaker, (0, {}))
            totals = dict(totals)
            for warp, loglik in scores.items():
                votes, summed = totals.get(warp, (0, 0.0))
                totals[warp] = (votes + (warp == best), summed + loglik)
            self._warp_scores[speaker] = (turns + 1, totals)
            self._warp_scores.move_to_end(speaker)
            while len(self._warp_scores) > self.MAX_SPEAKERS:
                self._warp_scores.popitem(last=False)

    def score_later(self, job: Callable[[], None]) -> None:
        """Run `job` on the scoring thread, after the turn's transcript has gone out."""
        try:
            future = self._scoring.submit(job)
        except RuntimeError:  # closed: the engine is shutting down, there is nothing left to adapt for
            return
        with self._lock:
            self._scoring_jobs.add(future)
        future.add_done_callback(self._scored)

    def _scored(self, future: Future[None]) -> None:
        with self._lock:
            self._scoring_jobs.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.warning("warp scoring failed", exc_info=future.exception())

    def close(self) -> None:
        self._scoring.shutdown(wait=False, cancel_futures=True)

    def wait_for_scoring(self) -> None:
        """Block until every scoring job submitted so far has run (benchmarks and tests)."""
        with self._lock:
            jobs = list(self._scoring_jobs)
        wait(jobs)


def clean(hypothesis: str) -> str:
    """Decoder output → transcript: filler tokens dropped, alternates "word(2)" folded."""
    words = []
    for w in hypothesis.split():
        if w.startswith(("<", "[", "+")):
            continue
        words.append(w.split("(", 1)[0])
    return " ".join(words)


class PocketsphinxRecognizer:
    """One turn: accept() audio as it arrives (partial hypotheses), finish() for the final transcript.

    The decoder is chosen once the speaker's pitch is known (see DecoderSettings.high_pitch_warp); until then the
    audio waits in `_held`, at most `_MAX_HELD_S` of it.

    `speaker` (the gateway passes the session id) names whose turn this is: the cepstral mean the front end
    adapted to over that speaker's last turn (voice, microphone, room) is where this turn starts, rather than the
    last turn of whoever used the decoder before. In bench/asr_eval, turns that follow the same voice and noise
    condition were about a point of WER better than turns that follow another.
    """

    _MAX_HELD_S = 1.5
    _MAX_SCORED_S = 30.0  # a longer turn is not kept for warp scoring

    def __init__(self, pool: DecoderPool, speaker: str | None = None) -> None:
        self._pool = pool
        self._speaker = speaker
        settings = pool.settings
        self._domain_words = pool.model.domain_words
        # a plain decoder is taken now, so a turn that starts before a vocabulary update finishes on the old model
        self._plain, self._generation = pool.take()
        self._decoder: pocketsphinx.Decoder | None = None
        self._warp = 1.0
        self._pitch = PitchTracker() if settings.high_pitch_warp != 1.0 else None
        self._held: list[bytes] = []
        self._held_bytes = 0
        self._partial = ""
        self._since_partial = 0
        self._interval = 2 * INPUT_SAMPLE_RATE * settings.partial_interval_ms // 1000
        self._pending = b""  # an odd trailing byte waits for its pair
        self._done = False
        self._noise_floor = settings.noise_floor
        self._suppressor = (NoiseSuppressor(settings.suppression_gain_floor)
                            if settings.suppression_gain_floor is not None else None)
        self._reject_general_share = settings.reject_general_share
        self._rng = np.random.default_rng(0)  # fixed seed: the same audio always gives the same transcript
        # the speaker's warp is still being learnt: keep the turn's audio to score the candidate warps on
        self._scoring = (speaker is not None and settings.warp_scoring_turns > 0
                         and pool.warp_turns_scored(speaker) < settings.warp_scoring_turns)
        self._turn_audio: list[bytes] = []
        self._turn_audio_bytes = 0
        self._candidates: tuple[float, ...] = settings.warp_candidates
        if self._pitch is None:
            self._start(self._warp_for(None))

    @property
    def warp(self) -> float | None:
        """The front end's frequency warp for this turn (1.0: none); None until the pitch decides it."""
        return self._warp if self._decoder is not None else None

    def _start(self, warp: float) -> None:
        if warp != 1.0 and self._pool.generation == self._generation:
            self._pool.give_back(self._plain, self._generation)
            self._decoder, self._generation = self._pool.take(warp)
            self._warp = warp
        else:
            self._decoder = self._plain
        cmn = self._pool.speaker_cmn(self._speaker, self._warp) if self._speaker is not None else None
        if cmn is not None:
            self._decoder.set_cmn(cmn)
        self._decoder.start_utt()
        for chunk in self._held:
            self._decoder.process_raw(chunk, False, False)
        self._held, self._held_bytes = [], 0

    def _warp_for(self, pitch_hz: float | None) -> float:
        """The speaker's learnt warp for their pitch class, or the class's default before one is learnt."""
        settings = self._pool.settings
        if self._pitch is not None and pitch_hz is not None and pitch_hz >= settings.high_pitch_hz:
            self._candidates, self._scoring, self._turn_audio = (), False, []  # nothing to choose between
            return settings.high_pitch_warp
        self._candidates = settings.warp_candidates
        learnt = self._pool.speaker_warp(self._speaker, self._candidates) if self._speaker is not None else None
        return learnt if learnt is not None else 1.0

    def accept(self, pcm16: bytes) -> str | None:
        if self._done:
            raise RuntimeError("recognizer already finished")
        data = self._pending + pcm16
        usable = len(data) - (len(data) % 2)
        self._pending = data[usable:]
        if usable:
            self._feed(np.frombuffer(data[:usable], dtype="<i2"))
        self._since_partial += usable
        if self._since_partial < self._interval or self._decoder is None:
            return None
        self._since_partial = 0
        hyp = self._decoder.hyp()
        text = clean(hyp.hypstr) if hyp is not None else ""
        if text and text != self._partial:
            self._partial = text
            return text
        return None

    def _feed(self, pcm: np.ndarray) -> None:
        self._deliver(self._suppressor.process(pcm) if self._suppressor is not None else pcm)

    def _deliver(self, samples: np.ndarray) -> None:
        """Add the noise floor and hand the audio to the decoder (or hold it until the pitch is known)."""
        if not samples.shape[0]:
            return
        if self._noise_floor > 0:
            samples = samples + self._rng.normal(0.0, self._noise_floor, size=(samples.shape[0],))
        out = np.clip(samples, -32768, 32767).astype("<i2")
        if self._scoring:
            self._turn_audio.append(out.tobytes())
            self._turn_audio_bytes += 2 * out.shape[0]
            if self._turn_audio_bytes > 2 * INPUT_SAMPLE_RATE * self._MAX_SCORED_S:
                self._scoring, self._turn_audio = False, []
        if self._decoder is not None:
            self._decoder.process_raw(out.tobytes(), False, False)
            return
        assert self._pitch is not None
        self._held.append(out.tobytes())
        self._held_bytes += 2 * out.shape[0]
        pitch = self._pitch.feed(out)
        if pitch is not None or self._held_bytes >= 2 * INPUT_SAMPLE_RATE * self._MAX_HELD_S:
            self._start(self._warp_for(pitch if pitch is not None else self._pitch.best_guess()))

    def _rejected(self, text: str) -> bool:
        share = self._reject_general_share
        if share <= 0 or not self._domain_words:
            return False
        words = text.split()
        return sum(w not in self._domain_words for w in words) >= share * len(words)

    def finish(self) -> str:
        if self._done:
            return self._partial
        self._done = True
        if self._suppressor is not None:
            self._deliver(self._suppressor.flush())
        if self._decoder is None:
            assert self._pitch is not None
            self._start(self._warp_for(self._pitch.best_guess()))
        assert self._decoder is not None
        try:
            self._decoder.end_utt()
            if self._speaker is not None:
                self._pool.remember_cmn(self._speaker, self._warp, self._decoder.get_cmn(False))
            hyp = self._decoder.hyp()
            self._partial = clean(hyp.hypstr) if hyp is not None else ""
            if self._partial and self._rejected(self._partial):
                self._partial = ""
        finally:
            self._pool.give_back(self._decoder, self._generation, self._warp)
        if self._scoring and self._partial and len(self._candidates) > 1:
            self._pool.score_later(self._score_warps)
        else:
            self._turn_audio = []
        return self._partial

    def _score_warps(self) -> None:
        """Align the turn to its transcript under each candidate warp and add the likelihoods to the speaker's."""
        assert self._speaker is not None
        pcm16, self._turn_audio = b"".join(self._turn_audio), []
        scores: dict[float, float] = {}
        for warp in self._candidates:
            decoder, generation = self._pool.take(warp)
            try:
                if generation != self._generation:
                    return  # the vocabulary changed: the transcript's words may have left the dictionary
                loglik = aligned_loglik(decoder, self._partial, pcm16)
                if warp != self._warp:
                    # so a switch to this warp starts from a mean adapted to the speaker
                    self._pool.remember_cmn(self._speaker, warp, decoder.get_cmn(False))
            finally:
                self._pool.give_back(decoder, generation, warp)
            if loglik is None:
                return
            scores[warp] = loglik
        self._pool.add_warp_scores(self._speaker, scores)
