// The dial pad: which keys dial, and what a typed target becomes.

export const KEYS: { key: string; letters: string }[] = [
  { key: "1", letters: "" },
  { key: "2", letters: "ABC" },
  { key: "3", letters: "DEF" },
  { key: "4", letters: "GHI" },
  { key: "5", letters: "JKL" },
  { key: "6", letters: "MNO" },
  { key: "7", letters: "PQRS" },
  { key: "8", letters: "TUV" },
  { key: "9", letters: "WXYZ" },
  { key: "*", letters: "" },
  { key: "0", letters: "+" },
  { key: "#", letters: "" },
];

/** Keys that are DTMF tones during a call (RFC 4733 events 0-15). */
export function isDtmfKey(key: string): boolean {
  return /^[0-9*#A-Da-d]$/.test(key);
}

/**
 * What to hand the engine for a typed target. Numbers lose the spaces,
 * dashes and brackets people paste; SIP addresses and names stay as typed
 * (the engine resolves a bare number or name at the account's domain).
 */
export function normalizeTarget(typed: string): string {
  const t = typed.trim();
  if (t === "") return "";
  if (/^[+\d\s().\-/*#]+$/.test(t)) {
    const plus = t.startsWith("+") ? "+" : "";
    return plus + t.replace(/[^\d*#]/g, "");
  }
  return t;
}

/** The echo test's target (a service inside the engine). */
export const ECHO_TEST = "echo";
