// Microphone capture: getUserMedia → AudioWorklet (samples off the audio thread)
// → CaptureEncoder (16 kHz, 20 ms PCM16 frames) → onFrame. An AnalyserNode on the
// same source feeds the live waveform.

import { CaptureEncoder } from "./pcm";

export const WORKLET_URL = "/worklets/pcm-capture.js";

export class MicrophoneUnavailable extends Error {
  constructor(readonly reason: "denied" | "missing" | "unsupported", cause?: unknown) {
    super(`microphone ${reason}`);
    this.name = "MicrophoneUnavailable";
    this.cause = cause;
  }
}

export class AudioCapture {
  readonly analyser: AnalyserNode;
  private constructor(
    private readonly context: AudioContext,
    private readonly stream: MediaStream,
    private readonly source: MediaStreamAudioSourceNode,
    private readonly node: AudioWorkletNode,
    analyser: AnalyserNode,
  ) {
    this.analyser = analyser;
  }

  static async start(context: AudioContext, onFrame: (frame: Uint8Array) => void): Promise<AudioCapture> {
    if (!navigator.mediaDevices?.getUserMedia || typeof AudioWorkletNode === "undefined") {
      throw new MicrophoneUnavailable("unsupported");
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        // Echo cancellation stays on: without it Luna's own voice from the speaker would barge in on her.
        // Noise suppression and gain control stay off: the gateway runs its own VAD and recognizer, which do
        // better on the unprocessed signal than on WebRTC's (speech-distorting) cleanup.
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: false },
      });
    } catch (err) {
      const name = (err as DOMException)?.name;
      if (name === "NotFoundError" || name === "OverconstrainedError") throw new MicrophoneUnavailable("missing", err);
      throw new MicrophoneUnavailable("denied", err);
    }
    await context.audioWorklet.addModule(WORKLET_URL);
    const source = context.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(context, "luna-pcm-capture", { numberOfInputs: 1, numberOfOutputs: 0 });
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    const encoder = new CaptureEncoder(context.sampleRate);
    node.port.onmessage = (message: MessageEvent<Float32Array>) => {
      for (const frame of encoder.push(message.data)) onFrame(frame);
    };
    source.connect(node);
    source.connect(analyser);
    return new AudioCapture(context, stream, source, node, analyser);
  }

  stop(): void {
    this.node.port.onmessage = null;
    this.source.disconnect();
    this.node.disconnect();
    for (const track of this.stream.getTracks()) track.stop();
  }

  get sampleRate(): number {
    return this.context.sampleRate;
  }
}
