// Speech WAVs for Chromium's fake microphone (--use-file-for-fake-audio-capture):
// espeak-ng speaks, sox makes it 16 kHz mono PCM16 and pads it with silence.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";

/**
 * parts: [{ say: "text" } | { silence: seconds }, ...] → path of a WAV (cached by content).
 */
export function speechWav(dir, parts) {
  mkdirSync(dir, { recursive: true });
  const key = createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 16);
  const out = path.join(dir, `speech-${key}.wav`);
  if (existsSync(out)) return out;
  const pieces = parts.map((part, i) => {
    const piece = path.join(dir, `part-${key}-${i}.wav`);
    if ("say" in part) {
      const raw = path.join(dir, `raw-${key}-${i}.wav`);
      execFileSync("espeak-ng", ["-v", "en-us", "-s", "150", "-w", raw, part.say]);
      execFileSync("sox", [raw, "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", piece]);
    } else {
      execFileSync("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", piece, "trim", "0",
        String(part.silence)]);
    }
    return piece;
  });
  execFileSync("sox", [...pieces, out]);
  return out;
}
