// wasm-session/dialog: <session-timeout-dialog>, the "Are you still there?" dialog.
// Bound with `el.session = session`; no import of the SDK, so it costs only itself.
//
// It opens on `warning` and closes whenever the session leaves the warning state,
// which the SDK syncs across tabs: "Stay signed in" (or activity) in any tab closes
// it in all of them. The idle warning is modal; Escape means "Stay signed in" (a user
// who presses a key is there). Activity cannot extend the absolute deadline, so that
// warning offers only "Log out" and is not modal: the user can go on working and save.
// Escape closes it in this tab. The countdown is read out at steps (each minute, 30 s,
// 10 s), not every tick.

const TEXT = {
  "idle-heading": "Are you still there?",
  "idle-message": "You have been inactive for a while. For your security you will be signed out soon.",
  "idle-countdown": "Signing out {time}.",
  "absolute-heading": "Your session is about to end",
  "absolute-message": "Your session has reached its maximum length. Save your work: you will need to sign in again.",
  "absolute-countdown": "Session ends {time}.",
  "stay-label": "Stay signed in",
  "logout-label": "Log out",
};

const HTML = `<style>
dialog{max-width:min(28rem,calc(100vw - 2rem))}
dialog:not(:modal){position:fixed;inset:auto 1rem 1rem auto;margin:0;z-index:2147483647}
h2{margin:0 0 .5em;font-size:1.25em}
p{margin:0 0 .75em}
[part~=countdown]{font-weight:700;font-variant-numeric:tabular-nums}
[part~=actions]{display:flex;flex-wrap:wrap;gap:.5em;margin-top:1em}
#s{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
[hidden]{display:none!important}
</style><dialog part=dialog aria-labelledby=h aria-describedby="m c">
<h2 id=h part=heading><slot name=idle-heading></slot></h2>
<p id=m part=message><slot name=idle-message></slot></p>
<p id=c part=countdown></p>
<p id=s role=status></p>
<div part=actions>
<button type=button part="button primary stay"><slot name=stay-label></slot></button>
<button type=button part="button logout"><slot name=logout-label></slot></button>
</div></dialog>`;

/** Remaining seconds -> the step they fall in; a countdown is announced when its step drops. */
const step = (s) => (s > 60 ? Math.ceil(s / 60) * 60 : s > 30 ? 60 : s > 10 ? 30 : 10);

const Base = globalThis.HTMLElement || class {};

export class SessionTimeoutDialog extends Base {
  constructor() {
    super();
    const root = this.attachShadow({ mode: "open" });
    root.innerHTML = HTML;
    const [heading, message, stay, logout] = root.querySelectorAll("slot");
    const [stayButton, logoutButton] = root.querySelectorAll("button");
    Object.assign(this, {
      _dialog: root.querySelector("dialog"),
      _countdown: root.getElementById("c"),
      _status: root.getElementById("s"),
      _slots: [heading, message, stay, logout],
      _stay: stayButton,
      _logout: logoutButton,
      _cause: null,
      _back: null, // focus to restore; set while the dialog shows
      _session: null,
      _off: null,
    });
    stayButton.onclick = () => this._act("staySignedIn");
    logoutButton.onclick = () => this._act("logout");
    // The modal (idle) dialog gets `cancel` on Escape; the other gets no cancel event.
    // (Block bodies: a handler property returning false would cancel the event.)
    this._dialog.oncancel = () => {
      if (this._cause === "idle") this._act("staySignedIn");
    };
    this._dialog.onkeydown = (e) => {
      if (e.key === "Escape" && this._cause === "absolute") this.close();
    };
    this._dialog.onclose = () => {
      // Reopened before this event came (switched between modal and not): still showing;
      // or an earlier close event of the same showing already reported it.
      if (this._dialog.open || !this._back) return;
      const active = document.activeElement;
      // Focus goes back unless the user has moved it into the page (possible when not modal).
      if ((!active || active === this || active === document.body) && this._back && this._back.isConnected) this._back.focus();
      this._cause = this._back = null;
      this.dispatchEvent(new Event("close"));
    };
    // A `session` set before the element was defined is an own property hiding the setter.
    if (Object.prototype.hasOwnProperty.call(this, "session")) {
      const session = this.session;
      delete this.session;
      this.session = session;
    }
  }

  /** The session whose warnings this dialog shows; `null` unbinds. */
  get session() {
    return this._session;
  }
  set session(session) {
    // A React callback ref sets the same session on every render: the dialog stays as it is.
    if ((session || null) === this._session) return;
    this._unbind();
    this._session = session || null;
    if (this.isConnected) this._bind();
  }

  /** Whether the dialog is showing. */
  get open() {
    return this._dialog.open;
  }

  /** Closes the dialog in this tab only; the session goes on as it was. */
  close() {
    if (this._dialog.open) this._dialog.close();
  }

  connectedCallback() {
    this._bind();
  }
  disconnectedCallback() {
    this._unbind();
  }

  _bind() {
    if (this._session && !this._off) this._off = this._session.onAny((e) => this._event(e));
  }
  _unbind() {
    if (this._off) this._off();
    this._off = null;
    this.close();
  }

  /** Calls `method` of the session; a session destroyed meanwhile (no event says so) closes the dialog. */
  _act(method) {
    const session = this._session;
    if (!session) return;
    if (session.state === "destroyed") this.close();
    else session[method]();
  }

  _text(key) {
    const value = this.getAttribute(key);
    return value == null ? TEXT[key] : value;
  }

  _event(e) {
    if (e.type === "warning") this._show(e);
    else if (e.type === "countdown" && e.cause === this._cause) this._tick(e.remainingMs);
    else if (e.type === "stateChange" && e.to !== "warning") this.close();
  }

  _show(e) {
    const cause = e.cause;
    const absolute = cause === "absolute";
    this._cause = cause;
    ["heading", "message", "stay-label", "logout-label"].forEach((key, i) => {
      const slot = this._slots[i];
      const name = i < 2 ? `${cause}-${key}` : key;
      slot.name = name;
      slot.textContent = this._text(name);
    });
    this._stay.hidden = absolute;
    this._logout.part.toggle("primary", absolute);
    const lang = (this.closest("[lang]") || document.documentElement).lang;
    let format;
    try {
      format = new Intl.RelativeTimeFormat(lang || undefined, { numeric: "always" });
    } catch {
      format = new Intl.RelativeTimeFormat(undefined, { numeric: "always" });
    }
    this._format = (s) => (s > 90 ? format.format(Math.round(s / 60), "minute") : format.format(s, "second"));
    this._step = Infinity;
    this._status.textContent = "";
    this._tick(e.remainingMs, true);
    const dialog = this._dialog;
    const shown = this._back != null;
    // Showing the other kind: reopen as this one (the close event finds it open again).
    const wasModal = dialog.open && dialog.matches(":modal");
    if (dialog.open && wasModal === absolute) dialog.close();
    if (dialog.open) return;
    if (!shown) {
      let back = document.activeElement;
      while (back && back.shadowRoot && back.shadowRoot.activeElement) back = back.shadowRoot.activeElement;
      this._back = back || document.body;
    }
    if (absolute) {
      // The `open` attribute, not show(): show() moves focus into the dialog. Taking no
      // focus (the user may be typing: a key would press Log out), it is announced instead,
      // once it shows: a live region filled while hidden is not read.
      dialog.setAttribute("open", "");
      const text = this._countdown.textContent;
      setTimeout(() => {
        if (this._dialog.open && this._cause === "absolute" && !this._status.textContent) this._status.textContent = text;
      });
      // From the modal one: focus goes back to the page, where the user was.
      if (wasModal && this._back && this._back.isConnected) this._back.focus();
    } else {
      dialog.showModal();
      this._stay.focus();
    }
    if (!shown) this.dispatchEvent(new Event("open"));
  }

  /** Shows the time left; announces it when it entered a lower step (`quiet`: only note the step). */
  _tick(remainingMs, quiet) {
    const s = Math.max(0, Math.ceil(remainingMs / 1000));
    const text = this._text(`${this._cause}-countdown`).replace("{time}", this._format(s));
    this._countdown.textContent = text;
    if (step(s) < this._step) {
      this._step = step(s);
      if (!quiet) this._status.textContent = text;
    }
  }
}

if (globalThis.customElements && !customElements.get("session-timeout-dialog")) {
  customElements.define("session-timeout-dialog", SessionTimeoutDialog);
}
