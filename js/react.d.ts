import type { Session, SessionOptions, SessionState } from "./wasm_session.js";

/**
 * What `useSession` gives on every render: a union on `state`, so that `state === "warning"`
 * narrows `remainingMs` to a number and `cause` to the deadline's kind.
 */
export type SessionView =
  | {
      /** The session, or `null` before the first effect ran (and during server rendering). */
      session: Session | null;
      state: "warning";
      /** The milliseconds left, updated on every countdown tick. */
      remainingMs: number;
      /** Whether the idle or the absolute deadline is near. */
      cause: "idle" | "absolute";
    }
  | {
      /** The session, or `null` before the first effect ran (and during server rendering). */
      session: Session | null;
      /** The session's state; `"anonymous"` until the session exists. */
      state: Exclude<SessionState, "warning">;
      remainingMs: null;
      cause: null;
    };

/**
 * Creates one `Session` from `options` after the first render (options are read once:
 * remount with a new `key` to change them), destroys it on unmount, and re-renders on
 * state changes and countdown ticks. StrictMode-safe. Call `await init()` before rendering.
 * Invalid options throw the `SessionError` from the effect, where an error boundary catches it.
 */
export function useSession(options?: SessionOptions): SessionView;
