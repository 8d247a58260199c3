// The account wizard's form, as the engine's account settings, and what a
// failed check means to the person typing.

import type { AccountSettings, ProbeOutcome } from "./types";

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
  if (!/^[A-Za-z0-9._-]+$/.test(f.name.trim())) out.name = "A short name: letters, digits, dot, dash or underscore.";
  if (f.user.trim() === "" || /[\s@:]/.test(f.user.trim())) out.user = "The user part of your SIP address, without @ or spaces.";
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/.test(f.domain.trim()))
    out.domain = "A domain or address, e.g. sip.example.com.";
  if (f.registrar.trim() !== "" && !/^(sips?:)?[A-Za-z0-9.\-[\]:]+(;transport=\w+)?$/.test(f.registrar.trim()))
    out.registrar = "A host or host:port, e.g. pbx.example.com:5060.";
  if (f.password === "") out.password = "The password of this SIP account.";
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
      return "Registered: the account works.";
    case "wrong_password":
      return `The registrar refused the user name or password (${o.detail}). Check both, and the authentication user if your provider gave one.`;
    case "unknown_user":
      return `The registrar does not know this address (${o.detail}). Check the user and domain.`;
    case "tls_certificate":
      return `The registrar's TLS certificate was refused (${o.detail}). Check the host name, or trust your PBX's CA (tls_ca_file in config.toml).`;
    case "unreachable":
      return `The registrar could not be reached (${o.detail}). Check the domain or registrar, the port and the transport, and your network.`;
    case "refused":
      return `The registrar refused the registration: ${o.detail}.`;
    case "settings":
      return `These settings cannot be used: ${o.detail}.`;
  }
}
