import { describe, expect, it } from "vitest";
import { isDtmfKey, normalizeTarget } from "./dial";
import { party, partyLine } from "./format";

describe("dialing", () => {
  it("pasted numbers lose their punctuation, addresses stay", () => {
    expect(normalizeTarget(" +49 (30) 1234-567 ")).toBe("+49301234567");
    expect(normalizeTarget("0800.123/45")).toBe("080012345");
    expect(normalizeTarget("*21#")).toBe("*21#");
    expect(normalizeTarget("sip:bob@example.com")).toBe("sip:bob@example.com");
    expect(normalizeTarget("bob")).toBe("bob");
    expect(normalizeTarget("   ")).toBe("");
  });

  it("only telephone-event keys are DTMF", () => {
    for (const k of ["0", "9", "*", "#", "A", "d"]) expect(isDtmfKey(k)).toBe(true);
    for (const k of ["e", "+", " ", "10", ""]) expect(isDtmfKey(k)).toBe(false);
  });
});

describe("callers", () => {
  it("read as name and address", () => {
    expect(party('"Alice Smith" <sip:alice@example.com>;tag=9')).toEqual({ name: "Alice Smith", address: "alice@example.com" });
    expect(partyLine("sip:bob@192.0.2.1:5062")).toBe("bob@192.0.2.1:5062");
    expect(partyLine("Bob <tel:+15550100>")).toBe("Bob (+15550100)");
  });
  it("take the address book's name over what SIP says", () => {
    expect(party('"PBX 2001" <sip:+49305550777@pbx>', "Ayşe Öztürk")).toEqual({ name: "Ayşe Öztürk", address: "+49305550777@pbx" });
    expect(partyLine("sip:+49305550777@pbx", "Ayşe Öztürk")).toBe("Ayşe Öztürk (+49305550777@pbx)");
    expect(partyLine("Bob <sip:bob@h>", null)).toBe("Bob (bob@h)");
  });
});
