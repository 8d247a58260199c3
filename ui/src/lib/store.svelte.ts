// The window's state: the phone's own state as the engine publishes it
// (calls, registrations, DND, devices), the app's settings from a snapshot,
// and what only the window has (the page, the text being typed, the live
// view of device activity). Actions go to the engine and come back as state.

import * as api from "./api";
import { setLocale, t } from "./i18n.svelte";
import { connectedSince } from "./calls";
import { merged, peerOf, unreadTotal, withMessage } from "./messages";
import type {
  Conversation,
  DeviceActivity,
  DeviceState,
  HistoryEntry,
  PhoneEvent,
  PhoneState,
  Snapshot,
  StoredContact,
  StoredMessage,
} from "./types";

export type Page = "phone" | "history" | "contacts" | "messages" | "devices" | "settings";

/** A line of the Devices page's live view: a gesture or LEDs written. */
export interface ActivityLine {
  at: number;
  device: number;
  /** The gesture heard ("hook-switch on"), for an input. */
  pressed: string | null;
  /** The LEDs written and the report they went in, for an output. */
  leds: DeviceState | null;
  report: string | null;
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
  /** Instant messages: the conversations, the one open, its messages. */
  conversations = $state<Conversation[]>([]);
  openPeer = $state<string | null>(null);
  thread = $state<StoredMessage[]>([]);
  /** Peers typing (RFC 3994), until when (ms). */
  typing = $state<Record<string, number>>({});
  /** A new conversation's first text, until its `message` event names the peer. */
  private newText: string | null = null;
  unread = $derived(unreadTotal(this.conversations));
  /** Every contact kept here (the Phone page's favourites come from it). */
  contacts = $state<StoredContact[]>([]);
  favourites = $derived(this.contacts.filter((c) => c.contact.favourite));

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
      message: (m) => this.onMessage(m),
    });
    await this.refresh();
  }

  async refresh() {
    try {
      const eventsBefore = this.stateEvents;
      const snap = await api.snapshot();
      this.snapshot = snap;
      setLocale(snap.app.locale);
      // A state event that came while the snapshot was on its way may be
      // newer than it (a registration over in milliseconds after a
      // restart): the events' stream always ends on the latest, so it wins.
      if (this.stateEvents === eventsBefore) this.onState(snap.state);
      this.history = await api.history();
      this.conversations = await api.conversations();
      await this.loadContacts();
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
    if (e.event === "composing") {
      const peer = peerOf(e.from);
      const until = e.active ? Date.now() + e.refresh * 1000 : 0;
      this.typing = { ...this.typing, [peer]: until };
    }
  }

  /** A message kept or changed by the shell's store. */
  onMessage(m: StoredMessage) {
    if (!m.incoming && this.newText !== null && m.text === this.newText) {
      this.newText = null;
      this.openPeer = m.peer;
      this.thread = [];
    }
    const showing = this.page === "messages" && this.openPeer === m.peer;
    this.conversations = withMessage(this.conversations, m, showing ? m.peer : null);
    if (m.incoming) this.typing = { ...this.typing, [m.peer]: 0 };
    if (showing) {
      this.thread = merged(this.thread, m);
      if (m.incoming && !m.read) void api.markRead(m.peer);
    }
  }

  /** The contacts again, after an edit here or a sync. */
  async loadContacts() {
    try {
      this.contacts = await api.listContacts();
    } catch (e) {
      this.error = String(e);
    }
  }

  /** Calls what speed dial `digit` holds; says so when it holds nothing. */
  async speedDial(digit: number) {
    const target = await api.speedDialTarget(digit).catch(() => null);
    if (!target) {
      this.error = t("speed-dial-empty", { digit });
      return;
    }
    await this.act({ cmd: "call", target });
  }

  /** Shows `peer`'s conversation; its messages are read now. */
  async openConversation(peer: string | null) {
    this.openPeer = peer;
    this.thread = [];
    if (peer === null) return;
    try {
      const thread = await api.conversation(peer);
      if (this.openPeer !== peer) return;
      this.thread = thread;
      await api.markRead(peer);
      this.conversations = this.conversations.map((c) => (c.peer === peer ? { ...c, unread: 0 } : c));
    } catch (e) {
      this.error = String(e);
    }
  }

  /** Sends `text` to `target`; a refusal (or no delivery) shows as the error. */
  async sendMessage(target: string, text: string, account: string | null, isNew: boolean) {
    if (isNew) this.newText = text;
    try {
      await api.sendMessage(target, text, account ?? undefined);
      this.error = null;
    } catch (e) {
      // Refused before it went out (no event named its peer): forget it.
      if (isNew && this.newText === text) this.newText = null;
      this.error = e instanceof Error ? e.message : String(e);
    }
  }

  onActivity(a: DeviceActivity) {
    const line: ActivityLine =
      a.kind === "input"
        ? {
            at: Date.now(),
            device: a.device,
            pressed: typeof a.input === "string" ? a.input : JSON.stringify(a.input),
            leds: null,
            report: null,
          }
        : { at: Date.now(), device: a.device, pressed: null, leds: a.leds, report: a.report };
    if (a.kind === "shown") this.leds = { ...this.leds, [a.device]: a.leds };
    this.activity = [line, ...this.activity].slice(0, ACTIVITY_KEPT);
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
  // The LEDs and the ringer; presence is for busylights and said apart.
  const on = (Object.keys(s) as (keyof DeviceState)[]).filter((k) => s[k] === true);
  return on.length ? on.join(", ") : t("leds-all-off");
}

export const store = new PhoneStore();
