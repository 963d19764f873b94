import { describe, expect, it } from "vitest";
import { type AudioSlice, JitterBuffer } from "@/lib/voice/jitter-buffer";

function slice(ms: number, isFinal = false, turnId = "t1", rate = 16000): AudioSlice {
  return { samples: new Float32Array((rate * ms) / 1000), sampleRate: rate, turnId, isFinal };
}

describe("JitterBuffer", () => {
  it("holds a reply until the target is buffered, then releases as it comes", () => {
    const jb = new JitterBuffer(80);
    jb.push(slice(20));
    jb.push(slice(20));
    expect(jb.take()).toEqual([]);
    expect(jb.bufferedMs).toBeCloseTo(40);
    jb.push(slice(20));
    jb.push(slice(20));
    expect(jb.take()).toHaveLength(4);
    jb.push(slice(20));
    expect(jb.take()).toHaveLength(1); // flowing: no more priming within the reply
  });

  it("releases a short reply at once when its last chunk arrives", () => {
    const jb = new JitterBuffer(200);
    jb.push(slice(20));
    jb.push(slice(20, true));
    expect(jb.take()).toHaveLength(2);
    // The next reply primes again.
    jb.push(slice(20, false, "t2"));
    expect(jb.take()).toEqual([]);
  });

  it("flush drops everything queued instantly and re-primes", () => {
    const jb = new JitterBuffer(80);
    jb.push(slice(20));
    jb.push(slice(20));
    expect(jb.flush()).toBe(2);
    expect(jb.bufferedMs).toBe(0);
    expect(jb.take()).toEqual([]);
    jb.push(slice(40));
    expect(jb.take()).toEqual([]); // priming again, not flowing
    expect(jb.isFlowing).toBe(false);
  });

  it("flush while flowing stops the flow", () => {
    const jb = new JitterBuffer(40);
    jb.push(slice(40));
    expect(jb.take()).toHaveLength(1);
    jb.flush();
    jb.push(slice(20));
    expect(jb.take()).toEqual([]);
  });
});
