"use client";
// useVoice: one voice conversation with Luna (spec §10.4), plus what the overlay needs
// (status text, the full transcript, text mode, the microphone analyser, counters).
//
// Wiring: VoiceSocket (WebSocket → Envoy → web bridge → VoiceGateway.Converse),
// AudioCapture (mic → 20 ms PCM16 16 kHz frames), AudioPlayback (reply audio with a
// jitter buffer, flushed on `interrupted`), reduceServerEvent (state machine).

import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import type { ActionConfirmation, ServerEvent } from "@/gen/luna/voice/v1/voice_pb";
import { SessionState } from "@/gen/luna/voice/v1/voice_pb";
import { AudioCapture, MicrophoneUnavailable } from "@/lib/voice/audio-capture";
import { AudioPlayback } from "@/lib/voice/audio-playback";
import { type VoiceError, voiceError } from "@/lib/voice/errors";
import { TARGET_SAMPLE_RATE } from "@/lib/voice/pcm";
import {
  type ConnectionState,
  initialVoiceState,
  latestText,
  reduceServerEvent,
  statusText,
  type TranscriptLine,
  type VoiceState,
} from "@/lib/voice/voice-state";
import { VoiceSocket, voiceUrl } from "@/lib/voice/websocket-client";

export interface VoiceStats {
  framesSent: number;
  framesDropped: number;
  audioChunksReceived: number;
  framesPlayed: number;
  playbackFlushes: number;
  interruptions: number;
  reconnects: number;
}

export interface UseVoiceReturn {
  // State (spec §10.4)
  isConnected: boolean;
  isListening: boolean;
  isSpeaking: boolean;
  isProcessing: boolean;
  // Session info
  sessionId: string | null;
  turnCount: number;
  // Transcript
  userTranscript: string;
  assistantTranscript: string;
  // Confirmation
  pendingConfirmation: ActionConfirmation | null;
  // Actions
  startListening: () => Promise<void>;
  stopListening: () => void;
  interrupt: () => void;
  confirmAction: (confirmed: boolean) => void;
  endSession: () => void;
  // Error
  error: Error | null;
  // Beyond the spec: what the overlay shows.
  status: string;
  state: VoiceState;
  lines: TranscriptLine[];
  textMode: boolean;
  sendText: (text: string) => void;
  analyser: AnalyserNode | null;
  stats: VoiceStats;
}

type Action =
  | { type: "event"; event: ServerEvent }
  | { type: "connection"; connection: ConnectionState }
  | { type: "error"; error: VoiceError | null }
  | { type: "confirmation_answered" }
  | { type: "reset" };

function reducer(state: VoiceState, action: Action): VoiceState {
  switch (action.type) {
    case "event":
      return reduceServerEvent(state, action.event);
    case "connection":
      return { ...state, connection: action.connection };
    case "error":
      return { ...state, error: action.error };
    case "confirmation_answered":
      return { ...state, pendingConfirmation: null, sessionState: SessionState.PROCESSING };
    case "reset":
      return initialVoiceState;
  }
}

const EMPTY_STATS: VoiceStats = {
  framesSent: 0, framesDropped: 0, audioChunksReceived: 0, framesPlayed: 0, playbackFlushes: 0, interruptions: 0,
  reconnects: 0,
};

export function useVoice(options: { token: string | null; timeZone?: string }): UseVoiceReturn {
  const { token } = options;
  const [state, dispatch] = useReducer(reducer, initialVoiceState);
  const [micActive, setMicActive] = useState(false);
  const [playing, setPlaying] = useState(false);
  const [textMode, setTextMode] = useState(false);
  const [analyser, setAnalyser] = useState<AnalyserNode | null>(null);
  const [stats, setStats] = useState<VoiceStats>(EMPTY_STATS);

  const contextRef = useRef<AudioContext | null>(null);
  const socketRef = useRef<VoiceSocket | null>(null);
  const captureRef = useRef<AudioCapture | null>(null);
  const playbackRef = useRef<AudioPlayback | null>(null);
  const outputRateRef = useRef(TARGET_SAMPLE_RATE);
  const textModeRef = useRef(false);
  const interruptionsRef = useRef(0);
  const pendingRef = useRef<ActionConfirmation | null>(null);
  pendingRef.current = state.pendingConfirmation;

  const stopCapture = useCallback(() => {
    captureRef.current?.stop();
    captureRef.current = null;
    setMicActive(false);
    setAnalyser(null);
  }, []);

  const onEvent = useCallback(
    (event: ServerEvent) => {
      const e = event.event;
      if (e.case === "connected") {
        outputRateRef.current = e.value.outputAudio?.sampleRateHz || TARGET_SAMPLE_RATE;
      } else if (e.case === "audioChunk") {
        playbackRef.current?.enqueue(e.value.data, outputRateRef.current, e.value.turnId, e.value.isFinal);
      } else if (e.case === "interrupted") {
        interruptionsRef.current++;
        playbackRef.current?.flush();
      } else if (e.case === "sessionEnded") {
        stopCapture();
      }
      dispatch({ type: "event", event });
    },
    [stopCapture],
  );

  const ensureContext = useCallback((): AudioContext => {
    // Created inside the tap that opened the overlay: browsers only let a user gesture start audio.
    let context = contextRef.current;
    if (!context || context.state === "closed") {
      context = new AudioContext({ latencyHint: "interactive" });
      contextRef.current = context;
      playbackRef.current = new AudioPlayback(context, 80, setPlaying);
    }
    void context.resume();
    return context;
  }, []);

  const ensureSocket = useCallback(
    (textOnly: boolean): VoiceSocket | null => {
      if (!token) {
        dispatch({ type: "error", error: voiceError("unauthenticated") });
        return null;
      }
      if (socketRef.current) return socketRef.current;
      dispatch({ type: "reset" });
      const socket = new VoiceSocket({
        url: voiceUrl(window.location.origin),
        sessionToken: token,
        timeZone: options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
        textOnly,
        onEvent,
        onConnection: (connection) => {
          dispatch({ type: "connection", connection });
          if (connection === "closed" && socketRef.current === socket) {
            socketRef.current = null;
            stopCapture();
          }
        },
        onError: (error) => dispatch({ type: "error", error }),
      });
      socketRef.current = socket;
      socket.connect();
      return socket;
    },
    [token, options.timeZone, onEvent, stopCapture],
  );

  const startListening = useCallback(async () => {
    const context = ensureContext();
    if (!socketRef.current && textModeRef.current) {
      // A new conversation asks for the microphone again: it may have been allowed since.
      textModeRef.current = false;
      setTextMode(false);
    }
    if (!captureRef.current && !textModeRef.current) {
      try {
        // The socket is opened first so no frame waits on a closed connection for long.
        const socket = ensureSocket(false);
        if (!socket) return;
        const capture = await AudioCapture.start(context, (frame) => socketRef.current?.sendAudio(frame));
        captureRef.current = capture;
        setAnalyser(capture.analyser);
        setMicActive(true);
        socket.send({ case: "startListening", value: {} });
        return;
      } catch (err) {
        if (!(err instanceof MicrophoneUnavailable)) throw err;
        // Level 3 (spec §13.3): same conversation, typed instead of spoken.
        // The overlay shows the §13.1 notice for text mode itself (ERROR_MESSAGES.microphone_denied).
        textModeRef.current = true;
        setTextMode(true);
      }
    }
    ensureSocket(textModeRef.current);
  }, [ensureContext, ensureSocket]);

  const stopListening = useCallback(() => {
    stopCapture();
    socketRef.current?.send({ case: "stopListening", value: {} });
  }, [stopCapture]);

  const interrupt = useCallback(() => {
    playbackRef.current?.flush();
    socketRef.current?.send({ case: "interrupt", value: {} });
  }, []);

  const confirmAction = useCallback((confirmed: boolean) => {
    const pending = pendingRef.current;
    if (!pending) return;
    socketRef.current?.send({ case: "confirm", value: { confirmationId: pending.confirmationId, confirmed } });
    dispatch({ type: "confirmation_answered" });
  }, []);

  const sendText = useCallback(
    (text: string) => {
      const trimmed = text.trim();
      if (!trimmed) return;
      const socket = socketRef.current ?? ensureSocket(textModeRef.current);
      socket?.send({ case: "textInput", value: { text: trimmed } });
    },
    [ensureSocket],
  );

  const endSession = useCallback(() => {
    stopCapture();
    playbackRef.current?.flush();
    const socket = socketRef.current;
    if (!socket) return;
    socket.send({ case: "endSession", value: {} });
    // The gateway answers session_ended and closes; close anyway if it does not, promptly.
    setTimeout(() => {
      if (socketRef.current === socket) socket.close();
    }, 1500);
  }, [stopCapture]);

  // Counters for the overlay (and the browser tests): copied out a few times a second.
  useEffect(() => {
    if (state.connection === "idle") return;
    const timer = setInterval(() => {
      const socket = socketRef.current;
      const playback = playbackRef.current?.stats;
      setStats((prev) => ({
        framesSent: socket?.framesSent ?? prev.framesSent,
        framesDropped: socket?.framesDropped ?? prev.framesDropped,
        reconnects: socket?.reconnects ?? prev.reconnects,
        audioChunksReceived: playback?.chunksReceived ?? 0,
        framesPlayed: playback?.framesPlayed ?? 0,
        playbackFlushes: playback?.flushes ?? 0,
        interruptions: interruptionsRef.current,
      }));
    }, 200);
    return () => clearInterval(timer);
  }, [state.connection]);

  // Signing out or switching user ends the conversation: it belongs to the token that opened it.
  useEffect(
    () => () => {
      socketRef.current?.close();
      socketRef.current = null;
      stopCapture();
    },
    [token, stopCapture],
  );

  useEffect(
    () => () => {
      captureRef.current?.stop();
      socketRef.current?.close();
      playbackRef.current?.flush();
      void contextRef.current?.close();
    },
    [],
  );

  const s = state.sessionState;
  return useMemo(
    () => ({
      isConnected: state.connection === "connected",
      isListening: micActive,
      isSpeaking: playing || s === SessionState.SPEAKING,
      isProcessing: s === SessionState.PROCESSING || s === SessionState.EXECUTING,
      sessionId: state.sessionId,
      turnCount: state.turnCount,
      userTranscript: latestText(state.lines, "user"),
      assistantTranscript: latestText(state.lines, "assistant"),
      pendingConfirmation: state.pendingConfirmation,
      startListening,
      stopListening,
      interrupt,
      confirmAction,
      endSession,
      error: state.error,
      status: statusText(state),
      state,
      lines: state.lines,
      textMode,
      sendText,
      analyser,
      stats,
    }),
    [state, s, micActive, playing, textMode, analyser, stats, startListening, stopListening, interrupt,
      confirmAction, endSession, sendText],
  );
}
