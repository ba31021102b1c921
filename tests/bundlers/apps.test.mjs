// The package as a user gets it (install-package.mjs installed the `npm pack` tarball
// first; `make bundlers` runs both): three small apps built for production with Vite, webpack
// and esbuild (the steps README's "Use with…" gives), each served by a static server and
// run in Debian's Chromium: the session becomes active, refreshes, `session.fetch` sends
// the new token, `logout()` fires `loggedOut`, and the page logs no error (app/check.js).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, createReadStream, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const BIN = join(HERE, "node_modules/.bin");
const CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"];

const run = (cmd, args, cwd = HERE) => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

let browser;
before(async () => {
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
});
after(() => browser?.close());

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };

/**
 * Serves `root` on a free port of 127.0.0.1, and at /echo-authorization the request's
 * Authorization header; resolves with { url, close }.
 */
async function serve(root) {
  const server = createServer((req, res) => {
    if (req.url === "/echo-authorization") {
      res.writeHead(200, { "content-type": "text/plain" }).end(req.headers.authorization ?? "");
      return;
    }
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(root, path.endsWith("/") ? `${path}index.html` : path);
    if (!file.startsWith(root) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

/** Opens the built app in `dist` and returns the result of app/check.js and the page's errors. */
async function openApp(dist) {
  const server = await serve(dist);
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console.error: ${m.text()}`); });
  page.on("response", (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`); });
  try {
    await page.goto(server.url);
    await page.waitForFunction(() => window.smokeResult, null, { timeout: 20_000 }).catch((e) => {
      throw new Error(`the app did not finish: ${errors.join("; ") || e.message}`);
    });
    return { result: await page.evaluate(() => window.smokeResult), errors };
  } finally {
    await page.close();
    await server.close();
  }
}

function assertSessionWorked({ result, errors }) {
  assert.deepEqual(errors, []);
  assert.equal(result.stateAfterStart, "active");
  assert.equal(result.authorization, "Bearer access-2", "session.fetch sends the refreshed token");
  assert.equal(result.reason, "user");
  assert.equal(result.stateAfterLogout, "loggedOut");
  for (const type of ["started", "refreshed", "loggedOut"]) assert.ok(result.events.includes(type), `no ${type} in ${result.events}`);
}

const appDir = (name) => join(HERE, name);
const fresh = (dir) => rmSync(dir, { recursive: true, force: true });

test("Vite: vite build, no configuration", async () => {
  fresh(join(appDir("vite"), "dist"));
  run(join(BIN, "vite"), ["build", "--logLevel", "warn"], appDir("vite"));
  assertSessionWorked(await openApp(join(appDir("vite"), "dist")));
});

test("webpack 5: webpack --mode production, no configuration", async () => {
  fresh(join(appDir("webpack"), "dist"));
  run(join(BIN, "webpack"), ["--mode", "production", "--no-stats"], appDir("webpack"));
  copyFileSync(join(appDir("webpack"), "index.html"), join(appDir("webpack"), "dist/index.html"));
  assertSessionWorked(await openApp(join(appDir("webpack"), "dist")));
});

test("esbuild: the wasm file loader and its URL passed to init(), type-checked", async () => {
  fresh(join(appDir("esbuild"), "dist"));
  run(join(BIN, "tsc"), ["-p", "."], appDir("esbuild"));
  run(join(BIN, "esbuild"), ["main.ts", "--bundle", "--format=esm", "--minify", "--loader:.wasm=file", "--outdir=dist", "--log-level=warning"], appDir("esbuild"));
  copyFileSync(join(appDir("esbuild"), "index.html"), join(appDir("esbuild"), "dist/index.html"));
  assertSessionWorked(await openApp(join(appDir("esbuild"), "dist")));
});

test("a session the page keeps no reference to runs until its idle timeout, garbage collected or not (Node)", () => {
  const out = execFileSync(process.execPath, ["--expose-gc", "node/unreferenced-session.mjs"], { cwd: HERE, encoding: "utf8" });
  const seen = JSON.parse(out.trim().split("\n").pop());
  assert.ok(seen.includes("warning") && seen.includes("expired"), `events after the collection: ${seen.join(", ")}`);
});
