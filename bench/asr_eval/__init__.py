"""Held-out ASR evaluation of the embedded speech engine (python -m bench.asr_eval)."""
