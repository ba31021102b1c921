// Timing across tabs, sleep and the network, in real Chromium tabs. Stretches
// of time are measured, not assumed: a loaded machine makes them longer, and
// the bounds follow.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stateOf, waitForState, signIn, stats, waitForStats, withBackend, LONG } from "./harness.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Moves the mouse in `page` every 500 ms until `ms` have passed; resolves with the time of the last move. */
async function keepMoving(page, ms) {
  const until = Date.now() + ms;
  let step = 0;
  let last = Date.now();
  while (Date.now() < until) {
    await page.mouse.move(100 + (step++ % 2) * 50, 200);
    last = Date.now();
    await page.waitForTimeout(500);
  }
  return last;
}

test("activity in tab 1 keeps tabs 2..5 from warning or expiring past their idle timeout", async () => {
  await withBackend({}, { idleTimeoutMs: 10_000, warnBeforeMs: 3_000, absoluteTimeoutMs: 600_000 }, async (server, browser) => {
    const active = await browser.newPage(server.url);
    await signIn(active);
    const others = [];
    for (let i = 0; i < 4; i++) {
      const tab = await browser.newPage(server.url);
      await waitForState(tab, "active");
      others.push(tab);
    }
    const warned = [];
    for (const [i, tab] of others.entries()) {
      await tab.exposeFunction("__warned", () => warned.push(i));
      await tab.evaluate(() => document.querySelector("#warning-dialog").addEventListener("open", () => window.__warned()));
    }
    // 14 s of activity in tab 1 only: longer than the 10 s idle timeout.
    await keepMoving(active, 14_000);
    for (const tab of others) assert.equal(await stateOf(tab), "active");
    assert.deepEqual(warned, [], "no other tab showed the warning");
  });
});

test("offline during refresh: the session stays, refreshes when back online; logout offline still reaches every tab", async () => {
  await withBackend({ accessTtl: "2s" }, LONG, async (server, browser) => {
    const a = await browser.newPage(server.url);
    await signIn(a);
    const b = await browser.newPage(server.url);
    await waitForState(b, "active");
    const offline = { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 };
    const online = { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 };
    const cdps = [await a.context().newCDPSession(a), await b.context().newCDPSession(b)];
    for (const cdp of cdps) await cdp.send("Network.emulateNetworkConditions", offline);
    await a.waitForTimeout(5_000); // two token lifetimes without network
    assert.equal(await stateOf(a), "active", "a network outage does not log the user out");
    assert.equal(await stateOf(b), "active");
    const before = await stats(server);
    for (const cdp of cdps) await cdp.send("Network.emulateNetworkConditions", online);
    const after = await waitForStats(server, (s) => s.refreshes > before.refreshes); // refreshed once back online
    assert.equal(after.reuseDetected, 0);
    for (const cdp of cdps) await cdp.send("Network.emulateNetworkConditions", offline);
    await a.click("#btn-logout");
    await waitForState(a, "loggedOut");
    await waitForState(b, "loggedOut");
  });
});

test("cookie mode: keepalives while active, at most one per interval, none while idle", async () => {
  await withBackend({ mode: "cookie" }, LONG, async (server, browser) => {
    const page = await browser.newPage(server.url);
    await signIn(page);
    const interval = 10_000; // the demo's keepaliveEveryMs
    const start = await stats(server);
    // 22 s of activity: two or three keepalives, never two within an interval.
    const lastMove = await keepMoving(page, 22_000);
    const active = await stats(server);
    const sent = active.keepalives - start.keepalives;
    const elapsed = active.answeredAt - start.askedAt;
    const gaps = active.keepaliveGapsMs;
    const seen = `${sent} keepalives in ${elapsed} ms, gaps ${gaps.join(" ")} ms`;
    assert.ok(sent >= 1 && sent <= Math.floor(elapsed / interval) + 1, `one keepalive per ${interval} ms of activity (${seen})`);
    // A few hundred ms for the requests' own travel.
    assert.deepEqual(gaps.filter((gap) => gap < interval - 500), [], `keepalives at least ${interval} ms apart (${seen})`);
    // Going idle: activity since the last keepalive is reported once, at the
    // next interval; after that, nothing, however long the wait.
    await sleep(Math.max(0, lastMove + 2 * interval + 2_000 - Date.now()));
    const idle = await stats(server);
    assert.ok(idle.keepalives - active.keepalives <= 1, `at most the one that reports the last activity, got ${idle.keepalives - active.keepalives}`);
    assert.deepEqual(idle.keepaliveGapsMs.filter((gap) => gap < interval - 500), [], `keepalives at least ${interval} ms apart`);
    assert.equal(await stateOf(page), "active");
  });
});
