// Conversations as the window shows them: one thread per peer, kept by the
// shell's message store; the window only merges what changes.

import type { Conversation, StoredMessage } from "./types";
import { t } from "./i18n.svelte";

/** `m` added to (or replacing its older self in) a thread, oldest first. */
export function merged(thread: StoredMessage[], m: StoredMessage): StoredMessage[] {
  const i = thread.findIndex((t) => t.id === m.id);
  if (i >= 0) return thread.map((t) => (t.id === m.id ? m : t));
  return [...thread, m].sort((a, b) => a.id - b.id);
}

/** The list of conversations after `m`: its peer's moves to the top. */
export function withMessage(list: Conversation[], m: StoredMessage, open: string | null): Conversation[] {
  const old = list.find((c) => c.peer === m.peer);
  const isNew = !old || m.at >= old.last_at;
  const unreadNow = m.incoming && !m.read && m.peer !== open && m.delivery === "received";
  const known = old !== undefined && old.last_text === m.text && old.last_at === m.at;
  const c: Conversation = {
    peer: m.peer,
    peer_uri: m.peer_uri,
    name: m.name ?? old?.name ?? null,
    account: m.account ?? old?.account ?? null,
    last_text: isNew ? m.text : (old?.last_text ?? m.text),
    last_at: Math.max(m.at, old?.last_at ?? 0),
    last_incoming: isNew ? m.incoming : (old?.last_incoming ?? m.incoming),
    unread: (old?.unread ?? 0) + (unreadNow && !known ? 1 : 0),
  };
  return [c, ...list.filter((x) => x.peer !== m.peer)].sort((a, b) => b.last_at - a.last_at);
}

/** Unread messages over every conversation (the nav badge). */
export const unreadTotal = (list: Conversation[]) => list.reduce((n, c) => n + c.unread, 0);

/** How a message of ours stands, in a word. */
export function deliveryText(m: StoredMessage): string {
  switch (m.delivery) {
    case "sending":
      return t("delivery-sending");
    case "delivered":
      return t("delivery-delivered");
    case "failed":
      return m.failure ? t("delivery-failed-why", { why: m.failure }) : t("delivery-failed");
    default:
      return "";
  }
}

/** The conversation a SIP address belongs to, as the shell's store keys it:
 * `"Bob" <sip:Bob@Example.com:5060;transport=tcp>` is `Bob@example.com`. */
export function peerOf(address: string): string {
  let uri = address.trim();
  const lt = uri.indexOf("<");
  if (lt >= 0) uri = uri.slice(lt + 1).split(">")[0];
  const secure = /^sips:/i.test(uri);
  uri = uri.replace(/^sips?:/i, "").split(";")[0].split("?")[0];
  const at = uri.lastIndexOf("@");
  const user = at >= 0 ? uri.slice(0, at) : null;
  let host = at >= 0 ? uri.slice(at + 1) : uri;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  if (m) {
    const usual = secure ? "5061" : "5060";
    host = m[1].toLowerCase() + (m[2] && m[2] !== usual ? `:${m[2]}` : "");
  }
  return user ? `${user}@${host}` : host;
}
