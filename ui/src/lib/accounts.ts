// The account wizard's form, as the engine's account settings, and what a
// failed check means to the person typing.

import type { AccountSettings, ProbeOutcome } from "./types";
import { t } from "./i18n.svelte";

export interface AccountForm {
  name: string;
  displayName: string;
  user: string;
  domain: string;
  /** Registrar host[:port] when it is not the domain. */
  registrar: string;
  authUser: string;
  transport: "udp" | "tcp" | "tls" | "auto";
  password: string;
}

export const blankForm: AccountForm = {
  name: "",
  displayName: "",
  user: "",
  domain: "",
  registrar: "",
  authUser: "",
  transport: "auto",
  password: "",
};

/** Problems with the form itself, by field; empty when it can be tried. */
export function formProblems(f: AccountForm): Partial<Record<keyof AccountForm, string>> {
  const out: Partial<Record<keyof AccountForm, string>> = {};
  if (!/^[A-Za-z0-9._-]+$/.test(f.name.trim())) out.name = t("problem-name");
  if (f.user.trim() === "" || /[\s@:]/.test(f.user.trim())) out.user = t("problem-user");
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/.test(f.domain.trim()))
    out.domain = t("problem-domain");
  if (f.registrar.trim() !== "" && !/^(sips?:)?[A-Za-z0-9.\-[\]:]+(;transport=\w+)?$/.test(f.registrar.trim()))
    out.registrar = t("problem-registrar");
  if (f.password === "") out.password = t("problem-password");
  return out;
}

export function toSettings(f: AccountForm): AccountSettings {
  const registrar = f.registrar.trim();
  return {
    name: f.name.trim(),
    aor: `sip:${f.user.trim()}@${f.domain.trim()}`,
    display_name: f.displayName.trim() || null,
    auth_user: f.authUser.trim() || null,
    registrar: registrar === "" ? null : registrar.startsWith("sip") ? registrar : `sip:${registrar}`,
    outbound_proxy: null,
    transport: f.transport,
    srtp: "off",
    subscribe_voicemail: false,
    pickup_prefix: "*8",
    expires: 600,
    register: true,
  };
}

/** The form for an existing account (its password is not shown back). */
export function fromSettings(a: AccountSettings): AccountForm {
  const m = /^sips?:([^@]+)@(.+)$/.exec(a.aor);
  return {
    name: a.name,
    displayName: a.display_name ?? "",
    user: m ? m[1] : "",
    domain: m ? m[2] : "",
    registrar: (a.registrar ?? "").replace(/^sip:/, ""),
    authUser: a.auth_user ?? "",
    transport: (["udp", "tcp", "tls", "auto"].includes(a.transport) ? a.transport : "auto") as AccountForm["transport"],
    password: "",
  };
}

/** One sentence on what went wrong and what to try. */
export function explain(o: ProbeOutcome): string {
  switch (o.problem) {
    case null:
      return t("probe-registered");
    case "wrong_password":
      return t("probe-wrong-password", { detail: o.detail });
    case "unknown_user":
      return t("probe-unknown-user", { detail: o.detail });
    case "tls_certificate":
      return t("probe-tls-certificate", { detail: o.detail });
    case "unreachable":
      return t("probe-unreachable", { detail: o.detail });
    case "refused":
      return t("probe-refused", { detail: o.detail });
    case "settings":
      return t("probe-settings", { detail: o.detail });
  }
}
