import { describe, expect, it } from "vitest";
import { followDevice, unusableDevices } from "./devices";
import type { PhoneEvent, View } from "./types";

const view = (): View => ({
  sip: null,
  engine_error: null,
  registrations: {},
  missing_passwords: [],
  dnd: {},
  message_waiting: {},
  unusable_devices: {},
});

const device = (name: string, change: string, problem?: "no-access" | "busy" | "disabled" | "failed") =>
  ({
    event: "device",
    device: null,
    name,
    change,
    detail: problem ? `${name}: ${problem}` : null,
    ...(problem ? { problem } : {}),
  }) as PhoneEvent & { event: "device" };

describe("unusable devices", () => {
  it("only a device we may not open gets the udev help", () => {
    const v = view();
    followDevice(v, device("/dev/hidraw1", "unusable", "no-access"));
    followDevice(v, device("/dev/hidraw2", "unusable", "busy"));
    followDevice(v, device("simulated:Jabra", "unusable", "disabled"));
    expect(unusableDevices(v)).toEqual([
      { path: "/dev/hidraw1", detail: "/dev/hidraw1: no-access", needsUdevRule: true },
      { path: "/dev/hidraw2", detail: "/dev/hidraw2: busy", needsUdevRule: false },
      { path: "simulated:Jabra", detail: "simulated:Jabra: disabled", needsUdevRule: false },
    ]);
  });

  it("an unusable device unplugged is forgotten; a usable one unplugged changes nothing", () => {
    const v = view();
    followDevice(v, device("/dev/hidraw1", "unusable", "no-access"));
    followDevice(v, { ...device("Jabra", "removed"), device: 3 });
    expect(unusableDevices(v).map((u) => u.path)).toEqual(["/dev/hidraw1"]);
    followDevice(v, device("/dev/hidraw1", "removed"));
    expect(unusableDevices(v)).toEqual([]);
  });
});
