// Compiles only if react.d.ts and dialog.d.ts describe the entries as documented
// (type-checked by `make ui` with skipLibCheck false).
import type { Session } from "wasm-session";
import { useSession, type SessionView } from "wasm-session/react";
import { SessionTimeoutDialog } from "wasm-session/dialog";

export function Status(): string {
  const view: SessionView = useSession({ idleTimeoutMs: 15 * 60_000, warnBeforeMs: 60_000 });
  const session: Session | null = view.session;
  const state: "anonymous" | "active" | "warning" | "expired" | "loggedOut" | "destroyed" = view.state;
  const left: number | null = view.remainingMs;
  const cause: "idle" | "absolute" | null = view.cause;
  // README's pattern, under strict: a warning narrows the countdown to a number.
  if (view.state === "warning") {
    const seconds: number = Math.ceil(view.remainingMs / 1000);
    const kind: "idle" | "absolute" = view.cause;
    return `${kind} ${seconds}`;
  }
  session?.staySignedIn();
  return `${state} ${left ?? "-"} ${cause ?? "-"}`;
}

export function bind(session: Session): boolean {
  const dialog = document.querySelector("session-timeout-dialog");
  if (dialog) dialog.session = session; // typed through HTMLElementTagNameMap
  const made: SessionTimeoutDialog = document.createElement("session-timeout-dialog");
  made.session = null;
  made.addEventListener("close", () => made.close());
  return made.open;
}
