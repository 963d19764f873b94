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
 * Streaming sample-rate converter: windowed-sinc interpolation (Blackman window) with
 * the cut-off below the lower of the two Nyquist frequencies, so downsampling a
 * 48 kHz microphone does not fold 8-24 kHz into the speech band. State carries
 * across calls: where the 128-sample AudioWorklet blocks split never changes the output.
 */
export class Resampler {
  private readonly from: number;
  private readonly to: number;
  private readonly cutoff: number; // cycles per source sample
  private readonly half: number; // filter half-width, in source samples
  private pending: Float32Array;
  // Filter taps per output phase: rates like 48k→16k have one phase, 44.1k→16k 160, so they are computed once.
  private readonly phases = new Map<number, Float32Array>();
  // Position of the next output sample in `pending`, in units of 1/to source samples (exact integers).
  private position: number;

  constructor(readonly fromRate: number, readonly toRate: number = TARGET_SAMPLE_RATE) {
    if (!(fromRate > 0 && toRate > 0)) throw new RangeError("sample rates must be positive");
    this.from = Math.round(fromRate);
    this.to = Math.round(toRate);
    const scale = Math.min(1, this.to / this.from);
    this.cutoff = 0.5 * scale * 0.92; // a little under Nyquist leaves room for the window's transition band
    this.half = Math.ceil(HALF_TAPS / scale);
    // Silence before the first sample, so the first outputs have the history the filter needs.
    this.pending = new Float32Array(this.half);
    this.position = this.half * this.to;
  }

  process(input: Float32Array): Float32Array {
    if (this.from === this.to) return input.slice();
    const buf = new Float32Array(this.pending.length + input.length);
    buf.set(this.pending);
    buf.set(input, this.pending.length);
    const { from, to, half } = this;
    const out: number[] = [];
    let pos = this.position;
    while (Math.floor(pos / to) + half < buf.length) {
      const center = Math.floor(pos / to);
      const taps = this.taps(pos - center * to);
      let sum = 0;
      for (let k = 0; k < taps.length; k++) sum += buf[center - half + 1 + k] * taps[k];
      out.push(sum);
      pos += from;
    }
    const keep = Math.max(0, Math.floor(pos / to) - half + 1);
    this.pending = buf.slice(keep);
    this.position = pos - keep * to;
    return Float32Array.from(out);
  }

  private taps(phase: number): Float32Array {
    let taps = this.phases.get(phase);
    if (taps) return taps;
    const frac = phase / this.to;
    taps = new Float32Array(2 * this.half);
    let total = 0;
    for (let k = -this.half + 1; k <= this.half; k++) {
      const w = sincWeight(k - frac, this.cutoff, this.half); // k - frac: distance from the output instant
      taps[k + this.half - 1] = w;
      total += w;
    }
    for (let i = 0; i < taps.length; i++) taps[i] /= total; // unit gain at DC
    if (this.phases.size < 4096) this.phases.set(phase, taps);
    return taps;
  }
}

// Taps on each side of the output instant at the output rate: 16 gives a sharp enough band edge for speech.
const HALF_TAPS = 16;

function sincWeight(d: number, cutoff: number, half: number): number {
  const x = 2 * cutoff * d;
  const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
  const n = (d + half) / (2 * half); // 0..1 across the window
  if (n <= 0 || n >= 1) return 0;
  const blackman = 0.42 - 0.5 * Math.cos(2 * Math.PI * n) + 0.08 * Math.cos(4 * Math.PI * n);
  return sinc * blackman;
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
