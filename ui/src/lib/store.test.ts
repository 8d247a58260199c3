import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Listeners } from "./api";
import type { PhoneState, Snapshot } from "./types";

// The store's IPC seam: the test holds the listeners and answers `snapshot`
// itself, so it decides which of the two arrives first.
let listeners: Listeners | null = null;
let answerSnapshot: ((s: Snapshot) => void) | null = null;
vi.mock("./api", () => ({
  subscribe: async (on: Listeners) => {
    listeners = on;
    return () => {};
  },
  snapshot: () => new Promise<Snapshot>((resolve) => (answerSnapshot = resolve)),
  history: async () => [],
  conversations: async () => [],
}));

const { store } = await import("./store.svelte");

const phone = (registration: "registering" | "registered"): PhoneState =>
  ({
    sip: "127.0.0.1:5060",
    registrations: { work: { state: registration, detail: null, status: null } },
    calls: [],
    devices: [],
    unusable_devices: [],
  }) as unknown as PhoneState;
const snapshotWith = (state: PhoneState) => ({ state }) as unknown as Snapshot;
const settle = () => new Promise((r) => setTimeout(r, 0));

describe("the window's copy of the phone state", () => {
  beforeEach(async () => {
    const started = store.start();
    await settle();
    answerSnapshot?.(snapshotWith(phone("registering")));
    await started;
  });

  it("a snapshot older than a state event does not undo it", async () => {
    // The phone restarted: the window asks for a snapshot; the registration
    // is over before the snapshot's answer comes back.
    listeners!.restarted();
    await settle();
    listeners!.state(phone("registered"));
    answerSnapshot!(snapshotWith(phone("registering")));
    await settle();
    expect(store.phone?.registrations.work?.state).toBe("registered");
  });

  it("a snapshot with no event since is taken", async () => {
    listeners!.restarted();
    await settle();
    answerSnapshot!(snapshotWith(phone("registered")));
    await settle();
    expect(store.phone?.registrations.work?.state).toBe("registered");
  });
});
