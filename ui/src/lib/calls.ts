// The calls as the window shows them, followed from the engine's events.
// This decides nothing: it only remembers what the engine said.

import type { CallId, CallSummary, PhoneEvent } from "./types";

export type CallPhase = "calling" | "ringing-out" | "incoming" | "connected" | "ended";

export interface CallView {
  id: CallId;
  outgoing: boolean;
  remote: string;
  account: string | null;
  phase: CallPhase;
  muted: boolean;
  held: boolean;
  /** Epoch ms when it connected (for the talk timer). */
  connectedAt: number | null;
  codec: string | null;
  encryption: string | null;
  /** The last thing worth telling: "180 Ringing", "hold refused (488)". */
  note: string | null;
  /** Speaker / microphone volume in percent. */
  speaker: number;
  microphone: number;
}

export interface CallsState {
  calls: CallView[];
  /** The call the panel shows: the last one touched. */
  focus: CallId | null;
}

export const empty: CallsState = { calls: [], focus: null };

function newCall(id: CallId, outgoing: boolean, remote: string, account: string | null, phase: CallPhase): CallView {
  return {
    id,
    outgoing,
    remote,
    account,
    phase,
    muted: false,
    held: false,
    connectedAt: null,
    codec: null,
    encryption: null,
    note: null,
    speaker: 100,
    microphone: 100,
  };
}

/** The calls the engine lists, when the window (re)loads. */
export function fromSummaries(list: CallSummary[], now: number): CallsState {
  const calls = list.map((c) => ({
    ...newCall(c.call, c.outgoing, c.remote, null, c.established ? "connected" : c.outgoing ? "calling" : "incoming"),
    connectedAt: c.established ? now : null,
    held: c.held,
  }));
  return { calls, focus: calls.length ? calls[calls.length - 1].id : null };
}

function update(state: CallsState, id: CallId, change: (c: CallView) => CallView, focus = false): CallsState {
  if (!state.calls.some((c) => c.id === id)) return state;
  return {
    calls: state.calls.map((c) => (c.id === id ? change(c) : c)),
    focus: focus ? id : state.focus,
  };
}

/** Follows one event; `now` is epoch ms. */
export function apply(state: CallsState, e: PhoneEvent, now: number): CallsState {
  switch (e.event) {
    case "calling":
      if (state.calls.some((c) => c.id === e.call)) return state;
      return { calls: [...state.calls, newCall(e.call, true, e.to, e.account, "calling")], focus: e.call };
    case "incoming_call":
      if (state.calls.some((c) => c.id === e.call)) return state;
      return {
        calls: [...state.calls, newCall(e.call, false, e.from, e.account, "incoming")],
        // A ringing call does not take the panel from a call in progress.
        focus: state.focus ?? e.call,
      };
    case "progress":
      return update(state, e.call, (c) => ({ ...c, phase: "ringing-out", note: `${e.status} ${e.reason}` }));
    case "established":
      return update(
        state,
        e.call,
        (c) => ({
          ...c,
          phase: "connected",
          connectedAt: c.connectedAt ?? now,
          codec: e.codec,
          encryption: e.encryption,
          note: null,
        }),
        true,
      );
    case "muted":
      return update(state, e.call, (c) => ({ ...c, muted: e.muted }));
    case "held":
      return update(state, e.call, (c) => ({ ...c, held: e.held, note: null }));
    case "hold_failed":
      return update(state, e.call, (c) => ({
        ...c,
        held: !e.held,
        note: `${e.held ? "hold" : "resume"} refused (${e.status})`,
      }));
    case "volume":
      return update(state, e.call, (c) => ({
        ...c,
        speaker: e.speaker_percent ?? c.speaker,
        microphone: e.microphone_percent ?? c.microphone,
      }));
    case "transfer_progress":
      return update(state, e.call, (c) => ({ ...c, note: `transfer: ${e.status}${e.done ? " (done)" : ""}` }));
    case "ended": {
      const calls = state.calls.filter((c) => c.id !== e.call);
      const focus = state.focus === e.call ? (calls.length ? calls[calls.length - 1].id : null) : state.focus;
      return { calls, focus };
    }
    default:
      return state;
  }
}

export function focused(state: CallsState): CallView | null {
  return state.calls.find((c) => c.id === state.focus) ?? null;
}

/** Calls ringing here that nobody has answered yet. */
export function ringing(state: CallsState): CallView[] {
  return state.calls.filter((c) => c.phase === "incoming");
}

/** m:ss or h:mm:ss. */
export function talkTime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}
