"""Speech engines behind one interface: the embedded offline engine and the Qwen-Omni realtime engine."""
