import type { Session, SessionOptions, SessionState } from "./wasm_session.js";

/** What `useSession` gives on every render. */
export interface SessionView {
  /** The session, or `null` before the first effect ran (and during server rendering). */
  session: Session | null;
  /** The session's state; `"anonymous"` until the session exists. */
  state: SessionState;
  /** During a warning, the milliseconds left (updated on every countdown tick); otherwise `null`. */
  remainingMs: number | null;
  /** During a warning, whether it is the idle or the absolute deadline; otherwise `null`. */
  cause: "idle" | "absolute" | null;
}

/**
 * Creates one `Session` from `options` after the first render (options are read once:
 * remount with a new `key` to change them), destroys it on unmount, and re-renders on
 * state changes and countdown ticks. StrictMode-safe. Call `await init()` before rendering.
 * Invalid options throw the `SessionError` from the effect, where an error boundary catches it.
 */
export function useSession(options?: SessionOptions): SessionView;
