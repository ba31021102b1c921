// bench/report.md from the numbers bench/run.mjs measured (report.json).
import fs from "node:fs";
import path from "node:path";
import { HERE, ONLY, wanted, N_ACTIVITY_EVENTS, N_ACTIVITY_ROUNDS, SOAK_TABS, SOAK_S, STACK_BYTES, N_XTAB_TABS, REFRESH_RUN_MS, REFRESH_LIFETIME_S, PEERS, sorted, quantile, median, fmt, fmtInt, pkgVersion, ACTIVITY_SUBJECTS, DEFAULT_EVENT_COUNT } from "./settings.mjs";

// ---------------------------------------------------------------- report
function ratio(a, b) { return b ? `${fmt(a / b, 2)}×` : "n/a"; }

const together = (run) => run.initMs.map((x, i) => x + run.constructMs[i]);
export const initTogether = (run) => median(together(run));
export const memoryMax = (M) => Math.max(...M.afterConstruct, ...M.samples.flatMap((s) => s.bytes));
// Each timed loop reads a clock coarsened to 0.1 ms: a paired difference is only known to
// ±0.2 ms, i.e. ±(0.2 ms / N) per event. A median below that is reported as "below".
export const activityResolutionNs = () => (0.2 * 1e6) / N_ACTIVITY_EVENTS;

export function activitySummary(runs) {
  const S = {};
  for (const name of ACTIVITY_SUBJECTS) {
    const all = runs.flatMap((r) => r.rounds[name].map((x) => x.nsPerEvent));
    S[name] = {
      median: median(all), p10: quantile(all, 0.1), p90: quantile(all, 0.9), n: all.length,
      perRun: runs.map((r) => median(r.rounds[name].map((x) => x.nsPerEvent))),
      withMs: median(runs.flatMap((r) => r.rounds[name].map((x) => x.withMs))),
      baselineMs: median(runs.flatMap((r) => r.rounds[name].map((x) => x.baselineMs))),
      reports: runs.map((r) => r.reports[name]),
      // Listeners of the measured type on document: attached, before / after the loop / after detach.
      live: [...new Set(runs.flatMap((r) => r.rounds[name].map((x) => `${x.liveBefore} / ${x.liveAfter} / ${x.liveAtEnd}`)))],
    };
  }
  const res = activityResolutionNs();
  // Ratios divide by ours at its distribution-free upper 95% bound for the median (order
  // statistic n/2 + 1.96·√n/2), and at least the clock's resolution: a lower bound, robust to
  // a noisy shared machine where ours alone may even measure below zero.
  const all = sorted(runs.flatMap((r) => r.rounds.ours.map((x) => x.nsPerEvent)));
  const k = Math.min(all.length - 1, Math.ceil(all.length / 2 + (1.96 * Math.sqrt(all.length)) / 2));
  S.ours.upper95 = all[k];
  const oursForRatio = Math.max(S.ours.upper95, res);
  const over = (x) => `≥ ${fmt(x / oursForRatio, 1)}×`;
  S.ritOverOurs = over(S.rit.median);
  S.floorOverOurs = over(S.floor.median);
  S.floorMouseOverOurs = over(S.floorMouse.median);
  S.resolutionNs = res;
  return S;
}

export function renderMarkdown(R) {
  const L = [];
  L.push("# wasm-session benchmarks", "");
  L.push(`Generated ${R.machine.date} by \`node bench/run.mjs\` in ${fmt(R.machine.runtimeS, 0)} s${R.machine.quick ? " (**BENCH_QUICK=1: reduced repeat counts**)" : ""}. Raw numbers: \`bench/report.json\`.`, "");
  for (const r of R.machine.rerun ?? []) L.push(`Re-run alone (\`BENCH_ONLY\`) ${r.date}, in ${fmt(r.runtimeS, 0)} s: ${r.sections.join(", ")}; the other sections are from the run above.`, "");
  L.push("## Machine", "");
  L.push(`- node ${R.machine.node}, ${R.machine.chromium ?? "chromium (version unknown)"} (Debian, headless=new, via playwright-core ${R.machine.playwrightCore})`);
  L.push(`- ${R.machine.cores} cores (${R.machine.cpu}), ${R.machine.memGiB} GiB, ${R.machine.platform}; a shared machine, so absolute times are noisy`);
  L.push(`- peers: ${PEERS.map((p) => `${p.name} ${R.size.peers[p.name].version}`).join(", ")}; bundler esbuild ${R.machine.esbuild}`, "");

  // 1. size
  const o = R.size.ours;
  L.push("## 1. Size (what a browser downloads)", "");
  L.push("Both sides minified. Ours = the bundler form as `make size` (scripts/size.mjs) computes it: `pkg/wasm_session_bg.wasm` as built by `make build` plus `pkg/wasm_session.js` minified by esbuild (`--minify --format=esm --target=es2020`). Peers = `esbuild --bundle --minify --format=esm` of an entry that re-exports the whole public API (`bench/entries/`), `NODE_ENV=production`. gzip = node zlib level 9; brotli = quality 11. Ratio = ours / peer (below 1× means we are smaller).", "");
  L.push("| package | raw B | gzip -9 B | brotli B | ours/peer gzip | ours/peer brotli |", "|---|---:|---:|---:|---:|---:|");
  L.push(`| **wasm-session** (bundler form: wasm + glue minified) | ${fmtInt(o.raw)} | **${fmtInt(o.gzip)}** | **${fmtInt(o.brotli)}** | — | — |`);
  for (const f of o.files) L.push(`| &nbsp;&nbsp;${f.file} | ${fmtInt(f.raw)} | ${fmtInt(f.gzip)} | ${fmtInt(f.brotli)} | | |`);
  for (const p of PEERS) {
    const s = R.size.peers[p.name];
    L.push(`| ${p.name} ${s.version}${p.note ? ` (${p.note})` : ""} | ${fmtInt(s.raw)} | ${fmtInt(s.gzip)} | ${fmtInt(s.brotli)} | ${ratio(o.gzip, s.gzip)} | ${ratio(o.brotli, s.brotli)} |`);
  }
  L.push("", "The peers do different jobs (react-idle-timer: idle detection only, without React itself; the auth SDKs: login flows, token refresh and storage, but no idle timeout), so the ratio is a size comparison, not a like-for-like feature comparison. Whole-API bundles are an upper bound for the peers (a tree-shaken app imports less); our package cannot be tree-shaken.", "");

  // 2. init
  const I = R.init;
  if (!I?.cold) {
    L.push("## 2. Init", "", "Not measured in this run (see below).", "");
  } else {
    const C = I.cold, W = I.warm;
    const cell = (run, key, d = 2) => `${fmt(median(run[key]), d)} | ${fmt(quantile(run[key], 0.9), d)}`;
    const bold = (run, key, d = 2) => `**${fmt(median(run[key]), d)}** | ${fmt(quantile(run[key], 0.9), d)}`;
    L.push(`## 2. Init (median of ${C.initMs.length} page loads, cold and warm interleaved)`, "");
    L.push(`Measured with \`performance.now()\` and the \`.wasm\`'s Resource Timing entry in the page. Every load is a fresh document; the server (node, over loopback) sends \`Cache-Control: no-store\` (no HTTP cache) and the \`.wasm\` as \`${I.wasmContentType}\`, as a user's server does, so the glue compiles it with \`WebAssembly.instantiateStreaming\` while it downloads (its fallback to \`arrayBuffer()\`, which warns, happened ${I.streamingFallbacks} times).`, "");
    L.push("**Cold** (the headline): every load gets bytes no earlier load had (a custom section with a nonce at the start of the `.wasm`, a comment at the end of the JS), so V8 compiles the module, and each function on its first call, as on a user's first visit (the renderer process itself is not new: a new process's own start-up is the browser's cost, paid by any page). **Warm**: the same bytes every load, as this bench measured until 2026-11-30. V8 keeps the wasm modules a renderer process compiled, with every function compiled lazily since, keyed by their bytes: a warm load finds the module of an earlier load and skips nearly all compilation. So warm is what a later page of the same site in the same renderer process can get, not a first visit; the issue's 6.85 + 0.9 ms were measured warm.", "");
    L.push("| step | cold median ms | cold p90 | warm median ms | warm p90 |", "|---|---:|---:|---:|---:|");
    L.push(`| \`import("/pkg/wasm_session.js")\` (JS glue fetch + evaluate) | ${cell(C, "importMs")} | ${cell(W, "importMs")} |`);
    L.push(`| **(a) \`await init()\`** | ${bold(C, "initMs")} | ${bold(W, "initMs")} |`);
    L.push(`| &nbsp;&nbsp;init() called → \`fetch()\` of the \`.wasm\` (the glue: its imports object) | ${cell(C, "toFetchMs")} | ${cell(W, "toFetchMs")} |`);
    L.push(`| &nbsp;&nbsp;\`fetch()\` → request sent (the browser's network stack) | ${cell(C, "fetchToRequestMs")} | ${cell(W, "fetchToRequestMs")} |`);
    L.push(`| &nbsp;&nbsp;request sent → last byte received (fetch over loopback, ${fmtInt(median(W.wasmBytes))} B) | ${cell(C, "requestToLastByteMs")} | ${cell(W, "requestToLastByteMs")} |`);
    L.push(`| &nbsp;&nbsp;&nbsp;&nbsp;of which request sent → first byte (the server) | ${cell(C, "serverWaitMs")} | ${cell(W, "serverWaitMs")} |`);
    L.push(`| &nbsp;&nbsp;last byte → instantiated (end of the streaming compilation, instantiation, start function) | ${cell(C, "afterLastByteMs")} | ${cell(W, "afterLastByteMs")} |`);
    L.push(`| **(b) \`new Session({channelName: unique})\`**, the first in the page | ${bold(C, "constructMs", 3)} | ${bold(W, "constructMs", 3)} |`);
    L.push(`| &nbsp;&nbsp;a second \`new Session\` in the same page (no first-call costs left) | ${cell(C, "constructAgainMs", 3)} | ${cell(W, "constructAgainMs", 3)} |`);
    if (C.resumeMs?.length) L.push(`| (c) then \`resume()\` of the first session (what a page does next; not in the target) | ${cell(C, "resumeMs", 3)} | ${cell(W, "resumeMs", 3)} |`);
    const p90Together = (run) => quantile(together(run), 0.9);
    L.push(`| **(a) + (b), per page load** (issue 13 target: ≤ 5 ms) | **${fmt(initTogether(C))}** | ${fmt(p90Together(C))} | **${fmt(initTogether(W))}** | ${fmt(p90Together(W))} |`);
    const load = (run) => median(run.importMs.map((x, i) => x + run.initMs[i]));
    L.push(`| import + init, together | ${fmt(load(C))} | | ${fmt(load(W))} | |`, "");
    L.push("The parts of init() are medians of each part, so they need not add up to the median of the whole. The first `new Session` minus the second is what the first call of each piece costs: mostly V8 compiling, on first call, the wasm functions construction runs (cold; warm, the cached module has them compiled), plus the first calls of the glue and the first touch of `localStorage`, `BroadcastChannel` and the listeners in this document.", "");
    L.push("Peers have no instantiate step; for reference, `await import()` of each peer's minified whole-API bundle (fetch + parse + evaluate) on a fresh page load, cold like ours (its bytes new to the process each load), same run:", "");
    L.push("| peer | import median ms | ours cold (import + init) / peer |", "|---|---:|---:|");
    for (const [name, xs] of Object.entries(I.peerImport)) L.push(`| ${name} | ${fmt(median(xs))} | ${ratio(load(C), median(xs))} |`);
    L.push("", "react-idle-timer is left out here: its bundle imports `react`, which this page does not provide. Peer constructors (e.g. `new UserManager(...)`) are not timed.", "");
  }

  // 3. activity
  const A = R.activity;
  const S = A.summary;
  const ritVersion = R.size.peers["react-idle-timer"].version;
  L.push(`## 3. Activity overhead (${fmtInt(N_ACTIVITY_EVENTS)} synthetic moves dispatched on \`document\`, ${N_ACTIVITY_ROUNDS} paired rounds × ${A.runs.length} runs)`, "");
  if (!S) {
    L.push("Not measured in this run (see below).", "");
  } else {
    L.push(`One loop for every library: ${fmtInt(N_ACTIVITY_EVENTS)} pre-built events (two, clientX 10 and 20, re-dispatched alternately, so construction is out of the loop and no move has zero distance) dispatched on \`document\`, timed with \`performance.now()\`. A **paired round** times the loop with nothing attached, then attaches the library, times the same loop again, and detaches it; overhead = the difference ÷ ${fmtInt(N_ACTIVITY_EVENTS)}. Each run is a fresh page holding all the subjects below, whose order rotates from round to round; the table gives the median over every round of every run.`, "");
    L.push("| what is attached | event | ns per event (median) | p10 | p90 | per-run medians | loop with it ms | loop without ms | vs wasm-session |", "|---|---|---:|---:|---:|---|---:|---:|---:|");
    const row = (label, event, x, vs) => L.push(`| ${label} | \`${event}\` | **${fmt(x.median, 1)}** | ${fmt(x.p10, 1)} | ${fmt(x.p90, 1)} | ${x.perRun.map((v) => fmt(v, 1)).join(", ")} | ${fmt(x.withMs, 1)} | ${fmt(x.baselineMs, 1)} | ${vs} |`);
    row("**wasm-session** (started `Session`, default events, 1 s throttle)", "pointermove", S.ours, "—");
    row(`react-idle-timer ${ritVersion}: \`useIdleTimer({ eventsThrottle: 200 })\` in a React ${pkgVersion("react")} root, production build`, "mousemove", S.rit, S.ritOverOurs);
    row("floor: one empty passive capture listener (`() => {}`) on `document`", "pointermove", S.floor, S.floorOverOurs);
    row("floor, the same for react-idle-timer's event", "mousemove", S.floorMouse, S.floorMouseOverOurs);
    L.push("");
    const met = S.ours.upper95 <= 200 && S.rit.median >= 7 * Math.max(S.ours.upper95, S.resolutionNs);
    L.push(`Issue 13 target: ours ≤ 200 ns per event and at least 7× below react-idle-timer, in the same run: **${met ? "met" : "not met"}** (ours ${fmt(S.ours.median, 1)} ns median, ${fmt(S.ours.upper95, 1)} ns at the upper 95% bound; react-idle-timer ${fmt(S.rit.median, 1)} ns; the floor ${fmt(S.floor.median, 1)} / ${fmt(S.floorMouse.median, 1)} ns).`, "");
    L.push(`Each library gets the move event its default list listens to (react-idle-timer's defaults have \`mousemove\`, not \`pointermove\`; ours have \`pointermove\`). The clock is coarsened to 0.1 ms (the page is not cross-origin isolated), so one paired difference is known to about ±${fmt(S.resolutionNs, 0)} ns per event; the machine's noise is larger (see p10/p90). So the "vs wasm-session" ratios divide by ours at the upper 95% confidence bound of its median (${fmt(S.ours.upper95, 1)} ns: order statistic n/2 + 1.96·√n/2 of the ${S.ours.n} rounds; at least the ${fmt(S.resolutionNs, 0)} ns resolution): they are lower bounds.`, "");
    L.push(`Why ours is near zero: after reporting activity the session *removes* its listeners and a timer puts them back when the throttle window (1 s) ends by the clock, so within a window no listener of ours exists and the browser's dispatch does not run any of our code. Only the first move of each window pays: one wasm call, the report, ${DEFAULT_EVENT_COUNT} \`removeEventListener\` calls and a \`setTimeout\`, then ${DEFAULT_EVENT_COUNT} \`addEventListener\` calls when the window ends; once a second at most. react-idle-timer and the floor keep a listener attached, so every event pays the browser's listener invocation (the floor) plus the library's own work.`, "");
    L.push(`Listeners of the measured event type on \`document\`, counted by wrapping \`addEventListener\`/\`removeEventListener\` (dispatch is untouched), as "attached before the loop / after it / after detaching", every round: wasm-session ${S.ours.live.join("; ")} (the first move reports and removes the listener: none is left for the rest of the window); react-idle-timer ${S.rit.live.join("; ")}; floor ${S.floor.live.join("; ")}. react-idle-timer \`onAction\` calls per run: ${S.rit.reports.join(", ")} (its listener was live).`, "");
  }

  // 4. cross-tab
  const X = R.crossTab;
  const all = X.rounds.flat();
  const perRoundMax = X.rounds.map((r) => Math.max(...r));
  L.push(`## 4. Cross-tab logout latency (1 → ${N_XTAB_TABS} tabs, ${X.rounds.length} rounds)`, "");
  L.push("One browser context, 11 pages on one channel (one `start()`, ten `resume()`); latency = `performance.timeOrigin + performance.now()` at the `loggedOut` event in each other tab minus the same clock just before `logout()` in the first tab.", "");
  L.push("| wasm-session | p50 ms | p99 ms | max ms |", "|---|---:|---:|---:|");
  L.push(`| every tab, every round (${all.length} samples) | **${fmt(quantile(all, 0.5))}** | **${fmt(quantile(all, 0.99))}** | ${fmt(Math.max(...all))} |`);
  L.push(`| last of the 10 tabs, per round (${perRoundMax.length} samples) | ${fmt(quantile(perRoundMax, 0.5))} | ${fmt(quantile(perRoundMax, 0.99))} | ${fmt(Math.max(...perRoundMax))} |`, "");
  L.push("Peers not measured: none of the five has a cross-tab logout of the same kind to trigger with one call in a plain page (oidc-client-ts monitors a session via an OP iframe; supertokens and supabase broadcast via storage/BroadcastChannel only around their own backends; auth0-spa-js has none), so no ratio.", "");

  // 5. timers
  const T = R.timers;
  L.push(`## 5. Timer error (idleTimeoutMs 3000, warnBeforeMs 2000, visible tab, median of ${T.length} runs)`, "");
  L.push("`warning`: event `at` − (`deadline` − warnBeforeMs). `expired`: event `at` − the session's `idleDeadline` read just before (at start, warning and each countdown). \"Observed\" uses `Date.now()` inside the listener instead of `at`.", "");
  L.push("| event | median ms (from `at`) | max ms | median ms (observed in listener) |", "|---|---:|---:|---:|");
  const col = (k) => T.map((r) => r[k]);
  L.push(`| warning | **${fmt(median(col("warningErrMs")))}** | ${fmt(Math.max(...col("warningErrMs")))} | ${fmt(median(col("warningObservedErrMs")))} |`);
  L.push(`| expired (idle) | **${fmt(median(col("expiryErrMs")))}** | ${fmt(Math.max(...col("expiryErrMs")))} | ${fmt(median(col("expiryObservedErrMs")))} |`, "");
  L.push(`Tab visibility during the runs: ${[...new Set(T.map((r) => r.visibility))].join(", ")}. Peers not measured (react-idle-timer: measured in 3 for activity only; the auth SDKs have no idle timer).`, "");

  // 6. refresh
  L.push(`## 6. Refresh requests per token lifetime (ours only; ${REFRESH_LIFETIME_S}-s tokens, ${REFRESH_RUN_MS / 1000}-s run)`, "");
  L.push("A page-level `fetch` stub (every tab) answers `/auth/refresh` with `{access_token, refresh_token, expires_in: 2}` and a new refresh token each time (rotation); options `{ endpoints: { refresh: \"/auth/refresh\" } }`; one tab `start()`s, the others `resume()`. With the defaults, `refreshBeforeMs` (60 s) is capped at half the token lifetime, and a refreshed token waits at least `retryInitialMs` (1 s) plus up to 0.5 s of jitter, so a single tab refreshes every 1–1.5 s: **1.3–2 per 2-s lifetime is the designed rate**, and the point of the table is that it stays in that range as tabs are added (single-flight across tabs via Web Locks + channel), never a multiple of the tab count.", "");
  L.push("| tabs | refresh requests | per 2-s lifetime | states at end |", "|---:|---:|---:|---|");
  for (const r of R.refresh) L.push(`| ${r.tabs} | ${r.stubCalls + r.serverCalls} | **${fmt(r.perLifetime)}** | ${r.statesAtEnd.join(", ")} |`);
  L.push("", "Requests reaching the node server instead of the stub (should be 0): " + R.refresh.map((r) => `${r.tabs} tabs: ${r.serverCalls}`).join(", ") + ".", "");

  // 7. memory
  const M = R.memory;
  L.push(`## 7. Wasm memory per tab (${M ? M.tabs : SOAK_TABS} tabs, ${M ? M.soakS : SOAK_S}-s soak)`, "");
  if (!M) {
    L.push("Not measured in this run (see below).", "");
  } else {
    const stats = (xs) => `${fmtInt(Math.min(...xs))} / ${fmtInt(median(xs))} / ${fmtInt(Math.max(...xs))}`;
    L.push(`\`memory.buffer.byteLength\` of each tab's wasm instance (the \`init()\` result's \`memory\`): ${M.tabs} tabs in one context on one channel with 2-s tokens (refreshes and cross-tab messages all along, answered by the \`fetch\` stub of 6), a \`pointermove\` every 50 ms in every tab. The wasm stack is 64 KiB (\`.cargo/config.toml\`); the heap grows in 64 KiB pages as the allocator (talc, grow-and-extend) needs them and never shrinks. Issue 13 target: ≤ 262,144 B (256 KiB) per tab.`, "");
    L.push("| when | min / median / max bytes per tab |", "|---|---:|");
    L.push(`| after \`init()\` | ${stats(M.afterInit)} |`);
    L.push(`| after \`new Session\` | ${stats(M.afterConstruct)} |`);
    for (const sample of M.samples) L.push(`| ${sample.atS} s into the soak | ${stats(sample.bytes)} |`);
    L.push("", `**Largest of any tab at any time: ${fmtInt(memoryMax(M))} B.** Deepest stack of any tab (lowest non-zero byte of the zero-initialised ${fmtInt(STACK_BYTES)}-B stack region): ${fmtInt(M.stackUsedMax)} B. States at the end: ${M.statesAtEnd.join(", ")}; refresh requests during the soak: ${M.refreshCalls}. A 5-minute soak: \`BENCH_SOAK_S=300 make bench\`.`, "");
  }

  L.push("## Not measured", "");
  for (const n of R.notMeasured) L.push(`- ${n}`);
  L.push("");
  return L.join("\n");
}

// ---------------------------------------------------------------- main
// With BENCH_ONLY, the sections not run keep the last report's figures (and its date),
// and the report says which sections were re-run when.
export const SECTIONS = { init: "init", activity: "activity", crossTab: "cross-tab logout", timers: "timer error", refresh: "refresh with", memory: "memory soak" };
export function keepUnrunSections(R) {
  const file = path.join(HERE, "report.json");
  if (!ONLY || !fs.existsSync(file)) return;
  const previous = JSON.parse(fs.readFileSync(file, "utf8"));
  const rerun = Object.keys(SECTIONS).filter((key) => wanted(SECTIONS[key]));
  for (const key of Object.keys(SECTIONS)) if (!rerun.includes(key)) R[key] = previous[key];
  const sections = ["size", ...rerun];
  // Earlier re-runs keep only the sections this one did not replace.
  const earlier = (previous.machine.rerun ?? [])
    .map((r) => ({ ...r, sections: r.sections.filter((name) => !sections.includes(name)) }))
    .filter((r) => r.sections.length);
  R.machine.rerun = [...earlier, { sections, date: R.machine.date, runtimeS: R.machine.runtimeS }];
  R.machine.date = previous.machine.date;
  R.machine.runtimeS = previous.machine.runtimeS;
  R.machine.quick = previous.machine.quick;
  R.notMeasured = [...new Set([...R.notMeasured, ...(previous.notMeasured ?? [])])];
}
