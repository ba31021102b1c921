// `import "wasm-session/node"` initializes the package in Node (Vitest, Jest, SSR tests):
// synchronously, from the wasm file beside this one, without fetch (Node's fetch cannot
// read the file: URL that `await init()` asks for). Everything the main entry exports is
// re-exported, from the same module instance, so `import { Session } from "wasm-session"`
// elsewhere in the same test sees the initialized package.
import { readFileSync } from "node:fs";
import { initSync } from "./wasm_session.js";

// Not `new URL("./wasm_session_bg.wasm", import.meta.url)` written out: bundlers and
// Vite's transforms rewrite that pattern into an asset URL.
const WASM_FILE = "./wasm_session_bg.wasm";
initSync({ module: readFileSync(new URL(WASM_FILE, import.meta.url)) });

export * from "./wasm_session.js";
export { default } from "./wasm_session.js";
