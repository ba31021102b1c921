// Faults in real Chromium tabs against the reference backend: missing browser
// APIs, a tab dying while it holds the refresh lock, competing logins, a
// flapping network and a server whose clock is off by an hour.
//
// No assertion depends on how fast the machine is: conditions are waited for
// with generous timeouts, and counts over a time window use ranges.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stateOf, waitForState, signIn, stats, waitForStats, loggedEvents, withBackend, LONG, openTabs } from "./harness.mjs";

const REFRESH = "**/auth/refresh";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or an error after `ms` (the timer does not outlive the test). */
function within(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Calls /api/profile through the SDK (#btn-profile) and resolves with the output text once it is HTTP 200. */
async function profile(page) {
  await page.click("#btn-profile");
  await page.waitForFunction(() => /HTTP 200/.test(document.querySelector("#action-output")?.textContent ?? ""), null, { timeout: 30_000 });
  return page.textContent("#action-output");
}

/** No token family was harmed: no rotated-out refresh token came back, nothing was revoked. */
function assertNoReuse(s) {
  assert.equal(s.reuseDetected, 0, "no tab presented a rotated-out refresh token");
  assert.equal(s.revokedFamilies, 0, "no token family was revoked");
}

test("no BroadcastChannel: tabs join and log out over the storage fallback, without an error event", async () => {
  await withBackend({ accessTtl: "60s" }, LONG, async (server, browser) => {
    await browser.context.addInitScript(() => { delete window.BroadcastChannel; });
    const first = await browser.newPage(server.url);
    assert.equal(await first.evaluate(() => typeof window.BroadcastChannel), "undefined", "BroadcastChannel is really gone");
    await signIn(first);
    const before = await stats(server);
    const second = await browser.newPage(server.url);
    assert.equal(await second.evaluate(() => typeof window.BroadcastChannel), "undefined");
    await waitForState(second, "active"); // without signing in
    // Tab 2 joins from tab 1's answer, or, when its session check answers first (storage events reach a
    // new tab late), starts and tab 1 joins it as the later login: one session either way (the logout
    // below reaches both). The storage channel carries no tokens, so a tab without one refreshes once.
    assert.equal((await loggedEvents(second, "started")).length, 1, "tab 2 started once");
    const refreshed = await waitForStats(server, (s) => s.refreshes > before.refreshes);
    assert.ok(refreshed.refreshes <= before.refreshes + 2, "at most one refresh per tab");
    await second.click("#btn-logout");
    await waitForState(second, "loggedOut");
    await waitForState(first, "loggedOut");
    assert.match(await first.textContent("#end-reason"), /another tab/i);
    // The storage fallback works, so the SDK must not report channel_unavailable (or anything else).
    for (const tab of [first, second]) assert.deepEqual(await loggedEvents(tab, "error"), [], "no SDK error event");
    assert.deepEqual(browser.errors, [], "no console errors");
  });
});

test("no Web Locks: 5 tabs on 2 s tokens still refresh once per cycle and never reuse a refresh token", async () => {
  await withBackend({ accessTtl: "2s" }, LONG, async (server, browser) => {
    await browser.context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, "locks", { get: () => undefined, configurable: true });
    });
    const first = await browser.newPage(server.url);
    assert.equal(await first.evaluate(() => navigator.locks), undefined, "navigator.locks is really gone");
    await signIn(first);
    const tabs = [first, ...(await openTabs(browser, server.url, 4))];
    const start = await stats(server);
    // Two-second tokens are refreshed about once a second: ten cycles.
    await sleep(10_000);
    const end = await stats(server);
    const refreshes = end.refreshes - start.refreshes;
    const states = await Promise.all(tabs.map(stateOf));
    const seen = `refreshes ${refreshes}, reuse ${end.reuseDetected}, revoked ${end.revokedFamilies}, states ${states}`;
    assert.equal(end.reuseDetected, 0, `no tab presented a rotated-out refresh token (${seen})`);
    assert.equal(end.revokedFamilies, 0, `no token family was revoked (${seen})`);
    assert.deepEqual(states, tabs.map(() => "active"), seen);
    assert.ok(refreshes >= 7 && refreshes <= 14, `about one refresh per second for all 5 tabs (${seen})`);
    await profile(tabs[4]);
  });
});

test("a tab closed while its refresh request is in flight: another tab takes the lock and refreshes", async () => {
  await withBackend({ accessTtl: "2s" }, LONG, async (server, browser) => {
    const first = await browser.newPage(server.url);
    await signIn(first);
    const tabs = [first, ...(await openTabs(browser, server.url, 3))];
    // Once armed, the first refresh request from any tab never gets an
    // answer: that tab holds the refresh lock until it goes away.
    let armed = false;
    let holder = null;
    let onHeld;
    const held = new Promise((resolve) => { onHeld = resolve; });
    for (const tab of tabs) {
      await tab.route(REFRESH, (route) => {
        if (armed && !holder) {
          holder = tab;
          onHeld();
          return; // never continued, never fulfilled
        }
        return route.continue();
      });
    }
    armed = true;
    await within(held, 30_000, "no refresh request within 30 s");
    const atHold = await stats(server);
    // While the lock is held, the other tabs wait for it instead of refreshing.
    await sleep(1_500);
    assert.equal((await stats(server)).refreshes, atHold.refreshes, "nobody refreshed while the holder was alive");
    await holder.close({ runBeforeUnload: false });
    const rest = tabs.filter((tab) => tab !== holder);
    const after = await waitForStats(server, (s) => s.refreshes > atHold.refreshes, 30_000);
    // A few more cycles: the session goes on normally without the closed tab.
    await waitForStats(server, (s) => s.refreshes >= after.refreshes + 3, 30_000);
    for (const tab of rest) assert.equal(await stateOf(tab), "active");
    assertNoReuse(await stats(server));
    await profile(rest[rest.length - 1]);
  });
});

test("two tabs sign in as different users: the later login (bob) wins in both, and tab 1 is told", async () => {
  await withBackend({ accessTtl: "60s" }, LONG, async (server, browser) => {
    const first = await browser.newPage(server.url);
    const second = await browser.newPage(server.url);
    await signIn(first, "alice");
    await waitForState(second, "active"); // joined alice's session
    assert.match(await profile(second), /"user": "alice"/);
    // Tab 2 signs in as bob while alice's session is live (the demo hides the
    // form then, so submit it directly, as an app's "switch account" would).
    await second.evaluate(() => {
      document.querySelector("#login-username").value = "bob";
      document.querySelector("#login-password").value = "bob";
      document.querySelector("#login-form").requestSubmit();
    });
    await second.waitForFunction(() => /Signed in as bob/.test(document.querySelector("#session-summary").textContent));
    await first.waitForFunction(() => /Signed in as bob/.test(document.querySelector("#session-summary").textContent));
    for (const tab of [first, second]) assert.equal(await stateOf(tab), "active");
    // Tab 1 adopted bob's session from tab 2: a replacing start from another tab.
    await first.waitForFunction(() => document.querySelectorAll('#event-log li.log-event[data-type="started"]').length >= 2);
    const firstStarts = await loggedEvents(first, "started");
    assert.deepEqual(firstStarts, [{ origin: "local", replaced: "false" }, { origin: "otherTab", replaced: "true" }]);
    const secondStarts = await loggedEvents(second, "started");
    assert.deepEqual(secondStarts, [{ origin: "otherTab", replaced: "false" }, { origin: "local", replaced: "true" }]);
    // Tab 1's API calls now carry bob's token.
    assert.match(await profile(first), /"user": "bob"/);
    assert.equal(await stateOf(first), "active");
    assert.deepEqual(browser.errors, []);
  });
});

test("offline/online flapping: the session survives in every tab and refreshes resume, without a burst", async () => {
  await withBackend({ accessTtl: "2s" }, LONG, async (server, browser) => {
    const first = await browser.newPage(server.url);
    await signIn(first);
    const tabs = [first, ...(await openTabs(browser, server.url, 2))];
    let attempts = 0;
    browser.context.on("request", (request) => { if (request.url().endsWith("/auth/refresh")) attempts++; });
    const start = await stats(server);
    const attemptsAtStart = attempts;
    // Ten toggles, 300 ms apart: offline, online, offline … online.
    for (let i = 0; i < 10; i++) {
      await browser.context.setOffline(i % 2 === 0);
      await sleep(300);
    }
    const flapped = await stats(server);
    const flapAttempts = attempts - attemptsAtStart;
    for (const tab of tabs) assert.equal(await stateOf(tab), "active", "a flapping network does not log the user out");
    // About 3 s of flapping on one-second refresh cycles: a handful at most, not one per toggle per tab.
    assert.ok(flapped.refreshes - start.refreshes <= 6, `refreshes while flapping: ${flapped.refreshes - start.refreshes}`);
    assert.ok(flapAttempts <= 10, `refresh requests (incl. failed) while flapping: ${flapAttempts}`);
    const resumed = await waitForStats(server, (s) => s.refreshes >= flapped.refreshes + 3, 15_000);
    for (const tab of tabs) assert.equal(await stateOf(tab), "active");
    assertNoReuse(resumed);
    await profile(tabs[2]);
  });
});

/**
 * Makes the refresh endpoint answer like a server whose clock is `skewMs` off:
 * its `Date` header is shifted, and with `absolute`, the expiry is sent as an
 * absolute `expires_at` on the server's clock instead of a relative `expires_in`.
 */
async function skewRefreshes(context, skewMs, absolute) {
  await context.route(REFRESH, async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers(), date: new Date(Date.now() + skewMs).toUTCString() };
    if (!absolute || !response.ok()) return route.fulfill({ response, headers });
    const body = await response.json();
    const claims = JSON.parse(Buffer.from(body.access_token.split(".")[1], "base64url").toString());
    delete body.expires_in;
    body.expires_at = claims.exp + skewMs / 1000; // epoch seconds, server clock
    delete headers["content-length"];
    return route.fulfill({ response, headers, body: JSON.stringify(body) });
  });
}

/** One skewed backend and browser: refresh cadence and the expiry the client computed. */
async function skewedSession(skewMs, absolute) {
  await withBackend({ accessTtl: "10s" }, LONG, async (server, browser) => {
    const label = `skew ${skewMs / 3_600_000} h, ${absolute ? "expires_at" : "expires_in"}`;
    await skewRefreshes(browser.context, skewMs, absolute);
    const page = await browser.newPage(server.url);
    await signIn(page);
    const start = await stats(server);
    // 10 s tokens are refreshed 2.5–5 s after they arrive: 14 s is three to five cycles.
    await sleep(14_000);
    const end = await stats(server);
    const refreshes = end.refreshes - start.refreshes;
    assert.ok(refreshes >= 2 && refreshes <= 7, `${label}: about one refresh per 2.5–5 s, got ${refreshes}`);
    assert.equal(await stateOf(page), "active", label);
    assertNoReuse(end);
    // Every refreshed token was seen to expire about one lifetime (10 s) after it arrived, not an hour off.
    const refreshed = (await loggedEvents(page, "refreshed")).filter((e) => e.origin === "local");
    assert.ok(refreshed.length >= 2, `${label}: refreshed events logged`);
    for (const e of refreshed) {
      const ahead = e.expiresAt.match(/\(\+(\d+(?:\.\d+)?) s\)$/);
      assert.ok(ahead && +ahead[1] >= 8 && +ahead[1] <= 12, `${label}: expiresAt ${e.expiresAt} is about 10 s ahead`);
    }
    assert.match(await profile(page), /"user": "alice"/);
  });
}

for (const skewMs of [3_600_000, -3_600_000]) {
  test(`server clock ${skewMs > 0 ? "+" : "−"}1 h: refreshes keep their cadence (Date header, expires_in or expires_at)`, async () => {
    await Promise.all([skewedSession(skewMs, false), skewedSession(skewMs, true)]);
  });
}
