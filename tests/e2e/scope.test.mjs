// Two apps on one origin, each with the SDK's default options (no channelName):
// /crm/ and /wiki/ (tests/e2e/scope-apps), configured as two OAuth clients of
// the reference backend. Tabs of one app share a session; the two apps share
// nothing: no channel, no lock, no tokens, no login, no logout.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, startServer, stats, waitForStats } from "./harness.mjs";

/** Records, in each page, the channel and lock names the SDK uses and the requests it sends. */
function instrument() {
  window.__seen = { channels: [], locks: [], requests: [] };
  const Native = window.BroadcastChannel;
  window.BroadcastChannel = class extends Native {
    constructor(name) { super(name); window.__seen.channels.push(String(name)); }
  };
  if (navigator.locks) {
    const request = navigator.locks.request.bind(navigator.locks);
    navigator.locks.request = (name, ...rest) => { window.__seen.locks.push(String(name)); return request(name, ...rest); };
  }
  const realFetch = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input), location.href);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    window.__seen.requests.push({ path: url.pathname, auth: headers.get("Authorization") });
    return realFetch(input, init);
  };
}

async function withApps(accessTtl, body) {
  const server = await startServer({ accessTtl, staticDir: "tests/e2e/scope-apps" });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const context = await browser.newContext();
  await context.addInitScript(instrument);
  const errors = [];
  const open = async (app) => {
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(`${app}: ${e.message}`));
    page.on("console", (m) => { if (m.type() === "error") errors.push(`${app}: ${m.text()}`); });
    await page.goto(`${server.url}${app}/`);
    await page.waitForFunction(() => document.body?.dataset.ready === "true");
    return page;
  };
  try {
    await body({ server, open, errors });
  } finally {
    await browser.close();
    await server.stop();
  }
}

const state = (page) => page.evaluate(() => window.app.state());
const token = (page) => page.evaluate(() => window.app.token());
const events = (page, type) => page.evaluate((t) => window.app.events.filter((e) => e.type === t), type);
const seen = (page) => page.evaluate(() => window.__seen);
const waitForState = (page, wanted) =>
  page.waitForFunction((s) => window.app.state() === s, wanted, { timeout: 10_000 });
/** Time for a message on a shared channel to arrive, had there been one (never needed to pass). */
const settle = (page) => page.waitForTimeout(300);

test("two apps on one origin with default options share nothing; tabs of one app share", async () => {
  await withApps("60s", async ({ open, errors }) => {
    const crm1 = await open("crm");
    const wiki1 = await open("wiki");
    await crm1.evaluate(() => window.app.login("alice"));
    assert.equal(await state(crm1), "active");
    const crmToken = await token(crm1);

    // Same app: a new tab joins at start-up (resume), with the same tokens.
    const crm2 = await open("crm");
    await waitForState(crm2, "active");
    assert.equal(await token(crm2), crmToken);
    // The other app: neither the login broadcast nor a state request reaches it.
    const wiki2 = await open("wiki");
    await settle(wiki2);
    for (const wiki of [wiki1, wiki2]) {
      assert.equal(await state(wiki), "anonymous", "the wiki did not adopt the crm session");
      assert.equal(await token(wiki), null, "no crm token in the wiki");
      assert.deepEqual(await events(wiki, "started"), []);
    }

    // The wiki's own login neither replaces nor reaches the crm session.
    await wiki1.evaluate(() => window.app.login("bob"));
    await waitForState(wiki2, "active");
    const wikiToken = await token(wiki1);
    assert.notEqual(wikiToken, crmToken);
    await settle(crm1);
    for (const crm of [crm1, crm2]) {
      assert.equal(await token(crm), crmToken, "the crm kept its tokens");
      assert.deepEqual((await events(crm, "started")).filter((e) => e.replaced), [], "no replaced session");
    }

    // The wiki's logout ends the wiki tabs only, and sends the wiki's token only.
    await wiki1.evaluate(() => window.app.session.logout());
    await waitForState(wiki2, "loggedOut");
    await settle(crm1);
    for (const crm of [crm1, crm2]) assert.equal(await state(crm), "active", "the wiki's logout did not end the crm");
    const logouts = (await seen(wiki1)).requests.filter((r) => r.path === "/auth/logout");
    assert.deepEqual(logouts.map((r) => r.auth), [`Bearer ${wikiToken}`], "the wiki told the server about its own session");
    for (const page of [crm1, crm2]) {
      assert.ok((await seen(page)).requests.every((r) => r.path !== "/auth/logout"), "the crm sent no logout");
    }
    const profile = await crm2.evaluate(() => window.app.profile());
    assert.deepEqual([profile.status, profile.body?.user], [200, "alice"], "the crm session still works on the server");

    // Under the hood: one channel name per app, never the old shared default.
    const crmChannels = new Set([...(await seen(crm1)).channels, ...(await seen(crm2)).channels]);
    const wikiChannels = new Set([...(await seen(wiki1)).channels, ...(await seen(wiki2)).channels]);
    assert.equal(crmChannels.size, 1, [...crmChannels].join());
    assert.equal(wikiChannels.size, 1, [...wikiChannels].join());
    const [crmChannel, wikiChannel] = [[...crmChannels][0], [...wikiChannels][0]];
    assert.notEqual(crmChannel, wikiChannel);
    assert.match(crmChannel, /^wasm-session-[0-9a-f]{16}$/);
    assert.deepEqual(errors, []);
  });
});

test("one app's refreshes and their lock stay in that app", async () => {
  await withApps("2s", async ({ server, open, errors }) => {
    const crm1 = await open("crm");
    const crm2 = await open("crm");
    const wiki = await open("wiki");
    await crm1.evaluate(() => window.app.login("alice"));
    await waitForState(crm2, "active");
    const first = await token(crm2);
    const before = (await stats(server)).refreshes;
    // Two-second tokens are refreshed about once a second: wait for two rounds.
    await waitForStats(server, (s) => s.refreshes >= before + 2);
    await crm2.waitForFunction((t) => window.app.token() !== t, first, { timeout: 10_000 });
    assert.equal(await token(crm1), await token(crm2), "both crm tabs hold the refreshed token");
    assert.equal(await state(wiki), "anonymous");
    assert.equal(await token(wiki), null, "the refreshed crm tokens never reached the wiki");

    const [crmChannel] = (await seen(crm1)).channels;
    const crmLocks = [...(await seen(crm1)).locks, ...(await seen(crm2)).locks];
    assert.ok(crmLocks.length >= 1, "the crm refreshed under its lock");
    assert.ok(crmLocks.every((name) => name === `wasm-session:refresh:${crmChannel}`), crmLocks.join());
    assert.deepEqual((await seen(wiki)).locks, [], "the wiki took no lock");
    assert.equal((await stats(server)).reuseDetected, 0, "one refresh per rotation: no reused refresh token");
    assert.deepEqual(errors, []);
  });
});
