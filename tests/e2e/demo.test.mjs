// The demo page against the reference backend, in real Chromium tabs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, openBrowser, stateOf, waitForState, signIn } from "./harness.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ mode: "bearer" });
  // Short client lifetimes so the warning shows within seconds.
  browser = await openBrowser({ idleTimeoutMs: 8_000, warnBeforeMs: 6_000, absoluteTimeoutMs: 600_000 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("the page is served and loads the package without console errors", async () => {
  const html = await (await fetch(server.url)).text();
  assert.match(html, /<script type="importmap">/);
  const page = await browser.newPage(server.url);
  await page.waitForSelector("#login-section:not([hidden])");
  assert.equal(await stateOf(page), "anonymous");
  assert.match(await page.textContent("#tab-id"), /^[0-9a-f]{8}$/);
  // The demo's setup on localhost has nothing for the security report to name.
  await page.click("#btn-security");
  assert.match(await page.textContent("#action-output-title"), /securityReport\(\): 0 finding/);
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test("logout in one tab logs out the other", async () => {
  const a = await browser.newPage(server.url);
  await signIn(a);
  const b = await browser.newPage(server.url);
  // Joined without signing in; with these short lifetimes a loaded machine may
  // already show the warning (2 s after sign-in), which is just as live.
  await waitForState(b, ["active", "warning"]);
  // Tab a may show the warning by now too: its modal dialog keeps the pointer off the
  // page (a real click would wait for the session to expire), so click the button itself.
  await a.$eval("#btn-logout", (button) => button.click());
  await waitForState(b, "loggedOut");
  assert.match(await b.textContent("#end-reason"), /another tab/i);
  await a.close();
  await b.close();
});

test("a tab opened during the warning shows the warning dialog too", async () => {
  // Its own browser: a long warning, so the tab surely joins while it shows.
  const slow = await openBrowser({ idleTimeoutMs: 60_000, warnBeforeMs: 58_000, absoluteTimeoutMs: 600_000 });
  try {
    const a = await slow.newPage(server.url);
    await signIn(a);
    await waitForState(a, "warning");
    const b = await slow.newPage(server.url);
    await waitForState(b, "warning");
    // The page renders on every event (its handler reads session.remainingMs()), and the
    // dialog listens after it: the join's events must reach the dialog in order.
    await b.waitForFunction(() => document.querySelector("#warning-dialog").open, null, { timeout: 15_000 });
    await b.click('#warning-dialog [part~="stay"]');
    for (const tab of [a, b]) await waitForState(tab, "active");
    assert.equal(await a.evaluate(() => document.querySelector("#warning-dialog").open), false);
    assert.deepEqual(slow.errors, []);
  } finally {
    await slow.close();
  }
});

test("the warning shows in every tab and Stay signed in in tab 3 closes it in all", async () => {
  const tabs = [await browser.newPage(server.url)];
  await signIn(tabs[0]);
  for (let i = 0; i < 2; i++) {
    const tab = await browser.newPage(server.url);
    await waitForState(tab, ["active", "warning"]);
    tabs.push(tab);
  }
  const open = (page) => page.waitForFunction(() => document.querySelector("#warning-dialog").open, null, { timeout: 15_000 });
  await Promise.all(tabs.map(open));
  assert.match(await tabs[2].textContent('#warning-dialog [part~="countdown"]'), /\d+ second/);
  // The state each tab shows when its dialog closes: the next warning comes 2 s later.
  for (const tab of tabs) {
    await tab.evaluate(() => document.querySelector("#warning-dialog").addEventListener("close", () => {
      window.__stateAtClose ??= document.querySelector("#state-badge").dataset.state;
    }));
  }
  await tabs[2].click('#warning-dialog [part~="stay"]');
  const closed = (page) => page.waitForFunction(() => window.__stateAtClose !== undefined, null, { timeout: 15_000 });
  await Promise.all(tabs.map(closed));
  for (const tab of tabs) assert.equal(await tab.evaluate(() => window.__stateAtClose), "active");
  assert.deepEqual(browser.errors, []);
  for (const tab of tabs) await tab.close();
});
