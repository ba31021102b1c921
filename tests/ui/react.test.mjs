// wasm-session/react with React 18 and 19 in Chromium: the app (react-app.js) is
// bundled by esbuild for production, and for development where StrictMode
// double-mounts (production builds skip that check).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { bundle, launch, serve } from "./harness.mjs";
import { instrument } from "./instrument.mjs";

// The warning comes 1 s after sign-in and lasts 59 s; no DOM activity ends it.
const OPTIONS = { idleTimeoutMs: 60_000, warnBeforeMs: 59_000, activityEvents: [], channelName: "react-test" };
const MAJORS = [18, 19];
const MODES = ["production", "development"];

let server;
let browser;

before(async () => {
  const files = {};
  for (const major of MAJORS) {
    for (const mode of MODES) {
      files[`/app/react${major}-${mode}.js`] = await bundle("react-app.js", major, mode);
      files[`/react${major}-${mode}.html`] = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>React ${major}</title><link rel="icon" href="data:,"></head>` +
        `<body><div id="root"></div><script type="module" src="/app/react${major}-${mode}.js"></script></body></html>`;
    }
  }
  server = await serve(files);
  browser = await launch();
  await browser.context.addInitScript(instrument);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openApp(major, mode) {
  const page = await browser.open(`${server.url}/react${major}-${mode}.html`);
  await page.waitForFunction(() => window.app?.ready === true);
  assert.equal((await page.evaluate(() => window.app.version)).split(".")[0], String(major));
  return page;
}

const status = (page) => page.$eval("#status", (p) => ({ state: p.dataset.state, cause: p.dataset.cause, session: p.dataset.session, text: p.textContent }));

/** Records every state the component rendered, in order (window.app.states). */
const watchStates = (page) => page.evaluate(() => {
  window.app.states = [];
  new MutationObserver(() => {
    const state = document.querySelector("#status")?.dataset.state;
    if (state && window.app.states.at(-1) !== state) window.app.states.push(state);
  }).observe(document.getElementById("root"), { subtree: true, childList: true, attributes: true });
});

/** Mounts the hook, signs in, and sees the countdown re-render during the warning. */
async function signInAndSeeCountdown(page) {
  await page.waitForSelector('#status[data-session="yes"]');
  assert.equal((await status(page)).state, "anonymous");
  await watchStates(page);
  await page.evaluate(() => window.app.session.start({ access_token: "token", expires_in: 3600 }));
  await page.waitForSelector('#status[data-state="warning"]', { timeout: 20_000 });
  const first = await status(page);
  assert.equal(first.cause, "idle");
  assert.match(first.text, /^\d+ s left$/);
  // The next countdown tick re-renders the component with less time left.
  await page.waitForFunction((text) => document.querySelector("#status").textContent !== text, first.text, { timeout: 20_000 });
  const next = await status(page);
  assert.equal(next.state, "warning");
  assert.ok(parseInt(next.text, 10) < parseInt(first.text, 10), `${next.text} after ${first.text}`);
  assert.deepEqual((await page.evaluate(() => window.app.states)).slice(0, 2), ["active", "warning"]);
}

for (const major of MAJORS) {
  test(`React ${major}, production build: active, countdown re-renders, unmount leaves nothing`, async () => {
    const page = await openApp(major, "production");
    const baseline = await page.evaluate(() => window.__live());
    await page.evaluate((options) => window.app.mount(options, false), OPTIONS);
    await signInAndSeeCountdown(page);
    const mounted = await page.evaluate(() => window.__live());
    assert.equal(mounted.channelsOpen, baseline.channelsOpen + 1);
    assert.ok(mounted.listeners.length > baseline.listeners.length, "the session listens to the page");

    await page.evaluate(() => window.app.unmount());
    await page.waitForFunction(() => !document.querySelector("#status"));
    assert.deepEqual(await page.evaluate(() => window.__live()), { ...baseline, channelsCreated: baseline.channelsCreated + 1 });
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test(`React ${major}, StrictMode (development build): one working session, nothing leaked`, async () => {
    const page = await openApp(major, "development");
    const baseline = await page.evaluate(() => window.__live());
    // One plain mount first: what a single session holds.
    await page.evaluate((options) => window.app.mount(options, false), OPTIONS);
    await page.waitForSelector('#status[data-session="yes"]');
    const single = await page.evaluate(() => window.__live());
    await page.evaluate(() => window.app.unmount());
    await page.waitForFunction(() => !document.querySelector("#status"));

    await page.evaluate((options) => window.app.mount(options, true), OPTIONS);
    await page.waitForSelector('#status[data-session="yes"]');
    const strict = await page.evaluate(() => window.__live());
    // StrictMode mounted, unmounted and mounted again: two sessions made, one left.
    assert.equal(strict.channelsCreated - single.channelsCreated, 2, "StrictMode double-mounted");
    assert.equal(strict.channelsOpen, baseline.channelsOpen + 1);
    assert.deepEqual(strict.listeners, single.listeners);
    assert.equal(strict.timers, single.timers);
    await signInAndSeeCountdown(page);

    await page.evaluate(() => window.app.unmount());
    await page.waitForFunction(() => !document.querySelector("#status"));
    const after = await page.evaluate(() => window.__live());
    assert.deepEqual({ ...after, channelsCreated: 0 }, { ...baseline, channelsCreated: 0 });
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}
