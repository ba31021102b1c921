// esbuild neither copies nor rewrites the glue's wasm URL: import the wasm file with the
// file loader (`--loader:.wasm=file`) and pass its URL to init().
import init, { Session } from "wasm-session";
import wasmUrl from "wasm-session/wasm_session_bg.wasm";
import { check } from "../app/check.js";

await init({ module_or_path: wasmUrl });
await check(Session);
