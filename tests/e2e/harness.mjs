// Shared by the end-to-end tests: start the reference backend on a free port,
// and launch Debian's Chromium (never a downloaded browser).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { chromium } from "playwright-core";

const root = new URL("../../", import.meta.url).pathname;

export const CHROMIUM_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
];

/** Starts the backend; resolves with { url, stop }. */
export async function startServer({ mode = "bearer", accessTtl = "20s", pkgDir = "target/types-pkg" } = {}) {
  const server = spawn(`${root}target/debug/wasm-session-server`,
    ["--port", "0", "--mode", mode, "--static-dir", `${root}www`, "--pkg-dir", `${root}${pkgDir}`, "--access-ttl", accessTtl],
    { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  const url = await new Promise((resolve, reject) => {
    server.stdout.on("data", (chunk) => {
      output += chunk;
      const match = output.match(/listening on (http:\/\/\S+)/);
      if (match) resolve(match[1] + "/");
    });
    server.on("exit", (code) => reject(new Error(`server exited with ${code} before listening`)));
    setTimeout(() => reject(new Error("server did not start within 20 s")), 20_000).unref();
  });
  return { url, stop: async () => { server.kill(); await once(server, "exit"); } };
}

/** A browser context whose pages use short client lifetimes and record console errors. */
export async function openBrowser(settings) {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const context = await browser.newContext();
  await context.addInitScript((s) => {
    if (!localStorage.getItem("wasm-session-demo:settings")) localStorage.setItem("wasm-session-demo:settings", s);
  }, JSON.stringify(settings));
  const errors = [];
  const newPage = async (url) => {
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    page.on("console", (m) => { if (m.type() === "error") errors.push(`console.error: ${m.text()}`); });
    await page.goto(url);
    return page;
  };
  return { browser, context, newPage, errors, close: () => browser.close() };
}

export const stateOf = (page) => page.getAttribute("#state-badge", "data-state");
export const waitForState = (page, state, timeout = 10_000) =>
  page.waitForFunction((s) => document.querySelector("#state-badge")?.dataset.state === s, state, { timeout });

/** Signs in through the demo page's form (as alice unless told otherwise). */
export async function signIn(page, username = "alice", password = username) {
  await page.fill("#login-username", username);
  await page.fill("#login-password", password);
  await page.click("#login-submit");
  await waitForState(page, "active");
}

/** The reference backend's counters (refreshes, reuse detections, keepalives …). */
export const stats = async (server) => (await fetch(server.url + "debug/stats")).json();

/** Polls the backend's counters until `predicate(stats)` holds; resolves with them (rejects after `timeout`). */
export async function waitForStats(server, predicate, timeout = 15_000) {
  const until = Date.now() + timeout;
  let last = await stats(server);
  while (!predicate(last)) {
    if (Date.now() > until) throw new Error(`backend stats never matched within ${timeout} ms: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await stats(server);
  }
  return last;
}

/**
 * The SDK events of `type` in the demo page's event log, oldest first, each as
 * an object of the logged fields (values as the log shows them, e.g.
 * `{ origin: "otherTab", replaced: "true" }`).
 */
export const loggedEvents = (page, type) => page.$$eval(`#event-log li.log-event[data-type="${type}"]`, (rows) =>
  rows.reverse().map((row) => Object.fromEntries([...row.querySelectorAll(".kv")].map((kv) => {
    const text = kv.textContent;
    const eq = text.indexOf("=");
    return [text.slice(0, eq), text.slice(eq + 1)];
  }))));

/** Runs `body(server, browser)` with a fresh backend and browser, cleaning up after. */
export async function withBackend(serverOptions, settings, body) {
  const server = await startServer(serverOptions);
  const browser = await openBrowser(settings);
  try {
    await body(server, browser);
  } finally {
    await browser.close();
    await server.stop();
  }
}

/** Client lifetimes long enough that nothing times out during a test. */
export const LONG = { idleTimeoutMs: 600_000, warnBeforeMs: 60_000, absoluteTimeoutMs: 3_600_000 };

/** Opens `count` more tabs on `url`, each waited for until it joined the live session. */
export async function openTabs(browser, url, count) {
  const tabs = [];
  for (let i = 0; i < count; i++) {
    const tab = await browser.newPage(url);
    await waitForState(tab, "active");
    tabs.push(tab);
  }
  return tabs;
}
