import { describe, expect, it } from "vitest";
import { lightText, unusableDevices } from "./devices";
import type { DeviceProblem, DeviceState, PhoneState, UnusableDevice } from "./types";

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

describe("busylights", () => {
  const idle: DeviceState = {
    off_hook: false,
    ring: false,
    mute: false,
    hold: false,
    message_waiting: false,
    dnd: false,
    ringer: false,
    presence: "available",
  };
  it("say what the light shows, a call before ringing before presence", () => {
    expect(lightText(idle)).toBe("available");
    expect(lightText({ ...idle, presence: "away" })).toBe("away");
    expect(lightText({ ...idle, dnd: true })).toBe("do not disturb");
    expect(lightText({ ...idle, ring: true })).toBe("ringing");
    expect(lightText({ ...idle, ring: true, off_hook: true })).toBe("in a call");
    expect(lightText({ ...idle, hold: true })).toBe("on hold");
    expect(lightText({ ...idle, message_waiting: true })).toBe("available, voicemail waiting");
    expect(lightText({ ...idle, message_waiting: true, presence: "offline" })).toBe("offline");
  });
});
