import type { Session } from "wasm-session";
export function check(session: typeof Session): Promise<unknown>;
