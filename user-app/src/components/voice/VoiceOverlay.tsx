"use client";
// The full-screen voice interface (spec §10.3): status, waveform, live transcript,
// confirmation card, text input when the microphone is unavailable, Cancel / Done.

import { type FormEvent, useState } from "react";
import { ERROR_MESSAGES } from "@/lib/voice/errors";
import { VoiceConfirmation } from "./VoiceConfirmation";
import { useVoiceContext } from "./VoiceProvider";
import { VoiceStatus } from "./VoiceStatus";
import { VoiceTranscript } from "./VoiceTranscript";
import { VoiceWaveform } from "./VoiceWaveform";

export function VoiceOverlay() {
  const { open, closeOverlay, voice } = useVoiceContext();
  const [draft, setDraft] = useState("");
  if (!open) return null;

  const finish = (cancel: boolean) => {
    if (cancel) {
      if (voice.pendingConfirmation) voice.confirmAction(false);
      if (voice.isSpeaking) voice.interrupt();
    }
    voice.endSession();
    closeOverlay();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    voice.sendText(draft);
    setDraft("");
  };
  const { stats } = voice;

  return (
    <div
      className="voice-overlay"
      role="dialog"
      aria-modal="true"
      aria-label="Talk to Luna"
      data-testid="voice-overlay"
      data-connection={voice.state.connection}
      data-session-id={voice.sessionId ?? ""}
      data-text-mode={voice.textMode ? "true" : "false"}
      data-frames-sent={stats.framesSent}
      data-audio-chunks={stats.audioChunksReceived}
      data-frames-played={stats.framesPlayed}
      data-playback-flushes={stats.playbackFlushes}
      data-interruptions={stats.interruptions}
    >
      <div className="voice-overlay__panel">
        <VoiceStatus text={voice.status} detail={voice.state.serverMessage} />
        {voice.textMode ? (
          <p className="voice-notice" data-testid="voice-text-mode">
            {ERROR_MESSAGES.microphone_denied}
          </p>
        ) : (
          <VoiceWaveform analyser={voice.analyser} active={voice.isListening} />
        )}
        {voice.error ? (
          <p className="voice-error" role="alert" data-testid="voice-error" data-code={voice.error instanceof Error && "code" in voice.error ? String(voice.error.code) : ""}>
            {voice.error.message}
          </p>
        ) : null}
        <VoiceTranscript lines={voice.lines} />
        {voice.pendingConfirmation ? (
          <VoiceConfirmation confirmation={voice.pendingConfirmation} onAnswer={voice.confirmAction} />
        ) : null}
        {voice.textMode ? (
          <form className="voice-text" onSubmit={submit}>
            <input
              aria-label="Message to Luna"
              placeholder="Type to Luna…"
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
            />
            <button type="submit" className="button button--primary">
              Send
            </button>
          </form>
        ) : null}
        <div className="voice-overlay__buttons">
          <button type="button" className="button button--secondary" onClick={() => finish(true)}>
            Cancel
          </button>
          {voice.isSpeaking ? (
            <button type="button" className="button button--secondary" onClick={voice.interrupt}>
              Stop Luna
            </button>
          ) : null}
          <button type="button" className="button button--primary" onClick={() => finish(false)}>
            Done
          </button>
        </div>
      </div>
    </div>
  );
}
