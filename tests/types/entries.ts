// The package's other entry points, as README's "Use with…" section writes them.
import { Session, type SessionError } from "wasm-session/node"; // Vitest/Jest: already initialized
import init from "wasm-session";
import wasmUrl from "wasm-session/wasm_session_bg.wasm"; // esbuild --loader:.wasm=file

export async function entries(): Promise<void> {
  const url: string = wasmUrl;
  await init({ module_or_path: url });
  const session = new Session({ idleTimeoutMs: 60_000 });
  session[Symbol.dispose]();
  try {
    new Session();
  } catch (e) {
    const code: SessionError["code"] = (e as SessionError).code;
    if (code === "not_initialized") void code;
  }
}
