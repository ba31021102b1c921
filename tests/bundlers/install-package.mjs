#!/usr/bin/env node
// Installs the built package (PKG_DIR, default pkg/) into tests/bundlers as a user would:
// `npm pack`, then `npm install` of the tarball (not a link: only the packed files exist).
// `make bundlers` runs it before apps.test.mjs and the Vitest tests.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const PKG_DIR = resolve(HERE, "../..", process.env.PKG_DIR ?? "pkg");
const npm = (args, cwd) => execFileSync("npm", [...args, "--loglevel=error"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });

const packDir = mkdtempSync(join(tmpdir(), "wasm-session-pack-"));
try {
  const [{ filename, files }] = JSON.parse(npm(["pack", "--json", "--ignore-scripts", "--pack-destination", packDir], PKG_DIR));
  npm(["install", "--no-save", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", join(packDir, filename)], HERE);
  console.log(`install-package: ${filename} (${files.length} files) installed in tests/bundlers`);
} finally {
  rmSync(packDir, { recursive: true, force: true });
}
