// Live transcript of both sides; partial lines are shown dimmed until final.

import type { TranscriptLine } from "@/lib/voice/voice-state";

export function VoiceTranscript({ lines }: { lines: TranscriptLine[] }) {
  return (
    <ol className="voice-transcript" data-testid="voice-transcript" aria-live="polite">
      {lines.length === 0 ? <li className="voice-transcript__hint">Try “book a table for two tomorrow at 8 pm”</li> : null}
      {lines.map((line, i) => (
        <li
          key={`${line.turnId}-${line.role}-${i}`}
          className={`voice-line voice-line--${line.role}${line.isFinal ? "" : " voice-line--partial"}`}
          data-role={line.role}
        >
          <span className="voice-line__who">{line.role === "user" ? "You" : "Luna"}</span>
          <span className="voice-line__text">{line.text}</span>
        </li>
      ))}
    </ol>
  );
}
