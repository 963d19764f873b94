"""The gateway's recognition workers: which worker a turn goes to (no worker process is started here)."""

from __future__ import annotations

from gateway.settings import GatewaySettings
from gateway.speech.workers import RecognitionPool


def test_a_speakers_turns_all_go_to_one_worker() -> None:
    pool = RecognitionPool(GatewaySettings(), 3)
    try:
        for speaker in ("s1", "s2", "s3", "s4"):
            first = pool.new_recognizer(speaker)._executor
            assert all(pool.new_recognizer(speaker)._executor is first for _ in range(5))
        assert len({pool.new_recognizer(f"s{k}")._executor for k in range(20)}) == 3  # speakers spread out
        assert len({pool.new_recognizer()._executor for _ in range(3)}) == 3  # no speaker: round robin
    finally:
        pool.close()
