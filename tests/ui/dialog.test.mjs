// <session-timeout-dialog> (wasm-session/dialog) in Chromium: with real sessions
// (axe-core with the dialog open, keyboard only, two tabs) and with a scripted
// session (announcement steps, i18n, parts, unbinding) where no clock is needed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, page, serve } from "./harness.mjs";

// Idle warning 1 s after sign-in, lasting 59 s. No DOM activity: the keys the
// test presses must not count as activity, which would end the idle warning.
const IDLE = { idleTimeoutMs: 60_000, warnBeforeMs: 59_000, activityEvents: [] };
// Absolute warning 1 s after sign-in; the idle one would come only at its end.
const ABSOLUTE = { idleTimeoutMs: 60_000, warnBeforeMs: 1_000, absoluteTimeoutMs: 60_000, absoluteWarnBeforeMs: 59_000, activityEvents: [] };

const SCRIPT = `
import init, { Session } from "wasm-session";
import "wasm-session/dialog";
await init();
const dialog = document.querySelector("session-timeout-dialog");
window.t = {
  events: [],
  start(options) {
    const session = new Session({ channelName: "dialog-test", ...options });
    dialog.session = session;
    window.t.session = session;
    session.start({ access_token: "token", expires_in: 3600 });
  },
  join(options) {
    const session = new Session({ channelName: "dialog-test", ...options });
    dialog.session = session;
    window.t.session = session;
    session.resume();
  },
  // A scripted stand-in for a Session: the element only uses onAny, staySignedIn, logout.
  fake() {
    const listeners = new Set();
    const fake = {
      calls: [],
      onAny(cb) { listeners.add(cb); return () => listeners.delete(cb); },
      emit(e) { listeners.forEach((cb) => cb(e)); },
      staySignedIn() { fake.calls.push("stay"); fake.emit({ type: "stateChange", from: "warning", to: "active" }); },
      logout() { fake.calls.push("logout"); fake.emit({ type: "stateChange", from: "warning", to: "loggedOut" }); },
      get listeners() { return listeners.size; },
    };
    dialog.session = fake;
    window.t.session = fake;
    return true;
  },
};
// What was true when the dialog closed: the next warning may reopen it 1 s later.
dialog.addEventListener("open", () => window.t.events.push("open"));
dialog.addEventListener("close", () => window.t.events.push(\`close \${window.t.session.state} \${document.activeElement?.id}\`));
window.t.ready = true;
`;

const BODY = `<h1>Dialog test</h1><button id="before" type="button">Before</button>
<session-timeout-dialog></session-timeout-dialog>`;
const I18N_BODY = `<h1>Dialogtest</h1><button id="before" type="button">Vorher</button>
<style>session-timeout-dialog::part(stay) { color: rgb(1, 2, 3); }</style>
<session-timeout-dialog lang="de" idle-countdown="Abmeldung {time}." stay-label="Angemeldet bleiben" logout-label="Abmelden">
  <span slot="idle-heading">Noch da?</span><span slot="idle-message">Sie waren eine Weile inaktiv.</span>
</session-timeout-dialog>`;

// The session is set before the element is defined (the entry loaded later, e.g. split off).
const LATE = `
const dialog = document.querySelector("session-timeout-dialog");
const listeners = new Set();
dialog.session = { onAny(cb) { listeners.add(cb); return () => listeners.delete(cb); }, staySignedIn() {}, logout() {} };
await import("wasm-session/dialog");
listeners.forEach((cb) => cb({ type: "warning", cause: "idle", remainingMs: 30_000, deadline: 0 }));
window.t = { ready: true };`;

let server;
let browser;

before(async () => {
  server = await serve({ "/": page(BODY, SCRIPT), "/i18n": page(I18N_BODY, SCRIPT), "/late": page(BODY, LATE) });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function open(path = "/") {
  const p = await browser.open(server.url + path);
  await p.waitForFunction(() => window.t?.ready === true);
  return p;
}

const isOpen = (p) => p.evaluate(() => document.querySelector("session-timeout-dialog").open);
const waitOpen = (p) => p.waitForFunction(() => document.querySelector("session-timeout-dialog").open, null, { timeout: 20_000 });
const waitClosed = (p) => p.waitForFunction(() => !document.querySelector("session-timeout-dialog").open, null, { timeout: 20_000 });
/** Waits until the dialog opened or closed `count` times in all; resolves with those events. */
const events = async (p, count) => {
  await p.waitForFunction((n) => window.t.events.length >= n, count, { timeout: 20_000 });
  return p.evaluate((n) => window.t.events.slice(0, n), count);
};
const state = (p) => p.evaluate(() => window.t.session.state);
/** The focused element: its part inside the dialog, or its id outside. */
const focused = (p) => p.evaluate(() => {
  let el = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  return el?.getAttribute("part") ?? el?.id ?? el?.tagName;
});
const part = (p, name) => `session-timeout-dialog [part~="${name}"]`;

async function axe(p) {
  await p.addScriptTag({ url: "/axe.js" });
  const result = await p.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  });
  assert.deepEqual(result, []);
}

test("idle warning: opens modal with its name, focus on Stay signed in, axe-core finds no violation", async () => {
  const p = await open();
  await p.focus("#before");
  await p.evaluate((o) => window.t.start(o), IDLE);
  await waitOpen(p);
  const dialog = p.getByRole("dialog", { name: "Are you still there?" });
  assert.equal(await dialog.count(), 1);
  assert.equal(await p.evaluate(() => document.querySelector("session-timeout-dialog").shadowRoot.querySelector("dialog").matches(":modal")), true);
  assert.equal(await focused(p), "button primary stay");
  assert.match(await p.textContent(part(p, "countdown")), /^Signing out in \d+ seconds\.$/);
  assert.equal(await p.getByRole("button", { name: "Stay signed in" }).count(), 1);
  assert.equal(await p.getByRole("button", { name: "Log out" }).count(), 1);
  await axe(p);
  assert.deepEqual(p.errors, []);
  await p.close();
});

test("keyboard only, idle warning: Tab and Shift+Tab stay in the dialog, Escape stays signed in, Enter on Log out logs out", async () => {
  const p = await open();
  await p.focus("#before");
  await p.evaluate((o) => window.t.start(o), IDLE);
  await waitOpen(p);
  assert.equal(await focused(p), "button primary stay");
  await p.keyboard.press("Tab");
  assert.equal(await focused(p), "button logout");
  await p.keyboard.press("Shift+Tab");
  assert.equal(await focused(p), "button primary stay");
  await p.keyboard.press("Shift+Tab");
  assert.notEqual(await focused(p), "before", "focus never reaches the page behind the modal dialog");

  // Escape: "I'm here" — the session leaves the warning, the dialog closes, focus returns.
  await p.keyboard.press("Escape");
  assert.deepEqual(await events(p, 2), ["open", "close active before"]);

  // The next warning (1 s later): Tab to Log out, Enter.
  await events(p, 3);
  await waitOpen(p);
  assert.equal(await focused(p), "button primary stay");
  await p.keyboard.press("Tab");
  assert.equal(await focused(p), "button logout");
  await p.keyboard.press("Enter");
  await waitClosed(p);
  assert.equal(await state(p), "loggedOut");
  assert.equal(await focused(p), "before");
  assert.deepEqual(await events(p, 4), ["open", "close active before", "open", "close loggedOut before"]);
  assert.deepEqual(p.errors, []);
  await p.close();
});

test("absolute warning: non-modal, takes no focus but is announced, other words, Log out only, axe-core passes", async () => {
  const p = await open();
  await p.focus("#before");
  await p.evaluate((o) => window.t.start(o), ABSOLUTE);
  await waitOpen(p);
  assert.equal(await p.getByRole("dialog", { name: "Your session is about to end" }).count(), 1);
  assert.equal(await p.evaluate(() => document.querySelector("session-timeout-dialog").shadowRoot.querySelector("dialog").matches(":modal")), false);
  assert.match(await p.textContent(part(p, "countdown")), /^Session ends in \d+ seconds\.$/);
  assert.match(await p.textContent(part(p, "message")), /Save your work/);
  assert.deepEqual(await p.evaluate(() => [...document.querySelector("session-timeout-dialog").shadowRoot.querySelectorAll("button")].filter((b) => b.checkVisibility()).map((b) => b.textContent)), ["Log out"]);
  assert.equal(await p.getByRole("button", { name: "Stay signed in" }).count(), 0);
  assert.equal(await p.getByRole("button", { name: "Log out" }).count(), 1);
  assert.equal(await focused(p), "before", "focus stays where the user was typing");
  await p.waitForFunction(() => /^Session ends in \d+ (seconds|minutes)\.$/.test(document.querySelector("session-timeout-dialog").shadowRoot.querySelector('[role="status"]').textContent));
  await axe(p);
  // Not modal: the page behind it still takes clicks (the user can save their work).
  await p.click("#before");
  assert.equal(await focused(p), "before");
  assert.equal(await isOpen(p), true);
  assert.deepEqual(p.errors, []);
  await p.close();
});

test("keyboard only, absolute warning: Tab reaches the non-modal dialog and may leave it, Escape closes it in this tab, Enter logs out", async () => {
  const p = await open();
  await p.focus("#before");
  await p.evaluate((o) => window.t.start(o), ABSOLUTE);
  await waitOpen(p);
  // Typing goes on where it was: a key never presses Log out.
  await p.keyboard.press("Enter");
  assert.equal(await state(p), "warning");
  assert.equal(await focused(p), "before");
  // Its one button; Tab reaches it, Shift+Tab goes back to the page, Tab comes back.
  await p.keyboard.press("Tab");
  assert.equal(await focused(p), "button logout primary");
  await p.keyboard.press("Shift+Tab");
  assert.equal(await focused(p), "before");
  await p.keyboard.press("Tab");
  assert.equal(await focused(p), "button logout primary");

  // Escape closes this tab's dialog and restores focus; the deadline stands, and the
  // countdown does not reopen it.
  await p.evaluate(() => { window.t.ticks = 0; window.t.session.on("countdown", () => { window.t.ticks += 1; }); });
  await p.keyboard.press("Escape");
  await waitClosed(p);
  assert.deepEqual(await events(p, 2), ["open", "close warning before"]);
  await p.waitForFunction(() => window.t.ticks >= 2, null, { timeout: 20_000 });
  assert.equal(await isOpen(p), false);
  assert.equal(await state(p), "warning");
  assert.deepEqual(p.errors, []);
  await p.close();

  // Another sign-in: Enter on Log out logs out.
  const q = await open();
  await q.focus("#before");
  await q.evaluate((o) => window.t.start(o), ABSOLUTE);
  await waitOpen(q);
  await q.keyboard.press("Tab");
  assert.equal(await focused(q), "button logout primary");
  await q.keyboard.press("Enter");
  assert.deepEqual(await events(q, 2), ["open", "close loggedOut before"]);
  assert.deepEqual(q.errors, []);
  await q.close();
});

test("the warning switches between modal and not when its cause changes, with one open and one close", async () => {
  const p = await open();
  await p.focus("#before");
  await p.evaluate(() => window.t.fake());
  const seen = await p.evaluate(async () => {
    const dialog = document.querySelector("session-timeout-dialog");
    const inner = dialog.shadowRoot.querySelector("dialog");
    const session = window.t.session;
    const seen = [];
    const frame = () => new Promise((resolve) => setTimeout(resolve, 0));
    const note = () => seen.push(`${inner.open} ${inner.matches(":modal")} ${dialog.shadowRoot.activeElement?.getAttribute("part")}`);
    session.emit({ type: "warning", cause: "idle", remainingMs: 30_000, deadline: 0 });
    note();
    session.emit({ type: "warning", cause: "absolute", remainingMs: 20_000, deadline: 0 });
    await frame();
    note();
    session.emit({ type: "warning", cause: "idle", remainingMs: 10_000, deadline: 0 });
    await frame();
    note();
    session.emit({ type: "stateChange", from: "warning", to: "active" });
    return seen;
  });
  assert.deepEqual(seen, ["true true button primary stay", "true false undefined", "true true button primary stay"]);
  assert.deepEqual(await events(p, 2), ["open", "close undefined before"]);
  assert.deepEqual(await p.evaluate(() => window.t.events), ["open", "close undefined before"]);
  await p.close();
});

test("two tabs: both show the warning; Stay signed in in one closes it in both", async () => {
  const a = await open();
  await a.evaluate((o) => window.t.start(o), IDLE);
  await a.waitForFunction(() => window.t.session.state === "active" || window.t.session.state === "warning");
  const b = await open();
  await b.evaluate((o) => window.t.join(o), IDLE);
  await Promise.all([waitOpen(a), waitOpen(b)]);
  await a.click(part(a, "stay"));
  // Each closed with its session active again (the next warning reopens them 1 s later).
  const closed = await Promise.all([events(a, 2), events(b, 2)]);
  assert.deepEqual(closed.map((e) => e[1].split(" ")[1]), ["active", "active"]);
  // Log out from the next warning in b: both close, both signed out.
  await Promise.all([events(a, 3), events(b, 3)]);
  await Promise.all([waitOpen(a), waitOpen(b)]);
  await b.click(part(b, "logout"));
  await Promise.all([waitClosed(a), waitClosed(b)]);
  assert.equal(await state(a), "loggedOut");
  assert.deepEqual([...a.errors, ...b.errors], []);
  await a.close();
  await b.close();
});

test("the countdown is announced politely at steps (minutes, 30 s, 10 s), shown at every tick", async () => {
  const p = await open();
  await p.evaluate(() => window.t.fake());
  const said = await p.evaluate(() => {
    const dialog = document.querySelector("session-timeout-dialog");
    const status = dialog.shadowRoot.querySelector("[role=status]");
    const countdown = dialog.shadowRoot.querySelector("[part~=countdown]");
    const announced = [];
    const shown = new Set();
    new MutationObserver((records) => records.forEach((r) => r.addedNodes.forEach((n) => announced.push(n.textContent)))).observe(status, { childList: true, characterData: true, subtree: true });
    const session = window.t.session;
    session.emit({ type: "stateChange", from: "active", to: "warning" });
    session.emit({ type: "warning", cause: "idle", remainingMs: 150_000, deadline: 0 });
    for (let ms = 149_000; ms >= 0; ms -= 1000) {
      session.emit({ type: "countdown", cause: "idle", remainingMs: ms, deadline: 0 });
      shown.add(countdown.textContent);
    }
    return new Promise((resolve) => setTimeout(() => resolve({ announced, shown: shown.size, live: status.getAttribute("role") }), 0));
  });
  assert.equal(said.live, "status"); // role=status: aria-live polite
  assert.deepEqual(said.announced, [
    "Signing out in 2 minutes.",
    "Signing out in 60 seconds.",
    "Signing out in 30 seconds.",
    "Signing out in 10 seconds.",
  ]);
  assert.ok(said.shown > 90, `the visible countdown changes with the ticks (${said.shown} texts)`);
  await p.close();
});

test("text from attributes and slots in the element's language; styling through ::part", async () => {
  const p = await open("/i18n");
  await p.evaluate(() => window.t.fake());
  await p.evaluate(() => window.t.session.emit({ type: "warning", cause: "idle", remainingMs: 30_000, deadline: 0 }));
  await waitOpen(p);
  assert.equal(await p.getByRole("dialog", { name: "Noch da?" }).count(), 1);
  assert.equal(await p.textContent(part(p, "countdown")), "Abmeldung in 30 Sekunden.");
  assert.equal(await focused(p), "button primary stay");
  assert.equal(await p.getByRole("button", { name: "Angemeldet bleiben" }).count(), 1);
  assert.equal(await p.$eval(part(p, "stay"), (b) => getComputedStyle(b).color), "rgb(1, 2, 3)");
  await axe(p);
  await p.click(part(p, "stay"));
  await waitClosed(p);
  assert.deepEqual(await p.evaluate(() => window.t.session.calls), ["stay"]);
  assert.deepEqual(p.errors, []);
  await p.close();
});

test("unbinding: a new session, null, or removing the element stops listening", async () => {
  const p = await open();
  const counts = await p.evaluate(() => {
    const dialog = document.querySelector("session-timeout-dialog");
    window.t.fake();
    const first = window.t.session;
    const bound = first.listeners;
    window.t.fake();
    const second = window.t.session;
    const afterRebind = [first.listeners, second.listeners];
    dialog.session = null;
    const afterNull = second.listeners;
    dialog.session = second;
    dialog.remove();
    const afterRemove = second.listeners;
    document.body.append(dialog);
    const afterReattach = second.listeners;
    return { bound, afterRebind, afterNull, afterRemove, afterReattach };
  });
  assert.deepEqual(counts, { bound: 1, afterRebind: [0, 1], afterNull: 0, afterRemove: 0, afterReattach: 1 });
  await p.close();
});

test("setting the same session again (a React callback ref, on every render) leaves an open warning open", async () => {
  const p = await open();
  await p.evaluate((o) => window.t.start(o), IDLE);
  await waitOpen(p);
  const after = await p.evaluate(() => {
    const dialog = document.querySelector("session-timeout-dialog");
    dialog.session = window.t.session;
    return { open: dialog.open, events: window.t.events };
  });
  assert.deepEqual(after, { open: true, events: ["open"] });
  assert.deepEqual(p.errors, []);
  await p.close();
});

test("after session.destroy(), a button press closes the dialog and throws nothing", async () => {
  const p = await open();
  await p.evaluate((o) => window.t.start(o), IDLE);
  await waitOpen(p);
  await p.evaluate(() => window.t.session.destroy());
  await p.getByRole("button", { name: "Stay signed in" }).click();
  await waitClosed(p);
  assert.deepEqual(p.errors, []);
  await p.close();
});

test("a session set before the element is defined is bound when it upgrades", async () => {
  const p = await open("/late");
  await waitOpen(p);
  assert.equal(await p.textContent(part(p, "countdown")), "Signing out in 30 seconds.");
  assert.deepEqual(p.errors, []);
  await p.close();
});
