"""The voice gateway: sessions, audio, turn-taking and speech engines behind luna.voice.v1.VoiceGateway."""
