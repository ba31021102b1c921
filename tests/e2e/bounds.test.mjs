// Bounds in real Chromium against the reference backend's debug routes
// (www/server/src/debug.rs): a refresh endpoint that answers 10 MB chunked,
// and one that answers 307. The SDK runs on a bare page of the backend's
// origin (no demo), so what is measured is the SDK alone.
//
// Waits are for events, with generous timeouts; nothing asserts a duration.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, openBrowser } from "./harness.mjs";

/** A fresh backend and browser, and a page of the backend's origin with the package loaded. */
async function withPage(body) {
  const server = await startServer({ accessTtl: "60s" });
  const browser = await openBrowser({});
  try {
    // The bare page has no icon: keep its 404 out of the console errors.
    await browser.context.route("**/favicon.ico", (route) => route.fulfill({ status: 204 }));
    const page = await browser.newPage(server.url + "debug/redirect-hits");
    await page.evaluate(async () => {
      const pkg = await import("/pkg/wasm_session.js");
      window.__wasm = await pkg.default();
      window.__pkg = pkg;
    });
    await body(server, page, browser);
  } finally {
    await browser.close();
    await server.stop();
  }
}

const hits = async (server) => (await fetch(server.url + "debug/redirect-hits")).json();

test("a 10 MB chunked refresh answer is cut at maxBodyBytes: wasm memory does not grow past the cap", async () => {
  await withPage(async (server, page, browser) => {
    const result = await page.evaluate(async () => {
      const { Session } = window.__pkg;
      // Counts the body bytes the SDK pulls through (fetch is looked up at call time).
      window.__bytesRead = 0;
      const realFetch = window.fetch;
      window.fetch = async (...args) => {
        const response = await realFetch(...args);
        const counted = response.body.pipeThrough(new TransformStream({
          transform(chunk, controller) { window.__bytesRead += chunk.byteLength; controller.enqueue(chunk); },
        }));
        return new Response(counted, { status: response.status, headers: response.headers });
      };
      const memory = () => window.__wasm.memory.buffer.byteLength;
      const before = memory();
      const session = new Session({
        channelName: "bounds-" + Math.random(),
        endpoints: { refresh: "/debug/stream-10mb" },
        maxBodyBytes: 65536,
        refreshJitterMs: 0,
      });
      const failed = new Promise((resolve) => session.on("refreshFailed", resolve));
      session.start({ access_token: "at", expires_in: 1 });
      const event = await failed;
      const after = memory();
      session.destroy();
      window.fetch = realFetch;
      return { before, after, code: event.code, definitive: event.definitive, read: window.__bytesRead };
    });
    assert.equal(result.code, "bad_response", "too large to use");
    assert.equal(result.definitive, false, "retried later, like any unusable answer");
    // Reading the whole answer as text (what the SDK did before) copies all
    // 10 MB into wasm memory; the capped reader brings in only the parsed
    // value of at most 64 KiB. Memory grows in 64 KiB pages, and the
    // allocator takes a few at a time.
    const grown = result.after - result.before;
    assert.ok(grown <= 1024 * 1024, `wasm memory grew by ${grown} bytes (${result.before} -> ${result.after})`);
    // The reader stopped once it had 64 KiB + 1 and cancelled the rest. The
    // browser hands over what it has buffered in one chunk (a megabyte or two
    // from a fast local server): that passes through JS, and only the cap's
    // worth of it is kept; the rest of the 10 MB is never downloaded.
    assert.ok(result.read > 65536, `read ${result.read} bytes: enough to tell "too large"`);
    assert.ok(result.read < 5 * 1024 * 1024, `read ${result.read} bytes of 10 MB`);
    assert.deepEqual(browser.errors, [], "no console errors");
  });
});

test("a 307 from the refresh endpoint is not followed: the refresh token goes nowhere else", async () => {
  await withPage(async (server, page, browser) => {
    const before = await hits(server);
    const result = await page.evaluate(async () => {
      const { Session } = window.__pkg;
      const session = new Session({
        channelName: "bounds-" + Math.random(),
        endpoints: { refresh: "/debug/redirect" },
        refreshJitterMs: 0,
      });
      const failed = new Promise((resolve) => session.on("refreshFailed", resolve));
      const ended = new Promise((resolve) => session.on("loggedOut", resolve));
      session.start({ access_token: "at", refresh_token: "rt-secret", expires_in: 1 });
      const event = await failed;
      const end = await ended;
      const state = session.state;
      session.destroy();
      return { code: event.code, definitive: event.definitive, reason: end.reason, state };
    });
    const after = await hits(server);
    assert.ok(after.redirects > before.redirects, "the refresh endpoint answered 307");
    assert.equal(after.followed, before.followed, "nobody followed it");
    assert.equal(result.code, "redirect");
    assert.equal(result.definitive, true, "not retried: it would redirect again");
    assert.equal(result.reason, "refreshFailed");
    assert.equal(result.state, "loggedOut");
    assert.deepEqual(browser.errors, [], "no console errors");
  });
});

test("session.fetch does not follow a redirect with the session's credential; the caller sees it", async () => {
  await withPage(async (server, page) => {
    const before = await hits(server);
    const result = await page.evaluate(async () => {
      const { Session } = window.__pkg;
      const session = new Session({ channelName: "bounds-" + Math.random() });
      session.start({ access_token: "at" });
      const response = await session.fetch("/debug/redirect", { method: "POST" });
      session.destroy();
      return { type: response.type, status: response.status };
    });
    const after = await hits(server);
    assert.ok(after.redirects > before.redirects);
    assert.equal(after.followed, before.followed, "the bearer token did not follow the redirect");
    assert.deepEqual(result, { type: "opaqueredirect", status: 0 });
  });
});
