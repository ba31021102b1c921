// Shared by the end-to-end tests: start the reference backend on a free port,
// and launch Debian's Chromium (never a downloaded browser).
//
// The files run one at a time (`node --test --test-concurrency=1`, see the
// Makefile), and no assertion depends on how fast the machine is: waits are for
// observed events (a state, a count at the backend) with generous timeouts, and
// a count over a stretch of time is bounded by the time that really elapsed.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const root = new URL("../../", import.meta.url).pathname;

export const CHROMIUM_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
];

/**
 * Where bearer mode's refresh token travels: an HttpOnly cookie, or JSON bodies
 * (the SDK holds it in memory, so a stale one it presents trips reuse detection).
 */
export const REFRESH_TOKEN_PLACES = ["cookie", "body"];

/**
 * Starts the backend; resolves with { url, stop }. `refreshToken`: "cookie" or "body" (bearer mode); `staticDir`: the pages
 * it serves; `idleTimeout`, `rememberMe`: the server's idle timeout and remember-me lifetime ("10s", "1h" …).
 */
export async function startServer({ mode = "bearer", refreshToken = "cookie", accessTtl = "20s", pkgDir = "target/types-pkg", staticDir = "www", idleTimeout, rememberMe } = {}) {
  const args = ["--port", "0", "--mode", mode, "--static-dir", `${root}${staticDir}`, "--pkg-dir", `${root}${pkgDir}`, "--access-ttl", accessTtl];
  if (mode === "bearer") args.push("--refresh-token", refreshToken);
  if (idleTimeout) args.push("--idle-timeout", idleTimeout);
  if (rememberMe) args.push("--remember-me", rememberMe);
  const server = spawn(`${root}target/debug/wasm-session-server`, args, { stdio: ["ignore", "pipe", "inherit"] });
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

/**
 * A browser context whose pages use short client lifetimes and record console
 * errors. `blankPage()` opens a page of the context, `newPage(url)` one that
 * records errors and has loaded `url`.
 */
export async function openBrowser(settings) {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const context = await browser.newContext();
  return withPages(context, settings, () => context.newPage(), () => browser.close());
}

/**
 * As `openBrowser`, in a browser whose pages `freeze(page)` and `unfreeze(page)`
 * really freeze, as Chromium does to a background tab: no timer, message or
 * event runs in a frozen page until it resumes, when the queued ones do (the
 * page is then hidden, as a background tab is).
 *
 * Playwright keeps every page it opens visible and awake (focus emulation holds
 * each page as if captured), and Chromium ignores a freeze then. So Chromium is
 * launched here with a DevTools port, Playwright attaches to its default context
 * without those overrides (`noDefaults`), and each page gets a window of its own
 * (a new tab of a shared window would start hidden).
 */
export async function openFreezableBrowser(settings) {
  const profile = await mkdtemp(join(tmpdir(), "wasm-session-e2e-"));
  const chrome = spawn("/usr/bin/chromium", [...CHROMIUM_ARGS, "--remote-debugging-port=0", `--user-data-dir=${profile}`, "about:blank"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const stop = async () => {
    chrome.kill();
    if (chrome.exitCode === null && chrome.signalCode === null) await once(chrome, "exit");
    await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }); // its helper processes may still be writing
  };
  try {
    let output = "";
    const endpoint = await new Promise((resolve, reject) => {
      chrome.stderr.on("data", (chunk) => {
        output += chunk;
        const match = output.match(/DevTools listening on (ws:\/\/\S+)/);
        if (match) resolve(match[1]);
      });
      chrome.on("exit", (code) => reject(new Error(`chromium exited with ${code} before listening: ${output}`)));
      setTimeout(() => reject(new Error("chromium did not listen within 20 s")), 20_000).unref();
    });
    const browser = await chromium.connectOverCDP(endpoint, { noDefaults: true });
    const context = browser.contexts()[0];
    const session = await browser.newBrowserCDPSession();
    const windowed = async () => {
      const opened = context.waitForEvent("page");
      await session.send("Target.createTarget", { url: "about:blank", newWindow: true });
      return opened;
    };
    const lifecycle = (state) => async (page) => {
      const cdp = await context.newCDPSession(page);
      await cdp.send("Page.setWebLifecycleState", { state });
      await cdp.detach();
    };
    const close = async () => {
      await browser.close().catch(() => {});
      await stop();
    };
    return { ...(await withPages(context, settings, windowed, close)), freeze: lifecycle("frozen"), unfreeze: lifecycle("active") };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function withPages(context, settings, blankPage, close) {
  await context.addInitScript((s) => {
    if (location.protocol === "about:") return; // a page opened blank has no storage
    if (!localStorage.getItem("wasm-session-demo:settings")) localStorage.setItem("wasm-session-demo:settings", s);
  }, JSON.stringify(settings));
  const errors = [];
  const newPage = async (url) => {
    const page = await blankPage();
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    page.on("console", (m) => { if (m.type() === "error") errors.push(`console.error: ${m.text()}`); });
    await page.goto(url);
    return page;
  };
  return { context, blankPage, newPage, errors, close };
}

export const stateOf = (page) => page.getAttribute("#state-badge", "data-state");
/** Waits for the demo page's state badge to show `state` (or one of several); a timeout names the state seen and the latest log rows. */
export async function waitForState(page, state, timeout = 20_000) {
  const wanted = [state].flat();
  try {
    await page.waitForFunction((w) => w.includes(document.querySelector("#state-badge")?.dataset.state), wanted, { timeout });
  } catch (e) {
    const seen = await stateOf(page).catch(() => "unknown");
    const log = await page.$$eval("#event-log li", (rows) => rows.slice(0, 12).map((r) => r.textContent)).catch(() => []);
    throw new Error(`state ${state} not reached within ${timeout} ms (state ${seen}); latest log rows:\n  ${log.join("\n  ")}`, { cause: e });
  }
}

/** Signs in through the demo page's form (as alice unless told otherwise). */
export async function signIn(page, username = "alice", password = username) {
  await page.fill("#login-username", username);
  await page.fill("#login-password", password);
  await page.click("#login-submit");
  await waitForState(page, "active");
}

/**
 * The reference backend's counters (refreshes, reuse detections, keepalives …)
 * and timings (`refreshTokenAgesMs`, `keepaliveGapsMs`), stamped with
 * `askedAt` (before the request) and `answeredAt` (after the answer): between
 * two samples `a` and `b`, at most `b.answeredAt - a.askedAt` ms passed at the
 * backend.
 */
export async function stats(server) {
  const askedAt = Date.now();
  const counters = await (await fetch(server.url + "debug/stats")).json();
  return { ...counters, askedAt, answeredAt: Date.now() };
}

/** Polls the backend's counters until `predicate(stats)` holds; resolves with them (rejects after `timeout`). */
export async function waitForStats(server, predicate, timeout = 30_000) {
  const until = Date.now() + timeout;
  let last = await stats(server);
  while (!predicate(last)) {
    if (Date.now() > until) throw new Error(`backend stats never matched within ${timeout} ms: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await stats(server);
  }
  return last;
}

/** Calls /api/profile through the SDK (#btn-profile) and resolves with the output text once it is HTTP 200. */
export async function profile(page) {
  await page.click("#btn-profile");
  await page.waitForFunction(() => /HTTP 200/.test(document.querySelector("#action-output")?.textContent ?? ""), null, { timeout: 30_000 });
  return page.textContent("#action-output");
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
export async function withBackend(serverOptions, settings, body, open = openBrowser) {
  const server = await startServer(serverOptions);
  let browser;
  try {
    browser = await open(settings);
    await body(server, browser);
  } finally {
    await browser?.close();
    await server.stop();
  }
}

/** Client lifetimes long enough that nothing times out during a test. */
export const LONG = { idleTimeoutMs: 600_000, warnBeforeMs: 60_000, absoluteTimeoutMs: 3_600_000 };

/**
 * Opens `count` tabs on `url`, waits until each has asked the backend whether
 * it is signed in (when the page has a session endpoint), then signs in in the
 * first; the others join from its login. Resolves with the tabs, all active.
 *
 * The tabs are open before the first rotation, so the refresh cycles measured
 * afterwards have only the race for the refresh lock in them. (A tab opened
 * during a rotation may join with the tokens just rotated out, and a session
 * check that straddles one is answered "signed out" and verified by a refresh:
 * SECURITY.md, "Refresh-token rotation races".)
 */
export async function signedInTabs(browser, url, count) {
  const tabs = [];
  for (let i = 0; i < count; i++) {
    const tab = await browser.newPage(url);
    await tab.waitForFunction(() => document.querySelector("#state-badge")?.dataset.state === "anonymous" &&
      (document.querySelector("#mode")?.dataset.refreshToken === "body" ||
        document.querySelector('#event-log li[data-type="GET /auth/session"]') !== null), null, { timeout: 30_000 });
    tabs.push(tab);
  }
  await signIn(tabs[0]);
  for (const tab of tabs) await waitForState(tab, "active");
  return tabs;
}

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

/**
 * Waits until the backend rotated the refresh token `count` times since the
 * stats sample `from`; resolves with the stats then. Fails at once, with the
 * stats, when a rotated-out token came back or a family was revoked (the
 * tests that wait for rotations expect neither, ever).
 */
export async function waitForRotations(server, from, count, timeout = 60_000) {
  const broken = (s) => s.reuseDetected > 0 || s.revokedFamilies > 0;
  const done = await waitForStats(server, (s) => broken(s) || s.refreshes >= from.refreshes + count, timeout);
  assert.ok(!broken(done), `a rotated-out refresh token came back, or a family was revoked, ${done.refreshes - from.refreshes} rotations in: ${JSON.stringify(done)}`);
  return done;
}

/**
 * What the backend saw between two stats samples `from` and `to` is a
 * single-flight refresh of one token family:
 * - no rotated-out refresh token came back, and no family was revoked;
 * - every token rotated had lived at least a quarter of its lifetime, since the
 *   SDK refreshes no earlier (`refreshBeforeMs` is capped at half the lifetime
 *   and the jitter at a quarter): a tab refreshing again right after another
 *   tab's rotation presents a token a few ms old, whatever the machine's load;
 * - so at most one refresh per quarter lifetime that elapsed, plus one;
 * - the token came from where the backend's mode puts it: with `refreshToken:
 *   "body"`, every refresh presented it in the body, from the SDK's memory.
 * `lifetimeMs`: the shortest token lifetime the client can have seen.
 * Returns the number of refreshes.
 */
export function assertSingleFlight(from, to, { lifetimeMs, refreshToken = "cookie", label = "" }) {
  const refreshes = to.refreshes - from.refreshes;
  const ages = refreshes > 0 ? to.refreshTokenAgesMs.slice(-refreshes) : [];
  const quarter = lifetimeMs / 4;
  const elapsed = to.answeredAt - from.askedAt;
  const seen = `${label}${label && ": "}${refreshes} refreshes in ${elapsed} ms, token ages ${ages.join(" ")} ms, ` +
    `reuse ${to.reuseDetected}, revoked ${to.revokedFamilies}`;
  assert.equal(to.reuseDetected, 0, `no tab presented a rotated-out refresh token (${seen})`);
  assert.equal(to.revokedFamilies, 0, `no token family was revoked (${seen})`);
  // 50 ms for timer rounding; a second refresh after a rotation shows tokens tens of ms old.
  const young = ages.filter((age) => age < quarter - 50);
  assert.deepEqual(young, [], `every rotated token had lived ${quarter} ms or more (${seen})`);
  assert.ok(refreshes <= Math.floor(elapsed / quarter) + 1, `at most one refresh per ${quarter} ms (${seen})`);
  const fromBody = to.refreshesFromBody - from.refreshesFromBody;
  assert.equal(fromBody, refreshToken === "body" ? refreshes : 0, `refresh tokens presented where the mode puts them, ${refreshToken === "body" ? "in the body" : "in the cookie"} (${seen})`);
  return refreshes;
}

/** The refresh token never reached the browser's cookie jar (it lived in the SDK's memory). */
export async function assertNoRefreshCookie(browser) {
  const names = (await browser.context.cookies()).map((c) => c.name);
  assert.ok(!names.includes("refresh_token"), `cookies: ${names.join(", ")}`);
}

/**
 * A page of the backend's origin running the SDK itself (not the demo) with
 * `options` and the demo's bearer endpoints (or, with `options.cookieSession`,
 * `cookieSession(options.cookieSession)`); `window.session` is the Session,
 * `window.events` what it emitted, `window.signIn(user)` logs in and calls
 * `start()`. `before` ({ script, arg }) runs in the page before the SDK loads.
 */
export async function sdkPage(browser, server, options, before) {
  const page = await browser.blankPage();
  page.on("pageerror", (e) => browser.errors.push(`pageerror: ${e.message}`));
  if (before) await page.addInitScript(before.script, before.arg);
  await page.goto(server.url + "demo/config");
  await page.evaluate(async (options) => {
    const sdk = await import("/pkg/wasm_session.js");
    await sdk.default();
    window.events = [];
    const { cookieSession, ...rest } = options;
    window.session = new sdk.Session({
      ...(cookieSession
        ? sdk.cookieSession(cookieSession)
        : { endpoints: { refresh: "/auth/refresh", logout: "/auth/logout", session: { url: "/auth/session", method: "GET" } } }),
      credentials: "same-origin",
      ...rest,
    });
    window.session.onAny((e) => window.events.push(e));
    window.signIn = async (username) => {
      const res = await fetch("/auth/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username, password: username }),
      });
      window.session.start(await res.json());
      return window.session.accessToken;
    };
    window.session.resume();
  }, { ...LONG, ...options });
  return page;
}
