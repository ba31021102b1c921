// Issue 14 in real Chromium tabs against the reference backend: one keepalive
// for every tab, the server's idle deadline when it is earlier than the
// client's, and remember me across a browser restart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, loggedEvents, signIn, startServer, stateOf, stats, waitForState, withBackend, LONG } from "./harness.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("cookie mode, three tabs, activity hopping between them: at most one keepalive per interval for all", async () => {
  const interval = 2_000;
  await withBackend({ mode: "cookie" }, { ...LONG, keepaliveEveryMs: interval }, async (server, browser) => {
    const first = await browser.newPage(server.url);
    await signIn(first);
    const tabs = [first];
    for (let i = 0; i < 2; i++) {
      const tab = await browser.newPage(server.url);
      await waitForState(tab, "active");
      tabs.push(tab);
    }
    const start = await stats(server);
    // The user moves to the next tab every second, for 12 s.
    for (let second = 0; second < 12; second++) {
      await tabs[second % 3].mouse.move(100 + (second % 2) * 40, 200);
      await sleep(1_000);
    }
    const end = await stats(server);
    const sent = end.keepalives - start.keepalives;
    const elapsed = end.answeredAt - start.askedAt;
    const most = Math.ceil(elapsed / interval) + 1;
    const seen = `${sent} keepalives in ${elapsed} ms, gaps ${end.keepaliveGapsMs.slice(-sent).join(" ")} ms`;
    assert.ok(sent >= 2 && sent <= most, `at most ⌈${elapsed}/${interval}⌉ + 1 = ${most} for the whole browser (${seen})`);
    // A few hundred ms for the requests' own travel.
    assert.deepEqual(end.keepaliveGapsMs.slice(-sent + 1).filter((gap) => gap < interval - 500), [], seen);
    for (const tab of tabs) assert.equal(await stateOf(tab), "active");
  });
});

test("a server idle timeout shorter than the client's ends every tab on the server's deadline, after the warning", async () => {
  const settings = { idleTimeoutMs: 120_000, warnBeforeMs: 4_000, absoluteTimeoutMs: 600_000, keepaliveEveryMs: 2_000 };
  await withBackend({ mode: "cookie", idleTimeout: "10s" }, settings, async (server, browser) => {
    const a = await browser.newPage(server.url);
    await signIn(a);
    const b = await browser.newPage(server.url); // joins, and asks /auth/session: the server's deadlines
    await waitForState(b, "active");
    await a.mouse.move(120, 200); // one keepalive reports it; then nobody moves
    const moved = Date.now();
    for (const tab of [a, b]) await waitForState(tab, "warning", 20_000);
    for (const tab of [a, b]) await waitForState(tab, "expired", 20_000);
    const ended = Date.now() - moved;
    assert.ok(ended < 30_000, `ended on the server's 10 s idle timeout, not the client's 120 s (after ${ended} ms)`);
    for (const tab of [a, b]) {
      const warnings = await loggedEvents(tab, "warning");
      const expired = await loggedEvents(tab, "expired");
      assert.equal(warnings.at(-1)?.cause, "idle");
      assert.equal(expired.at(-1)?.reason, "idle");
    }
    const check = await (await fetch(server.url + "auth/session")).json();
    assert.equal(check.signedIn, false);
  });
});

test("a lone tab whose user signs in and walks away ends on the server's shorter idle deadline, after the warning", async () => {
  const settings = { idleTimeoutMs: 120_000, warnBeforeMs: 4_000, absoluteTimeoutMs: 600_000 };
  await withBackend({ mode: "cookie", idleTimeout: "8s" }, settings, async (server, browser) => {
    const page = await browser.newPage(server.url);
    const signedIn = Date.now();
    await signIn(page); // the login answer's idleExpiresAt is all the tab hears
    await waitForState(page, "warning", 20_000);
    await waitForState(page, "expired", 20_000);
    const ended = Date.now() - signedIn;
    assert.ok(ended < 30_000, `ended on the server's 8 s idle timeout, not the client's 120 s (after ${ended} ms)`);
    assert.equal((await loggedEvents(page, "expired")).at(-1)?.reason, "idle");
  });
});

/** A browser with a profile on disk (cookies persist across restarts when they have a Max-Age). */
async function launchProfile(dir, settings) {
  const context = await chromium.launchPersistentContext(dir, { executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  await context.addInitScript((s) => {
    if (!localStorage.getItem("wasm-session-demo:settings")) localStorage.setItem("wasm-session-demo:settings", s);
  }, JSON.stringify(settings));
  return context;
}

for (const [mode, remember] of [["cookie", true], ["cookie", false], ["bearer", true], ["bearer", false]]) {
  test(`${mode} mode: a session ${remember ? "with" : "without"} remember me ${remember ? "survives" : "does not survive"} closing the browser`, async () => {
    const server = await startServer({ mode });
    const dir = await mkdtemp(join(tmpdir(), "wasm-session-profile-"));
    try {
      let context = await launchProfile(dir, LONG);
      const page = await context.newPage();
      await page.goto(server.url);
      if (remember) await page.check("#login-remember");
      await signIn(page);
      await context.close(); // every tab, and the browser: session cookies go

      context = await launchProfile(dir, LONG);
      const again = await context.newPage();
      await again.goto(server.url); // the demo calls resume() at start
      if (remember) {
        await waitForState(again, "active");
        await again.click("#btn-security");
        const report = await again.textContent("#action-output");
        assert.match(report, /remember_me/, "the security report states the trade-off");
      } else {
        await sleep(2_000);
        assert.equal(await stateOf(again), "anonymous", "closing every tab ended the session");
      }
      await context.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
      await server.stop();
    }
  });
}
