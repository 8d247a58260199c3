// The window's words in the user's language (Fluent catalogues in
// ../locales, one per language; English is the reference and the fallback)
// and numbers, dates and durations formatted for the user's locale.
//
// The locale comes from the shell (`Snapshot.app.locale`): the language
// setting when one is chosen, else the system's (LC_ALL, LC_MESSAGES, LANG).
// `t()` reads reactive state, so every string drawn with it follows a change.

import { FluentBundle, FluentResource, type FluentVariable } from "@fluent/bundle";
import en from "../locales/en.ftl?raw";
import de from "../locales/de.ftl?raw";
import fr from "../locales/fr.ftl?raw";

/** The catalogues, by language; a new language is one file and one line here. */
export const CATALOGUES = { en, de, fr } as const;
export type Language = keyof typeof CATALOGUES;

/** The languages offered, each named in itself. */
export const LANGUAGES: { id: Language; name: string }[] = [
  { id: "en", name: "English" },
  { id: "de", name: "Deutsch" },
  { id: "fr", name: "Français" },
];

/** A POSIX locale ("de_DE.UTF-8@euro") or BCP 47 tag ("de-DE") as BCP 47;
 * "C", "POSIX" and nonsense as "en". */
export function bcp47(locale: string | null | undefined): string {
  const base = (locale ?? "").split(/[.@]/)[0].replace(/_/g, "-");
  if (base === "" || base === "C" || base === "POSIX") return "en";
  try {
    return Intl.getCanonicalLocales(base)[0] ?? "en";
  } catch {
    return "en";
  }
}

/** The catalogue for a locale: its language's, else English. */
export function languageOf(locale: string | null | undefined): Language {
  const language = bcp47(locale).split("-")[0].toLowerCase();
  return language in CATALOGUES ? (language as Language) : "en";
}

function bundle(language: Language, locale: string): FluentBundle {
  // No bidi isolation marks around placeables: the three languages are
  // left-to-right, and the marks would show in copied text and tests.
  const b = new FluentBundle([locale, language], { useIsolating: false });
  const errors = b.addResource(new FluentResource(CATALOGUES[language]));
  for (const e of errors) console.error(`catalogue ${language}: ${e}`);
  return b;
}

const english = bundle("en", "en");

/** Formats `id` from `b`, or from English when `b` lacks it. */
export function format(b: FluentBundle, id: string, args?: Record<string, FluentVariable>): string {
  for (const from of [b, english]) {
    const message = from.getMessage(id);
    if (message?.value) {
      const errors: Error[] = [];
      const text = from.formatPattern(message.value, args ?? null, errors);
      for (const e of errors) console.error(`${id}: ${e.message}`);
      return text;
    }
  }
  console.error(`no message ${id}`);
  return id;
}

class I18n {
  /** The BCP 47 locale numbers and dates are formatted for. */
  locale = $state("en");
  language = $derived(languageOf(this.locale));
  private bundle = $derived(bundle(this.language, this.locale));

  t(id: string, args?: Record<string, FluentVariable>): string {
    return format(this.bundle, id, args);
  }
}

export const i18n = new I18n();

/** The message `id` in the user's language. */
export const t = (id: string, args?: Record<string, FluentVariable>): string => i18n.t(id, args);

/** Takes the shell's locale (a BCP 47 tag or a POSIX locale). */
export function setLocale(locale: string | null | undefined) {
  const tag = bcp47(locale);
  if (tag !== i18n.locale) i18n.locale = tag;
  if (typeof document !== "undefined") document.documentElement.setAttribute("lang", tag);
}

/** `x` with `digits` decimals, as the locale writes it ("4,20"). */
export function decimal(x: number, digits: number, locale = i18n.locale): string {
  return new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(x);
}

/** An amount of money ("12,50 €"); an unknown currency code as "12,50 XYZ". */
export function money(amount: number, currency: string, locale = i18n.locale): string {
  const code = currency.trim().toUpperCase();
  if (/^[A-Z]{3}$/.test(code)) {
    try {
      return new Intl.NumberFormat(locale, { style: "currency", currency: code }).format(amount);
    } catch {
      // Not a currency Intl knows: the number and the code as given.
    }
  }
  return `${decimal(amount, 2, locale)} ${currency}`.trimEnd();
}

/** A length of time as the locale says it: "2 min 5 sec", "1 Std. 3 Min.". */
export function duration(seconds: number, locale = i18n.locale): string {
  const s = Math.max(0, Math.round(seconds));
  const parts: [number, "hour" | "minute" | "second"][] = [
    [Math.floor(s / 3600), "hour"],
    [Math.floor((s % 3600) / 60), "minute"],
    [s % 60, "second"],
  ];
  const shown = parts.filter(([n], i) => n > 0 || (i === 2 && s < 60));
  const unit = (n: number, u: string) =>
    new Intl.NumberFormat(locale, { style: "unit", unit: u, unitDisplay: "short" }).format(n);
  // Joined by a space: list formats differ between ICU versions ("und").
  return shown.map(([n, u]) => unit(n, u)).join(" ");
}

/** A time of day ("14:03", "2:03 PM"). */
export function timeOfDay(d: Date, locale = i18n.locale): string {
  return d.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
}
