// The voice stream over WebSocket (through Envoy to the web bridge, which turns it into
// VoiceGateway.Converse): one binary message = one ClientEvent / ServerEvent.
// Reconnects with backoff after a drop, presenting the resume token so the gateway
// continues the same session.

import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import {
  AudioEncoding,
  ClientEventSchema,
  type ServerEvent,
  ServerEventSchema,
} from "@/gen/luna/voice/v1/voice_pb";
import { backoffDelay } from "./backoff";
import { classifyClose, type VoiceError, voiceError } from "./errors";
import { TARGET_SAMPLE_RATE } from "./pcm";
import type { ConnectionState } from "./voice-state";

export type ClientEventInit = NonNullable<MessageInitShape<typeof ClientEventSchema>["event"]>;

export interface VoiceSocketOptions {
  url: string;
  sessionToken: string;
  timeZone: string;
  textOnly: boolean;
  onEvent: (event: ServerEvent) => void;
  onConnection: (state: ConnectionState) => void;
  onError: (error: VoiceError) => void;
  /** Closes and reconnect attempts, for tests and diagnostics. */
  onClose?: (code: number, reason: string) => void;
}

// Audio is real time: beyond this much unsent data, new frames are dropped rather than delayed.
const MAX_BUFFERED_BYTES = 256 * 1024;
const MAX_QUEUED_EVENTS = 100;

export function voiceUrl(origin: string): string {
  const url = new URL("/voice/connect", origin);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

export class VoiceSocket {
  private ws: WebSocket | null = null;
  private queue: Uint8Array[] = [];
  private resumeToken = "";
  private attempt = 0;
  private closedByUser = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private sequence = 0n;
  framesSent = 0;
  framesDropped = 0;
  reconnects = 0;

  constructor(private readonly options: VoiceSocketOptions) {}

  connect(): void {
    this.closedByUser = false;
    this.open(false);
  }

  private open(reconnecting: boolean): void {
    this.options.onConnection(reconnecting ? "reconnecting" : "connecting");
    const ws = new WebSocket(this.options.url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.sequence = 0n;
    ws.onopen = () => {
      ws.send(this.encode({ case: "start", value: this.startEvent() }));
      for (const data of this.queue) ws.send(data);
      this.queue = [];
    };
    ws.onmessage = (message) => {
      if (!(message.data instanceof ArrayBuffer)) return;
      const event = fromBinary(ServerEventSchema, new Uint8Array(message.data));
      if (event.event.case === "connected") {
        this.resumeToken = event.event.value.resumeToken;
        this.attempt = 0;
      }
      this.options.onEvent(event);
    };
    ws.onclose = (close) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.options.onClose?.(close.code, close.reason);
      if (this.closedByUser) {
        this.options.onConnection("closed");
        return;
      }
      if (close.code === 4005 && this.resumeToken) {
        // NOT_FOUND on resume: the gateway no longer holds the session (expired, restarted). Start afresh.
        this.resumeToken = "";
        this.options.onError(voiceError("connection_lost", "", true));
        this.reconnectTimer = setTimeout(() => this.open(true), 0);
        return;
      }
      const { action, error } = classifyClose(close.code);
      if (action === "done") {
        this.options.onConnection("closed");
        return;
      }
      if (action === "fail") {
        this.options.onConnection("closed");
        if (error) this.options.onError(error);
        return;
      }
      const delay = backoffDelay(this.attempt++);
      if (delay === null) {
        this.options.onConnection("closed");
        this.options.onError(voiceError("service_unavailable"));
        return;
      }
      if (error) this.options.onError(error);
      this.reconnects++;
      this.options.onConnection("reconnecting");
      this.reconnectTimer = setTimeout(() => this.open(true), delay);
    };
  }

  private startEvent() {
    return {
      sessionToken: this.options.sessionToken,
      inputAudio: { encoding: AudioEncoding.PCM16, sampleRateHz: TARGET_SAMPLE_RATE, channels: 1 },
      outputAudio: { encoding: AudioEncoding.PCM16, sampleRateHz: TARGET_SAMPLE_RATE, channels: 1 },
      textOnly: this.options.textOnly,
      resumeToken: this.resumeToken,
      timeZone: this.options.timeZone,
    };
  }

  private encode(event: ClientEventInit): Uint8Array {
    return toBinary(ClientEventSchema, create(ClientEventSchema, { event }));
  }

  send(event: ClientEventInit): void {
    const data = this.encode(event);
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(data);
    } else if (this.queue.length < MAX_QUEUED_EVENTS) {
      this.queue.push(data);
    }
  }

  sendAudio(frame: Uint8Array): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.framesDropped++;
      return;
    }
    const chunk = { data: frame, sequence: this.sequence++, timestampMs: BigInt(Date.now()) };
    ws.send(this.encode({ case: "audioChunk", value: chunk }));
    this.framesSent++;
  }

  get isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Close for good (no reconnect). */
  close(): void {
    this.closedByUser = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.queue = [];
    if (this.ws) this.ws.close(1000, "client done");
    else this.options.onConnection("closed");
  }
}
