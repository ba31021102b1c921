// The demo page against the reference backend, in real Chromium tabs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, openBrowser, stateOf, waitForState } from "./harness.mjs";

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

async function signIn(page) {
  await page.fill("#login-username", "alice");
  await page.fill("#login-password", "alice");
  await page.click("#login-submit");
  await waitForState(page, "active");
}

test("the page is served and loads the package without console errors", async () => {
  const html = await (await fetch(server.url)).text();
  assert.match(html, /<script type="importmap">/);
  const page = await browser.newPage(server.url);
  await page.waitForSelector("#login-section:not([hidden])");
  assert.equal(await stateOf(page), "anonymous");
  assert.match(await page.textContent("#tab-id"), /^[0-9a-f]{8}$/);
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test("logout in one tab logs out the other", async () => {
  const a = await browser.newPage(server.url);
  await signIn(a);
  const b = await browser.newPage(server.url);
  await waitForState(b, "active"); // joined without signing in
  await a.click("#btn-logout");
  await waitForState(b, "loggedOut");
  assert.match(await b.textContent("#end-reason"), /another tab/i);
  await a.close();
  await b.close();
});

test("the warning shows in both tabs and Stay signed in in one closes both", async () => {
  const a = await browser.newPage(server.url);
  await signIn(a);
  const b = await browser.newPage(server.url);
  await waitForState(b, "active");
  const open = (page) => page.waitForFunction(() => document.querySelector("#warning-dialog").open, null, { timeout: 15_000 });
  await Promise.all([open(a), open(b)]);
  assert.match(await b.textContent("#warning-countdown"), /\d+ second/);
  await b.click("#btn-stay");
  const closed = (page) => page.waitForFunction(() => !document.querySelector("#warning-dialog").open, null, { timeout: 5_000 });
  await Promise.all([closed(a), closed(b)]);
  assert.equal(await stateOf(a), "active");
  assert.deepEqual(browser.errors, []);
  await a.close();
  await b.close();
});
