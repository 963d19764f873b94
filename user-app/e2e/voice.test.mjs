// Browser end-to-end: real Chromium (headless, fake microphone fed from espeak-ng WAVs)
// against the real stack behind real Envoy. Run: node --test e2e/ (after `npm run build`).
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { speechWav } from "./audio.mjs";
import { ROOT, startStack } from "./stack.mjs";

const ARTIFACTS = path.join(ROOT, "artifacts", "e2e");
const AUDIO_DIR = path.join(ROOT, "var", "e2e-audio");
const CHROMIUM = process.env.LUNA_CHROMIUM || "/usr/bin/chromium";
// The network is closed: without these Chromium floods refused connections to Google services.
const QUIET = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-sandbox"];
const BOOKING = "book a table for two at The Blue Plate tomorrow at 8 pm";
const VENUE = "The Blue Plate";
// A pause before speaking, as a person takes after tapping: the gateway loads the user's vocabulary
// (venue and friend names) into the recognizer when the session opens.
const LEAD_SECONDS = 3;

mkdirSync(ARTIFACTS, { recursive: true });

let stack;

before(async () => {
  stack = await startStack();
});

after(async () => {
  await stack?.stop();
});

async function withBrowser(name, { wav = null, denyMicrophone = false }, body) {
  const args = [...QUIET];
  if (wav) {
    // %noloop: say it once, then silence (a looping file would keep booking).
    args.push("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${wav}%noloop`);
  } else if (denyMicrophone) {
    // A device exists, but without the fake UI flag the permission prompt is dismissed: NotAllowedError.
    args.push("--use-fake-device-for-media-stream");
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
  const context = await browser.newContext({ timezoneId: "America/New_York", viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const consoleLines = [];
  page.on("console", (msg) => consoleLines.push(`${msg.type()}: ${msg.text()}`));
  page.on("pageerror", (err) => consoleLines.push(`pageerror: ${err.message}`));
  try {
    await body(page);
  } catch (err) {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-FAILED.png`) }).catch(() => {});
    err.message += `\n--- browser console ---\n${consoleLines.slice(-40).join("\n")}\n--- stack logs ---\n${stack
      .logs().split("\n").slice(-80).join("\n")}`;
    throw err;
  } finally {
    await browser.close();
  }
}

const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

async function signIn(page, name) {
  await page.goto(`${stack.appUrl}/signin`);
  await page.getByRole("button", { name }).click();
  await page.waitForURL("**/venues");
  await page.getByTestId("signed-in-as").filter({ hasText: name }).waitFor();
}

async function openBookings(page) {
  // Client-side navigation: the page and its live bookings watch stay up while the overlay is open.
  await page.getByRole("link", { name: "My bookings" }).click();
  await page.getByRole("heading", { name: "My bookings" }).waitFor();
  await page.getByTestId("booking-list").waitFor({ state: "attached" });
  await page.waitForFunction(() => !document.body.innerText.includes("Loading…"));
}

const blueplate = (page) => page.locator(`[data-testid=booking][data-venue="${VENUE}"]`);

async function overlayNumber(page, attribute) {
  return Number(await page.getByTestId("voice-overlay").getAttribute(attribute));
}

async function bookingCodes(page) {
  return blueplate(page).evaluateAll((items) => items.map((item) => item.dataset.code));
}

async function expectBookingAppears(page, codesBefore) {
  // No reload: WatchMyBookings pushes the new list to the page. A new confirmation code = a new booking.
  const handle = await page.waitForFunction(
    ([venue, known]) => {
      const items = [...document.querySelectorAll(`[data-testid=booking][data-venue="${venue}"]`)];
      const fresh = items.find((item) => !known.includes(item.dataset.code));
      return fresh ? fresh.innerText : false;
    },
    [VENUE, codesBefore],
    { timeout: 45000 },
  );
  const text = await handle.jsonValue();
  assert.match(text, /party of 2/);
  // Tomorrow at 8 pm in New York (the browser's time zone here, and the demo city's).
  const tomorrow = new Date(Date.now() + 24 * 3600 * 1000).toLocaleDateString("en-GB",
    { timeZone: "America/New_York", weekday: "short", day: "numeric", month: "short" }).replace(",", "");
  assert.ok(text.includes(`${tomorrow}, 20:00`), `${text} is not ${tomorrow}, 20:00`);
}

describe("Luna in the browser", () => {
  test("sign in, search and filter venues, open a venue", async () => {
    await withBrowser("venues", {}, async (page) => {
      await signIn(page, "Alex Rivera");
      const list = page.getByTestId("venue-list").locator("li");
      await list.first().waitFor();
      const all = await list.count();
      await page.getByLabel("Search venues").fill("Blue Plate");
      await page.waitForFunction((n) => document.querySelectorAll("[data-testid=venue-list] li").length < n, all);
      await page.getByLabel("Search venues").fill("");
      await page.getByLabel("Price").selectOption("1");
      await page.waitForFunction((n) => document.querySelectorAll("[data-testid=venue-list] li").length < n, all);
      await page.getByLabel("Price").selectOption("0");
      await page.getByLabel("Search venues").fill("Blue Plate");
      await page.getByRole("link", { name: VENUE }).click();
      await page.getByRole("heading", { name: VENUE }).waitFor();
      assert.match(await page.getByTestId("venue-coordinates").innerText(), /^40\.\d+, -7[34]\.\d+/);
      assert.match(await page.locator("table.hours").innerText(), /Monday\s+\d\d:\d\d–\d\d:\d\d/);
      await shot(page, "venue-detail");
      await page.getByRole("link", { name: "My invites" }).click();
      await page.getByRole("heading", { name: "Received" }).waitFor();
    });
  });

  test("book by voice, confirm with the button, hear Luna, see the booking live", async () => {
    const wav = speechWav(AUDIO_DIR, [{ silence: LEAD_SECONDS }, { say: BOOKING }, { silence: 20 }]);
    await withBrowser("voice-button", { wav }, async (page) => {
      await signIn(page, "Alex Rivera");
      await openBookings(page);
      const before = await bookingCodes(page);
      await page.getByRole("button", { name: "Talk to Luna" }).click();
      await page.getByTestId("voice-status").filter({ hasText: "Luna is listening…" }).waitFor({ timeout: 20000 });
      await shot(page, "voice-listening");
      await page.locator("[data-role=user]").filter({ hasText: /table/i }).waitFor({ timeout: 45000 });
      const card = page.getByTestId("voice-confirmation");
      await card.waitFor({ timeout: 45000 });
      console.log(`heard: ${await page.locator("[data-role=user] .voice-line__text").first().innerText()}`);
      assert.match(await card.innerText(), /Blue Plate/i);
      assert.ok((await overlayNumber(page, "data-frames-sent")) > 50, "microphone frames reached the server");
      await shot(page, "voice-confirmation");
      await card.getByRole("button", { name: "Confirm" }).click();
      await expectBookingAppears(page, before);
      // Luna's spoken replies (the question and the result) arrived and were played.
      await page.waitForFunction(() => {
        const overlay = document.querySelector("[data-testid=voice-overlay]");
        return Number(overlay?.dataset.audioChunks) > 0 && Number(overlay?.dataset.framesPlayed) > 0;
      }, null, { timeout: 30000 });
      await page.locator("[data-role=assistant]").first().waitFor();
      await shot(page, "voice-booked");
      await page.getByRole("button", { name: "Done" }).click();
      await page.getByTestId("voice-overlay").waitFor({ state: "detached" });
      await shot(page, "bookings-after-voice");
    });
  });

  test("book by voice and confirm by saying yes", async () => {
    const wav = speechWav(AUDIO_DIR, [{ silence: LEAD_SECONDS }, { say: BOOKING }, { silence: 9 }, { say: "yes" },
      { silence: 20 }]);
    await withBrowser("voice-yes", { wav }, async (page) => {
      await signIn(page, "Noah Thompson");
      await openBookings(page);
      const before = await bookingCodes(page);
      await page.getByRole("button", { name: "Talk to Luna" }).click();
      await page.getByTestId("voice-confirmation").waitFor({ timeout: 45000 });
      console.log(`heard: ${await page.locator("[data-role=user] .voice-line__text").first().innerText()}`);
      await shot(page, "voice-yes-confirmation");
      // No click: the "yes" later in the recording confirms.
      await expectBookingAppears(page, before);
      await page.getByTestId("voice-confirmation").waitFor({ state: "detached", timeout: 15000 });
      await page.locator("[data-role=user] .voice-line__text").filter({ hasText: /^yes\b/i })
        .waitFor({ timeout: 15000 });
      assert.ok((await overlayNumber(page, "data-audio-chunks")) > 0, "reply audio arrived");
      await shot(page, "voice-yes-booked");
    });
  });

  test("microphone denied: the same conversation by text", async () => {
    await withBrowser("text-mode", { denyMicrophone: true }, async (page) => {
      await signIn(page, "Olivia Martinez");
      await openBookings(page);
      const before = await bookingCodes(page);
      await page.getByRole("button", { name: "Talk to Luna" }).click();
      const notice = page.getByTestId("voice-text-mode");
      await notice.waitFor({ timeout: 20000 });
      assert.match(await notice.innerText(), /type instead/);
      await page.getByLabel("Message to Luna").fill(BOOKING);
      await page.getByRole("button", { name: "Send" }).click();
      await page.locator("[data-role=user]").filter({ hasText: /Blue Plate/ }).waitFor({ timeout: 20000 });
      const card = page.getByTestId("voice-confirmation");
      await card.waitFor({ timeout: 30000 });
      await shot(page, "text-mode-confirmation");
      await card.getByRole("button", { name: "Confirm" }).click();
      await expectBookingAppears(page, before);
      await page.locator("[data-role=assistant]").first().waitFor();
      await shot(page, "text-mode-booked");
    });
  });

  test("a dropped voice connection comes back and resumes the same session", async () => {
    await withBrowser("reconnect", { denyMicrophone: true }, async (page) => {
      await signIn(page, "Ethan Brooks");
      await page.getByRole("button", { name: "Talk to Luna" }).click();
      const overlay = page.getByTestId("voice-overlay");
      await page.waitForFunction(() => document.querySelector("[data-testid=voice-overlay]")?.dataset.sessionId);
      const sessionId = await overlay.getAttribute("data-session-id");
      const restarted = stack.restartBridge(2000);
      // The drop is shown in the spec's words while the client backs off and retries with its resume token.
      await page.getByTestId("voice-error").filter({ hasText: "trouble with the connection" }).waitFor();
      await shot(page, "reconnecting");
      await restarted;
      await page.waitForFunction(
        (id) => {
          const o = document.querySelector("[data-testid=voice-overlay]");
          return o?.dataset.connection === "connected" && o.dataset.sessionId === id;
        },
        sessionId,
        { timeout: 30000 },
      );
      await page.getByTestId("voice-error").waitFor({ state: "detached" });
      // Same conversation: it answers after the reconnect...
      await page.getByLabel("Message to Luna").fill("find me an italian restaurant");
      await page.getByRole("button", { name: "Send" }).click();
      await page.locator("[data-role=assistant]").first().waitFor({ timeout: 20000 });
      await shot(page, "reconnected");
      // ...and stopping Luna mid-reply silences her at once: local playback is flushed, the gateway confirms.
      const stop = page.getByRole("button", { name: "Stop Luna" });
      await stop.waitFor({ timeout: 20000 });
      await stop.click();
      await page.waitForFunction(() => {
        const o = document.querySelector("[data-testid=voice-overlay]");
        return Number(o?.dataset.playbackFlushes) >= 1 && Number(o?.dataset.interruptions) >= 1;
      }, null, { timeout: 15000 });
      await stop.waitFor({ state: "detached", timeout: 15000 });
    });
  });
});
