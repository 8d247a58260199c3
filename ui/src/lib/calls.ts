// How the window shows the phone's calls. The calls themselves are the
// phone's state (PhoneState.calls); nothing here follows events.

import type { CallNote, CallView, PhoneState } from "./types";
import { t } from "./i18n.svelte";

export type { CallView };

/** Calls ringing here that nobody has answered yet. */
export function ringing(state: PhoneState | null): CallView[] {
  return (state?.calls ?? []).filter((c) => c.phase === "incoming");
}

/**
 * The call the panel shows: the one the user picked (while it lasts), else
 * the one the device buttons act on, else the latest call in progress. A
 * ringing call shows as its own prompt, never in the panel.
 */
export function shownCall(state: PhoneState | null, picked: number | null): CallView | null {
  const calls = (state?.calls ?? []).filter((c) => c.phase !== "incoming");
  return (
    calls.find((c) => c.id === picked) ??
    calls.find((c) => c.id === state?.focus) ??
    calls[calls.length - 1] ??
    null
  );
}

/** The calls in progress besides `shown` (held ones, a consultation). */
export function otherCalls(state: PhoneState | null, shown: CallView | null): CallView[] {
  return (state?.calls ?? []).filter((c) => c.id !== shown?.id && c.phase !== "incoming");
}

/** The calls in our conference (none: no conference), in the state's order. */
export function conferenceMembers(state: PhoneState | null): CallView[] {
  const ids = state?.conference ?? [];
  return (state?.calls ?? []).filter((c) => ids.includes(c.id));
}

/**
 * Whether Merge can bring `shown` and the other connected calls together:
 * two connected calls at least, not all of them in the conference already.
 */
export function canMerge(state: PhoneState | null, shown: CallView | null): boolean {
  if (!shown || shown.phase !== "connected") return false;
  const connected = (state?.calls ?? []).filter((c) => c.phase === "connected");
  const inConference = state?.conference ?? [];
  return connected.length >= 2 && connected.some((c) => !inConference.includes(c.id));
}

/** A call's note as a line: "180 Ringing", "hold refused (488)". */
export function noteText(note: CallNote | null): string | null {
  if (!note) return null;
  switch (note.kind) {
    case "progress":
      return t("note-progress", { status: note.status, reason: note.reason });
    case "hold_refused":
      return t(note.held ? "note-hold-refused" : "note-resume-refused", { status: note.status });
    case "transfer":
      return t(note.done ? "note-transfer-done" : "note-transfer", { status: note.status });
    case "recording_failed":
      return t("note-cannot-record", { reason: note.reason });
  }
}

/** m:ss or h:mm:ss. */
export function talkTime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/**
 * When each connected call was first seen connected (epoch ms), for its
 * talk timer: kept for the calls still connected, new ones at `now`.
 */
export function connectedSince(
  before: Record<number, number>,
  state: PhoneState | null,
  now: number,
): Record<number, number> {
  const out: Record<number, number> = {};
  for (const c of state?.calls ?? []) {
    if (c.phase === "connected") out[c.id] = before[c.id] ?? now;
  }
  return out;
}
