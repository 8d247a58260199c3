// The types the window shares with the engine and the shell: generated from
// the Rust ones (generated.ts, checked in CI so the two cannot drift).

export type * from "./generated";
