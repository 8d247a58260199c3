/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The window loads the built files from ui/dist (tauri.conf.json); no
// inline scripts or styles, so the strict CSP holds.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  // The catalogue check (catalogues.test.ts) reads the shell's Rust
  // sources for the messages it asks for.
  server: { port: 5173, strictPort: true, fs: { allow: [".", "../src-tauri/src"] } },
  build: {
    target: "safari15",
    cssCodeSplit: false,
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  test: {
    include: ["src/**/*.test.ts"],
  },
});
