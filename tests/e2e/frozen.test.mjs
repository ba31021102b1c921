// Frozen tabs, in real Chromium tabs that Chromium itself freezes, as it does
// to a background tab (Page Lifecycle): no timer, message or event runs in the
// page until it resumes. `openFreezableBrowser` says why these tests need a
// browser of their own. Each test checks that the freeze was one: an interval
// of the page's own did not run while it lasted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { signIn, withBackend, openFreezableBrowser, sdkPage } from "./harness.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts the ticks of a 100-ms interval of the page, and their count at its `freeze` and `resume` events. */
const countTicks = (page) => page.evaluate(() => {
  window.ticks = { now: 0, atFreeze: null, atResume: null };
  setInterval(() => window.ticks.now++, 100);
  document.addEventListener("freeze", () => { window.ticks.atFreeze = window.ticks.now; });
  document.addEventListener("resume", () => { window.ticks.atResume = window.ticks.now; });
});

/** Asserts that the page froze and resumed, and that no tick ran between (a running interval would tick tens of times). */
async function assertWasFrozen(page) {
  const ticks = await page.evaluate(() => window.ticks);
  assert.ok(ticks.atFreeze !== null && ticks.atResume !== null, `the page froze and resumed: ${JSON.stringify(ticks)}`);
  assert.ok(ticks.atResume - ticks.atFreeze <= 1, `no timer ran while the page was frozen: ${JSON.stringify(ticks)}`);
}

/** Polls `predicate` in `page` every 100 ms (a resumed page is hidden, and runs no animation frame to poll on). */
const waitInPage = (page, predicate, arg, timeout = 20_000) => page.waitForFunction(predicate, arg, { polling: 100, timeout });

/** Moves the mouse in `page` every 500 ms until `stop.done` is set; resolves then. */
async function keepMoving(page, stop) {
  for (let step = 0; !stop.done; step++) {
    await page.mouse.move(100 + (step % 2) * 50, 200);
    await sleep(500);
  }
}

const SHORT_IDLE = { idleTimeoutMs: 4_000, warnBeforeMs: 2_000, absoluteTimeoutMs: 600_000 };

test("a frozen tab whose idle deadline passed expires as soon as it resumes", async () => {
  await withBackend({ accessTtl: "60s" }, SHORT_IDLE, async (server, browser) => {
    const page = await browser.newPage(server.url);
    await signIn(page);
    await countTicks(page);
    await browser.freeze(page);
    await sleep(6_000); // past the idle deadline, and no timer of the page runs
    await browser.unfreeze(page);
    await waitInPage(page, () => document.querySelector("#state-badge")?.dataset.state === "expired");
    await assertWasFrozen(page);
    assert.match(await page.textContent("#end-reason"), /inactivity/i);
    assert.deepEqual(browser.errors, []);
  }, openFreezableBrowser);
});

// A tab asleep past the idle deadline of a session that another tab replaced:
// on waking it must end that session as the other tab did, not expire it and
// tell the server, which in cookie mode would end the session that followed.
// Chromium keeps the messages sent to a frozen page and delivers them as it
// resumes, before its late timers: these tests pass on a build from before the
// tombstone read too (checked). A page that misses them (back/forward cache,
// the storage fallback) relies on that read, which the core's tests
// (`logout.rs`) and the browser test `tests/logout.rs` cover.
const REPLACEMENTS = [
  { how: "a logout and a new login", reason: "otherTab", replace: (tab) => tab.evaluate(async () => {
    window.session.logout();
    // The logout's answer clears the cookie: the next login waits until the server ended the session.
    for (let i = 0; i < 200 && (await fetch("/auth/session").then((r) => r.json())).user; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    await window.signIn("alice");
  }), user: "alice" },
  { how: "a login as another user over the live session", reason: "userChanged", replace: (tab) => tab.evaluate(() => window.signIn("bob")), user: "bob" },
];

for (const { how, reason, replace, user } of REPLACEMENTS) {
  test(`a tab frozen past its idle deadline through ${how} wakes into the new session and leaves it alive (cookie mode)`, async () => {
    await withBackend({ mode: "cookie" }, {}, async (server, browser) => {
      const options = {
        ...SHORT_IDLE,
        cookieSession: { keepaliveUrl: "/auth/keepalive", sessionUrl: "/auth/session", logoutUrl: "/auth/logout" },
        csrf: { header: "X-CSRF-Token", cookie: "csrf" },
      };
      const awake = await sdkPage(browser, server, options);
      const sleeper = await sdkPage(browser, server, options);
      await awake.evaluate(() => window.signIn("alice"));
      await waitInPage(sleeper, () => window.session.state === "active");
      const moving = { done: false };
      const mover = keepMoving(awake, moving); // the live session never idles in the awake tab
      try {
        await countTicks(sleeper);
        await browser.freeze(sleeper);
        await replace(awake);
        assert.equal(await awake.evaluate(() => window.session.state), "active");
        await sleep(6_000); // past the replaced session's idle deadline in the frozen tab
        await browser.unfreeze(sleeper);
        await waitInPage(sleeper, () => window.events.filter((e) => e.type === "started").length === 2);
        await assertWasFrozen(sleeper);
        const events = await sleeper.evaluate(() => window.events.map((e) => [e.type, e.reason ?? null, e.origin ?? null]));
        assert.deepEqual(events.filter(([type]) => type === "expired"), [], `the replaced session did not expire here: ${JSON.stringify(events)}`);
        // Ended as the other tab ended it (from its tombstone), or replaced at once when the login's
        // message reached the tab before its timers ran: either way, told by the other tab.
        const ends = events.filter(([type]) => type === "loggedOut");
        assert.ok(ends.length <= 1 && ends.every((end) => end[1] === reason && end[2] === "otherTab"), JSON.stringify(events));
        assert.equal(await sleeper.evaluate(() => window.session.state), "active");
        await sleep(1_000); // for a logout request the wake could have sent
        const serverSession = await awake.evaluate(() => fetch("/auth/session").then((r) => r.json()));
        assert.equal(serverSession.user, user, "the new session is alive at the server");
        assert.equal(await awake.evaluate(() => window.session.state), "active");
      } finally {
        moving.done = true;
        await mover;
      }
      assert.deepEqual(browser.errors, []);
    }, openFreezableBrowser);
  });
}
