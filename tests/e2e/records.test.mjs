// What outlives a session (issue 14, items 4 and 5), in real Chromium tabs
// against the reference backend:
// - re-constituted sessions: after an idle timeout, signing in again as the
//   same user gives back the state the app set (in any tab); another user
//   gets nothing, and the record is wiped;
// - monitoring: lifecycle records reach the backend's beacon endpoint, one
//   beacon for every tab when a page is left, and at the flush interval;
//   none holds a token or a user name.
//
// No assertion depends on how fast the machine is: conditions are waited for
// with generous timeouts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withBackend, waitForState, signIn, sdkPage, LONG } from "./harness.mjs";


const until = (page, predicate, arg, timeout = 20_000) => page.waitForFunction(predicate, arg, { timeout });
const lastStarted = (page) => page.evaluate(() => window.events.filter((e) => e.type === "started").at(-1));
const keptRecord = (page) => page.evaluate(() => Object.entries(localStorage).find(([key]) => key.startsWith("wasm-session/kept/"))?.[1] ?? null);

/** Short client timeouts: an idle expiry within seconds. */
const SHORT = { idleTimeoutMs: 3_000, warnBeforeMs: 1_000, reconstituteForMs: 60_000 };

test("signing in again as the same user restores the state; another user restores nothing", async () => {
  await withBackend({ accessTtl: "60s" }, LONG, async (server, browser) => {
    const first = await sdkPage(browser, server, SHORT);
    const second = await sdkPage(browser, server, SHORT);
    const token = await first.evaluate(() => window.signIn("alice"));
    await until(second, () => window.session.state === "active");
    // The app sets where the user is in the second tab; the user signs in again in the first.
    await second.evaluate(() => window.session.setRestoreState({ route: "/orders/7", draft: "half a sentence" }));
    for (const tab of [first, second]) await until(tab, () => window.session.state === "expired");
    const kept = await keptRecord(first);
    assert.ok(kept && kept.includes("/orders/7"), `kept: ${kept}`);
    assert.ok(!kept.includes(token), "no token in the kept record");

    await first.evaluate(() => window.signIn("alice"));
    const started = await lastStarted(first);
    assert.deepEqual(started.restoredState, { route: "/orders/7", draft: "half a sentence" });
    assert.equal(started.origin, "local");
    await until(second, () => window.events.filter((e) => e.type === "started").length === 2);
    assert.equal((await lastStarted(second)).restoredState, undefined, "restored once, in the tab that signed in");
    assert.ok(!(await keptRecord(first)), "consumed");

    // Another timeout with a state, then bob signs in: nothing for bob, and nothing left for alice.
    await first.evaluate(() => window.session.setRestoreState("/settings"));
    for (const tab of [first, second]) await until(tab, () => window.session.state === "expired");
    assert.ok((await keptRecord(second))?.includes("/settings"));
    await second.evaluate(() => window.signIn("bob"));
    assert.equal((await lastStarted(second)).restoredState, undefined);
    assert.ok(!(await keptRecord(second)), "bob's sign-in wiped alice's record");
    await second.evaluate(() => window.session.logout());
    await first.evaluate(() => window.signIn("alice"));
    assert.equal((await lastStarted(first)).restoredState, undefined);

    // A value that is not plain data is refused, naming the code.
    const code = await first.evaluate(() => { try { window.session.setRestoreState({ f() {} }); } catch (e) { return e.code; } });
    assert.equal(code, "invalid_restore_state");
    assert.deepEqual(browser.errors, []);
  });
});

/** The backend's stored beacons: `{ beacons: [text], records: [[word]] }`. */
const monitored = async (server) => (await fetch(server.url + "debug/monitor")).json();
async function waitForRecords(server, predicate, timeout = 20_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const got = await monitored(server);
    if (predicate(got)) return got;
    if (Date.now() > end) throw new Error(`beacons never matched within ${timeout} ms: ${JSON.stringify(got)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("monitor beacons reach the backend, one tab sending for all, without a token or a user", async () => {
  await withBackend({ accessTtl: "60s" }, LONG, async (server, browser) => {
    // A long interval: only leaving the page sends.
    const options = { monitor: { url: "/monitor", flushMs: 600_000 } };
    const first = await sdkPage(browser, server, options);
    const second = await sdkPage(browser, server, options);
    const tokens = [await first.evaluate(() => window.signIn("alice"))];
    await until(second, () => window.session.state === "active");
    await second.evaluate(() => window.session.logout());
    await until(first, () => window.session.state === "loggedOut");
    tokens.push(await second.evaluate(() => window.signIn("bob")));
    await until(first, () => window.session.state === "active");
    // Alice signs in in the first tab while bob's session is live there.
    tokens.push(await first.evaluate(() => window.signIn("alice")));
    const [firstTab, secondTab] = await Promise.all([first, second].map((tab) => tab.evaluate(() => window.session.tabId)));
    assert.equal((await monitored(server)).beacons.length, 0, "nothing sent before the interval or a page leaves");

    await first.goto(server.url + "debug/stats"); // leaving the page: pagehide
    const got = await waitForRecords(server, (m) => m.beacons.length > 0);
    assert.equal(got.beacons.length, 1, "one beacon");
    const records = got.records.map(([, tab, , ...words]) => [tab === firstTab ? "first" : tab === secondTab ? "second" : tab, ...words]);
    assert.deepEqual(records, [
      ["first", "started"],
      ["second", "loggedOut", "user", "local"],
      ["second", "started"],
      ["first", "error", "other_user_signed_in"],
      ["first", "started"],
    ]);
    const sessions = new Set(got.records.map((record) => record[2]));
    assert.equal(sessions.size, 3, "one id per session");
    const text = got.beacons.join("\n");
    assert.match(got.beacons[0], /^wasm-session-monitor 1 0\n/);
    for (const secret of [...tokens, "alice", "bob", "?"]) assert.ok(!text.includes(secret), `${secret} in ${text}`);

    // At the interval, without leaving: a short flushMs.
    const third = await sdkPage(browser, server, { monitor: { url: "/monitor", flushMs: 300 } });
    await until(third, () => window.session.state === "active");
    const thirdTab = await third.evaluate(() => window.session.tabId);
    await third.evaluate(() => window.session.logout());
    const later = await waitForRecords(server, (m) => m.records.some((r) => r[1] === thirdTab && r[3] === "loggedOut"));
    assert.equal(later.beacons.length, 2);
    assert.deepEqual(browser.errors, []);
  });
});

test("the demo shows where the user was after signing in again, and the monitoring records in its log", async () => {
  const settings = { idleTimeoutMs: 4_000, warnBeforeMs: 2_000, absoluteTimeoutMs: 600_000 };
  await withBackend({ accessTtl: "60s" }, settings, async (server, browser) => {
    const page = await browser.newPage(server.url);
    await signIn(page);
    await page.fill("#restore-note", "drafting the quarterly report");
    await waitForState(page, "expired");
    await signIn(page);
    await page.waitForSelector("#restored-note:not([hidden])");
    assert.match(await page.textContent("#restored-note"), /drafting the quarterly report/);
    assert.equal(await page.inputValue("#restore-note"), "drafting the quarterly report");
    // The records the backend received (flushMs 5 s), in the log.
    await page.waitForSelector('#event-log li.log-monitor[data-type="beacon: expired"]', { timeout: 20_000 });
    assert.deepEqual(browser.errors, []);
  });
});
