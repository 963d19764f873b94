"use client";
// The floating microphone button on every page (spec §10.2).

import { useAuth } from "@/components/shared/AuthProvider";
import { useVoiceContext } from "./VoiceProvider";

export function VoiceButton() {
  const { user } = useAuth();
  const { open, openOverlay, voice } = useVoiceContext();
  if (!user || open) return null;
  return (
    <button
      type="button"
      className={`voice-button${voice.isConnected ? " voice-button--live" : ""}`}
      onClick={openOverlay}
      aria-label="Talk to Luna"
    >
      <MicIcon /> Voice
    </button>
  );
}

// Inline, so the icon renders without an emoji font (headless and minimal systems lack one).
export function MicIcon() {
  return (
    <svg aria-hidden="true" width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor"
      strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" style={{ verticalAlign: "-4px" }}>
      <rect x="9" y="2" width="6" height="12" rx="3" />
      <path d="M5 10a7 7 0 0 0 14 0M12 17v5M8 22h8" />
    </svg>
  );
}
