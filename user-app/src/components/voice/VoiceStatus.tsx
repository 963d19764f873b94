// "Luna is listening…" and friends; the server's own message underneath when it has one.

export function VoiceStatus({ text, detail }: { text: string; detail?: string }) {
  return (
    <div className="voice-status" aria-live="polite">
      <h2 data-testid="voice-status">{text}</h2>
      {detail ? <p className="voice-status__detail">{detail}</p> : null}
    </div>
  );
}
