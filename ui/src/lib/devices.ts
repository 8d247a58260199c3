// Devices found but not used, from the phone's state, with the help each needs.
import type { PhoneState } from "./types";

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
