// Cross-tab promises in real Chromium tabs against the reference backend
// (a first part of issue 6's scenarios).
import { test } from "node:test";
import assert from "node:assert/strict";
import { stateOf, waitForState, signIn, stats, withBackend, LONG, openTabs } from "./harness.mjs";

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

test("rotation race: 10 tabs, one refresh per cycle, no token family revoked", async () => {
  await withBackend({ accessTtl: "2s" }, LONG, async (server, browser) => {
    const first = await browser.newPage(server.url);
    await signIn(first);
    const tabs = [first, ...(await openTabs(browser, server.url, 9))];
    const start = await stats(server);
    // Two-second tokens are refreshed about once a second: run 12 cycles.
    await tabs[0].waitForTimeout(12_000);
    const end = await stats(server);
    const refreshes = end.refreshes - start.refreshes;
    assert.equal(end.reuseDetected, 0, "no tab presented a rotated-out refresh token");
    assert.equal(end.revokedFamilies, 0, "no token family was revoked");
    assert.ok(refreshes >= 10 && refreshes <= 16, `about one refresh per second for all 10 tabs, got ${refreshes}`);
    for (const tab of tabs) assert.equal(await stateOf(tab), "active");
    await tabs[9].click("#btn-profile");
    await tabs[9].waitForFunction(() => /HTTP 200/.test(document.querySelector("#action-output")?.textContent ?? ""));
  });
});

test("a new tab opened mid-session learns the state without a refresh request", async () => {
  await withBackend({ accessTtl: "60s" }, LONG, async (server, browser) => {
    const first = await browser.newPage(server.url);
    await signIn(first);
    const before = await stats(server);
    const late = await browser.newPage(server.url);
    await waitForState(late, "active");
    await late.click("#btn-profile");
    await late.waitForFunction(() => /HTTP 200/.test(document.querySelector("#action-output")?.textContent ?? ""));
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
      await waitForState(tab, "loggedOut", 15_000);
      assert.match(await tab.textContent("#end-reason"), /revoked/i, "every tab says the server revoked it");
    }
  });
});
