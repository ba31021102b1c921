// Shared by the UI tests: a static server on 127.0.0.1 for the package and the
// test pages, esbuild bundles of the React apps, and Debian's Chromium (never a
// downloaded browser). The package is target/types-pkg (`make types`, with the
// js/ entries copied in) unless WASM_SESSION_PKG names another built package.
import { createServer } from "node:http";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";

const here = new URL(".", import.meta.url).pathname;
const root = new URL("../../", import.meta.url).pathname;
export const PKG = process.env.WASM_SESSION_PKG ? normalize(process.env.WASM_SESSION_PKG) : join(root, "target/types-pkg");

const TYPES = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".html": "text/html; charset=utf-8" };

/** An import map and a module script: the page imports the package by its npm name, as an app would. */
export const page = (body, script) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wasm-session UI test</title><link rel="icon" href="data:,">
<script type="importmap">{"imports":{"wasm-session":"/pkg/wasm_session.js","wasm-session/dialog":"/pkg/dialog.js"}}</script>
</head><body><main>${body}</main><script type="module">${script}</script></body></html>`;

/**
 * Serves /pkg/* from the package, /axe.js, and `files` ({ "/path": text }).
 * Resolves with { url, stop }.
 */
export async function serve(files) {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://localhost").pathname;
    try {
      let body = files[path];
      if (body === undefined && path.startsWith("/pkg/") && !path.includes("..")) body = await readFile(join(PKG, path.slice(5)));
      if (body === undefined && path === "/axe.js") body = await readFile(join(here, "node_modules/axe-core/axe.min.js"));
      if (body === undefined) throw new Error("not found");
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? TYPES[".html"], "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${server.address().port}`, stop: () => new Promise((r) => server.close(r)) };
}

/** esbuild from tools/esbuild (the one `make size` uses). */
function esbuild() {
  try {
    return createRequire(join(root, "tools/esbuild/package.json"))("esbuild");
  } catch (e) {
    throw new Error(`esbuild missing: run bash scripts/setup.sh --npm tools/esbuild (${e.message})`);
  }
}

/**
 * Bundles `entry` with React `major` (the npm aliases react18/react19) for
 * `mode` "production" or "development" and `platform` "browser" or "node";
 * resolves with the bundle's text.
 * "wasm-session" and its subpaths resolve to the built package.
 */
export async function bundle(entry, major, mode, platform = "browser") {
  const toPkg = {
    name: "wasm-session",
    setup(build) {
      build.onResolve({ filter: /^wasm-session(\/|$)/ }, (args) => ({
        path: join(PKG, args.path === "wasm-session" ? "wasm_session.js" : `${args.path.slice("wasm-session/".length)}.js`),
      }));
    },
  };
  const result = await esbuild().build({
    entryPoints: [join(here, entry)],
    absWorkingDir: here,
    bundle: true,
    format: "esm",
    platform,
    // React's server build requires Node built-ins; an ES module has no `require`.
    banner: platform === "node" ? { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' } : {},
    write: false,
    minify: mode === "production",
    define: { "process.env.NODE_ENV": JSON.stringify(mode) },
    jsx: "automatic",
    // Aliased imports resolve from absWorkingDir, also for the package's own `import "react"`.
    alias: { react: `react${major}`, "react-dom": `react-dom${major}` },
    plugins: [toPkg],
    logLevel: "error",
  });
  return result.outputFiles[0].text;
}

export const CHROMIUM_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
];

/** Launches Chromium; `open(url)` gives a page whose console errors land in `page.errors`. */
export async function launch() {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const context = await browser.newContext();
  const open = async (url) => {
    const p = await context.newPage();
    p.errors = [];
    p.on("pageerror", (e) => p.errors.push(`pageerror: ${e.message}`));
    p.on("console", (m) => { if (m.type() === "error") p.errors.push(`console.error: ${m.text()}`); });
    await p.goto(url);
    return p;
  };
  return { browser, context, open, close: () => browser.close() };
}
