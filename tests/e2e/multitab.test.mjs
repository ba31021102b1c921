// Cross-tab promises in real Chromium tabs against the reference backend
// (a first part of issue 6's scenarios).
import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, openBrowser, stateOf, waitForState } from "./harness.mjs";

async function signIn(page) {
  await page.fill("#login-username", "alice");
  await page.fill("#login-password", "alice");
  await page.click("#login-submit");
  await waitForState(page, "active");
}

async function stats(server) {
  return (await fetch(server.url + "debug/stats")).json();
}

async function openTabs(browser, url, count) {
  const tabs = [];
  for (let i = 0; i < count; i++) {
    const tab = await browser.newPage(url);
    await waitForState(tab, "active");
    tabs.push(tab);
  }
  return tabs;
}

test("logout in tab 1 reaches tabs 2..5, each with reason otherTab", async () => {
  const server = await startServer();
  const browser = await openBrowser({ idleTimeoutMs: 600_000, warnBeforeMs: 60_000, absoluteTimeoutMs: 3_600_000 });
  try {
    const first = await browser.newPage(server.url);
    await signIn(first);
    const others = await openTabs(browser, server.url, 4);
    await first.click("#btn-logout");
    for (const tab of others) {
      await waitForState(tab, "loggedOut");
      assert.match(await tab.textContent("#end-reason"), /another tab/i);
    }
    assert.deepEqual(browser.errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test("rotation race: 10 tabs, one refresh per cycle, no token family revoked", async () => {
  const server = await startServer({ accessTtl: "2s" });
  const browser = await openBrowser({ idleTimeoutMs: 600_000, warnBeforeMs: 60_000, absoluteTimeoutMs: 3_600_000 });
  try {
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
  } finally {
    await browser.close();
    await server.stop();
  }
});

test("a new tab opened mid-session learns the state without a refresh request", async () => {
  const server = await startServer({ accessTtl: "60s" });
  const browser = await openBrowser({ idleTimeoutMs: 600_000, warnBeforeMs: 60_000, absoluteTimeoutMs: 3_600_000 });
  try {
    const first = await browser.newPage(server.url);
    await signIn(first);
    const before = await stats(server);
    const late = await browser.newPage(server.url);
    await waitForState(late, "active");
    await late.click("#btn-profile");
    await late.waitForFunction(() => /HTTP 200/.test(document.querySelector("#action-output")?.textContent ?? ""));
    const after = await stats(server);
    assert.equal(after.refreshes - before.refreshes, 0, "joined over the channel, used the shared token");
  } finally {
    await browser.close();
    await server.stop();
  }
});

test("force logout on the server ends every tab as revoked at the next refresh", async () => {
  const server = await startServer({ accessTtl: "2s" });
  const browser = await openBrowser({ idleTimeoutMs: 600_000, warnBeforeMs: 60_000, absoluteTimeoutMs: 3_600_000 });
  try {
    const first = await browser.newPage(server.url);
    await signIn(first);
    const tabs = [first, ...(await openTabs(browser, server.url, 2))];
    await first.click("#btn-logout-all");
    for (const tab of tabs) {
      await waitForState(tab, "loggedOut", 15_000);
      assert.match(await tab.textContent("#end-reason"), /revoked/i, "every tab says the server revoked it");
    }
  } finally {
    await browser.close();
    await server.stop();
  }
});
