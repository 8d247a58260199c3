import { describe, expect, it } from "vitest";
import {
  canMerge,
  conferenceMembers,
  connectedSince,
  noteText,
  otherCalls,
  ringing,
  shownCall,
  talkTime,
} from "./calls";
import type { CallView, PhoneState } from "./types";

const call = (id: number, phase: CallView["phase"], more: Partial<CallView> = {}): CallView => ({
  id,
  outgoing: phase !== "incoming",
  remote: `sip:${id}@example.com`,
  account: null,
  phase,
  held: false,
  muted: false,
  speaker_percent: 100,
  microphone_percent: 100,
  codec: null,
  encryption: null,
  media_direction: null,
  note: null,
  replaces: null,
  recording: null,
  contact: null,
  ...more,
});

const state = (calls: CallView[], focus: number | null = null): PhoneState => ({
  sip: null,
  media_address: null,
  registrations: {},
  handling: [],
  dnd: false,
  voicemail: [],
  sound: { microphone: "auto", speaker: "auto", ring_device: null },
  calls,
  focus,
  dialing: null,
  devices: [],
  unusable_devices: [],
  leds: { off_hook: false, ring: false, mute: false, hold: false, message_waiting: false, dnd: false, ringer: false, presence: "available" },
  presence: { availability: "available", chosen: "available", note: null, watched: [] },
  lamps: [],
  conference: [],
  balances: [],
});

describe("calls", () => {
  it("a ringing call does not take the panel from the call in progress", () => {
    // The phone's focus is the ringing call when none is active...
    const s = state([call(1, "connected", { held: true }), call(2, "incoming")], 2);
    expect(shownCall(s, null)?.id).toBe(1);
    expect(ringing(s).map((c) => c.id)).toEqual([2]);
    // ...and the call the buttons act on otherwise.
    const t = state([call(1, "connected", { held: true }), call(3, "connected")], 3);
    expect(shownCall(t, null)?.id).toBe(3);
    expect(otherCalls(t, shownCall(t, null)).map((c) => c.id)).toEqual([1]);
  });

  it("merge is offered with two connected calls not yet all in the conference", () => {
    const one = state([call(1, "connected")], 1);
    expect(canMerge(one, one.calls[0])).toBe(false);
    const two = state([call(1, "connected", { held: true }), call(2, "connected")], 2);
    expect(canMerge(two, two.calls[1])).toBe(true);
    const ringingToo = state([call(1, "connected"), call(2, "incoming")], 1);
    expect(canMerge(ringingToo, ringingToo.calls[0])).toBe(false);
    const merged = { ...two, conference: [1, 2] };
    expect(canMerge(merged, merged.calls[1])).toBe(false);
    expect(conferenceMembers(merged).map((c) => c.id)).toEqual([1, 2]);
    // A third call can join the two.
    const three = { ...merged, calls: [...merged.calls, call(3, "connected")] };
    expect(canMerge(three, three.calls[2])).toBe(true);
    expect(conferenceMembers(two)).toEqual([]);
  });

  it("the call the user picked stays shown while it lasts", () => {
    const s = state([call(1, "connected", { held: true }), call(3, "connected")], 3);
    expect(shownCall(s, 1)?.id).toBe(1);
    expect(shownCall(state([call(3, "connected")], 3), 1)?.id).toBe(3);
    expect(shownCall(state([]), 1)).toBeNull();
  });

  it("notes read as a line", () => {
    expect(noteText({ kind: "progress", status: 180, reason: "Ringing" })).toBe("180 Ringing");
    expect(noteText({ kind: "hold_refused", held: false, status: 488 })).toBe("resume refused (488)");
    expect(noteText({ kind: "transfer", status: 200, done: true })).toBe("transfer: 200 (done)");
    expect(noteText({ kind: "recording_failed", reason: "/r: Permission denied" })).toBe(
      "cannot record: /r: Permission denied",
    );
    expect(noteText(null)).toBeNull();
  });

  it("talk timers start when a call is first seen connected", () => {
    const first = connectedSince({}, state([call(1, "connected"), call(2, "calling")]), 5000);
    expect(first).toEqual({ 1: 5000 });
    const later = connectedSince(first, state([call(1, "connected"), call(2, "connected")]), 9000);
    expect(later).toEqual({ 1: 5000, 2: 9000 });
    expect(connectedSince(later, state([call(2, "connected")]), 9500)).toEqual({ 2: 9000 });
  });

  it("talk time reads as m:ss and h:mm:ss", () => {
    expect(talkTime(0)).toBe("0:00");
    expect(talkTime(65.9)).toBe("1:05");
    expect(talkTime(3600 + 62)).toBe("1:01:02");
    expect(talkTime(-3)).toBe("0:00");
  });
});
