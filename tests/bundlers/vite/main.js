// Vite: no configuration. The glue's `new URL("wasm_session_bg.wasm", import.meta.url)`
// makes Vite copy the wasm file into the build and rewrite the URL.
import init, { Session } from "wasm-session";
import { check } from "../app/check.js";

await init();
await check(Session);
