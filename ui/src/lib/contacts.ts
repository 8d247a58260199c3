// The address book as the window shows it: how a contact's addresses read,
// what a call to it dials, when typing is a name to look up, and local and
// directory hits merged. Pure functions (tested); the calls are in api.ts.

import type { Address, Contact, DirectoryHit, StoredContact } from "./types";
import { t } from "./i18n.svelte";

/** "work +49 30 5550 777", or the value alone. */
export function addressLine(a: Address): string {
  return a.label ? `${a.label} ${a.value}` : a.value;
}

/** What a call to `a` dials: a tel number without its dress, a SIP URI as is. */
export function dialTarget(a: Address): string {
  if (a.kind === "sip") return a.value.trim();
  const v = a.value.trim().replace(/^tel:/i, "");
  return v.replace(/[^0-9+*#]/g, "").replace(/(?!^)\+/g, "");
}

/** The first address, the one a click on the contact calls. */
export function firstTarget(c: Contact): string | null {
  return c.addresses.length > 0 ? dialTarget(c.addresses[0]) : null;
}

/** Typing in the dial box is a name to look up (not a number or URI). */
export function looksLikeName(text: string): boolean {
  const t = text.trim();
  if (t.length < 2 || /^sips?:/i.test(t) || t.includes("@")) return false;
  return /\p{L}/u.test(t);
}

/** Local hits first, then the directory's not already among them. */
export function mergeHits(local: DirectoryHit[], remote: DirectoryHit[]): DirectoryHit[] {
  const seen = new Set(local.flatMap((h) => h.contact.addresses.map((a) => dialTarget(a))));
  return [...local, ...remote.filter((h) => !h.contact.addresses.some((a) => seen.has(dialTarget(a))))];
}

/** The contact `address` (an extension, a number or a SIP URI) belongs to,
 * compared by its digits or its SIP address: for busy lamps, whose
 * extensions are written as the PBX writes them. */
export function contactFor(contacts: StoredContact[], address: string): Contact | null {
  const a = address.trim().replace(/^.*</, "").replace(/>.*$/, "");
  const user = a.replace(/^(sips?|tel):/i, "").split(/[@;]/)[0];
  const digits = /^\+?[0-9 ()./-]+$/.test(user) ? user.replace(/[^0-9]/g, "") : "";
  const sip = /^sips?:/i.test(a) ? a.split(";")[0].toLowerCase() : "";
  for (const c of contacts) {
    for (const x of c.contact.addresses) {
      if (digits && x.kind === "tel" && x.value.replace(/[^0-9]/g, "") === digits) return c.contact;
      if (sip && x.kind === "sip" && x.value.trim().split(";")[0].toLowerCase() === sip) return c.contact;
    }
  }
  return null;
}

/** A contact with nothing in it, for the editor. */
export function blankContact(): Contact {
  return {
    uid: "",
    name: "",
    addresses: [{ kind: "tel", label: t("label-work"), value: "" }],
    favourite: false,
  } as Contact;
}

/** The editor's contact made ready to save: empty addresses dropped. */
export function cleaned(c: Contact): Contact {
  return {
    ...c,
    name: c.name.trim(),
    organization: c.organization?.trim() || undefined,
    department: c.department?.trim() || undefined,
    addresses: c.addresses
      .map((a) => ({ ...a, label: a.label.trim(), value: a.value.trim() }))
      .filter((a) => a.value !== ""),
  } as Contact;
}

/** Calls `run` once typing has paused for `ms`. */
export function debounce<A extends unknown[]>(run: (...args: A) => void, ms: number): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args: A) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => run(...args), ms);
  };
}
