// AudioWorklet: copies microphone samples off the audio thread in blocks of
// ~21 ms at 48 kHz (1024 samples), so the main thread gets ~50 messages/s instead of
// one per 128-sample render quantum. Resampling and framing happen in capture code.
const BLOCK = 1024;

class LunaPcmCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.block = new Float32Array(BLOCK);
    this.filled = 0;
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) {
      let offset = 0;
      while (offset < channel.length) {
        const take = Math.min(BLOCK - this.filled, channel.length - offset);
        this.block.set(channel.subarray(offset, offset + take), this.filled);
        this.filled += take;
        offset += take;
        if (this.filled === BLOCK) {
          this.port.postMessage(this.block, [this.block.buffer]);
          this.block = new Float32Array(BLOCK);
          this.filled = 0;
        }
      }
    }
    return true;
  }
}

registerProcessor("luna-pcm-capture", LunaPcmCapture);
