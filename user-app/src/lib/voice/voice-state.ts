// The voice session as the UI sees it, and how each ServerEvent changes it.
// A pure reducer, so the state machine is tested without a browser.

import type { ActionConfirmation, ActionResult, AudioConfig, ServerEvent } from "@/gen/luna/voice/v1/voice_pb";
import { Role, SessionState } from "@/gen/luna/voice/v1/voice_pb";
import { type VoiceError, voiceError } from "./errors";

export type ConnectionState = "idle" | "connecting" | "connected" | "reconnecting" | "closed";

export interface TranscriptLine {
  role: "user" | "assistant";
  text: string;
  isFinal: boolean;
  turnId: string;
}

export interface VoiceState {
  connection: ConnectionState;
  sessionState: SessionState;
  serverMessage: string;
  sessionId: string | null;
  resumeToken: string;
  outputAudio: AudioConfig | null;
  turnCount: number;
  lines: TranscriptLine[];
  pendingConfirmation: ActionConfirmation | null;
  lastResult: ActionResult | null;
  error: VoiceError | null;
  ended: boolean;
}

export const initialVoiceState: VoiceState = {
  connection: "idle",
  sessionState: SessionState.IDLE,
  serverMessage: "",
  sessionId: null,
  resumeToken: "",
  outputAudio: null,
  turnCount: 0,
  lines: [],
  pendingConfirmation: null,
  lastResult: null,
  error: null,
  ended: false,
};

export const STATUS_TEXT: Record<SessionState, string> = {
  [SessionState.UNSPECIFIED]: "Connecting to Luna…",
  [SessionState.IDLE]: "Tap the microphone to talk",
  [SessionState.LISTENING]: "Luna is listening…",
  [SessionState.PROCESSING]: "Luna is thinking…",
  [SessionState.EXECUTING]: "Luna is on it…",
  [SessionState.CLARIFYING]: "Luna needs one more detail…",
  [SessionState.SPEAKING]: "Luna is speaking…",
  [SessionState.WAITING]: "Waiting for your confirmation…",
};

export function statusText(state: VoiceState): string {
  if (state.connection === "connecting") return "Connecting to Luna…";
  if (state.connection === "reconnecting") return "Reconnecting…";
  if (state.ended || state.connection === "closed") return "Conversation ended";
  return STATUS_TEXT[state.sessionState] ?? STATUS_TEXT[SessionState.IDLE];
}

function upsertLine(lines: TranscriptLine[], line: TranscriptLine): TranscriptLine[] {
  // Partial transcripts of the same turn and speaker replace each other; a new turn appends.
  for (let i = lines.length - 1; i >= 0; i--) {
    const existing = lines[i];
    if (existing.role === line.role && existing.turnId === line.turnId && !existing.isFinal) {
      const next = lines.slice();
      next[i] = line;
      return next;
    }
  }
  return [...lines, line];
}

export function reduceServerEvent(state: VoiceState, event: ServerEvent): VoiceState {
  const e = event.event;
  switch (e.case) {
    case "connected":
      return {
        ...state,
        connection: "connected",
        sessionId: e.value.sessionId,
        resumeToken: e.value.resumeToken,
        outputAudio: e.value.outputAudio ?? null,
        sessionState: state.sessionState === SessionState.UNSPECIFIED ? SessionState.IDLE : state.sessionState,
        // Back online clears a dropped-connection notice; other errors stay until the next one.
        error: state.error?.code === "connection_lost" ? null : state.error,
        ended: false,
      };
    case "status":
      return { ...state, sessionState: e.value.state, serverMessage: e.value.message };
    case "transcript": {
      const role = e.value.role === Role.USER ? "user" : "assistant";
      const line: TranscriptLine = { role, text: e.value.text, isFinal: e.value.isFinal, turnId: e.value.turnId };
      const turnCount = role === "user" && e.value.isFinal ? state.turnCount + 1 : state.turnCount;
      return { ...state, lines: upsertLine(state.lines, line), turnCount };
    }
    case "actionConfirmation":
      return { ...state, pendingConfirmation: e.value, sessionState: SessionState.WAITING };
    case "actionResult":
      return { ...state, lastResult: e.value, pendingConfirmation: null };
    case "interrupted":
      return { ...state, sessionState: SessionState.LISTENING };
    case "error":
      return { ...state, error: voiceError(e.value.code, e.value.message, e.value.retryable) };
    case "sessionEnded":
      return { ...state, ended: true, pendingConfirmation: null, sessionState: SessionState.IDLE };
    default:
      return state;
  }
}

export function latestText(lines: TranscriptLine[], role: TranscriptLine["role"]): string {
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].role === role) return lines[i].text;
  return "";
}
