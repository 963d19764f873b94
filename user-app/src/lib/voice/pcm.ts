// Audio framing for the voice stream: microphone float samples at the device rate
// → 16 kHz → 20 ms PCM16 little-endian frames (what InputAudioChunk carries).

export const TARGET_SAMPLE_RATE = 16000;
export const FRAME_MS = 20;
export const FRAME_SAMPLES = (TARGET_SAMPLE_RATE * FRAME_MS) / 1000; // 320
export const FRAME_BYTES = FRAME_SAMPLES * 2;

/** Float [-1, 1] → PCM16 little-endian bytes; out-of-range samples clip instead of wrapping. */
export function floatToPcm16(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(i * 2, s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff), true);
  }
  return out;
}

/** PCM16 little-endian bytes → float [-1, 1] (a trailing odd byte is ignored). */
export function pcm16ToFloat(bytes: Uint8Array): Float32Array {
  const count = Math.floor(bytes.byteLength / 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * 2);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true) / 0x8000;
  return out;
}

/**
 * Streaming sample-rate converter. Downsampling averages each output sample's source
 * interval (a box filter: cheap anti-aliasing, enough for speech recognition);
 * upsampling interpolates linearly. State carries across calls, so block edges
 * (128-sample AudioWorklet quanta) leave no clicks or drift.
 */
export class Resampler {
  private pending = new Float32Array(0);
  // Position of the next output sample in `pending`, in units of 1/toRate source samples:
  // integer arithmetic, so where blocks split never changes which samples are averaged.
  private position = 0;
  private readonly from: number;
  private readonly to: number;

  constructor(readonly fromRate: number, readonly toRate: number = TARGET_SAMPLE_RATE) {
    if (!(fromRate > 0 && toRate > 0)) throw new RangeError("sample rates must be positive");
    this.from = Math.round(fromRate);
    this.to = Math.round(toRate);
  }

  process(input: Float32Array): Float32Array {
    if (this.from === this.to) return input.slice();
    const buf = new Float32Array(this.pending.length + input.length);
    buf.set(this.pending);
    buf.set(input, this.pending.length);
    const { from, to } = this;
    const out: number[] = [];
    let pos = this.position;
    if (from > to) {
      // Each output sample averages the source samples its interval [pos, pos + from) touches.
      while (Math.ceil((pos + from) / to) <= buf.length) {
        const first = Math.floor(pos / to);
        const last = Math.ceil((pos + from) / to);
        let sum = 0;
        for (let i = first; i < last; i++) sum += buf[i];
        out.push(sum / (last - first));
        pos += from;
      }
    } else {
      while (Math.floor(pos / to) + 1 < buf.length) {
        const i = Math.floor(pos / to);
        const frac = (pos - i * to) / to;
        out.push(buf[i] * (1 - frac) + buf[i + 1] * frac);
        pos += from;
      }
    }
    const keep = Math.floor(pos / to);
    this.pending = buf.slice(keep);
    this.position = pos - keep * to;
    return Float32Array.from(out);
  }
}

/** Collects 16 kHz samples and hands out whole 20 ms PCM16 frames. */
export class Pcm16Framer {
  private buffer: Float32Array;
  private filled = 0;

  constructor(readonly frameSamples: number = FRAME_SAMPLES) {
    this.buffer = new Float32Array(frameSamples);
  }

  push(samples: Float32Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (offset < samples.length) {
      const take = Math.min(this.frameSamples - this.filled, samples.length - offset);
      this.buffer.set(samples.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.frameSamples) {
        frames.push(floatToPcm16(this.buffer));
        this.filled = 0;
      }
    }
    return frames;
  }

  /** Samples waiting for the rest of their frame. */
  get bufferedSamples(): number {
    return this.filled;
  }

  reset(): void {
    this.filled = 0;
  }
}

/** Device-rate float blocks in, 20 ms 16 kHz PCM16 frames out. */
export class CaptureEncoder {
  private readonly resampler: Resampler;
  private readonly framer = new Pcm16Framer();

  constructor(inputSampleRate: number) {
    this.resampler = new Resampler(inputSampleRate, TARGET_SAMPLE_RATE);
  }

  push(block: Float32Array): Uint8Array[] {
    return this.framer.push(this.resampler.process(block));
  }
}

/** Root-mean-square level of a block, 0..1: drives the waveform and a "hearing you" cue. */
export function rmsLevel(samples: Float32Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / samples.length);
}
