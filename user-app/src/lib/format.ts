// Display helpers shared by the pages.
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";

export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/** Minutes after midnight → "HH:MM"; values past 1440 are after midnight the next day. */
export function clock(minutes: number): string {
  const m = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

export function priceLabel(level: number): string {
  return level > 0 ? "$".repeat(level) : "–";
}

export function when(ts: Timestamp | undefined, timeZone?: string): string {
  if (!ts) return "";
  return timestampDate(ts).toLocaleString("en-GB", {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    timeZone: timeZone || undefined,
  });
}
