// Cross-tab promises in real Chromium tabs against the reference backend
// (a first part of issue 6's scenarios).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  stateOf, waitForState, signIn, stats, withBackend, LONG, openTabs, profile,
  REFRESH_TOKEN_PLACES, signedInTabs, waitForRotations, assertSingleFlight, assertNoRefreshCookie,
} from "./harness.mjs";

test("logout in tab 1 reaches tabs 2..5, each with reason otherTab", async () => {
  await withBackend({}, LONG, async (server, browser) => {
    const first = await browser.newPage(server.url);
    await signIn(first);
    const others = await openTabs(browser, server.url, 4);
    await first.click("#btn-logout");
    for (const tab of others) {
      await waitForState(tab, "loggedOut");
      assert.match(await tab.textContent("#end-reason"), /another tab/i);
    }
    assert.deepEqual(browser.errors, []);
  });
});

// The refresh token rides in an HttpOnly cookie, or in JSON bodies: then the SDK
// holds it in memory, and a tab that presented a rotated-out one (a late
// hand-over) would get the whole family revoked by the backend.
for (const refreshToken of REFRESH_TOKEN_PLACES) {
  test(`rotation race, refresh token in ${refreshToken === "body" ? "memory (body)" : "a cookie"}: 10 tabs, one refresh per cycle, no family revoked`, async () => {
    await withBackend({ accessTtl: "2s", refreshToken }, LONG, async (server, browser) => {
      const tabs = await signedInTabs(browser, server.url, 10);
      assert.equal(await tabs[0].getAttribute("#mode", "data-refresh-token"), refreshToken, "the demo follows the backend");
      const start = await stats(server);
      // Two-second tokens are refreshed every 0.5–1.5 s: a dozen rotations.
      const end = await waitForRotations(server, start, 12);
      assertSingleFlight(start, end, { lifetimeMs: 2_000, refreshToken });
      assert.deepEqual(await Promise.all(tabs.map(stateOf)), tabs.map(() => "active"));
      // Every tab holds a token the server takes.
      for (const tab of tabs) assert.match(await profile(tab), /"user": "alice"/);
      assertSingleFlight(start, await stats(server), { lifetimeMs: 2_000, refreshToken });
      if (refreshToken === "body") await assertNoRefreshCookie(browser);
    });
  });
}

test("a new tab opened mid-session learns the state without a refresh request", async () => {
  await withBackend({ accessTtl: "60s" }, LONG, async (server, browser) => {
    const first = await browser.newPage(server.url);
    await signIn(first);
    const before = await stats(server);
    const late = await browser.newPage(server.url);
    await waitForState(late, "active");
    await profile(late);
    const after = await stats(server);
    assert.equal(after.refreshes - before.refreshes, 0, "joined over the channel, used the shared token");
  });
});

test("force logout on the server ends every tab as revoked at the next refresh", async () => {
  await withBackend({ accessTtl: "2s" }, LONG, async (server, browser) => {
    const first = await browser.newPage(server.url);
    await signIn(first);
    const tabs = [first, ...(await openTabs(browser, server.url, 2))];
    await first.click("#btn-logout-all");
    for (const tab of tabs) {
      await waitForState(tab, "loggedOut", 30_000);
      assert.match(await tab.textContent("#end-reason"), /revoked/i, "every tab says the server revoked it");
    }
  });
});
