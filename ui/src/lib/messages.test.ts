import { describe, expect, it } from "vitest";
import { deliveryText, merged, unreadTotal, withMessage } from "./messages";
import type { StoredMessage } from "./types";

const msg = (id: number, more: Partial<StoredMessage> = {}): StoredMessage => ({
  id,
  peer: "bob@pbx",
  peer_uri: "sip:bob@pbx",
  name: null,
  account: "work",
  incoming: true,
  text: `m${id}`,
  at: 100 + id,
  delivery: "received",
  failure: null,
  read: false,
  ...more,
});

describe("conversations in the window", () => {
  it("a new message tops the list and counts unread unless its thread is open", () => {
    let list = withMessage([], msg(1), null);
    list = withMessage(list, msg(2, { peer: "carol@pbx", peer_uri: "sip:carol@pbx" }), null);
    expect(list.map((c) => c.peer)).toEqual(["carol@pbx", "bob@pbx"]);
    list = withMessage(list, msg(3), null);
    expect(list[0]).toMatchObject({ peer: "bob@pbx", unread: 2, last_text: "m3" });
    list = withMessage(list, msg(4), "bob@pbx");
    expect(list[0].unread).toBe(2);
    expect(unreadTotal(list)).toBe(3);
  });

  it("a message of ours changing state replaces itself, and counts nothing", () => {
    const sending = msg(5, { incoming: false, read: true, delivery: "sending" });
    let thread = merged([msg(1)], sending);
    thread = merged(thread, { ...sending, delivery: "delivered" });
    expect(thread.map((m) => [m.id, m.delivery])).toEqual([
      [1, "received"],
      [5, "delivered"],
    ]);
    const list = withMessage(withMessage([], sending, null), { ...sending, delivery: "failed" }, null);
    expect(list[0].unread).toBe(0);
    expect(deliveryText({ ...sending, delivery: "failed", failure: "404 Not Found" })).toBe(
      "not delivered: 404 Not Found",
    );
  });
});

describe("peers", () => {
  it("key a conversation as the shell's store does", async () => {
    const { peerOf } = await import("./messages");
    expect(peerOf("sip:Bob@Example.COM:5060;transport=tcp")).toBe("Bob@example.com");
    expect(peerOf("sip:bob@127.0.0.1:5070")).toBe("bob@127.0.0.1:5070");
    expect(peerOf('"Bob" <sips:bob@h:5061>')).toBe("bob@h");
    expect(peerOf("sip:bob@[::1]:5080")).toBe("bob@[::1]:5080");
  });
});
