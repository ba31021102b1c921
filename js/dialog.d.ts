import type { Session } from "./wasm_session.js";

/**
 * `<session-timeout-dialog>`, registered when "wasm-session/dialog" is imported. Bind it with
 * `el.session = session`. It opens on `warning` (a native modal `<dialog>`, focus on the primary
 * button) and closes when the session leaves the warning state in any tab, restoring focus.
 *
 * Text: attributes or slots `idle-heading`, `idle-message`, `absolute-heading`,
 * `absolute-message`, `stay-label`, `dismiss-label`, `logout-label`; attributes `idle-countdown`
 * and `absolute-countdown` with `{time}` ("Signing out {time}." → "Signing out in 30 seconds.",
 * in the element's `lang`). Parts: `dialog`, `heading`, `message`, `countdown`, `actions`,
 * `button`, `primary`, `stay`, `dismiss`, `logout`. Events: `open`, `close`.
 *
 * Escape: "Stay signed in" for the idle warning, "Continue working" (close) for the absolute one.
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
