"""Audio in and out of the gateway: codecs and resampling, voice activity detection, endpointing."""
