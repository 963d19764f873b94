import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { type ServerEvent, ServerEventSchema, Role, SessionState } from "@/gen/luna/voice/v1/voice_pb";
import { backoffDelay } from "@/lib/voice/backoff";
import { classifyClose, ERROR_MESSAGES, voiceError } from "@/lib/voice/errors";
import { initialVoiceState, latestText, reduceServerEvent, statusText, type VoiceState } from "@/lib/voice/voice-state";
import { voiceUrl } from "@/lib/voice/websocket-client";

type EventInit = NonNullable<MessageInitShape<typeof ServerEventSchema>["event"]>;

function ev(event: EventInit): ServerEvent {
  return create(ServerEventSchema, { event });
}

function run(events: ServerEvent[], from: VoiceState = initialVoiceState): VoiceState {
  return events.reduce(reduceServerEvent, from);
}

const connected = ev({ case: "connected", value: { sessionId: "s1", resumeToken: "r1" } });

describe("voice state", () => {
  it("connects and shows the spec's listening status", () => {
    const state = run([
      connected,
      ev({ case: "status", value: { state: SessionState.LISTENING, message: "" } }),
    ]);
    expect(state.sessionId).toBe("s1");
    expect(state.resumeToken).toBe("r1");
    expect(statusText({ ...state, connection: "connected" })).toBe("Luna is listening…");
  });

  it("replaces partial transcripts of a turn and counts final user turns", () => {
    const t = (role: Role, text: string, isFinal: boolean, turnId = "t1") =>
      ev({ case: "transcript", value: { role, text, isFinal, turnId } });
    const state = run([
      connected,
      t(Role.USER, "book a", false),
      t(Role.USER, "book a table", false),
      t(Role.USER, "book a table for two", true),
      t(Role.ASSISTANT, "Should I book", false),
      t(Role.ASSISTANT, "Should I book a table for 2?", true),
      t(Role.USER, "yes", true, "t2"),
    ]);
    expect(state.lines.map((l) => l.text)).toEqual(["book a table for two", "Should I book a table for 2?", "yes"]);
    expect(state.turnCount).toBe(2);
    expect(latestText(state.lines, "assistant")).toBe("Should I book a table for 2?");
  });

  it("holds a confirmation until a result arrives", () => {
    const asked = run([
      connected,
      ev({ case: "actionConfirmation", value: { confirmationId: "c1", action: "make_booking", prompt: "Book?" } }),
    ]);
    expect(asked.pendingConfirmation?.confirmationId).toBe("c1");
    expect(asked.sessionState).toBe(SessionState.WAITING);
    const done = run([ev({ case: "actionResult", value: { action: "make_booking", speakText: "Booked" } })], asked);
    expect(done.pendingConfirmation).toBeNull();
    expect(done.lastResult?.speakText).toBe("Booked");
  });

  it("words server errors as spec §13.2 does", () => {
    const state = run([connected, ev({ case: "error", value: { code: "speech_unclear", message: "x" } })]);
    expect(state.error?.message).toBe("I didn't catch that. Could you please repeat?");
    const unknown = run([ev({ case: "error", value: { code: "rate_limited", message: "slow down" } })]);
    expect(unknown.error?.message).toBe("slow down");
  });

  it("a reconnect clears the connection-lost notice but not other errors", () => {
    const lost = { ...initialVoiceState, error: voiceError("connection_lost") };
    expect(run([connected], lost).error).toBeNull();
    const other = { ...initialVoiceState, error: voiceError("booking_failed") };
    expect(run([connected], other).error?.code).toBe("booking_failed");
  });

  it("session end clears the pending confirmation", () => {
    const state = run([
      connected,
      ev({ case: "actionConfirmation", value: { confirmationId: "c1" } }),
      ev({ case: "sessionEnded", value: {} }),
    ]);
    expect(state.ended).toBe(true);
    expect(state.pendingConfirmation).toBeNull();
  });
});

describe("socket closes", () => {
  it("maps the bridge's close codes to done / reconnect / fail", () => {
    expect(classifyClose(1000).action).toBe("done");
    expect(classifyClose(1006).action).toBe("reconnect"); // dropped
    expect(classifyClose(1001).action).toBe("reconnect"); // bridge going away
    expect(classifyClose(4014).action).toBe("reconnect"); // UNAVAILABLE
    expect(classifyClose(4016)).toMatchObject({ action: "fail", error: { code: "unauthenticated" } });
    expect(classifyClose(4003).action).toBe("fail"); // INVALID_ARGUMENT
    expect(classifyClose(1007).action).toBe("fail");
    expect(classifyClose(1006).error?.message).toBe(ERROR_MESSAGES.connection_lost);
  });

  it("backs off exponentially with jitter and gives up", () => {
    const low = (a: number) => backoffDelay(a, { random: () => 0 });
    const high = (a: number) => backoffDelay(a, { random: () => 1 });
    expect([0, 1, 2, 3].map((a) => high(a))).toEqual([250, 500, 1000, 2000]);
    expect(low(2)).toBe(500);
    expect(high(10)).toBeNull();
    expect(backoffDelay(5, { random: () => 1, maxAttempts: 10 })).toBe(5000);
  });

  it("puts the voice stream on the page's origin", () => {
    expect(voiceUrl("http://127.0.0.1:8080")).toBe("ws://127.0.0.1:8080/voice/connect");
    expect(voiceUrl("https://luna.example")).toBe("wss://luna.example/voice/connect");
  });
});
