// The catalogues are complete: every language has exactly English's
// messages and attributes, uses no variable English does not give, parses
// without error; every message the code asks for exists and every message
// is asked for somewhere (the window's t("…"), the shell's texts.get("…"),
// or a key written in a table). Runs in `cargo xtask test` (vitest).

import { parse, Visitor, type Message, type Term, type VariableReference } from "@fluent/syntax";
import { describe, expect, it } from "vitest";
import { CATALOGUES } from "./i18n.svelte";

// The code that asks for messages: the window's and the shell's (Rust).
const code = Object.entries({
  ...import.meta.glob("../**/*.{ts,svelte}", { query: "?raw", import: "default", eager: true }),
  ...import.meta.glob("../../../src-tauri/src/**/*.rs", { query: "?raw", import: "default", eager: true }),
})
  .filter(([path]) => !path.endsWith(".test.ts"))
  .map(([, text]) => text as string);

class Variables extends Visitor {
  names = new Set<string>();
  visitVariableReference(node: VariableReference) {
    this.names.add(node.id.name);
  }
}

interface Entry {
  attributes: string[];
  variables: string[];
}

function entries(language: string, text: string): Map<string, Entry> {
  const resource = parse(text, { withSpans: true });
  const junk = resource.body.filter((e) => e.type === "Junk");
  expect(junk.map((j) => `${language}: ${(j as { content: string }).content}`)).toEqual([]);
  const out = new Map<string, Entry>();
  for (const e of resource.body) {
    if (e.type !== "Message" && e.type !== "Term") continue;
    const m = e as Message | Term;
    const seen = new Variables();
    seen.visit(m);
    const id = (m.type === "Term" ? "-" : "") + m.id.name;
    expect(out.has(id), `${language}: ${id} twice`).toBe(false);
    out.set(id, { attributes: m.attributes.map((a) => a.id.name).sort(), variables: [...seen.names].sort() });
  }
  return out;
}

const english = entries("en", CATALOGUES.en);

describe("the message catalogues", () => {
  for (const [language, text] of Object.entries(CATALOGUES)) {
    it(`${language} has every message of English and no other`, () => {
      const own = entries(language, text);
      const missing = [...english.keys()].filter((k) => !own.has(k));
      const extra = [...own.keys()].filter((k) => !english.has(k));
      expect({ language, missing, extra }).toEqual({ language, missing: [], extra: [] });
      for (const [id, entry] of own) {
        const reference = english.get(id)!;
        expect(entry.attributes, `${language} ${id}: attributes`).toEqual(reference.attributes);
        const unknown = entry.variables.filter((v) => !reference.variables.includes(v));
        expect(unknown, `${language} ${id}: variables English does not give`).toEqual([]);
      }
    });
  }

  it("every message asked for exists, and every message is asked for", () => {
    expect(code.length).toBeGreaterThan(30);
    expect(code.some((text) => text.includes("texts.get("))).toBe(true);
    const all = code.join("\n");
    const asked = new Set<string>();
    for (const m of all.matchAll(/\b(?:t|get)\(\s*"([a-z][a-z0-9-]*)"/g)) asked.add(m[1]);
    const unknown = [...asked].filter((k) => !english.has(k));
    expect(unknown, "asked for but in no catalogue").toEqual([]);
    // A key is in use when the code names it: in a call, a table or a
    // template whose prefix it completes (`availability-${...}`).
    const prefixes = [...all.matchAll(/`([a-z][a-z-]*-)\$\{/g)].map((m) => m[1]);
    const unused = [...english.keys()].filter(
      (k) => !all.includes(`"${k}"`) && !prefixes.some((p) => k.startsWith(p)),
    );
    expect(unused, "in the catalogues but never used").toEqual([]);
  });
});
