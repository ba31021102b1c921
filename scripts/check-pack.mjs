#!/usr/bin/env node
// The npm tarball holds exactly the intended files: `npm pack --dry-run --json` in the
// built package directory, compared with the list in scripts/pack-files.txt (one path
// a line, `#` comments). A file that appears or disappears (a stray build output, a
// lost LICENSE, a new wasm-bindgen snippet) fails until the list says it is meant.
//
// Usage: check-pack.mjs PKG_DIR LIST_FILE
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [pkgDir, listFile] = process.argv.slice(2);
if (!pkgDir || !listFile) {
  console.error('usage: check-pack.mjs PKG_DIR LIST_FILE');
  process.exit(2);
}

const expected = readFileSync(listFile, 'utf8')
  .split('\n')
  .map((line) => line.replace(/#.*$/, '').trim())
  .filter(Boolean)
  .sort();

let packed;
try {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--loglevel=error'], {
    cwd: pkgDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [info] = JSON.parse(out);
  packed = info.files.map((f) => f.path).sort();
  console.log(`check-pack: ${info.filename}, ${packed.length} files, ${info.size.toLocaleString('en-US')} bytes packed`);
} catch (e) {
  console.error(`check-pack: npm pack --dry-run failed in ${pkgDir}: ${e.message}`);
  process.exit(1);
}

const unexpected = packed.filter((f) => !expected.includes(f));
const missing = expected.filter((f) => !packed.includes(f));
if (unexpected.length || missing.length) {
  for (const f of unexpected) console.error(`check-pack: packed but not in ${listFile}: ${f}`);
  for (const f of missing) console.error(`check-pack: in ${listFile} but not packed: ${f}`);
  console.error(
    `check-pack: the tarball differs from ${listFile}; fix the package (pkg.json "files", the Makefile's build) ` +
      'or update the list if the change is intended.',
  );
  process.exit(1);
}
console.log(`check-pack: the tarball holds exactly the ${expected.length} files in ${listFile}`);
