// wasm-session benchmarks: size, init, activity overhead, cross-tab logout latency,
// timer error and refresh requests per token lifetime, against peer libraries where a
// peer has the same job. Runs in Debian's /usr/bin/chromium (never a downloaded browser).
//
//   cd bench && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci && node run.mjs
//
// Needs ../pkg (make build). Writes report.md and report.json beside this file
// (settings.mjs: repeat counts and peers; report.mjs: the markdown).
// Env: BENCH_QUICK=1 cuts every repeat count (a smoke run; the report says so);
// BENCH_SOAK_S sets the memory soak (default 90 s; 300 for the 5-minute soak);
// BENCH_ONLY=activity,memory runs only those steps (the rest of the report is kept).
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import zlib from "node:zlib";
import * as esbuild from "esbuild";
import { chromium } from "playwright-core";
import { HERE, PKG, QUICK, wanted, N_INIT, N_ACTIVITY_EVENTS, N_ACTIVITY_ROUNDS, N_ACTIVITY_RUNS, SOAK_TABS, SOAK_S, SOAK_SAMPLE_S, STACK_BYTES, N_XTAB_TABS, N_XTAB_ROUNDS, N_TIMER_RUNS, REFRESH_TABS, REFRESH_RUN_MS, REFRESH_LIFETIME_S, CHROMIUM_ARGS, PEERS, t0, log, quantile, median, fmt, fmtInt, pkgVersion, chromiumVersion, cpuModel, ACTIVITY_SUBJECTS } from "./settings.mjs";
import { initTogether, memoryMax, activitySummary, renderMarkdown, keepUnrunSections } from "./report.mjs";

// ---------------------------------------------------------------- 1. size
const gz = (buf) => zlib.gzipSync(buf, { level: 9 }).length;
const br = (buf) => zlib.brotliCompressSync(buf, {
  params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
    [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length,
  },
}).length;

async function bundlePeers() {
  const out = {};
  for (const p of PEERS) {
    const result = await esbuild.build({
      entryPoints: [path.join(HERE, "entries", p.entry)],
      bundle: true, minify: true, format: "esm", platform: "browser",
      external: p.external, write: false, logLevel: "silent",
      define: { "process.env.NODE_ENV": '"production"' },
    });
    out[p.name] = Buffer.from(result.outputFiles[0].contents);
  }
  return out;
}

// react-idle-timer inside React (production build, React bundled in): window.__rit.
async function bundleReactApp() {
  const result = await esbuild.build({
    entryPoints: [path.join(HERE, "entries", "react-idle-timer-app.js")],
    bundle: true, minify: true, format: "esm", platform: "browser", write: false, logLevel: "silent",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  return Buffer.from(result.outputFiles[0].contents);
}

// Ours as scripts/size.mjs computes the bundler form: the .wasm as built plus the glue
// minified by esbuild (same options), so both sides of every ratio are minified.
function minifyGlue(file) {
  return Buffer.from(esbuild.transformSync(fs.readFileSync(file, "utf8"), {
    minify: true, format: "esm", loader: "js", target: "es2020", legalComments: "none",
  }).code);
}

function sizes(bundles) {
  const measure = (file, buf) => ({ file, raw: buf.length, gzip: gz(buf), brotli: br(buf) });
  const wasm = measure("wasm_session_bg.wasm", fs.readFileSync(path.join(PKG, "wasm_session_bg.wasm")));
  const glueMin = measure("wasm_session.js, minified by esbuild", minifyGlue(path.join(PKG, "wasm_session.js")));
  const glue = measure("wasm_session.js, as published (not in the total)", fs.readFileSync(path.join(PKG, "wasm_session.js")));
  const files = [wasm, glueMin, glue];
  const ours = {
    form: "bundler form: wasm + glue minified",
    raw: wasm.raw + glueMin.raw,
    gzip: wasm.gzip + glueMin.gzip,
    brotli: wasm.brotli + glueMin.brotli,
    unminified: { gzip: wasm.gzip + glue.gzip, brotli: wasm.brotli + glue.brotli },
    files,
  };
  const peers = {};
  for (const p of PEERS) {
    const buf = bundles[p.name];
    peers[p.name] = { version: pkgVersion(p.name), raw: buf.length, gzip: gz(buf), brotli: br(buf), external: p.external };
  }
  return { ours, peers };
}

// ---------------------------------------------------------------- server
// Under /cold/ the server sends every file with bytes no earlier load had: the .wasm
// with a custom section holding a nonce (ignored by instantiation), JS with a trailing
// comment. V8 keeps, per renderer process, the wasm modules it compiled (keyed by their
// bytes, with every function compiled lazily since) and compiled JS: a load whose bytes
// an earlier load in the same process had skips most compilation. A user's first visit
// has no such cache, so the init headline is measured cold.
let nonceCount = 0;
function uniqueBytes(body, isWasm) {
  const nonce = Buffer.from(`${process.pid}-${++nonceCount}-${Math.random().toString(36).slice(2)}`);
  if (!isWasm) return Buffer.concat([body, Buffer.from(`\n// ${nonce}\n`)]);
  const name = Buffer.from("nonce");
  const payload = Buffer.concat([Buffer.from([name.length]), name, nonce]); // < 128 B: one-byte LEB128 sizes
  // First, after the 8-byte header: V8 also matches a streamed module by a hash of the
  // sections before its code, so a nonce at the end would still share that.
  return Buffer.concat([body.subarray(0, 8), Buffer.from([0, payload.length]), payload, body.subarray(8)]);
}
const WASM_CONTENT_TYPE = "application/wasm";

const TOKENS = { access_token: "bench-access", refresh_token: "bench-refresh-0", expires_in: 3600 };
let serverRefreshCount = 0;

function startServer(bundles) {
  const page = `<!doctype html><meta charset="utf-8"><title>wasm-session bench</title><body><p>bench</p></body>`;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const cold = url.pathname.startsWith("/cold/");
    if (cold) url.pathname = url.pathname.slice("/cold".length);
    const send = (status, type, body) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    if (url.pathname === "/" || url.pathname === "/page.html") return send(200, "text/html; charset=utf-8", page);
    if (url.pathname === "/auth/refresh") {
      // Only reached if the page-level fetch stub did not catch the call.
      serverRefreshCount++;
      return send(200, "application/json", JSON.stringify({ access_token: `srv-a-${serverRefreshCount}`, refresh_token: `srv-r-${serverRefreshCount}`, expires_in: REFRESH_LIFETIME_S }));
    }
    if (url.pathname.startsWith("/pkg/")) {
      const f = path.join(PKG, path.basename(url.pathname));
      if (!fs.existsSync(f)) return send(404, "text/plain", "not found");
      const type = f.endsWith(".wasm") ? WASM_CONTENT_TYPE : f.endsWith(".js") ? "text/javascript" : "application/octet-stream";
      const body = fs.readFileSync(f);
      return send(200, type, cold ? uniqueBytes(body, f.endsWith(".wasm")) : body);
    }
    if (url.pathname.startsWith("/peers/")) {
      const name = decodeURIComponent(url.pathname.slice("/peers/".length).replace(/\.js$/, ""));
      if (bundles[name]) return send(200, "text/javascript", cold ? uniqueBytes(bundles[name], false) : bundles[name]);
    }
    send(404, "text/plain", "not found");
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// ---------------------------------------------------------------- page helpers
// Loads the package in the page (window.__ws = module) and returns init timing.
async function loadPkg(page) {
  return page.evaluate(async () => {
    const t0 = performance.now();
    const mod = await import("/pkg/wasm_session.js");
    const t1 = performance.now();
    const wasm = await mod.default();
    const t2 = performance.now();
    window.__ws = mod;
    window.__wasm = wasm;
    return { importMs: t1 - t0, initMs: t2 - t1, memoryBytes: wasm?.memory?.buffer?.byteLength ?? null };
  });
}

// ---------------------------------------------------------------- 2. init
// One page load of ours, timed in the page: import of the glue, `await init()` split by
// the .wasm's Resource Timing entry (init() called → request sent → last byte received →
// instantiated), then `new Session` twice: the first pays the first-call costs (functions
// V8 compiles lazily on their first call, the glue's first calls, the first touch of each
// browser API), the second, in the same page, shows what is left. The first session's
// `resume()` (what a page does next) is timed beside: not in the target, but work moved
// out of `new Session` into it would show there.
async function initLoad(page, baseUrl, prefix, i) {
  await page.goto(`${baseUrl}/page.html?init=${i}&${prefix.replace(/\W/g, "") || "warm"}`);
  return page.evaluate(async ({ prefix, channel }) => {
    const t0 = performance.now();
    const mod = await import(`${prefix}/pkg/wasm_session.js`);
    const t1 = performance.now();
    const wasm = await mod.default();
    const t2 = performance.now();
    const first = new mod.Session({ channelName: channel });
    const t3 = performance.now();
    first.resume();
    const t3r = performance.now();
    first.destroy();
    const t4 = performance.now();
    const second = new mod.Session({ channelName: `${channel}-again` });
    const t5 = performance.now();
    second.destroy();
    const entry = performance.getEntriesByType("resource").find((e) => e.name.endsWith("/wasm_session_bg.wasm"));
    return {
      importMs: t1 - t0, initMs: t2 - t1, constructMs: t3 - t2, resumeMs: t3r - t3, constructAgainMs: t5 - t4,
      // Parts of init(), from its call: to `fetch()` (the glue builds its imports), to the
      // request leaving (the browser's network stack), to the last byte, and what is left
      // after it (compilation streams during the download: its end plus instantiation).
      toFetchMs: entry ? entry.startTime - t1 : null,
      fetchToRequestMs: entry ? entry.requestStart - entry.startTime : null,
      requestToLastByteMs: entry ? entry.responseEnd - entry.requestStart : null,
      serverWaitMs: entry ? entry.responseStart - entry.requestStart : null,
      afterLastByteMs: entry ? t2 - entry.responseEnd : null,
      wasmBytes: entry ? entry.decodedBodySize : null,
      memoryBytes: wasm?.memory?.buffer?.byteLength ?? null,
    };
  }, { prefix, channel: `init-${prefix ? "cold" : "warm"}-${i}-${Math.random()}` });
}

async function benchInit(browser, baseUrl) {
  const context = await browser.newContext();
  const page = await context.newPage();
  // The glue falls back from instantiateStreaming to arrayBuffer + instantiate, with this
  // warning, when the server's Content-Type is not application/wasm: count it.
  let streamingFallbacks = 0;
  page.on("console", (message) => { if (message.text().includes("instantiateStreaming")) streamingFallbacks++; });
  const empty = () => ({ importMs: [], initMs: [], constructMs: [], resumeMs: [], constructAgainMs: [], toFetchMs: [], fetchToRequestMs: [], requestToLastByteMs: [], serverWaitMs: [], afterLastByteMs: [], wasmBytes: [], memoryAfterInit: [] });
  const runs = { cold: empty(), warm: empty() };
  const peerImport = Object.fromEntries(PEERS.filter((p) => !p.external.length).map((p) => [p.name, []]));
  for (let i = 0; i < N_INIT; i++) {
    // Interleaved, the order alternating: cold (bytes no earlier load had) and warm (the
    // same bytes every load, as this bench measured until 2026-11-30).
    const order = i % 2 ? ["warm", "cold"] : ["cold", "warm"];
    for (const kind of order) {
      const r = await initLoad(page, baseUrl, kind === "cold" ? "/cold" : "", i);
      const into = runs[kind];
      for (const key of Object.keys(into)) if (key !== "memoryAfterInit") into[key].push(r[key]);
      into.memoryAfterInit.push(r.memoryBytes);
    }
    // Peers (fresh page load each, cold like ours): module fetch + evaluation of the minified bundle.
    for (const name of Object.keys(peerImport)) {
      await page.goto(`${baseUrl}/page.html?peer=${i}`);
      const ms = await page.evaluate(async (u) => {
        const t0 = performance.now();
        await import(u);
        return performance.now() - t0;
      }, `/cold/peers/${encodeURIComponent(name)}.js`);
      peerImport[name].push(ms);
    }
  }
  await context.close();
  return { ...runs, peerImport, streamingFallbacks, wasmContentType: WASM_CONTENT_TYPE };
}

// ---------------------------------------------------------------- 3. activity overhead
// One loop for every subject: N pre-built events dispatched on `document`, timed, minus the
// same loop with nothing attached run just before it (a paired round). Subjects:
//   floor, floorMouse: one empty passive capture listener on document for `pointermove`,
//          `mousemove` (what any always-attached listener costs before its own code runs);
//   ours:  a started Session (default activity events and 1 s throttle), `pointermove`;
//   rit:   react-idle-timer's useIdleTimer in a React root (eventsThrottle 200), `mousemove`
//          (its default events have `mousemove`, not `pointermove`).
// The order of the subjects rotates from round to round.

async function benchActivity(browser, baseUrl) {
  const runs = [];
  for (let r = 0; r < N_ACTIVITY_RUNS; r++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${baseUrl}/page.html?activity=${r}`);
    await loadPkg(page);
    await page.addScriptTag({ url: "/peers/react-idle-timer-app.js", type: "module" });
    await page.waitForFunction(() => window.__rit !== undefined);
    runs.push(await page.evaluate(async ({ n, rounds, subjects, tokens, ch }) => {
      // Two pre-built events per type with different clientX, dispatched alternately (an
      // event may be re-dispatched once its dispatch has finished): construction is out of
      // the timed loop, and no move has zero distance.
      const events = (type) => [10, 20].map((x) =>
        new (type === "pointermove" ? PointerEvent : MouseEvent)(type, { clientX: x, clientY: 10, bubbles: true }));
      const loop = (evs, k) => {
        const t0 = performance.now();
        for (let i = 0; i < k; i++) document.dispatchEvent(evs[i & 1]);
        return performance.now() - t0;
      };
      const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));
      // Live listeners on document per event type, kept by wrapping add/removeEventListener
      // (dispatch itself is untouched): shows what each subject leaves attached.
      const live = {};
      const add = EventTarget.prototype.addEventListener, remove = EventTarget.prototype.removeEventListener;
      EventTarget.prototype.addEventListener = function (type, ...rest) {
        if (this === document) live[type] = (live[type] ?? 0) + 1;
        return add.call(this, type, ...rest);
      };
      EventTarget.prototype.removeEventListener = function (type, ...rest) {
        if (this === document) live[type] = (live[type] ?? 0) - 1;
        return remove.call(this, type, ...rest);
      };
      const reports = { floor: 0, floorMouse: 0, ours: 0, rit: 0 };
      const attached = Object.fromEntries(subjects.map((name) => [name, { before: [], after: [] }]));
      let sessions = 0;
      const empty = (type) => ({
        evs: events(type),
        async attach() {
          const f = () => {};
          document.addEventListener(type, f, { capture: true, passive: true });
          return () => document.removeEventListener(type, f, { capture: true });
        },
      });
      const subject = {
        floor: empty("pointermove"),
        floorMouse: empty("mousemove"),
        ours: {
          evs: events("pointermove"),
          async attach() {
            const s = new window.__ws.Session({ channelName: `${ch}-${sessions++}` });
            s.start(tokens);
            s.on("activity", () => reports.ours++);
            return () => s.destroy();
          },
        },
        rit: {
          evs: events("mousemove"),
          async attach() {
            window.__rit.mount(() => reports.rit++);
            await nextTask(); // let React run the hook's effect (it attaches the listeners)
            return () => window.__rit.unmount();
          },
        },
      };
      const measure = async (name, k) => {
        const { evs } = subject[name];
        const type = evs[0].type;
        const baselineMs = loop(evs, k);
        const detach = await subject[name].attach();
        const before = live[type] ?? 0;
        const withMs = loop(evs, k);
        const after = live[type] ?? 0;
        detach();
        await nextTask();
        return { baselineMs, withMs, nsPerEvent: ((withMs - baselineMs) * 1e6) / k, liveBefore: before, liveAfter: after, liveAtEnd: live[type] ?? 0 };
      };
      for (const name of subjects) { await measure(name, n / 5); await measure(name, n / 5); } // warm-up
      const warmupReports = { ...reports };
      const out = Object.fromEntries(subjects.map((name) => [name, []]));
      for (let round = 0; round < rounds; round++) {
        for (let i = 0; i < subjects.length; i++) {
          const name = subjects[(round + i) % subjects.length];
          out[name].push(await measure(name, n));
        }
      }
      for (const name of subjects) reports[name] -= warmupReports[name];
      EventTarget.prototype.addEventListener = add;
      EventTarget.prototype.removeEventListener = remove;
      return { rounds: out, reports };
    }, { n: N_ACTIVITY_EVENTS, rounds: N_ACTIVITY_ROUNDS, subjects: ACTIVITY_SUBJECTS, tokens: TOKENS, ch: `activity-${r}-${Math.random()}` }));
    await context.close();
  }
  return runs;
}

// ---------------------------------------------------------------- 4. cross-tab logout
async function benchCrossTab(browser, baseUrl) {
  const context = await browser.newContext();
  const pages = [];
  for (let i = 0; i <= N_XTAB_TABS; i++) {
    const p = await context.newPage();
    await p.goto(`${baseUrl}/page.html?tab=${i}`);
    await loadPkg(p);
    pages.push(p);
  }
  const rounds = [];
  for (let r = 0; r < N_XTAB_ROUNDS; r++) {
    const ch = `xtab-${r}-${Math.random()}`;
    await Promise.all(pages.map((p) => p.evaluate((ch) => {
      window.__s = new window.__ws.Session({ channelName: ch });
      window.__lo = null;
      window.__s.on("loggedOut", () => { window.__lo = performance.timeOrigin + performance.now(); });
    }, ch)));
    await pages[0].evaluate((t) => window.__s.start(t), TOKENS);
    await Promise.all(pages.slice(1).map((p) => p.evaluate(() => window.__s.resume())));
    await Promise.all(pages.slice(1).map((p) => p.waitForFunction(() => window.__s.state === "active", null, { timeout: 10_000 })));
    const tLogout = await pages[0].evaluate(() => {
      const t = performance.timeOrigin + performance.now();
      window.__s.logout();
      return t;
    });
    await Promise.all(pages.slice(1).map((p) => p.waitForFunction(() => window.__lo !== null, null, { timeout: 10_000 })));
    const latencies = await Promise.all(pages.slice(1).map((p) => p.evaluate(() => window.__lo)));
    rounds.push(latencies.map((t) => t - tLogout));
    await Promise.all(pages.map((p) => p.evaluate(() => window.__s.destroy())));
  }
  await context.close();
  return rounds;
}

// ---------------------------------------------------------------- 5. timer error
async function benchTimers(browser, baseUrl) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${baseUrl}/page.html?timers`);
  await loadPkg(page);
  const runs = [];
  for (let r = 0; r < N_TIMER_RUNS; r++) {
    runs.push(await page.evaluate(({ tokens, ch }) => new Promise((resolve, reject) => {
      const warnBeforeMs = 2000;
      const s = new window.__ws.Session({ channelName: ch, idleTimeoutMs: 3000, warnBeforeMs });
      const out = { visibility: document.visibilityState };
      let lastIdleDeadline = null;
      const note = () => { lastIdleDeadline = s.idleDeadline ?? lastIdleDeadline; };
      s.on("warning", (e) => {
        const now = Date.now();
        out.warningErrMs = e.at - (e.deadline - warnBeforeMs);
        out.warningObservedErrMs = now - (e.deadline - warnBeforeMs);
        note();
      });
      s.on("countdown", note);
      s.on("expired", (e) => {
        const now = Date.now();
        out.expiryErrMs = e.at - lastIdleDeadline;
        out.expiryObservedErrMs = now - lastIdleDeadline;
        out.reason = e.reason;
        s.destroy();
        resolve(out);
      });
      s.start(tokens);
      note();
      setTimeout(() => { s.destroy(); reject(new Error("no expiry within 10 s")); }, 10_000);
    }), { tokens: TOKENS, ch: `timers-${r}-${Math.random()}` }));
  }
  await context.close();
  return runs;
}

// Page-level fetch stub: counts /auth/refresh calls, answers with rotated tokens.
async function addRefreshStub(context) {
  await context.addInitScript((lifetimeS) => {
    window.__refreshCalls = 0;
    const realFetch = window.fetch.bind(window);
    window.fetch = function (input, init) {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      if (new URL(url, location.href).pathname === "/auth/refresh") {
        const n = ++window.__refreshCalls;
        const id = `${Math.random().toString(36).slice(2)}-${n}`;
        return Promise.resolve(new Response(JSON.stringify({
          access_token: `a-${id}`, refresh_token: `r-${id}`, expires_in: lifetimeS,
        }), { status: 200, headers: { "content-type": "application/json" } }));
      }
      return realFetch(input, init);
    };
  }, REFRESH_LIFETIME_S);
}

// ---------------------------------------------------------------- 7. memory soak
// SOAK_TABS tabs on one channel with 2-s tokens (so refreshes and cross-tab messages run
// all along) and a pointermove every 50 ms in every tab; memory.buffer.byteLength of
// each tab's wasm instance sampled every SOAK_SAMPLE_S.
async function benchMemory(browser, baseUrl) {
  const context = await browser.newContext();
  await addRefreshStub(context);
  const pages = [];
  const afterInit = [];
  for (let i = 0; i < SOAK_TABS; i++) {
    const p = await context.newPage();
    await p.goto(`${baseUrl}/page.html?soak=${i}`);
    afterInit.push((await loadPkg(p)).memoryBytes);
    pages.push(p);
  }
  const ch = `soak-${Math.random()}`;
  const memory = () => Promise.all(pages.map((p) => p.evaluate(() => window.__wasm.memory.buffer.byteLength)));
  await Promise.all(pages.map((p) => p.evaluate((ch) => {
    window.__s = new window.__ws.Session({ channelName: ch, endpoints: { refresh: "/auth/refresh" } });
    let x = 0;
    window.__mover = setInterval(() => {
      x = (x + 1) % 500;
      document.dispatchEvent(new PointerEvent("pointermove", { clientX: x, clientY: 10, bubbles: true }));
    }, 50);
  }, ch)));
  const afterConstruct = await memory();
  await pages[0].evaluate((lifetimeS) => window.__s.start({ access_token: "a-0", refresh_token: "r-0", expires_in: lifetimeS }), REFRESH_LIFETIME_S);
  await Promise.all(pages.slice(1).map((p) => p.evaluate(() => window.__s.resume())));
  const samples = [];
  for (let t = SOAK_SAMPLE_S; t <= SOAK_S; t += SOAK_SAMPLE_S) {
    await new Promise((r) => setTimeout(r, SOAK_SAMPLE_S * 1000));
    samples.push({ atS: t, bytes: await memory() });
  }
  // The stack is the first 64 KiB of linear memory (rustc links with --stack-first) and
  // grows down from its top; memory starts zeroed, so the lowest non-zero byte below the
  // top is the deepest the stack has reached in this tab.
  const end = await Promise.all(pages.map((p) => p.evaluate((stackBytes) => {
    const bytes = new Uint8Array(window.__wasm.memory.buffer, 0, stackBytes);
    let low = 0;
    while (low < stackBytes && bytes[low] === 0) low++;
    return { state: window.__s.state, refreshCalls: window.__refreshCalls, stackUsed: stackBytes - low };
  }, STACK_BYTES)));
  await Promise.all(pages.map((p) => p.evaluate(() => { clearInterval(window.__mover); window.__s.destroy(); })));
  await context.close();
  return {
    tabs: SOAK_TABS, soakS: SOAK_S, afterInit, afterConstruct, samples,
    statesAtEnd: [...new Set(end.map((e) => e.state))],
    stackUsedMax: Math.max(...end.map((e) => e.stackUsed)),
    refreshCalls: end.reduce((a, e) => a + e.refreshCalls, 0),
  };
}

// ---------------------------------------------------------------- 6. refresh per lifetime
async function benchRefresh(browser, baseUrl, nTabs) {
  const context = await browser.newContext();
  await addRefreshStub(context);
  const serverBefore = serverRefreshCount;
  const pages = [];
  for (let i = 0; i < nTabs; i++) {
    const p = await context.newPage();
    await p.goto(`${baseUrl}/page.html?refresh=${i}`);
    await loadPkg(p);
    pages.push(p);
  }
  const ch = `refresh-${nTabs}-${Math.random()}`;
  await Promise.all(pages.map((p) => p.evaluate((ch) => {
    window.__s = new window.__ws.Session({ channelName: ch, endpoints: { refresh: "/auth/refresh" } });
    window.__events = { refreshed: 0, refreshFailed: 0, loggedOut: 0 };
    for (const t of Object.keys(window.__events)) window.__s.on(t, () => window.__events[t]++);
  }, ch)));
  await pages[0].evaluate((lifetimeS) => window.__s.start({ access_token: "a-0", refresh_token: "r-0", expires_in: lifetimeS }), REFRESH_LIFETIME_S);
  await Promise.all(pages.slice(1).map((p) => p.evaluate(() => window.__s.resume())));
  await new Promise((r) => setTimeout(r, REFRESH_RUN_MS));
  const perTab = await Promise.all(pages.map((p) => p.evaluate(() => ({
    calls: window.__refreshCalls, state: window.__s.state, ...window.__events,
  }))));
  await Promise.all(pages.map((p) => p.evaluate(() => window.__s.destroy())));
  await context.close();
  const calls = perTab.reduce((a, t) => a + t.calls, 0);
  const serverCalls = serverRefreshCount - serverBefore;
  const lifetimes = REFRESH_RUN_MS / 1000 / REFRESH_LIFETIME_S;
  return {
    tabs: nTabs, runMs: REFRESH_RUN_MS, lifetimeS: REFRESH_LIFETIME_S,
    stubCalls: calls, serverCalls, perLifetime: (calls + serverCalls) / lifetimes,
    statesAtEnd: [...new Set(perTab.map((t) => t.state))], perTab,
  };
}

async function main() {
  if (!fs.existsSync(path.join(PKG, "wasm_session_bg.wasm"))) {
    console.error(`no ${PKG}/wasm_session_bg.wasm: run \`make build\` first`);
    process.exit(2);
  }
  log("bundling peers with esbuild");
  const bundles = await bundlePeers();
  const size = sizes(bundles);
  bundles["react-idle-timer-app"] = await bundleReactApp();
  log(`size: ours (bundler form) gzip ${size.ours.gzip} B, brotli ${size.ours.brotli} B`);

  const server = await startServer(bundles);
  const baseUrl = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const R = {
    machine: {
      date: new Date().toISOString(), node: process.version, chromium: chromiumVersion(),
      browserVersion: browser.version(), playwrightCore: pkgVersion("playwright-core"), esbuild: esbuild.version,
      cores: os.cpus().length, cpu: cpuModel(), memGiB: Math.round(os.totalmem() / 2 ** 30), platform: `${os.platform()} ${os.release()}`,
      quick: QUICK,
    },
    size,
    notMeasured: [],
  };
  const step = async (name, fn) => {
    if (!wanted(name)) return null;
    log(`${name} ...`);
    try { return await fn(); }
    catch (e) {
      log(`${name} FAILED: ${e.stack ?? e}`);
      R.notMeasured.push(`${name}: failed in this run (${String(e.message ?? e).split("\n")[0]}).`);
      return null;
    }
  };
  try {
    R.init = await step("init", () => benchInit(browser, baseUrl));
    for (const kind of ["cold", "warm"]) {
      const run = R.init?.[kind];
      if (run) log(`init ${kind}: median init() ${fmt(median(run.initMs))} ms (to fetch() ${fmt(median(run.toFetchMs))}, to request ${fmt(median(run.fetchToRequestMs))}, request to last byte ${fmt(median(run.requestToLastByteMs))}, after it ${fmt(median(run.afterLastByteMs))}), new Session ${fmt(median(run.constructMs), 3)} ms (again ${fmt(median(run.constructAgainMs), 3)}; resume() ${fmt(median(run.resumeMs), 3)}), together ${fmt(initTogether(run))} ms`);
    }
    if (R.init?.streamingFallbacks) log(`init: WARNING the glue fell back from instantiateStreaming ${R.init.streamingFallbacks} times`);
    R.activity = { runs: (await step("activity", () => benchActivity(browser, baseUrl))) ?? [] };
    if (R.activity.runs.length) {
      R.activity.summary = activitySummary(R.activity.runs);
      const S = R.activity.summary;
      log(`activity (ns/event, median): floor ${fmt(S.floor.median, 1)} (pointermove) ${fmt(S.floorMouse.median, 1)} (mousemove), ours ${fmt(S.ours.median, 1)} (upper 95% ${fmt(S.ours.upper95, 1)}), react-idle-timer ${fmt(S.rit.median, 1)}; rit/ours ${S.ritOverOurs}`);
    }
    const rounds = await step("cross-tab logout", () => benchCrossTab(browser, baseUrl));
    R.crossTab = { rounds: rounds ?? [] };
    if (rounds) log(`cross-tab: p50 ${fmt(quantile(rounds.flat(), 0.5))} ms p99 ${fmt(quantile(rounds.flat(), 0.99))} ms`);
    R.timers = (await step("timer error", () => benchTimers(browser, baseUrl))) ?? [];
    if (R.timers.length) log(`timers: warning ${fmt(median(R.timers.map((r) => r.warningErrMs)))} ms, expiry ${fmt(median(R.timers.map((r) => r.expiryErrMs)))} ms`);
    R.refresh = [];
    for (const n of REFRESH_TABS) {
      const r = await step(`refresh with ${n} tabs`, () => benchRefresh(browser, baseUrl, n));
      if (r) { R.refresh.push(r); log(`refresh ${n} tabs: ${r.stubCalls + r.serverCalls} requests, ${fmt(r.perLifetime)} per lifetime`); }
    }
    R.memory = await step(`memory soak (${SOAK_TABS} tabs, ${SOAK_S} s)`, () => benchMemory(browser, baseUrl));
    if (R.memory) log(`memory: max ${fmtInt(memoryMax(R.memory))} B per tab after ${SOAK_S} s`);
  } finally {
    await browser.close();
    server.close();
  }
  R.notMeasured.push(
    "Timer error and cross-tab logout of react-idle-timer (its activity overhead is measured in 3, inside React).",
    "Cross-tab logout latency, timer error and refresh counts of the auth SDKs (oidc-client-ts, supertokens-website, @supabase/auth-js, @auth0/auth0-spa-js): each needs its own identity provider/backend to log in and refresh against; no such backend runs here, so they are compared on size and module load only.",
    "Peer constructor times (e.g. `new UserManager`) and peer memory use.",
    "Background-tab behaviour: every page here is a headless tab that Chromium reports as visible; throttled background timers are not exercised.",
    "@auth0/auth0-spa-js is pinned at 2.27.0: the latest (2.28.3) needs an @auth0/auth0-auth-js version the npm registry reachable here does not serve.",
  );
  R.machine.runtimeS = (Date.now() - t0) / 1000;
  keepUnrunSections(R);
  fs.writeFileSync(path.join(HERE, "report.json"), JSON.stringify(R, null, 2) + "\n");
  fs.writeFileSync(path.join(HERE, "report.md"), renderMarkdown(R));
  log(`wrote bench/report.md and bench/report.json (${fmt(R.machine.runtimeS, 0)} s)`);
}

main().catch((e) => { console.error(e); process.exit(1); });
