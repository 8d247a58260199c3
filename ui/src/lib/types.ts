// What the engine sends (crates/phone/src/api.rs, serde's snake_case tags).

export type CallId = number;

export interface CallStats {
  packets_sent: number;
  packets_received: number;
  packets_lost: number;
  loss_percent: number;
  jitter_ms: number;
  rtt_ms: number | null;
  mos: number;
  concealed_frames: number;
  late_packets: number;
  encryption: string | null;
  remote_mos: number | null;
  microphone_level_db?: number;
  speaker_level_db?: number;
}

export type PhoneEvent =
  | { event: "ready"; sip: string }
  | { event: "address_changed"; sip: string; media: string; cause: string }
  | { event: "registration"; account: string; state: string; detail: string | null; status?: number }
  | {
      event: "incoming_call";
      call: CallId;
      from: string;
      to: string;
      account: string | null;
      answer_after: number | null;
      replaces: CallId | null;
    }
  | { event: "calling"; call: CallId; to: string; account: string | null }
  | { event: "progress"; call: CallId; status: number; reason: string }
  | { event: "established"; call: CallId; codec: string; remote_media: string | null; encryption: string | null }
  | { event: "deflected"; call: CallId; from: string; account: string | null; reason: string; forwarded_to: string | null; status: number }
  | { event: "transfer_progress"; call: CallId; status: number; done: boolean }
  | { event: "transferring"; call: CallId; new_call: CallId; target: string }
  | { event: "held"; call: CallId; held: boolean }
  | { event: "muted"; call: CallId; muted: boolean }
  | { event: "volume"; call: CallId; speaker_percent: number | null; microphone_percent: number | null }
  | { event: "dnd"; account: string | null; on: boolean }
  | { event: "message_waiting"; account: string | null; waiting: boolean; new: number | null; old: number | null }
  | { event: "dialing"; digits: string; done: boolean }
  | {
      event: "device";
      device: number | null;
      name: string;
      change: string;
      detail: string | null;
      problem?: "no-access" | "busy" | "disabled" | "failed";
    }
  | { event: "hold_failed"; call: CallId; held: boolean; status: number }
  | { event: "media_updated"; call: CallId; direction: string }
  | { event: "dtmf_received"; call: CallId; key: string }
  | { event: "playback_finished"; call: CallId }
  | { event: "ended"; call: CallId; reason: string; status: number | null; detail: string | null; stats: CallStats | null };

export interface CallSummary {
  call: CallId;
  outgoing: boolean;
  remote: string;
  established: boolean;
  held: boolean;
}

export interface HistoryEntry {
  outgoing: boolean;
  remote: string;
  account: string | null;
  started: number;
  talked: number;
  answered: boolean;
  missed: boolean;
  reason: string;
}

export interface AccountSettings {
  name: string;
  aor: string;
  display_name: string | null;
  auth_user: string | null;
  registrar: string | null;
  outbound_proxy: string | null;
  transport: string;
  tls_ca_file?: string | null;
  srtp?: string;
  subscribe_voicemail: boolean;
  expires: number;
  register: boolean;
}

export interface CallHandling {
  dnd: boolean;
  forward_always: string | null;
  forward_busy: string | null;
  forward_no_answer: string | null;
  forward_no_answer_after: number;
}

export interface DesktopSettings {
  hotkey: string;
  notifications: boolean;
  close_to_tray: boolean;
  links_dial_at_once: boolean;
}

export interface View {
  sip: string | null;
  engine_error: string | null;
  registrations: Record<string, PhoneEvent & { event: "registration" }>;
  missing_passwords: string[];
  dnd: Record<string, boolean>;
  message_waiting: Record<string, PhoneEvent & { event: "message_waiting" }>;
  unusable_devices: Record<string, PhoneEvent & { event: "device" }>;
}

export interface Snapshot {
  view: View;
  calls: CallSummary[];
  accounts: AccountSettings[];
  handling: CallHandling;
  desktop: DesktopSettings;
  config_path: string;
}

export interface DeviceState {
  off_hook: boolean;
  ring: boolean;
  mute: boolean;
  hold: boolean;
  message_waiting: boolean;
  dnd: boolean;
  ringer: boolean;
}

export type DeviceActivity =
  | { kind: "input"; device: number; input: unknown }
  | { kind: "shown"; device: number; report: string; leds: DeviceState };

export interface HidDevice {
  id: number;
  backend: string;
  path: string;
  vendor_id: number;
  product_id: number;
  manufacturer: string;
  product: string;
  profile: string | null;
  summary: string;
  sound_device: string | null;
  capabilities: Record<string, unknown>;
}

export interface SoundDevice {
  name: string;
  description: string;
  input: boolean;
  output: boolean;
  default_input: boolean;
  default_output: boolean;
}

export interface Devices {
  hid: HidDevice[];
  sound: SoundDevice[];
  sound_error: string | null;
  udev_rule: string;
  udev_install: string;
  microphone: string;
  speaker: string;
  ring_device: string | null;
}

export interface ProbeOutcome {
  registered: boolean;
  problem: "wrong_password" | "unknown_user" | "tls_certificate" | "unreachable" | "refused" | "settings" | null;
  detail: string;
}

export interface Reply {
  ok: boolean;
  error?: string;
  result?: unknown;
}
