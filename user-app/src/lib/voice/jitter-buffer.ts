// A small jitter buffer for reply audio: hold the first chunks of a reply until
// `targetMs` is buffered (or the reply's last chunk arrives), then release
// everything as it comes. Network jitter is absorbed by the head start instead
// of audible gaps. flush() drops all of it at once (barge-in: `interrupted`).

export interface AudioSlice {
  samples: Float32Array;
  sampleRate: number;
  turnId: string;
  isFinal: boolean;
}

export class JitterBuffer {
  private queue: AudioSlice[] = [];
  private queuedSamples = 0;
  private flowing = false;

  constructor(readonly targetMs: number = 80) {}

  push(slice: AudioSlice): void {
    this.queue.push(slice);
    this.queuedSamples += slice.samples.length;
    const queuedMs = (this.queuedSamples / slice.sampleRate) * 1000;
    if (queuedMs >= this.targetMs || slice.isFinal) this.flowing = true;
  }

  /** Slices ready to be scheduled now (empty while still priming). */
  take(): AudioSlice[] {
    if (!this.flowing) return [];
    const ready = this.queue;
    this.queue = [];
    this.queuedSamples = 0;
    // After a reply's last chunk the next reply primes again.
    if (ready.length > 0 && ready[ready.length - 1].isFinal) this.flowing = false;
    return ready;
  }

  /** Drop everything queued; returns how many slices were dropped. */
  flush(): number {
    const dropped = this.queue.length;
    this.queue = [];
    this.queuedSamples = 0;
    this.flowing = false;
    return dropped;
  }

  get bufferedMs(): number {
    if (this.queue.length === 0) return 0;
    return (this.queuedSamples / this.queue[0].sampleRate) * 1000;
  }

  get isFlowing(): boolean {
    return this.flowing;
  }
}
