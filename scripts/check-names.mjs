#!/usr/bin/env node
// What must not be in the shipped wasm, read from its name section: a JSON text
// parser (the browser parses JSON; the core reads values) and a hand-written
// HTTP-date parser (the browser's Date.parse reads dates). Both live on for the
// native tests and fuzzing only, in the test kit (testkit/src/json.rs,
// testkit/src/http_date.rs), a crate the library never depends on; this
// fails the build if one of them, or serde_json, is linked into the release.
//
// Usage: check-names.mjs FILE.wasm...  (builds that keep their name section:
// cargo's target/wasm32-unknown-unknown/release/*.wasm, or wasm-bindgen's
// output before wasm-opt, target/size/*.names.wasm)
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { demangle, readWasm } from './wasm-modules.mjs';

/** Demangled function names that must not ship, and why. */
export const FORBIDDEN = [
  [/^wasm_session::core::json::/, 'the JSON text reader (tests and fuzzing only)'],
  [/\bjson::(parse|parse_with)\b/, 'a JSON text parser'],
  [/^serde_json::/, 'serde_json'],
  [/^wasm_session::core::http_date::|\bparse_http_date\b/, 'the HTTP-date reader (the browser uses Date.parse)'],
];

/** The forbidden functions in a module's name section: [{ name, why }]. */
export function forbiddenNames(bytes) {
  const { names } = readWasm(bytes);
  if (names.size === 0) throw new Error('no name section: check a build before wasm-opt');
  const found = [];
  for (const raw of names.values()) {
    const name = demangle(raw);
    const rule = FORBIDDEN.find(([pattern]) => pattern.test(name));
    if (rule) found.push({ name, why: rule[1] });
  }
  return found;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: check-names.mjs FILE.wasm...');
    process.exit(2);
  }
  let failed = false;
  for (const file of files) {
    const found = forbiddenNames(readFileSync(file));
    if (found.length === 0) {
      console.log(`check-names: ${file}: no JSON text or HTTP-date parser`);
      continue;
    }
    failed = true;
    console.error(`check-names: ${file} ships ${found.length} function(s) it must not:`);
    for (const { name, why } of found.slice(0, 20)) console.error(`  ${name}  (${why})`);
  }
  process.exit(failed ? 1 : 0);
}
