// Settings, statistics and version helpers shared by bench/run.mjs and bench/report.mjs.
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PKG = path.resolve(HERE, "../pkg");
export const QUICK = process.env.BENCH_QUICK === "1";
// BENCH_ONLY=activity,memory runs only the steps whose names start so (while working on one);
// the other sections of the report keep the figures of the last report.json.
export const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(",") : null;
export const wanted = (step) => !ONLY || ONLY.some((word) => step.startsWith(word));
export const N_INIT = QUICK ? 5 : 20;
export const N_ACTIVITY_EVENTS = 50_000;
export const N_ACTIVITY_ROUNDS = QUICK ? 5 : 15;
export const N_ACTIVITY_RUNS = QUICK ? 1 : 3;
export const SOAK_TABS = 20;
// BENCH_SOAK_S=300 for the 5-minute soak; the default keeps `make bench` short.
export const SOAK_S = Number(process.env.BENCH_SOAK_S ?? (QUICK ? 20 : 90));
export const SOAK_SAMPLE_S = 10;
export const STACK_BYTES = 65536; // -zstack-size in .cargo/config.toml
export const N_XTAB_TABS = 10;
export const N_XTAB_ROUNDS = QUICK ? 5 : 20;
export const N_TIMER_RUNS = QUICK ? 3 : 10;
export const REFRESH_TABS = [1, 5, 20];
export const REFRESH_RUN_MS = 10_000;
export const REFRESH_LIFETIME_S = 2;

export const CHROMIUM_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
];

// Peers: bundled with esbuild --bundle --minify --format=esm from an entry that re-exports
// the whole public API.
export const PEERS = [
  { name: "react-idle-timer", entry: "react-idle-timer.js", external: ["react", "react-dom"], note: "react, react-dom external" },
  { name: "oidc-client-ts", entry: "oidc-client-ts.js", external: [] },
  { name: "supertokens-website", entry: "supertokens-website.js", external: [] },
  { name: "@supabase/auth-js", entry: "supabase-auth-js.js", external: [] },
  { name: "@auth0/auth0-spa-js", entry: "auth0-spa-js.js", external: [] },
];

export const t0 = Date.now();
export const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);

// ---------------------------------------------------------------- statistics
export const sorted = (xs) => [...xs].sort((a, b) => a - b);
export const quantile = (xs, q) => {
  if (!xs.length) return null;
  const s = sorted(xs);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
};
export const median = (xs) => quantile(xs, 0.5);
export const fmt = (x, d = 2) => (x == null || Number.isNaN(x) ? "n/a" : Number(x).toFixed(d));
export const fmtInt = (x) => (x == null ? "n/a" : Math.round(x).toLocaleString("en-US"));

// ---------------------------------------------------------------- versions
export function pkgVersion(name) {
  return JSON.parse(fs.readFileSync(path.join(HERE, "node_modules", name, "package.json"), "utf8")).version;
}
export function chromiumVersion() {
  try { return execFileSync("/usr/bin/chromium", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim(); }
  catch { return null; }
}
export function cpuModel() {
  return os.cpus()[0]?.model ?? "unknown";
}


export const ACTIVITY_SUBJECTS = ["floor", "floorMouse", "ours", "rit"];
export const DEFAULT_EVENT_COUNT = 5; // pointerdown, pointermove, keydown, wheel, touchstart
