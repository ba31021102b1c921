// wasm-session/react: useSession(options), one Session per mounted component.
//
// The session is created in an effect, never during render: React may render a
// component more than once before it commits (StrictMode does it on purpose), and a
// Session made there would hold listeners and a channel that nothing destroys.
// StrictMode's mount, unmount, mount therefore creates A, destroys A, creates B.
import { useEffect, useState, useSyncExternalStore } from "react";
import { Session } from "./wasm_session.js";

const NONE = { state: "anonymous", remainingMs: null, cause: null };
const noSubscribe = () => () => {};
const none = () => NONE;

/** A session with a store for useSyncExternalStore: a snapshot that changes only on events. */
function live(options) {
  const session = new Session(options);
  const listeners = new Set();
  let snapshot = { state: session.state, remainingMs: null, cause: null };
  const off = session.onAny((e) => {
    let next = snapshot;
    if (e.type === "warning" || e.type === "countdown") {
      next = { state: "warning", remainingMs: e.remainingMs, cause: e.cause };
    } else if (e.type === "stateChange" && e.to !== snapshot.state && e.to !== "warning") {
      // Into a warning: its `warning` event follows at once, with the time left and the cause.
      next = { state: e.to, remainingMs: null, cause: null };
    }
    if (next !== snapshot) {
      snapshot = next;
      listeners.forEach((listener) => listener());
    }
  });
  return {
    session,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    snapshot: () => snapshot,
    destroy() {
      off();
      session.destroy();
    },
  };
}

/**
 * Creates a Session from `options` after the first render (read once; remount with
 * a new `key` to change them), destroys it on unmount, and re-renders on state
 * changes and on every countdown tick. `init()` must have resolved before.
 */
export function useSession(options) {
  const [store, setStore] = useState(null);
  useEffect(() => {
    const created = live(options);
    setStore(created);
    return created.destroy;
    // Options are read once, like useState's initial value.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const view = useSyncExternalStore(store ? store.subscribe : noSubscribe, store ? store.snapshot : none, none);
  return { session: store && store.session, ...view };
}
