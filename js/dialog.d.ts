import type { Session } from "./wasm_session.js";

/**
 * `<session-timeout-dialog>`, registered when "wasm-session/dialog" is imported. Bind it with
 * `el.session = session`. It opens on `warning` and closes when the session leaves the warning
 * state in any tab (or, at the next button press, once the session was destroyed).
 *
 * Idle warning: a native modal `<dialog>` with "Stay signed in" and "Log out", focus on "Stay
 * signed in" and back where it was on close; Escape means "Stay signed in". Absolute deadline
 * (activity cannot move it): other words and "Log out" only, in a non-modal `<dialog>` (fixed at
 * the bottom corner) that takes no focus, so the user can go on working and save (a key they were
 * typing never presses Log out); it is announced instead. Tab reaches it; Escape with focus in it
 * closes it in this tab only.
 *
 * Text: attributes or slots `idle-heading`, `idle-message`, `absolute-heading`,
 * `absolute-message`, `stay-label`, `logout-label`; attributes `idle-countdown` and
 * `absolute-countdown` with `{time}` ("Signing out {time}." → "Signing out in 30 seconds.",
 * in the element's `lang`). Parts: `dialog`, `heading`, `message`, `countdown`, `actions`,
 * `button`, `primary` (Stay signed in; Log out when alone), `stay`, `logout`. Events: `open`,
 * `close`.
 */
export class SessionTimeoutDialog extends HTMLElement {
  /** The session whose warnings it shows; `null` unbinds. */
  session: Session | null;
  /** Whether the dialog is showing. */
  readonly open: boolean;
  /** Closes the dialog in this tab only; the session goes on as it was. */
  close(): void;
}

declare global {
  interface HTMLElementTagNameMap {
    "session-timeout-dialog": SessionTimeoutDialog;
  }
}
