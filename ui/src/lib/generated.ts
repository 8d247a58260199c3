// Generated from the Rust types by src-tauri/src/typescript.rs: do not edit.
// After changing a type: HOOKSWITCH_WRITE_TYPES=1 cargo test -p hookswitch-app \
//   --features ts --test typescript

export type Action = { "cmd": "call", target: string, account?: string, } | { "cmd": "answer", call: number, } | { "cmd": "answer_or_hang_up" } | { "cmd": "reject", call: number, status?: number, } | { "cmd": "hangup", call?: number, } | { "cmd": "hold", call: number, held: boolean, } | { "cmd": "mute", call: number, muted: boolean, } | { "cmd": "volume", call: number, speaker?: number, microphone?: number, } | { "cmd": "dtmf", call: number, keys: string, } | { "cmd": "transfer", call: number, target: string, } | { "cmd": "transfer_attended", call: number, to_call: number, } | { "cmd": "record", call: number, on: boolean, } | { "cmd": "merge", calls?: Array<number>, } | { "cmd": "leave_conference" } | { "cmd": "dnd", on: boolean, account?: string, } | { "cmd": "forward", when: ForwardReason, target?: string, account?: string, } | { "cmd": "sound_devices", microphone: string, speaker: string, ring_device?: string, } | { "cmd": "message", target: string, text: string, account?: string, } | { "cmd": "composing", target: string, active: boolean, account?: string, } | { "cmd": "presence", availability: Availability, note?: string, } | { "cmd": "watch", target: string, account?: string, } | { "cmd": "unwatch", target: string, } | { "cmd": "pickup", extension?: string, account?: string, } | { "cmd": "idle", idle: boolean, } | { "cmd": "test_device", device: number, } | { "cmd": "check_balance", account?: string, } | { "cmd": "stats", call: number, } | { "cmd": "state" };

export type Reply = "done" | { "call": number } | { "message": number } | { "answered": number } | "hung_up" | { "stats": CallStats } | { "state": PhoneState };

export type ControlReply = { ok: boolean, error?: string | null, result?: Reply | null, };

export type PhoneEvent = { "event": "ready", sip: string, } | { "event": "address_changed", sip: string, 
/**
 * The address our SDP names for media.
 */
media: string, cause: AddressCause, } | { "event": "registration", account: string, state: RegistrationPhase, detail: string | null, 
/**
 * The registrar's final answer when it failed with one (401, 403,
 * 404, ...); `None` when none came (unreachable, TLS refused).
 */
status?: number, } | { "event": "incoming_call", call: number, from: string, to: string, account: string | null, 
/**
 * Seconds after which the caller asked us to auto-answer (Call-Info).
 */
answer_after: number | null, 
/**
 * An attended transfer's call that takes the place of this call of
 * ours: it is answered at once and the replaced call ends.
 */
replaces: number | null, } | { "event": "calling", call: number, to: string, account: string | null, } | { "event": "progress", call: number, status: number, reason: string, } | { "event": "established", call: number, codec: string, remote_media: string | null, 
/**
 * The SRTP suite when the media is encrypted, e.g. "AES_CM_128_HMAC_SHA1_80".
 */
encryption: string | null, } | { "event": "deflected", call: number, from: string, account: string | null, reason: DeflectReason, forwarded_to: string | null, status: number, } | { "event": "transfer_progress", call: number, status: number, done: boolean, } | { "event": "transferring", call: number, new_call: number, target: string, } | { "event": "held", call: number, held: boolean, } | { "event": "muted", call: number, muted: boolean, } | { "event": "volume", call: number, speaker_percent: number | null, microphone_percent: number | null, } | { "event": "dnd", account: string | null, on: boolean, } | { "event": "forwarding", account: string | null, when: ForwardReason, target: string | null, } | { "event": "sound_devices", microphone: string, speaker: string, ring_device: string | null, } | { "event": "message_waiting", account: string | null, waiting: boolean, new: number | null, old: number | null, } | { "event": "balance", account: string, amount: number | null, currency: string, low: boolean, error: string | null, } | { "event": "message", from: string, name: string | null, account: string | null, text: string, } | { "event": "composing", from: string, account: string | null, active: boolean, refresh: number, } | { "event": "message_sent", message: number, to: string, account: string | null, text: string, } | { "event": "message_delivered", message: number, } | { "event": "message_failed", message: number, status: number, reason: string, } | { "event": "own_presence", availability: Availability, chosen: Availability, note: string | null, } | { "event": "presence", target: string, availability: Availability, note: string | null, detail: string | null, } | { "event": "lamp", account: string, extension: string, lamp: LampPhase, caller: string | null, detail: string | null, } | { "event": "recording", call: number, path: string | null, error: string | null, } | { "event": "caller_identified", call: number, name: string, source: string, } | { "event": "conference", calls: Array<number>, } | { "event": "unwatched", target: string, } | { "event": "dialing", digits: string, done: boolean, } | { "event": "device", device: number | null, name: string, change: DeviceChange, detail: string | null, problem?: DeviceProblem, 
/**
 * What an added device is (a headset or a busylight).
 */
kind?: DeviceKind, } | { "event": "window_wanted" } | { "event": "leds", leds: DeviceState, } | { "event": "focus", call: number | null, } | { "event": "hold_failed", call: number, held: boolean, status: number, } | { "event": "media_updated", call: number, direction: MediaDirection, } | { "event": "dtmf_received", call: number, key: string, } | { "event": "playback_finished", call: number, } | { "event": "ended", call: number, reason: EndReason, status: number | null, detail: string | null, 
/**
 * Media figures at the end of the call.
 */
stats: CallStats | null, };

export type RegistrationPhase = "registering" | "registered" | "unregistered" | "failed";

export type EndReason = "local" | "remote" | "cancelled" | "rejected" | "timeout" | "failed";

export type DeflectReason = "dnd" | "always" | "busy" | "no-answer";

export type AddressCause = "stun" | "network";

export type MediaDirection = "sendrecv" | "sendonly" | "recvonly" | "inactive";

export type DeviceChange = "added" | "removed" | "unusable";

export type CallStats = { packets_sent: number, packets_received: number, concealed_frames: number, late_packets: number, dtmf_sent: number, dtmf_received: number, 
/**
 * RTP packets of the peer's that never arrived (RFC 3550 A.3).
 */
packets_lost: number, loss_percent: number, 
/**
 * Interarrival jitter (RFC 3550 A.8), ms.
 */
jitter_ms: number, 
/**
 * Round trip from the peer's RTCP reports, when it sent any about us.
 */
rtt_ms: number | null, 
/**
 * The E-model's estimate (ITU-T G.107), 1 to 4.5.
 */
mos: number, 
/**
 * Lost frames the codec rebuilt (Opus FEC or concealment).
 */
codec_concealed_frames: number, 
/**
 * How the peer hears us, from its RTCP-XR VoIP metrics: its loss (%),
 * its own delay (ms) and its MOS, when it sends them.
 */
remote_loss_percent: number | null, remote_end_system_delay_ms: number | null, remote_mos: number | null, 
/**
 * The SRTP suite when the media is encrypted.
 */
encryption: string | null, 
/**
 * Encrypted packets dropped: failed authentication, replays, wrong key.
 */
srtp_refused: number, 
/**
 * The level meters (dBFS, -60 to 0, peak with a slow fall) of what the
 * other side hears from us and what we hear, while the call runs.
 */
microphone_level_db?: number, speaker_level_db?: number, };

export type DeviceActivity = { "kind": "input", device: number, input: PhoneInput, } | { "kind": "shown", device: number, report: string, leds: DeviceState, };

export type ForwardReason = "always" | "busy" | "no-answer";

export type PhoneState = { 
/**
 * The address we take SIP on, once the engine is ready.
 */
sip: string | null, 
/**
 * The address our SDP names for media, once it changed from `sip`'s.
 */
media_address: string | null, 
/**
 * By account name: where its registration stands.
 */
registrations: { [key in string]: RegistrationView }, 
/**
 * Call handling tables: `account: None` is the shared one (calls to no
 * account and accounts without a table of their own).
 */
handling: Array<HandlingView>, 
/**
 * Some table has DND on (the devices' DND LED).
 */
dnd: boolean, 
/**
 * Voicemail by account (`None`: news for no account of ours).
 */
voicemail: Array<VoicemailView>, sound: SoundView, 
/**
 * Calls in progress, oldest first.
 */
calls: Array<CallView>, 
/**
 * The call device buttons act on.
 */
focus: number | null, 
/**
 * Digits typed on a device's keypad while it has dial tone.
 */
dialing: string | null, 
/**
 * Call-control devices in use.
 */
devices: Array<DeviceView>, 
/**
 * Devices found but not usable, with why.
 */
unusable_devices: Array<UnusableDevice>, 
/**
 * What every device shows.
 */
leds: DeviceState, 
/**
 * Our presence and the contacts we watch.
 */
presence: PresenceView, 
/**
 * Busy lamps, by account then extension as configured.
 */
lamps: Array<LampView>, 
/**
 * The calls in our conference (empty: none).
 */
conference: Array<number>, 
/**
 * Accounts' credit at their providers (those with a balance URL).
 */
balances: Array<BalanceView>, };

export type RegistrationView = { state: RegistrationPhase, detail: string | null, status: number | null, };

export type HandlingView = { account: string | null, dnd: boolean, forward_always: string | null, forward_busy: string | null, forward_no_answer: string | null, };

export type VoicemailView = { account: string | null, waiting: boolean, new: number | null, old: number | null, };

export type SoundView = { microphone: string, speaker: string, ring_device: string | null, };

export type CallPhase = "calling" | "ringing-out" | "incoming" | "connected";

export type CallNote = { "kind": "progress", status: number, reason: string, } | { "kind": "hold_refused", held: boolean, status: number, } | { "kind": "transfer", status: number, done: boolean, } | { "kind": "recording_failed", reason: string, };

export type CallView = { id: number, outgoing: boolean, 
/**
 * Who is at the other end (a name-addr, with a display name when given).
 */
remote: string, account: string | null, phase: CallPhase, 
/**
 * On hold by us.
 */
held: boolean, muted: boolean, speaker_percent: number, microphone_percent: number, codec: string | null, encryption: string | null, 
/**
 * How media flows since the last re-offer (`sendonly` from us: held;
 * `recvonly`: the peer holds us).
 */
media_direction: MediaDirection | null, note: CallNote | null, 
/**
 * It takes the place of this call of ours (an attended transfer).
 */
replaces: number | null, 
/**
 * The file the call is being recorded to.
 */
recording: string | null, 
/**
 * The address book's name for the other party, once it is known.
 */
contact: string | null, };

export type DeviceView = { id: number, name: string, 
/**
 * Its device profile, when one matched.
 */
profile: string | null, 
/**
 * A headset (handset, speakerphone) or a busylight.
 */
kind: DeviceKind, };

export type UnusableDevice = { path: string, 
/**
 * What to do about it.
 */
detail: string | null, problem: DeviceProblem | null, };

export type PresenceView = { 
/**
 * What shows to others (after the automatic rules).
 */
availability: Availability, 
/**
 * What we chose.
 */
chosen: Availability, note: string | null, 
/**
 * Watched contacts, in the order they were added.
 */
watched: Array<WatchedView>, };

export type WatchedView = { target: string, availability: Availability, note: string | null, detail: string | null, };

export type Availability = "available" | "away" | "busy" | "dnd" | "on-the-phone" | "offline" | "unknown";

export type LampView = { account: string, extension: string, lamp: LampPhase, caller: string | null, detail: string | null, };

export type BalanceView = { account: string, 
/**
 * The last amount read (none yet).
 */
amount: number | null, currency: string, 
/**
 * Under the account's `low`.
 */
low: boolean, 
/**
 * Why the latest check failed (none: it worked).
 */
error: string | null, 
/**
 * Checks done so far (a face that asked for one sees it is done).
 */
checks: number, };

export type LampPhase = "idle" | "ringing" | "busy" | "unknown";

export type AccountSettings = { 
/**
 * A short name to refer to the account (`--account work`).
 */
name: string, 
/**
 * Address of record, e.g. `sip:alice@example.com`.
 */
aor: string, display_name: string | null, 
/**
 * Authentication user name, when it differs from the AOR's user.
 */
auth_user: string | null, registrar: string | null, outbound_proxy: string | null, 
/**
 * "udp", "tcp", "tls", or "auto" (the provider's DNS NAPTR records
 * choose, RFC 3263; UDP when it has none).
 */
transport: string, 
/**
 * A PEM file of CA certificates trusted for this account's TLS servers, on
 * top of the system's (for a private PBX with its own CA).
 */
tls_ca_file?: string | null, 
/**
 * Encrypted media (SRTP with SDES keys) on calls whose signaling runs over
 * TLS: "optional" (offer it, take plain RTP if the peer does not),
 * "required" (RTP/SAVP; refuse calls without), or "off".
 */
srtp: SrtpMode, 
/**
 * This account's own DND, forwarding and auto-answer (replaces `[calls]`).
 */
calls?: CallHandling | null, 
/**
 * Subscribe to the account's voicemail box (RFC 3842) once registered,
 * for PBXs that tell only subscribers (many send it unsolicited anyway).
 */
subscribe_voicemail: boolean, 
/**
 * Publish our presence through this account (PUBLISH, RFC 3903) and
 * watch contacts' presence through it (SUBSCRIBE, RFC 3856).
 */
presence?: boolean, 
/**
 * Busy lamps: extensions (or addresses) whose calls to watch through
 * this account (the dialog event package, RFC 4235).
 */
blf?: Array<string>, 
/**
 * Dialled before an extension to pick its ringing call up when the
 * PBX does not say which dialog rings (Asterisk and FreeSWITCH: "*8").
 */
pickup_prefix: string, 
/**
 * Calls to a bare number or name (and `tel:` links) go from this
 * account when none is named (else from the first account).
 */
default?: boolean, expires: number, register: boolean, 
/**
 * This account's codec preference (default: `[audio] codecs`), e.g. a
 * provider that only carries G.711.
 */
codecs?: Array<string> | null, 
/**
 * Where the account's credit is read (prepaid trunks).
 */
balance?: BalanceSettings, };

export type BalanceSettings = { 
/**
 * The provider's balance URL; `{user}`, `{domain}`, `{auth_user}` and
 * `{password}` (the account's, from the keyring) are filled in,
 * URL-encoded.
 */
url: string, 
/**
 * Where the amount is in a JSON answer (RFC 6901), e.g. `/balance`.
 */
pointer?: string, 
/**
 * Where the amount is in an XML answer: `/response/credit` (an
 * element's text) or `/response/credit/@amount` (an attribute).
 */
xpath?: string, 
/**
 * Shown with the amount ("EUR", "$").
 */
currency: string, 
/**
 * Minutes between checks (and one after every call).
 */
every_minutes: number, 
/**
 * Under this amount the phone warns.
 */
low?: number, 
/**
 * Send the account's user and password as HTTP Basic authentication.
 */
basic_auth: boolean, 
/**
 * Seconds the provider gets to answer (default 10).
 */
timeout_secs: number, };

export type CallHandling = { 
/**
 * Do not disturb: incoming calls are refused (or forwarded when busy).
 */
dnd: boolean, 
/**
 * The answer to a call refused by DND: 486 Busy Here or 480 Temporarily
 * Unavailable (what the caller's phone or PBX shows, and which of its own
 * forwarding rules it follows).
 */
dnd_status: number, 
/**
 * Forward every call here (302), without ringing.
 */
forward_always: string | null, 
/**
 * Forward here instead of answering busy: under DND, or when the user
 * refuses a call as busy.
 */
forward_busy: string | null, 
/**
 * Forward here when a call rings unanswered for `forward_no_answer_after`.
 */
forward_no_answer: string | null, 
/**
 * Seconds of ringing before `forward_no_answer` applies.
 */
forward_no_answer_after: number, 
/**
 * Answer every call by itself after this many seconds (0: at once).
 */
auto_answer: number | null, 
/**
 * Answer by itself when the caller asks with `Call-Info: ...;answer-after=N`
 * (intercom and paging); off by default, since any caller could ask.
 */
auto_answer_when_asked: boolean, };

export type HistoryEntry = { outgoing: boolean, 
/**
 * Who: the caller (incoming) or the number dialled (outgoing).
 */
remote: string, account: string | null, 
/**
 * When it started ringing or was placed, Unix seconds.
 */
started: number, 
/**
 * Seconds talked (0: never answered).
 */
talked: number, answered: boolean, 
/**
 * An incoming call nobody answered here (it rang out, the caller gave
 * up, or DND/forwarding took it).
 */
missed: boolean, 
/**
 * How it ended: "local", "remote", "cancelled", "rejected", "dnd", ...
 */
reason: string, 
/**
 * The files it was recorded to (the window's Record), oldest first.
 */
recordings?: Array<string>, 
/**
 * The address book's name for the other party, when it had one.
 */
name?: string | null, };

export type StoredMessage = { 
/**
 * The store's own number (not the phone's message number).
 */
id: number, 
/**
 * The conversation: `user@host` (with the port when not the usual one).
 */
peer: string, 
/**
 * Where a reply goes: the peer's address without parameters.
 */
peer_uri: string, 
/**
 * The peer's display name, when a message of theirs gave one.
 */
name: string | null, account: string | null, incoming: boolean, text: string, 
/**
 * Unix seconds.
 */
at: number, delivery: Delivery, 
/**
 * Why it failed.
 */
failure: string | null, 
/**
 * Seen in the window (ours are read).
 */
read: boolean, };

export type Conversation = { peer: string, peer_uri: string, name: string | null, account: string | null, last_text: string, last_at: number, last_incoming: boolean, unread: number, };

export type Delivery = "received" | "sending" | "delivered" | "failed";

export type ProbeOutcome = { registered: boolean, problem: ProbeProblem | null, 
/**
 * The registrar's words or the transport's error.
 */
detail: string, };

export type ProbeProblem = "wrong_password" | "unknown_user" | "tls_certificate" | "unreachable" | "refused" | "settings";

export type Contact = { 
/**
 * Stable across exports and syncs (vCard `UID`).
 */
uid: string, 
/**
 * The name shown (vCard `FN`).
 */
name: string, organization?: string | null, department?: string | null, title?: string | null, addresses: Array<Address>, emails?: Array<string>, note?: string | null, 
/**
 * Shown first on the Phone page.
 */
favourite: boolean, 
/**
 * 1-9: a long press on that key of the window's keypad calls the first
 * address.
 */
speed_dial?: number | null, };

export type Address = { kind: AddressKind, 
/**
 * "work", "mobile", "home", "fax", or the user's own word; may be empty.
 */
label: string, 
/**
 * As written: `+49 30 5550 777`, `sip:alice@example.com`.
 */
value: string, };

export type AddressKind = "tel" | "sip";

export type DirectoryHit = { 
/**
 * The store's id for contacts kept here (none for live LDAP results).
 */
id: number | null, 
/**
 * The book it came from ("Contacts", a CardDAV book's name, "LDAP").
 */
source: string, contact: Contact, };

export type RemoteSearch = { 
/**
 * Entries not already among the contacts kept here.
 */
hits: Array<DirectoryHit>, 
/**
 * Why the directory could not be searched (down, slow, refused).
 */
error: string | null, 
/**
 * Whether a directory was asked at all (configured, text long enough).
 */
asked: boolean, };

export type StoredContact = { id: number, book: number, contact: Contact, };

export type Book = { id: number, kind: BookKind, name: string, url: string | null, account: string | null, last_sync: number | null, last_error: string | null, read_only: boolean, contacts: number, };

export type BookKind = "local" | "carddav";

export type DeviceInfo = { id: DeviceId, kind: DeviceKind, backend: Backend, 
/**
 * The node or bus address it was opened by (`/dev/hidraw3`, `usb:1-4`).
 */
path: string, vendor_id: number, product_id: number, interface: number | null, manufacturer: string, product: string, serial: string, 
/**
 * The device profile applied, `None` for none.
 */
profile: string | null, capabilities: Record<string, unknown>, 
/**
 * One line on what it offers, for people.
 */
summary: string, 
/**
 * Its hook switch follows the host's Off-Hook LED (Jabra-class
 * headsets): when we turn Off-Hook off, it is on its hook too.
 */
hook_follows_host: boolean, 
/**
 * Its own sound card (a headset's), as a sound device name: calls
 * handled from it use it (`devices.microphone`/`speaker` = "auto").
 */
sound_device: string | null, 
/**
 * What its profile says its programmable and vendor buttons do.
 */
buttons?: Array<ButtonMapping>, };

export type DeviceId = number;

export type Backend = "hidraw" | "simulated" | "cm109" | "yealink";

export type DeviceKind = "telephony" | "busylight";

export type DeviceProblem = "no-access" | "busy" | "disabled" | "failed";

export type SoundDevice = { 
/**
 * What to pass as `--mic`/`--speaker` (ALSA's name: "default", "pulse", "hw:1,0").
 */
name: string, 
/**
 * What the system calls it.
 */
description: string, input: boolean, output: boolean, default_input: boolean, default_output: boolean, };

export type DeviceState = { 
/**
 * A call is active or being dialled (also drives On-Line).
 */
off_hook: boolean, 
/**
 * A call rings.
 */
ring: boolean, mute: boolean, 
/**
 * The focused call is held.
 */
hold: boolean, message_waiting: boolean, dnd: boolean, 
/**
 * Sound the device's own ringer (handsets with a buzzer).
 */
ringer: boolean, 
/**
 * Our presence, for busylights when no call needs them.
 */
presence: Presence, };

export type Presence = "available" | "away" | "busy" | "dnd" | "offline";

export type ButtonMapping = { button: string, action: string, };

export type LightSettings = { 
/**
 * Idle, by our presence.
 */
available: string, away: string, busy: string, dnd: string, offline: string, 
/**
 * A call rings (and we are not in one).
 */
ringing: string, 
/**
 * In a call, or dialling.
 */
call: string, 
/**
 * The call is on hold.
 */
hold: string, 
/**
 * Idle with a voicemail waiting.
 */
voicemail: string, 
/**
 * Lights with a speaker (kuando, Blynclight Plus) ring too.
 */
ring_sound: boolean, 
/**
 * The light's own tune (kuando: 1 OpenOffice ... 7 TelephoneOriginal ...
 * 9 Buzz; Embrava: 1–10).
 */
ringtone: number, 
/**
 * 0–100 %.
 */
ring_volume: number, };

export type PhoneInput = "HookOff" | "HookOn" | "HookToggle" | "MuteToggle" | { "Mute": boolean } | "Flash" | "Hold" | "Redial" | "Transfer" | "Drop" | "Send" | { "Key": string } | "Dnd" | "VolumeUp" | "VolumeDown" | { "LineBusy": boolean } | "SpeedDial" | "VoiceMail" | { "Button": number } | "Reject" | "Conference" | "PickupLamp" | "Teams";

export type SrtpMode = "off" | "optional" | "required";

export type Snapshot = { 
/**
 * The phone's state (a default one while it does not run).
 */
state: PhoneState, app: AppView, accounts: Array<AccountSettings>, desktop: DesktopSettings, 
/**
 * Media players pause for calls (`audio.pause_media`).
 */
pause_media: boolean, config_path: string, };

export type Devices = { hid: Array<DeviceInfo>, sound: Array<SoundDevice>, sound_error: string | null, 
/**
 * The udev rule that gives the logged-in user the devices, and the
 * commands that install it, for the "not accessible" explanation.
 */
udev_rule: string, udev_install: string, 
/**
 * The package installed the rule (/usr/lib/udev/rules.d): a device
 * it names needs only a replug.
 */
udev_installed: boolean, microphone: string, speaker: string, ring_device: string | null, };

export type AppView = { 
/**
 * Why the engine is not running (bad settings, port in use).
 */
engine_error: string | null, 
/**
 * Accounts not registered because no password was found.
 */
missing_passwords: Array<string>, 
/**
 * The locale the window speaks and formats for (BCP 47, "de-DE"): the
 * language setting, else the system's.
 */
locale: string, 
/**
 * The system's locale, for the setting's "as the system" choice.
 */
system_locale: string, };

export type DesktopSettings = { 
/**
 * Answers a ringing call, else hangs up (X11 and Windows; Wayland
 * compositors do not let applications grab keys). Empty: none.
 */
hotkey: string, 
/**
 * Desktop notifications for incoming and missed calls.
 */
notifications: boolean, 
/**
 * Closing the window keeps the phone running in the tray.
 */
close_to_tray: boolean, 
/**
 * `sip:`/`tel:` links dial at once; otherwise they fill the dial pad.
 */
links_dial_at_once: boolean, 
/**
 * Start at login, hidden in the tray (an XDG autostart entry).
 */
autostart: boolean, 
/**
 * The window's language ("de", "fr", "en"); empty: the system's.
 */
language: string, };

export type ImportOutcome = { added: number, updated: number, 
/**
 * One line per card not imported: which, where, why.
 */
errors: Array<string>, };
