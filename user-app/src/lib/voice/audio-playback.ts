// Reply audio through the Web Audio API: PCM16 chunks → JitterBuffer → AudioBuffers
// scheduled back to back on the AudioContext clock. flush() (on `interrupted`, or
// when the user taps interrupt) stops what is playing and drops what is queued at once.

import { type AudioSlice, JitterBuffer } from "./jitter-buffer";
import { pcm16ToFloat } from "./pcm";

export interface PlaybackStats {
  chunksReceived: number;
  framesScheduled: number;
  framesPlayed: number;
  flushes: number;
}

// Scheduling slightly ahead of "now" avoids starting a buffer in the past (an audible click).
const LEAD_SECONDS = 0.02;

export class AudioPlayback {
  private readonly jitter: JitterBuffer;
  private playing = new Set<AudioBufferSourceNode>();
  private nextTime = 0;
  readonly stats: PlaybackStats = { chunksReceived: 0, framesScheduled: 0, framesPlayed: 0, flushes: 0 };

  constructor(
    private readonly context: AudioContext,
    jitterMs = 80,
    private readonly onActivity?: (playing: boolean) => void,
  ) {
    this.jitter = new JitterBuffer(jitterMs);
  }

  enqueue(pcm16: Uint8Array, sampleRate: number, turnId: string, isFinal: boolean): void {
    this.stats.chunksReceived++;
    const slice: AudioSlice = { samples: pcm16ToFloat(pcm16), sampleRate, turnId, isFinal };
    this.jitter.push(slice);
    for (const ready of this.jitter.take()) this.schedule(ready);
  }

  private schedule(slice: AudioSlice): void {
    if (slice.samples.length === 0) return;
    const buffer = this.context.createBuffer(1, slice.samples.length, slice.sampleRate);
    buffer.copyToChannel(slice.samples as Float32Array<ArrayBuffer>, 0);
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    const startAt = Math.max(this.context.currentTime + LEAD_SECONDS, this.nextTime);
    source.start(startAt);
    this.nextTime = startAt + buffer.duration;
    this.playing.add(source);
    this.stats.framesScheduled++;
    if (this.playing.size === 1) this.onActivity?.(true);
    source.onended = () => {
      if (!this.playing.delete(source)) return;
      this.stats.framesPlayed++;
      if (this.playing.size === 0) this.onActivity?.(false);
    };
  }

  /** Stop now: barge-in must silence Luna within one render quantum, not after the queue drains. */
  flush(): void {
    this.stats.flushes++;
    this.jitter.flush();
    for (const source of this.playing) {
      source.onended = null;
      try {
        source.stop();
      } catch {
        // already stopped
      }
      source.disconnect();
    }
    const wasPlaying = this.playing.size > 0;
    this.playing.clear();
    this.nextTime = 0;
    if (wasPlaying) this.onActivity?.(false);
  }

  get isPlaying(): boolean {
    return this.playing.size > 0;
  }
}
