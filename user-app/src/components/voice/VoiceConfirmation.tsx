"use client";
// The confirmation card for critical actions (a booking, a cancellation): what will
// happen, and Confirm / Cancel wired to the `confirm` client event. Saying "yes" works too.

import type { JsonValue } from "@bufbuild/protobuf";
import type { ActionConfirmation } from "@/gen/luna/voice/v1/voice_pb";

function label(key: string): string {
  return key.replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase());
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

function show(value: JsonValue): string {
  if (value === null) return "–";
  if (typeof value === "string" && ISO_DATE_TIME.test(value)) {
    // Shown in the offset the server gave (the venue's local time), not the browser's zone.
    const [date, time] = value.split("T");
    const day = new Date(`${date}T12:00:00Z`).toLocaleDateString("en-GB", {
      weekday: "short", day: "numeric", month: "short", timeZone: "UTC",
    });
    return `${day}, ${time.slice(0, 5)}`;
  }
  if (Array.isArray(value)) return value.map(show).join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

// Internal ids mean nothing to a person; the card shows the names beside them.
const shown = (key: string) => !key.endsWith("_id") && key !== "id";

export function VoiceConfirmation({
  confirmation,
  onAnswer,
}: {
  confirmation: ActionConfirmation;
  onAnswer: (confirmed: boolean) => void;
}) {
  const details = Object.entries(confirmation.details ?? {}).filter(([key]) => shown(key));
  return (
    <section className="voice-confirmation" data-testid="voice-confirmation" aria-label="Confirm action">
      <p className="voice-confirmation__prompt">{confirmation.prompt}</p>
      {details.length > 0 ? (
        <dl>
          {details.map(([key, value]) => (
            <div key={key} className="voice-confirmation__row">
              <dt>{label(key)}</dt>
              <dd>{show(value)}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      <div className="voice-confirmation__buttons">
        <button type="button" className="button button--secondary" onClick={() => onAnswer(false)}>
          Cancel
        </button>
        <button type="button" className="button button--primary" onClick={() => onAnswer(true)}>
          Confirm
        </button>
      </div>
    </section>
  );
}
