// Faults in real Chromium tabs against the reference backend: missing browser
// APIs, a tab dying while it holds the refresh lock, competing logins, a
// flapping network and a server whose clock is off by an hour.
//
// No assertion depends on how fast the machine is: conditions are waited for
// with generous timeouts, and a count over a stretch of time is bounded by the
// time that really elapsed (see assertSingleFlight in the harness). The races
// for the refresh lock run with the refresh token in a cookie and in memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import {
  stateOf, waitForState, signIn, stats, waitForStats, loggedEvents, withBackend, LONG, profile,
  REFRESH_TOKEN_PLACES, signedInTabs, waitForRotations, assertSingleFlight, assertNoRefreshCookie,
} from "./harness.mjs";

const REFRESH = "**/auth/refresh";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or an error after `ms` (the timer does not outlive the test). */
function within(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** No token family was harmed: no rotated-out refresh token came back, nothing was revoked. */
function assertNoReuse(s) {
  assert.equal(s.reuseDetected, 0, "no tab presented a rotated-out refresh token");
  assert.equal(s.revokedFamilies, 0, "no token family was revoked");
}

/**
 * A server that accepts connections and reads requests but never answers;
 * `close()` drops them. It never keeps the test process alive.
 */
async function blackHole() {
  const sockets = new Set();
  let requests = 0;
  const hole = net.createServer((socket) => {
    socket.unref();
    sockets.add(socket);
    socket.on("data", (chunk) => { if (/^POST /.test(chunk.toString("latin1"))) requests++; });
    socket.on("error", () => {});
  });
  hole.listen(0, "127.0.0.1");
  await once(hole, "listening");
  hole.unref();
  return {
    url: `http://127.0.0.1:${hole.address().port}/`,
    requests: () => requests,
    close: () => { for (const socket of sockets) socket.destroy(); hole.close(); },
  };
}

const where = (refreshToken) => (refreshToken === "body" ? "refresh token in memory" : "refresh token in a cookie");

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

for (const refreshToken of REFRESH_TOKEN_PLACES) {
  test(`no Web Locks, ${where(refreshToken)}: 5 tabs on 2 s tokens still refresh once per cycle and never reuse a refresh token`, async () => {
    await withBackend({ accessTtl: "2s", refreshToken }, LONG, async (server, browser) => {
      await browser.context.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, "locks", { get: () => undefined, configurable: true });
      });
      const tabs = await signedInTabs(browser, server.url, 5);
      assert.equal(await tabs[0].evaluate(() => navigator.locks), undefined, "navigator.locks is really gone");
      const start = await stats(server);
      // Refreshed every 0.5–1.5 s: ten rotations.
      const end = await waitForRotations(server, start, 10);
      assertSingleFlight(start, end, { lifetimeMs: 2_000, refreshToken });
      assert.deepEqual(await Promise.all(tabs.map(stateOf)), tabs.map(() => "active"));
      await profile(tabs[4]);
      if (refreshToken === "body") await assertNoRefreshCookie(browser);
    });
  });
}

for (const refreshToken of REFRESH_TOKEN_PLACES) {
  test(`a tab closed while its refresh request is in flight, ${where(refreshToken)}: another tab takes the lock and refreshes`, async () => {
    await withBackend({ accessTtl: "2s", refreshToken }, LONG, async (server, browser) => {
      const tabs = await signedInTabs(browser, server.url, 4);
      // Once armed, the first refresh request from any tab goes to a server
      // that never answers: that tab holds the refresh lock until it goes
      // away, and the backend never sees the request. (A request merely left
      // paused in the route would be let through when its page closes.)
      const silent = await blackHole();
      let armed = false;
      let holder = null;
      let onHeld;
      const held = new Promise((resolve) => { onHeld = resolve; });
      for (const tab of tabs) {
        await tab.route(REFRESH, (route) => {
          if (armed && !holder) {
            holder = tab;
            onHeld();
            return route.continue({ url: silent.url + "auth/refresh" });
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
      // Another tab refreshes, and a few more cycles: the session goes on without the closed tab.
      const end = await waitForRotations(server, atHold, 4);
      assertSingleFlight(atHold, end, { lifetimeMs: 2_000, refreshToken });
      for (const tab of rest) assert.equal(await stateOf(tab), "active");
      await profile(rest[rest.length - 1]);
      assertNoReuse(await stats(server));
      assert.equal(silent.requests(), 1, "the holder's request was in flight, to the silent server");
      silent.close();
    });
  });
}

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
    const tabs = await signedInTabs(browser, server.url, 3);
    let attempts = 0;
    browser.context.on("request", (request) => { if (request.url().endsWith("/auth/refresh")) attempts++; });
    const start = await stats(server);
    const attemptsAtStart = attempts;
    // Ten toggles, 300 ms apart: offline, online, offline … online.
    const offlineSpells = 5;
    for (let i = 0; i < 2 * offlineSpells; i++) {
      await browser.context.setOffline(i % 2 === 0);
      await sleep(300);
    }
    const flapped = await stats(server);
    const flapAttempts = attempts - attemptsAtStart;
    for (const tab of tabs) assert.equal(await stateOf(tab), "active", "a flapping network does not log the user out");
    // Nothing is sent while offline, so a spell costs at most the one request in
    // flight when it began (and one request may straddle the start), not one per
    // toggle per tab.
    const refreshes = assertSingleFlight(start, flapped, { lifetimeMs: 2_000, label: "while flapping" });
    assert.ok(flapAttempts <= refreshes + offlineSpells + 1, `refresh requests (incl. failed) while flapping: ${flapAttempts}, refreshes ${refreshes}`);
    const resumed = await waitForRotations(server, flapped, 3);
    for (const tab of tabs) assert.equal(await stateOf(tab), "active");
    assertSingleFlight(start, resumed, { lifetimeMs: 2_000, label: "flapping, then back online" });
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
    // 10 s tokens are refreshed 2.5–5 s after they arrive: three cycles. An
    // expiry read an hour off would refresh at once, again and again (tokens
    // rotated young), or not for an hour (no third refresh).
    const end = await waitForRotations(server, start, 3);
    // Read through the `Date` header (whole seconds), the lifetime seen is 8–12 s.
    assertSingleFlight(start, end, { lifetimeMs: 8_000, label });
    assert.equal(await stateOf(page), "active", label);
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
