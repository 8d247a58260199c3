import { describe, expect, it } from "vitest";
import { addressLine, cleaned, contactFor, dialTarget, firstTarget, looksLikeName, mergeHits } from "./contacts";
import type { Contact, DirectoryHit, StoredContact } from "./types";

const contact = (name: string, value: string, kind: "tel" | "sip" = "tel"): Contact =>
  ({ uid: name, name, addresses: [{ kind, label: "work", value }], favourite: false }) as Contact;
const hit = (c: Contact, source = "Contacts", id: bigint | number | null = 1): DirectoryHit =>
  ({ id, source, contact: c }) as DirectoryHit;

describe("contacts", () => {
  it("dial numbers without their dress and SIP URIs as they are", () => {
    expect(dialTarget({ kind: "tel", label: "", value: "+49 (30) 5550-777" })).toBe("+49305550777");
    expect(dialTarget({ kind: "tel", label: "", value: "tel:+1-212-555-0100" })).toBe("+12125550100");
    expect(dialTarget({ kind: "sip", label: "", value: " sip:ayse@acme.example " })).toBe("sip:ayse@acme.example");
    expect(firstTarget(contact("A", "2001"))).toBe("2001");
    expect(addressLine({ kind: "tel", label: "mobile", value: "0171" })).toBe("mobile 0171");
  });
  it("tell names from numbers and addresses", () => {
    expect(looksLikeName("ayş")).toBe(true);
    expect(looksLikeName("Öz")).toBe(true);
    expect(looksLikeName("a")).toBe(false);
    expect(looksLikeName("+49 30")).toBe(false);
    expect(looksLikeName("sip:bob@h")).toBe(false);
    expect(looksLikeName("bob@h")).toBe(false);
  });
  it("merge local and directory hits without the same number twice", () => {
    const local = [hit(contact("Ayşe Öztürk", "+49 30 5550 777"))];
    const remote = [hit(contact("Ayşe Öztürk (LDAP)", "+49-30-5550-777"), "LDAP", null), hit(contact("Bob", "2001"), "LDAP", null)];
    expect(mergeHits(local, remote).map((h) => h.contact.name)).toEqual(["Ayşe Öztürk", "Bob"]);
  });
  it("clean a contact before it is saved", () => {
    const c = cleaned({ ...contact(" Ada ", "  "), organization: " " } as Contact);
    expect(c.name).toBe("Ada");
    expect(c.addresses).toEqual([]);
    expect(c.organization).toBeUndefined();
  });
  it("name a busy lamp's extension or caller", () => {
    const kept = [
      { id: 1, book: 1, contact: contact("Reception", "20 01") },
      { id: 2, book: 1, contact: contact("Bob", "sip:Bob@pbx", "sip") },
    ] as StoredContact[];
    expect(contactFor(kept, "2001")?.name).toBe("Reception");
    expect(contactFor(kept, "<sip:2001@pbx;user=phone>")?.name).toBe("Reception");
    expect(contactFor(kept, "sip:bob@PBX")?.name).toBe("Bob");
    expect(contactFor(kept, "2002")).toBeNull();
    expect(contactFor(kept, "alice")).toBeNull();
  });
});
