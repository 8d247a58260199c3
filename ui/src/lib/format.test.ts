import { afterEach, describe, expect, it } from "vitest";
import { balanceText, when } from "./format";
import { duration, languageOf, money, setLocale, t } from "./i18n.svelte";

afterEach(() => setLocale("en"));

describe("balanceText", () => {
  const base = { account: "carrier", amount: 12.5, currency: "EUR", low: false, error: null };
  it("shows the amount as money in the locale", () => {
    expect(balanceText(base)).toBe("carrier: €12.50");
    setLocale("de_DE.UTF-8");
    expect(balanceText(base)).toBe("carrier: 12,50\u00a0€");
  });
  it("warns when low and says when the amount is not current", () => {
    expect(balanceText({ ...base, amount: 4.2, low: true })).toBe("carrier: €4.20 (low)");
    expect(balanceText({ ...base, error: "the provider answered 503" })).toBe("carrier: €12.50 (not current)");
    expect(balanceText({ ...base, amount: null, error: "no answer in 10 s" })).toBe("carrier: balance unknown (not current)");
    setLocale("fr-FR");
    expect(balanceText({ ...base, amount: 4.2, low: true })).toBe("carrier : 4,20\u00a0€ (bas)");
  });
  it("keeps a currency Intl does not know as given", () => {
    expect(money(3, "credits")).toBe("3.00 credits");
    expect(money(3, "")).toBe("3.00");
  });
});

describe("the locale", () => {
  it("picks the catalogue from a POSIX locale or a tag, else English", () => {
    expect(languageOf("de_AT.UTF-8")).toBe("de");
    expect(languageOf("fr-CA")).toBe("fr");
    expect(languageOf("C.UTF-8")).toBe("en");
    expect(languageOf("ja_JP.UTF-8")).toBe("en");
    expect(languageOf(undefined)).toBe("en");
  });
  it("formats plurals, durations and dates for the locale", () => {
    setLocale("de_DE.UTF-8");
    expect(t("nav-missed", { count: 1 })).toBe("1 verpasster Anruf");
    expect(t("nav-missed", { count: 3 })).toBe("3 verpasste Anrufe");
    expect(duration(3723)).toBe("1 Std. 2 Min. 3 Sek.");
    expect(duration(5)).toBe("5 Sek.");
    const longAgo = new Date(2026, 0, 20, 14, 3).getTime() / 1000;
    expect(when(longAgo, new Date(2026, 11, 6))).toBe("20.1.2026 14:03");
    setLocale("fr");
    expect(t("nav-missed", { count: 3 })).toBe("3 appels manqués");
    expect(duration(65)).toBe("1\u00a0min 5\u202fs");
    setLocale("en");
    expect(duration(65)).toBe("1 min 5 sec");
    expect(when(longAgo, new Date(2026, 11, 6))).toBe("1/20/2026 02:03 PM");
  });
  it("falls back to English for a message a catalogue lacks", () => {
    setLocale("de");
    expect(t("no-such-message")).toBe("no-such-message");
  });
});
