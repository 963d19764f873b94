// Reconnect delays: exponential from `baseMs`, capped, with jitter so many
// clients dropped together do not return together.
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  maxAttempts?: number;
  random?: () => number;
}

export const DEFAULT_MAX_ATTEMPTS = 6;

/** Delay before reconnect attempt `attempt` (0-based), or null once attempts are exhausted. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number | null {
  const { baseMs = 250, maxMs = 5000, maxAttempts = DEFAULT_MAX_ATTEMPTS, random = Math.random } = options;
  if (attempt >= maxAttempts) return null;
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  // "Equal jitter": at least half the ceiling, so delays still grow.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
