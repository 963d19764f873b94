"""Gateway audio pieces on their own: codecs, VAD/endpointing, the audio rate limit, backchannels, spoken text."""

from __future__ import annotations

import asyncio

import numpy as np
import opuslib
import pytest
from luna.voice.v1 import voice_pb2

from gateway.audio.codec import (
    AudioConfigError,
    AudioError,
    InputDecoder,
    OutputEncoder,
    negotiate_input,
    negotiate_output,
)
from gateway.audio.endpointing import EndHint, EndpointConfig, Endpointer, SpeechEnded, SpeechStarted
from gateway.audio.vad import FrameVad
from gateway.limits import AudioRateLimiter, RateExceeded
from gateway.outbound import Outbound
from gateway.speaker import Speaker, sentences
from gateway.turn_taking import ends_in_hesitation, is_backchannel, short_overlap_interrupts
from tests.audio import noise, silence, speech

PCM16K = voice_pb2.AudioConfig(encoding=voice_pb2.AUDIO_ENCODING_PCM16, sample_rate_hz=16000, channels=1)


def endpoint_events(pcm: bytes, config: EndpointConfig | None = None, hint: EndHint | None = None):
    vad, ep = FrameVad(3), Endpointer(config or EndpointConfig())
    events = []
    for frame in vad.push(pcm):
        event = ep.push(frame)
        if isinstance(event, SpeechStarted) and hint is not None:
            ep.hint = hint
        if event is not None:
            events.append(event)
    return events


# ---- codecs ----

def test_pcm_odd_byte_count_is_invalid_audio():
    with pytest.raises(AudioError) as err:
        InputDecoder(PCM16K, 200).decode(b"\x00\x01\x02")
    assert err.value.code == "invalid_audio" and "odd" in err.value.message


def test_pcm_chunk_longer_than_allowed_is_rejected():
    with pytest.raises(AudioError, match="longer than 200 ms"):
        InputDecoder(PCM16K, 200).decode(silence(300))


def test_pcm_at_48khz_is_resampled_to_16khz():
    config = negotiate_input(voice_pb2.AudioConfig(encoding=voice_pb2.AUDIO_ENCODING_PCM16, sample_rate_hz=48000))
    decoder = InputDecoder(config, 200)
    src = speech("hello there", rate=48000)
    out = b"".join(decoder.decode(src[i:i + 1920 * 2])[0] for i in range(0, len(src) - 3840, 3840))
    expected = (len(src) // 3840) * 3840 // 2 // 3
    assert abs(len(out) // 2 - expected) < 400  # soxr keeps a few ms in its filter
    assert np.abs(np.frombuffer(out, "<i2")).max() > 1000  # the speech survived


def test_opus_packets_decode_and_garbage_is_rejected():
    config = negotiate_input(voice_pb2.AudioConfig(encoding=voice_pb2.AUDIO_ENCODING_OPUS, sample_rate_hz=48000))
    encoder = opuslib.Encoder(48000, 1, opuslib.APPLICATION_VOIP)
    decoder = InputDecoder(config, 200)
    _, seconds = decoder.decode(encoder.encode(bytes(960 * 2), 960))
    assert seconds == pytest.approx(0.02)  # (soxr holds back the first few ms of output)
    with pytest.raises(AudioError, match="not a valid Opus packet"):
        decoder.decode(b"garbage!")
    with pytest.raises(AudioError, match="20 to 40 ms"):
        decoder.decode(encoder.encode(bytes(480 * 2), 480))  # a 10 ms packet


def test_audio_config_negotiation():
    assert negotiate_input(voice_pb2.AudioConfig()).sample_rate_hz == 16000
    with pytest.raises(AudioConfigError, match="mono"):
        negotiate_input(voice_pb2.AudioConfig(channels=2))
    with pytest.raises(AudioConfigError, match="sample_rate_hz"):
        negotiate_input(voice_pb2.AudioConfig(encoding=voice_pb2.AUDIO_ENCODING_OPUS, sample_rate_hz=44100))
    out = negotiate_output(voice_pb2.AudioConfig(encoding=voice_pb2.AUDIO_ENCODING_OPUS), 16000)
    assert out.sample_rate_hz == 48000


def test_opus_output_is_20ms_packets():
    config = negotiate_output(voice_pb2.AudioConfig(encoding=voice_pb2.AUDIO_ENCODING_OPUS), 16000)
    enc = OutputEncoder(config, 48000, 40)
    chunks = enc.encode(bytes(2 * 48000 // 10)) + enc.flush()  # 100 ms
    assert len(chunks) == 5 and all(c.seconds == pytest.approx(0.02) for c in chunks)
    decoded = opuslib.Decoder(48000, 1).decode(chunks[0].data, 5760)
    assert len(decoded) == 960 * 2


# ---- VAD and endpointing ----

def test_short_noise_is_not_speech():
    assert endpoint_events(silence(300) + noise(150, 0.1) + silence(800)) == []


def test_speech_starts_and_ends_after_trailing_silence():
    events = endpoint_events(silence(300) + speech("book a table for four tonight") + silence(1000))
    assert [type(e) for e in events] == [SpeechStarted, SpeechEnded]
    start, end = events
    assert 250 <= start.start_ms <= 400
    assert end.decided_ms - end.end_ms == 500


def test_complete_request_ends_sooner_and_hesitation_later():
    pcm = silence(300) + speech("book a table") + silence(2000)
    complete = endpoint_events(pcm, hint=EndHint.COMPLETE)[-1]
    hesitant = endpoint_events(pcm, hint=EndHint.HESITATION)[-1]
    assert complete.decided_ms - complete.end_ms == 300
    assert hesitant.decided_ms - hesitant.end_ms == 1200


def test_pauses_inside_an_utterance_do_not_end_it():
    # espeak-ng already ends each utterance with ~250 ms of silence: the pause here is ~350 ms in all.
    pcm = silence(300) + speech("book a table") + silence(100) + speech("for four") + silence(1000)
    assert [type(e) for e in endpoint_events(pcm)] == [SpeechStarted, SpeechEnded]


# ---- limits ----

def test_audio_rate_limit_allows_real_time_and_a_burst_only():
    now = [0.0]
    limiter = AudioRateLimiter(burst_seconds=1.0, max_chunk_seconds=0.2, clock=lambda: now[0])
    for _ in range(500):  # 10 s at real time
        limiter.spend(0.02)
        now[0] += 0.02
    for _ in range(50):  # a 1 s burst on top
        limiter.spend(0.02)
    with pytest.raises(RateExceeded, match="faster than real time"):
        for _ in range(20):
            limiter.spend(0.02)


# ---- conversation rules ----

@pytest.mark.parametrize("text", ["ok", "mm-hmm", "uh huh", "right", "okay right"])
def test_backchannels(text):
    assert is_backchannel(text)


@pytest.mark.parametrize("text", ["", "stop", "yes", "no", "book it for five instead", "ok book it"])
def test_not_backchannels(text):
    assert not is_backchannel(text)


@pytest.mark.parametrize(("heard", "interrupts"), [
    ("stop", True), ("no", True), ("wait", True), ("yes please", True), ("no stop", True), ("cancel that", True),
    ("right", False), ("mm-hmm", False), ("you", False), ("do blue", False), ("book you", False),
    ("tell lily too", False), ("m m whom", False), ("", False),
])
def test_short_speech_over_a_reply(heard, interrupts):
    # "you", "do blue", "tell lily too" and "book you" are what the embedded recogniser has made of "mm-hmm"
    # and "okay".
    assert short_overlap_interrupts(heard) is interrupts


def test_hesitations():
    assert ends_in_hesitation("book a table for four and")
    assert ends_in_hesitation("um")
    assert not ends_in_hesitation("book a table for four")


def test_sentences():
    assert sentences("Done! Your table is booked. See you at 7 p.m.") == ["Done!", "Your table is booked.",
                                                                          "See you at 7 p.m."]


class _FixedSynth:
    """Stands in for the engine only to feed known lengths of audio (0.1 s per word)."""

    async def synthesize(self, text, sample_rate):
        for _ in text.split():
            await asyncio.sleep(0)
            yield bytes(2 * sample_rate // 10)


async def test_spoken_text_is_cut_where_the_audio_stopped():
    out = Outbound()
    config = negotiate_output(voice_pb2.AudioConfig(), 16000)
    speaker = Speaker(_FixedSynth(), OutputEncoder(config, 16000, 100), 16000, out, "t1", lead_seconds=10.0)
    await speaker.speak("One two three four. Five six seven eight.")
    sent = 0
    async for event, on_sent in out.events():
        if event.audio_chunk.is_final or sent == 6:
            break
        assert on_sent is not None
        on_sent()
        sent += 1
    assert speaker.spoken_text() == "One two three four. Five six"
