// Run by apps.test.mjs with `node --expose-gc`: a session the page keeps no
// reference to (`function main() { const s = new Session(…); s.on(…) }`) is
// garbage collected, which frees the Rust value; it must run on all the same
// until `destroy()`. Prints the events seen, as JSON.
import { Session } from "wasm-session/node";

const seen = [];
(function main() {
  const session = new Session({ channelName: "unreferenced", idleTimeoutMs: 1_500, warnBeforeMs: 500 });
  session.onAny((event) => seen.push(event.type));
  session.start({ access_token: "token", expires_in: 3600 });
})();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
await sleep(50);
globalThis.gc();
await sleep(50);
globalThis.gc();
await sleep(2_500); // past the idle timeout
console.log(JSON.stringify(seen));
process.exit(0);
