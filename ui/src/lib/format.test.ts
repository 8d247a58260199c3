import { describe, expect, it } from "vitest";
import { balanceText } from "./format";

describe("balanceText", () => {
  const base = { account: "carrier", amount: 12.5, currency: "EUR", low: false, error: null };
  it("shows the amount with its currency", () => {
    expect(balanceText(base)).toBe("carrier: 12.50 EUR");
  });
  it("warns when low and says when the amount is not current", () => {
    expect(balanceText({ ...base, amount: 4.2, low: true })).toBe("carrier: 4.20 EUR (low)");
    expect(balanceText({ ...base, error: "the provider answered 503" })).toBe("carrier: 12.50 EUR (not current)");
    expect(balanceText({ ...base, amount: null, error: "no answer in 10 s" })).toBe("carrier: balance unknown (not current)");
  });
});
