// The only module that talks to the shell: Tauri commands in, events out.
// Everything the phone does is one `Action` through `phone`.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  AccountSettings,
  Action,
  Book,
  Contact,
  DirectoryHit,
  ImportOutcome,
  RemoteSearch,
  StoredContact,
  CallStats,
  ControlReply,
  Conversation,
  DesktopSettings,
  DeviceActivity,
  Devices,
  ForwardReason,
  HistoryEntry,
  LightSettings,
  PhoneEvent,
  PhoneState,
  ProbeOutcome,
  Reply,
  Snapshot,
  StoredMessage,
} from "./types";

/** Asks the phone; a refusal becomes an Error with the engine's words. */
export async function phone(request: Action): Promise<Reply> {
  const reply = await invoke<ControlReply>("phone", { request });
  if (!reply.ok || !reply.result) throw new Error(reply.error ?? "refused");
  return reply.result;
}

export async function stats(call: number): Promise<CallStats> {
  const reply = await phone({ cmd: "stats", call });
  if (typeof reply === "object" && "stats" in reply) return reply.stats;
  throw new Error("no figures");
}

export const setDnd = (on: boolean, account?: string) => phone({ cmd: "dnd", on, account });
export const setForward = (when: ForwardReason, target: string | null, account?: string) =>
  phone({ cmd: "forward", when, target: target ?? undefined, account });
export const setSoundDevices = (microphone: string, speaker: string, ringDevice: string | null) =>
  phone({ cmd: "sound_devices", microphone, speaker, ring_device: ringDevice ?? undefined });

export const snapshot = () => invoke<Snapshot>("snapshot");
export const history = () => invoke<HistoryEntry[]>("history");
export const conversations = () => invoke<Conversation[]>("conversations");
export const conversation = (peer: string) => invoke<StoredMessage[]>("conversation", { peer });
export const markRead = (peer: string) => invoke<number>("mark_read", { peer });
/** Opens a recording the history lists with the desktop's player. */
export const playRecording = (path: string) => invoke<void>("play_recording", { path });
/** Sends a text; resolves once delivered, rejects with why not. */
export const sendMessage = (target: string, text: string, account?: string) =>
  phone({ cmd: "message", target, text, account });
export const sendComposing = (target: string, active: boolean, account?: string) =>
  phone({ cmd: "composing", target, active, account });
export const devices = () => invoke<Devices>("devices");

// The address book.
export const searchContacts = (text: string, limit = 20) => invoke<DirectoryHit[]>("contacts_search", { text, limit });
export const searchDirectory = (text: string) => invoke<RemoteSearch>("contacts_search_remote", { text });
export const listContacts = () => invoke<StoredContact[]>("contacts_list");
export const saveContact = (id: number | null, book: number | null, contact: Contact) =>
  invoke<number>("contact_save", { id, book, contact });
export const deleteContact = (id: number) => invoke<void>("contact_delete", { id });
export const setFavourite = (id: number, favourite: boolean) => invoke<void>("contact_favourite", { id, favourite });
export const setSpeedDial = (id: number, digit: number | null) => invoke<void>("contact_speed_dial", { id, digit });
export const speedDialTarget = (digit: number) => invoke<string | null>("speed_dial_target", { digit });
export const importContacts = (text: string) => invoke<ImportOutcome>("contacts_import", { text });
export const exportContacts = () => invoke<string>("contacts_export");
export const addressBooks = () => invoke<Book[]>("address_books");
export const syncAddressBooks = () => invoke<string[]>("address_books_sync");
export const checkAccount = (account: AccountSettings, password: string) =>
  invoke<ProbeOutcome>("check_account", { account, password });
export const saveAccount = (account: AccountSettings, password: string | null) =>
  invoke<void>("save_account", { account, password });
export const removeAccount = (name: string) => invoke<void>("remove_account", { name });
/** Saves the desktop settings; returns the locale now in use. */
export const saveSettings = (settings: DesktopSettings) => invoke<string>("save_settings", { settings });
export const busylightSettings = () => invoke<LightSettings>("busylight_settings");
export const saveBusylight = (settings: LightSettings) => invoke<void>("save_busylight", { settings });
/** Media players pause for calls (config.toml's audio.pause_media). */
export const savePauseMedia = (on: boolean) => invoke<void>("save_pause_media", { on });
/** Writes a support bundle; returns its path. */
export const saveDiagnostics = () => invoke<string>("save_diagnostics");

export interface Listeners {
  state: (s: PhoneState) => void;
  phone: (e: PhoneEvent) => void;
  activity: (a: DeviceActivity) => void;
  history: (h: HistoryEntry) => void;
  link: (l: { target: string; dialled: boolean }) => void;
  restarted: () => void;
  message: (m: StoredMessage) => void;
}

export async function subscribe(on: Listeners): Promise<UnlistenFn> {
  const offs = await Promise.all([
    listen<PhoneState>("state", (e) => on.state(e.payload)),
    listen<PhoneEvent>("phone", (e) => on.phone(e.payload)),
    listen<DeviceActivity>("device-activity", (e) => on.activity(e.payload)),
    listen<HistoryEntry>("history", (e) => on.history(e.payload)),
    listen<{ target: string; dialled: boolean }>("link", (e) => on.link(e.payload)),
    listen("phone-restarted", () => on.restarted()),
    listen<StoredMessage>("message", (e) => on.message(e.payload)),
  ]);
  return () => offs.forEach((off) => off());
}
