// How people and times read in the window.

import { i18n, money, t, timeOfDay } from "./i18n.svelte";

/** `"Alice" <sip:alice@example.com;x>` -> { name: "Alice", address: "alice@example.com" }. */
/** Who a call is with: the address book's name (`contact`) when known,
 * else the SIP display name; and the address. */
export function party(from: string, contact?: string | null): { name: string; address: string } {
  let name = "";
  let uri = from.trim();
  const lt = uri.indexOf("<");
  if (lt >= 0) {
    name = uri.slice(0, lt).trim().replace(/^"|"$/g, "").trim();
    uri = uri.slice(lt + 1).split(">")[0];
  }
  uri = uri.split(";")[0];
  const address = uri.replace(/^(sips?|tel):/i, "");
  return { name: contact?.trim() ? contact.trim() : name, address };
}

/** The caller as one line: "Alice (alice@example.com)" or the address. */
export function partyLine(from: string, contact?: string | null): string {
  const p = party(from, contact);
  return p.name ? `${p.name} (${p.address})` : p.address;
}

/** "14:03" today, "Mon 14:03" this week, else the date, as the locale
 * writes them ("Mo. 14:03", "06.12.2026 14:03"). */
export function when(unixSeconds: number, now: Date = new Date(), locale = i18n.locale): string {
  const d = new Date(unixSeconds * 1000);
  const time = timeOfDay(d, locale);
  const sameDay = d.toDateString() === now.toDateString();
  if (sameDay) return time;
  const days = (now.getTime() - d.getTime()) / 86_400_000;
  if (days < 6) return `${d.toLocaleDateString(locale, { weekday: "short" })} ${time}`;
  return `${d.toLocaleDateString(locale)} ${time}`;
}

/** "carrier: €12.50", "carrier: €4.20 (low)", "carrier: balance unknown"
 * — with "(not current)" when the latest check failed; the amount as the
 * locale writes money. */
export function balanceText(b: {
  account: string;
  amount: number | null;
  currency: string;
  low: boolean;
  error: string | null;
}): string {
  let text =
    b.amount === null
      ? t("balance-unknown", { account: b.account })
      : t("balance-amount", { account: b.account, amount: money(b.amount, b.currency) });
  if (b.low) text = t("balance-low", { text });
  if (b.error) text = t("balance-not-current", { text });
  return text;
}
