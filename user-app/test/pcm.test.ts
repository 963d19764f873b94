import { describe, expect, it } from "vitest";
import {
  CaptureEncoder,
  FRAME_BYTES,
  FRAME_SAMPLES,
  floatToPcm16,
  Pcm16Framer,
  pcm16ToFloat,
  Resampler,
  rmsLevel,
} from "@/lib/voice/pcm";

function sine(freq: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

/** Dominant frequency by counting upward zero crossings. */
function frequencyOf(samples: Float32Array, rate: number): number {
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i - 1] < 0 && samples[i] >= 0) crossings++;
  return (crossings * rate) / samples.length;
}

describe("PCM16", () => {
  it("encodes little-endian and clips instead of wrapping", () => {
    const bytes = floatToPcm16(Float32Array.from([0, 1, -1, 2, -2, 0.5]));
    const view = new DataView(bytes.buffer);
    expect(bytes.byteLength).toBe(12);
    expect([0, 1, 2, 3, 4, 5].map((i) => view.getInt16(i * 2, true))).toEqual([0, 32767, -32768, 32767, -32768, 16384]);
    expect(bytes[2]).toBe(0xff); // low byte first
    expect(bytes[3]).toBe(0x7f);
  });

  it("round-trips within one quantisation step", () => {
    const input = sine(440, 16000, 0.05);
    const back = pcm16ToFloat(floatToPcm16(input));
    expect(back.length).toBe(input.length);
    for (let i = 0; i < input.length; i++) expect(Math.abs(back[i] - input[i])).toBeLessThan(1 / 16384);
  });

  it("decodes from an offset view and ignores a trailing odd byte", () => {
    const raw = new Uint8Array([9, 0x00, 0x40, 0x00, 0xc0, 7]);
    expect(Array.from(pcm16ToFloat(raw.subarray(1)))).toEqual([0.5, -0.5]);
  });
});

describe("Pcm16Framer", () => {
  it("emits whole 20 ms frames of 320 samples and keeps the remainder", () => {
    const framer = new Pcm16Framer();
    expect(FRAME_SAMPLES).toBe(320);
    expect(framer.push(new Float32Array(300))).toHaveLength(0);
    expect(framer.bufferedSamples).toBe(300);
    const frames = framer.push(new Float32Array(700)); // 1000 in all = 3 frames + 40
    expect(frames).toHaveLength(3);
    for (const f of frames) expect(f.byteLength).toBe(FRAME_BYTES);
    expect(framer.bufferedSamples).toBe(40);
  });

  it("keeps sample order across pushes", () => {
    const framer = new Pcm16Framer(4);
    const frames = [...framer.push(Float32Array.from([0.1, 0.2, 0.3])), ...framer.push(Float32Array.from([0.4, 0.5]))];
    expect(frames).toHaveLength(1);
    expect(Array.from(pcm16ToFloat(frames[0])).map((v) => Math.round(v * 10) / 10)).toEqual([0.1, 0.2, 0.3, 0.4]);
  });
});

describe("Resampler", () => {
  it.each([48000, 44100, 22050, 8000])("converts %i Hz to 16 kHz with the right length and pitch", (rate) => {
    const resampler = new Resampler(rate, 16000);
    const input = sine(500, rate, 1);
    // Fed in 128-sample render quanta, as an AudioWorklet delivers them.
    const parts: Float32Array[] = [];
    for (let i = 0; i < input.length; i += 128) parts.push(resampler.process(input.subarray(i, i + 128)));
    const out = Float32Array.from(parts.flatMap((p) => Array.from(p)));
    // Within 2 ms of one second: the filter holds back its look-ahead until more input arrives.
    expect(Math.abs(out.length - 16000)).toBeLessThanOrEqual(32);
    expect(frequencyOf(out, 16000)).toBeCloseTo(500, -1);
    // The pass band keeps its level (a 0.5 sine has RMS 0.354).
    expect(rmsLevel(out.subarray(100))).toBeCloseTo(0.354, 2);
  });

  it("block size does not change the output", () => {
    const input = sine(300, 44100, 0.2);
    const whole = new Resampler(44100).process(input);
    const r = new Resampler(44100);
    const pieces: number[] = [];
    for (let i = 0; i < input.length; i += 37) pieces.push(...r.process(input.subarray(i, i + 37)));
    expect(pieces.length).toBe(whole.length);
    for (let i = 0; i < whole.length; i++) expect(pieces[i]).toBeCloseTo(whole[i], 5);
  });

  it("removes what 16 kHz cannot carry instead of folding it into the speech band", () => {
    // 12 kHz would alias to 4 kHz; it must come out at least 40 dB down.
    const folded = new Resampler(48000).process(sine(12000, 48000, 0.5));
    expect(rmsLevel(folded.subarray(100))).toBeLessThan(0.01 * rmsLevel(sine(12000, 48000, 0.5)));
    // Speech formants (here 3 kHz) pass within 0.5 dB.
    const kept = new Resampler(48000).process(sine(3000, 48000, 0.5));
    expect(rmsLevel(kept.subarray(100)) / rmsLevel(sine(3000, 48000, 0.5))).toBeGreaterThan(0.94);
  });

  it("passes 16 kHz through untouched", () => {
    const input = sine(440, 16000, 0.1);
    expect(Array.from(new Resampler(16000).process(input))).toEqual(Array.from(input));
  });
});

describe("CaptureEncoder", () => {
  it("turns one second of 48 kHz worklet blocks into fifty 20 ms frames", () => {
    const encoder = new CaptureEncoder(48000);
    const input = sine(200, 48000, 1);
    let frames = 0;
    for (let i = 0; i < input.length; i += 1024) frames += encoder.push(input.subarray(i, i + 1024)).length;
    expect(frames).toBeGreaterThanOrEqual(49);
    expect(frames).toBeLessThanOrEqual(50);
  });
});
