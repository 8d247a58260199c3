// The only module that talks to the shell: Tauri commands in, events out.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  AccountSettings,
  CallStats,
  DesktopSettings,
  DeviceActivity,
  Devices,
  HistoryEntry,
  PhoneEvent,
  ProbeOutcome,
  Reply,
  Snapshot,
} from "./types";

/** A call-control request (crates/phone/src/control.rs). */
export type Request =
  | { cmd: "call"; target: string; account?: string | null }
  | { cmd: "answer"; call: number }
  | { cmd: "reject"; call: number; status?: number }
  | { cmd: "hangup"; call?: number | null }
  | { cmd: "dtmf"; call: number; keys: string }
  | { cmd: "mute"; call: number; muted: boolean }
  | { cmd: "hold"; call: number; held: boolean }
  | { cmd: "transfer"; call: number; target?: string; to_call?: number }
  | { cmd: "stats"; call: number }
  | { cmd: "volume"; call: number; speaker?: number; microphone?: number }
  | { cmd: "answer_or_hang_up" };

/** Sends a request; a refusal becomes an Error with the engine's words. */
export async function phone(request: Request): Promise<unknown> {
  const reply = await invoke<Reply>("phone", { request });
  if (!reply.ok) throw new Error(reply.error ?? "refused");
  return reply.result;
}

export const stats = (call: number) => phone({ cmd: "stats", call }) as Promise<CallStats>;

export const snapshot = () => invoke<Snapshot>("snapshot");
export const history = () => invoke<HistoryEntry[]>("history");
export const devices = () => invoke<Devices>("devices");
export const checkAccount = (account: AccountSettings, password: string) =>
  invoke<ProbeOutcome>("check_account", { account, password });
export const saveAccount = (account: AccountSettings, password: string | null) =>
  invoke<void>("save_account", { account, password });
export const removeAccount = (name: string) => invoke<void>("remove_account", { name });
export const saveSettings = (settings: DesktopSettings) => invoke<void>("save_settings", { settings });
export const setAudio = (microphone: string, speaker: string, ringDevice: string | null) =>
  invoke<void>("set_audio", { microphone, speaker, ringDevice });
export const setDnd = (on: boolean, account: string | null = null) => invoke<void>("set_dnd", { on, account });
export const setForward = (when: "always" | "busy" | "no-answer", target: string | null, account: string | null = null) =>
  invoke<void>("set_forward", { when, target, account });

export interface Listeners {
  phone: (e: PhoneEvent) => void;
  activity: (a: DeviceActivity) => void;
  history: (h: HistoryEntry) => void;
  link: (l: { target: string; dialled: boolean }) => void;
  restarted: () => void;
}

export async function subscribe(on: Listeners): Promise<UnlistenFn> {
  const offs = await Promise.all([
    listen<PhoneEvent>("phone", (e) => on.phone(e.payload)),
    listen<DeviceActivity>("device-activity", (e) => on.activity(e.payload)),
    listen<HistoryEntry>("history", (e) => on.history(e.payload)),
    listen<{ target: string; dialled: boolean }>("link", (e) => on.link(e.payload)),
    listen("phone-restarted", () => on.restarted()),
  ]);
  return () => offs.forEach((off) => off());
}
