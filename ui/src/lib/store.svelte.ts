// The window's state: the phone's own state as the engine publishes it
// (calls, registrations, DND, devices), the app's settings from a snapshot,
// and what only the window has (the page, the text being typed, the live
// view of device activity). Actions go to the engine and come back as state.

import * as api from "./api";
import { connectedSince } from "./calls";
import type { DeviceActivity, DeviceState, HistoryEntry, PhoneEvent, PhoneState, Snapshot } from "./types";

export type Page = "phone" | "history" | "devices" | "settings";

export interface ActivityLine {
  at: number;
  device: number;
  text: string;
}

const ACTIVITY_KEPT = 40;

class PhoneStore {
  snapshot = $state<Snapshot | null>(null);
  /** The phone's state: the engine's, never rebuilt here. */
  phone = $state<PhoneState | null>(null);
  history = $state<HistoryEntry[]>([]);
  activity = $state<ActivityLine[]>([]);
  leds = $state<Record<number, DeviceState>>({});
  /** The call the user chose to see in the panel (else the phone's focus). */
  picked = $state<number | null>(null);
  /** When each connected call was first seen connected, for its timer. */
  connectedAt = $state<Record<number, number>>({});
  dialText = $state("");
  page = $state<Page>("phone");
  /** The last refusal, shown until dismissed or replaced. */
  error = $state<string | null>(null);
  /** Bumped when the device list may have changed. */
  devicesChanged = $state(0);

  /** State events seen; a snapshot asked for before the last one is older. */
  private stateEvents = 0;

  async start() {
    await api.subscribe({
      state: (s) => {
        this.stateEvents++;
        this.onState(s);
      },
      phone: (e) => this.onEvent(e),
      activity: (a) => this.onActivity(a),
      history: (h) => (this.history = [h, ...this.history].slice(0, 200)),
      link: (l) => {
        this.page = "phone";
        if (!l.dialled) this.dialText = l.target;
      },
      restarted: () => void this.refresh(),
    });
    await this.refresh();
  }

  async refresh() {
    try {
      const eventsBefore = this.stateEvents;
      const snap = await api.snapshot();
      this.snapshot = snap;
      // A state event that came while the snapshot was on its way may be
      // newer than it (a registration over in milliseconds after a
      // restart): the events' stream always ends on the latest, so it wins.
      if (this.stateEvents === eventsBefore) this.onState(snap.state);
      this.history = await api.history();
    } catch (e) {
      this.error = String(e);
    }
  }

  onState(s: PhoneState) {
    const before = this.phone;
    this.phone = s;
    this.connectedAt = connectedSince(this.connectedAt, s, Date.now());
    if (before && before.devices.length + before.unusable_devices.length !== s.devices.length + s.unusable_devices.length) {
      this.devicesChanged++;
    }
  }

  onEvent(e: PhoneEvent) {
    // A call placed or answered from anywhere (the headset, the hot key, a
    // link, the Devices page) brings its panel into view.
    if (e.event === "calling" || e.event === "established") {
      this.page = "phone";
      this.picked = e.call;
    }
    if (e.event === "device") this.devicesChanged++;
  }

  onActivity(a: DeviceActivity) {
    const text =
      a.kind === "input"
        ? `pressed ${typeof a.input === "string" ? a.input : JSON.stringify(a.input)}`
        : `LEDs ${ledText(a.leds)} (report ${a.report})`;
    if (a.kind === "shown") this.leds = { ...this.leds, [a.device]: a.leds };
    this.activity = [{ at: Date.now(), device: a.device, text }, ...this.activity].slice(0, ACTIVITY_KEPT);
  }

  /** Asks the phone; a refusal is shown, not thrown. */
  async act(request: Parameters<typeof api.phone>[0]): Promise<unknown> {
    try {
      const result = await api.phone(request);
      this.error = null;
      return result;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      return undefined;
    }
  }

  async run(action: () => Promise<unknown>) {
    try {
      await action();
      this.error = null;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
  }
}

export function ledText(s: DeviceState): string {
  const on = (Object.keys(s) as (keyof DeviceState)[]).filter((k) => s[k]);
  return on.length ? on.join(", ") : "all off";
}

export const store = new PhoneStore();
