// What the user reads when something goes wrong: the wording of spec §13.2,
// keyed by the gateway's stable error codes and by what the client itself sees.

export const ERROR_MESSAGES: Record<string, string> = {
  connection_lost: "I'm having trouble with the connection. Please try again in a moment.",
  speech_unclear: "I didn't catch that. Could you please repeat?",
  intent_unclear:
    "I'm not sure what you'd like to do. You can ask me to find restaurants, make bookings, or connect with friends.",
  venue_not_found: "I couldn't find that venue. Could you give me more details or try a different name?",
  booking_failed: "I wasn't able to complete that booking. Would you like me to try a different time or venue?",
  service_unavailable: "I'm having some technical difficulties right now. Please try again in a few minutes.",
  // Spec §13.1 "Audio errors": a friendly message and the text fallback (§13.3 level 3).
  microphone_denied: "I can't use your microphone, so let's type instead. Your conversation continues below.",
  unauthenticated: "Please sign in again to talk to Luna.",
};

export class VoiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean = false,
  ) {
    super(message);
    this.name = "VoiceError";
  }
}

/** A VoiceError for a code, using the §13.2 wording when there is one, else the server's text. */
export function voiceError(code: string, serverMessage = "", retryable = false): VoiceError {
  return new VoiceError(code, ERROR_MESSAGES[code] ?? (serverMessage || ERROR_MESSAGES.service_unavailable), retryable);
}

export type CloseAction = "done" | "reconnect" | "fail";

/**
 * What to do when the voice socket closes. The web bridge closes with 1000 when the
 * call ended normally and 4000 + gRPC status code otherwise; 1001/1006/1011 are drops.
 */
export function classifyClose(code: number): { action: CloseAction; error: VoiceError | null } {
  if (code === 1000) return { action: "done", error: null };
  const grpc = code >= 4000 && code < 5000 ? code - 4000 : -1;
  if (grpc === 16) return { action: "fail", error: voiceError("unauthenticated") };
  // INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, FAILED_PRECONDITION, UNIMPLEMENTED: retrying cannot help.
  if ([3, 5, 7, 9, 12].includes(grpc)) return { action: "fail", error: voiceError("service_unavailable") };
  // 1003/1007/1009 mean this client sent something wrong: a bug, not a network blip.
  if ([1003, 1007, 1009].includes(code)) return { action: "fail", error: voiceError("service_unavailable") };
  return { action: "reconnect", error: voiceError("connection_lost", "", true) };
}
