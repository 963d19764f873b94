"""Streaming-synthesis latency of the embedded engine (python -m bench.tts_latency)."""
