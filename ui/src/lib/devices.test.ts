import { describe, expect, it } from "vitest";
import { unusableDevices } from "./devices";
import type { DeviceProblem, PhoneState, UnusableDevice } from "./types";

const unusable = (path: string, problem: DeviceProblem): UnusableDevice => ({
  path,
  detail: `${path}: ${problem}`,
  problem,
});

describe("unusable devices", () => {
  it("only a device we may not open gets the udev help", () => {
    const s = {
      unusable_devices: [
        unusable("/dev/hidraw1", "no-access"),
        unusable("/dev/hidraw2", "busy"),
        unusable("simulated:Jabra", "disabled"),
      ],
    } as PhoneState;
    expect(unusableDevices(s)).toEqual([
      { path: "/dev/hidraw1", detail: "/dev/hidraw1: no-access", needsUdevRule: true },
      { path: "/dev/hidraw2", detail: "/dev/hidraw2: busy", needsUdevRule: false },
      { path: "simulated:Jabra", detail: "simulated:Jabra: disabled", needsUdevRule: false },
    ]);
    expect(unusableDevices(null)).toEqual([]);
  });
});
