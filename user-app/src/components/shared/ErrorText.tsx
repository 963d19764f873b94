import { ConnectError } from "@connectrpc/connect";

/** A failed API call in words: the §13.2 "technical difficulties" line plus the server's reason. */
export function ErrorText({ error }: { error: unknown }) {
  if (!error) return null;
  const reason = error instanceof ConnectError ? error.rawMessage : String(error);
  return (
    <p className="voice-error" role="alert">
      I'm having some technical difficulties right now. Please try again in a few minutes. <small>({reason})</small>
    </p>
  );
}
