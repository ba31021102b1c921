// webpack 5: no configuration (`webpack --mode production`). webpack treats the glue's
// `new URL("wasm_session_bg.wasm", import.meta.url)` as an asset and emits the wasm file.
import init, { Session } from "wasm-session";
import { check } from "../../app/check.js";

await init();
await check(Session);
