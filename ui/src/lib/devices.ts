// Devices found but not used, from the phone's state, with the help each needs.
import type { DeviceState, PhoneState } from "./types";
import { t } from "./i18n.svelte";

export interface Unusable {
  path: string;
  detail: string;
  /** Only a device we may not open is helped by the udev rule (not one
   * another application holds, or one disabled in the settings). */
  needsUdevRule: boolean;
}

export function unusableDevices(state: PhoneState | null): Unusable[] {
  return (state?.unusable_devices ?? []).map((d) => ({
    path: d.path,
    detail: d.detail ?? "",
    needsUdevRule: d.problem === "no-access",
  }));
}

/** What a busylight shows for `s`, in the order the phone chooses it: a
 * call, a ringing one, a held one, then presence (DND over it) and voicemail. */
export function lightText(s: DeviceState): string {
  if (s.off_hook) return t("light-in-call");
  if (s.ring) return t("light-ringing");
  if (s.hold) return t("light-on-hold");
  const presence = t(`availability-${s.dnd ? "dnd" : s.presence}`);
  return s.message_waiting && s.presence !== "offline" ? t("light-voicemail", { presence }) : presence;
}
