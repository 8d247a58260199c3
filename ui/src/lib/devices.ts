// Devices found but not used: kept from the phone's events, with the help
// each needs.
import type { PhoneEvent, View } from "./types";

type DeviceEvent = PhoneEvent & { event: "device" };

/** Follows a device event: an unusable one is kept by path; one unplugged
 * (removed, no device number) is forgotten. */
export function followDevice(view: View, e: DeviceEvent): void {
  if (e.change === "unusable") view.unusable_devices[e.name] = e;
  else if (e.change === "removed" && e.device === null) delete view.unusable_devices[e.name];
}

export interface Unusable {
  path: string;
  detail: string;
  /** Only a device we may not open is helped by the udev rule (not one
   * another application holds, or one disabled in the settings). */
  needsUdevRule: boolean;
}

export function unusableDevices(view: View | undefined): Unusable[] {
  return Object.entries(view?.unusable_devices ?? {}).map(([path, e]) => ({
    path,
    detail: e.detail ?? "",
    needsUdevRule: e.problem === "no-access",
  }));
}
