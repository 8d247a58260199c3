import { describe, expect, it } from "vitest";
import { apply, empty, focused, fromSummaries, ringing, talkTime, type CallsState } from "./calls";
import type { PhoneEvent } from "./types";

const run = (events: PhoneEvent[], start: CallsState = empty) =>
  events.reduce((s, e, i) => apply(s, e, 1000 * (i + 1)), start);

describe("calls", () => {
  it("an outgoing call goes calling, ringing, connected, ended", () => {
    let s = run([
      { event: "calling", call: 1, to: "sip:bob@example.com", account: null },
      { event: "progress", call: 1, status: 180, reason: "Ringing" },
    ]);
    expect(focused(s)?.phase).toBe("ringing-out");
    expect(focused(s)?.note).toBe("180 Ringing");
    s = apply(s, { event: "established", call: 1, codec: "PCMU", remote_media: null, encryption: null }, 5000);
    expect(focused(s)).toMatchObject({ phase: "connected", connectedAt: 5000, codec: "PCMU", note: null });
    s = apply(s, { event: "ended", call: 1, reason: "remote", status: null, detail: null, stats: null }, 9000);
    expect(s).toEqual({ calls: [], focus: null });
  });

  it("a ringing call does not take the panel from the call in progress", () => {
    const s = run([
      { event: "calling", call: 1, to: "sip:bob@example.com", account: null },
      { event: "established", call: 1, codec: "opus", remote_media: null, encryption: null },
      { event: "incoming_call", call: 2, from: "Carol <sip:carol@example.com>", to: "x", account: null, answer_after: null, replaces: null },
    ]);
    expect(s.focus).toBe(1);
    expect(ringing(s).map((c) => c.id)).toEqual([2]);
    const answered = apply(s, { event: "established", call: 2, codec: "opus", remote_media: null, encryption: null }, 9);
    expect(answered.focus).toBe(2);
    const after = apply(answered, { event: "ended", call: 2, reason: "local", status: null, detail: null, stats: null }, 10);
    expect(after.focus).toBe(1);
  });

  it("mute, hold and a refused hold follow the engine", () => {
    let s = run([
      { event: "calling", call: 3, to: "x", account: null },
      { event: "muted", call: 3, muted: true },
      { event: "held", call: 3, held: true },
    ]);
    expect(focused(s)).toMatchObject({ muted: true, held: true });
    s = apply(s, { event: "hold_failed", call: 3, held: false, status: 488 }, 0);
    expect(focused(s)).toMatchObject({ held: true, note: "resume refused (488)" });
    s = apply(s, { event: "volume", call: 3, speaker_percent: 150, microphone_percent: null }, 0);
    expect(focused(s)).toMatchObject({ speaker: 150, microphone: 100 });
  });

  it("events for unknown calls and repeated announcements change nothing", () => {
    const s = run([{ event: "calling", call: 1, to: "x", account: null }]);
    expect(apply(s, { event: "muted", call: 9, muted: true }, 0)).toBe(s);
    expect(apply(s, { event: "calling", call: 1, to: "x", account: null }, 0)).toBe(s);
  });

  it("a reloaded window starts from the engine's list", () => {
    const s = fromSummaries(
      [
        { call: 3, outgoing: false, remote: "sip:e@f", established: true, held: true },
        { call: 4, outgoing: false, remote: "sip:a@b", established: false, held: false },
        { call: 5, outgoing: true, remote: "sip:c@d", established: true, held: false },
      ],
      77,
    );
    expect(s.calls.map((c) => c.phase)).toEqual(["connected", "incoming", "connected"]);
    expect(s.calls.map((c) => c.held)).toEqual([true, false, false]);
    expect(s.focus).toBe(5);
    expect(s.calls[2].connectedAt).toBe(77);
  });

  it("talk time reads as m:ss and h:mm:ss", () => {
    expect(talkTime(0)).toBe("0:00");
    expect(talkTime(65.9)).toBe("1:05");
    expect(talkTime(3600 + 62)).toBe("1:01:02");
    expect(talkTime(-3)).toBe("0:00");
  });
});
