import { describe, expect, it } from "vitest";
import { blankForm, explain, formProblems, fromSettings, toSettings } from "./accounts";

const good = { ...blankForm, name: "work", user: "alice", domain: "sip.example.com", password: "pw" };

describe("account form", () => {
  it("a complete form has no problems and becomes settings", () => {
    expect(formProblems(good)).toEqual({});
    expect(toSettings({ ...good, registrar: "pbx.example.com:5080", transport: "tcp" })).toMatchObject({
      name: "work",
      aor: "sip:alice@sip.example.com",
      registrar: "sip:pbx.example.com:5080",
      transport: "tcp",
      register: true,
      auth_user: null,
    });
  });

  it("each missing or malformed field is named", () => {
    const p = formProblems({ ...blankForm, name: "my work", user: "a@b", domain: "bad domain" });
    expect(Object.keys(p).sort()).toEqual(["domain", "name", "password", "user"]);
  });

  it("an account comes back as the form it was made from, without its password", () => {
    const s = toSettings({ ...good, displayName: "Alice", authUser: "a1", registrar: "pbx:5060", transport: "tls" });
    expect(fromSettings(s)).toEqual({ ...good, displayName: "Alice", authUser: "a1", registrar: "pbx:5060", transport: "tls", password: "" });
  });

  it("every problem the check reports is explained", () => {
    const problems = ["wrong_password", "unknown_user", "tls_certificate", "unreachable", "refused", "settings", null] as const;
    const texts = problems.map((problem) => explain({ registered: problem === null, problem, detail: "d" }));
    expect(new Set(texts).size).toBe(problems.length);
    expect(texts[0]).toMatch(/password/);
    expect(texts[2]).toMatch(/certificate/);
    expect(texts[3]).toMatch(/could not be reached/);
  });
});
