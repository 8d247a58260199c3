// The window's state: a snapshot when it loads, then the engine's events.
// Views read it; actions go to the engine and come back as events.

import * as api from "./api";
import { apply, empty, fromSummaries, type CallsState } from "./calls";
import { followDevice } from "./devices";
import type { DeviceActivity, DeviceState, HistoryEntry, PhoneEvent, Snapshot } from "./types";

export type Page = "phone" | "history" | "devices" | "settings";

export interface ActivityLine {
  at: number;
  device: number;
  text: string;
}

const ACTIVITY_KEPT = 40;

class PhoneStore {
  snapshot = $state<Snapshot | null>(null);
  calls = $state<CallsState>(empty);
  history = $state<HistoryEntry[]>([]);
  activity = $state<ActivityLine[]>([]);
  leds = $state<Record<number, DeviceState>>({});
  /** Digits typed on a device keypad, while dialing. */
  deviceDialing = $state<string | null>(null);
  dialText = $state("");
  page = $state<Page>("phone");
  /** The last refusal, shown until dismissed or replaced. */
  error = $state<string | null>(null);
  /** Bumped when the device list may have changed. */
  devicesChanged = $state(0);

  async start() {
    await api.subscribe({
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
      const snap = await api.snapshot();
      this.snapshot = snap;
      this.calls = fromSummaries(snap.calls, Date.now());
      this.history = await api.history();
    } catch (e) {
      this.error = String(e);
    }
  }

  onEvent(e: PhoneEvent) {
    this.calls = apply(this.calls, e, Date.now());
    // A call placed or answered from anywhere (the headset, the hot key, a
    // link, the Devices page) brings its panel into view.
    if (e.event === "calling" || e.event === "established") this.page = "phone";
    const snap = this.snapshot;
    if (!snap) return;
    switch (e.event) {
      case "ready":
      case "address_changed":
        snap.view.sip = e.sip;
        break;
      case "registration":
        snap.view.registrations[e.account] = e;
        break;
      case "dnd":
        snap.view.dnd[e.account ?? ""] = e.on;
        if (e.account === null) snap.handling.dnd = e.on;
        break;
      case "message_waiting":
        snap.view.message_waiting[e.account ?? ""] = e;
        break;
      case "dialing":
        this.deviceDialing = e.done ? null : e.digits;
        break;
      case "device":
        followDevice(snap.view, e);
        this.devicesChanged++;
        break;
    }
  }

  onActivity(a: DeviceActivity) {
    const text =
      a.kind === "input"
        ? `pressed ${typeof a.input === "string" ? a.input : JSON.stringify(a.input)}`
        : `LEDs ${ledText(a.leds)} (report ${a.report})`;
    if (a.kind === "shown") this.leds = { ...this.leds, [a.device]: a.leds };
    this.activity = [{ at: Date.now(), device: a.device, text }, ...this.activity].slice(0, ACTIVITY_KEPT);
  }

  /** Sends a request; a refusal is shown, not thrown. */
  async act(request: api.Request): Promise<unknown> {
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
