"""bench/qwen_latency.py --through-gateway: which client event each stand-in event is matched with."""

from __future__ import annotations

from luna.voice.v1 import voice_pb2

from bench.qwen_latency import AUDIO_DELTA, COMPLETED, DONE, TRANSCRIPT_DELTA, first_chunk_carrying, match_events


def test_a_delta_is_matched_with_the_first_chunk_holding_its_first_byte():
    # 100 ms deltas (4800 bytes at 24 kHz) re-cut into 40 ms chunks (1920 bytes), then the flushed tail.
    assert first_chunk_carrying([4800] * 3, [1920] * 7 + [960]) == [0, 2, 5]
    assert first_chunk_carrying([100, 100], [50, 50, 50, 50]) == [0, 2]
    assert first_chunk_carrying([100, 100], [300]) == [0, 0]  # two deltas in one chunk
    assert first_chunk_carrying([100], [0, 100]) == [1]  # empty chunks carry nothing


def transcript(role: voice_pb2.Role.ValueType, text: str, final: bool, turn: str) -> voice_pb2.ServerEvent:
    return voice_pb2.ServerEvent(transcript=voice_pb2.Transcript(role=role, text=text, is_final=final, turn_id=turn))


def audio(size: int, final: bool, turn: str) -> voice_pb2.ServerEvent:
    return voice_pb2.ServerEvent(audio_chunk=voice_pb2.OutputAudioChunk(data=bytes(size), is_final=final, turn_id=turn))


def test_stand_in_events_pair_with_the_client_events_they_became_turn_by_turn():
    one_turn = ["input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped", COMPLETED,
                "response.created", TRANSCRIPT_DELTA, AUDIO_DELTA, TRANSCRIPT_DELTA, AUDIO_DELTA,
                "response.audio.done", "response.audio_transcript.done", DONE]
    sent = ["session.created", "session.updated", *one_turn, *one_turn]
    status = voice_pb2.ServerEvent(status=voice_pb2.Status(state=voice_pb2.SESSION_STATE_SPEAKING))
    events = [voice_pb2.ServerEvent(connected=voice_pb2.Connected())]
    for turn in ("s:1", "s:2"):
        events += [transcript(voice_pb2.ROLE_USER, "hi", True, turn), status,
                   transcript(voice_pb2.ROLE_ASSISTANT, "a", False, turn), audio(60, False, turn),
                   transcript(voice_pb2.ROLE_ASSISTANT, "a b", False, turn), audio(60, False, turn),
                   audio(60, False, turn), audio(20, True, turn),
                   transcript(voice_pb2.ROLE_ASSISTANT, "a b", True, turn)]
    pairs = {(m.row, m.sent, m.received) for m in match_events(sent, events, delta_bytes=100) if m.turn == 1}
    # Turn 2: stand-in indices 13.., client indices 10..
    assert pairs == {(COMPLETED, 15, 10), (TRANSCRIPT_DELTA, 17, 12), (TRANSCRIPT_DELTA, 19, 14),
                     (AUDIO_DELTA, 18, 13), (AUDIO_DELTA, 20, 15),  # the 2nd delta starts at byte 100: in the 2nd chunk
                     (DONE, 23, 17), (DONE + "/transcript", 23, 18)}
