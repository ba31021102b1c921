#!/usr/bin/env node
// Finishes a package directory that wasm-pack wrote (`make build` for pkg/, `make types`
// for the debug package): edits wasm-bindgen's output where users trip over it, and adds
// the hand-written files from js/. Fails when the generated text no longer looks as
// expected (a new wasm-bindgen), rather than shipping the package unfinished.
//
//   - wasm_session.js: used before init, the glue read properties of `undefined`
//     ("Cannot read properties of undefined (reading 'session_new')"). Until init, `wasm`
//     is an object whose every property read throws a SessionError "not_initialized".
//   - wasm_session.d.ts: `[Symbol.dispose]()` does not type-check with lib ES2022 (TS2550);
//     declare the symbol as lib esnext (and @types/node) do, which merges with theirs.
//   - wasm_session_bg.wasm.d.ts: the wasm file's URL (js/), not its raw exports.
//   - node.js, node.d.ts: the `wasm-session/node` entry (js/).
//   - react.js, react.d.ts, dialog.js, dialog.d.ts: `wasm-session/react` and `wasm-session/dialog` (js/).
//
// Usage: finish-pkg.mjs PKG_DIR
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// Short: every byte of it ships in the glue.
export const NOT_INITIALIZED_MESSAGE =
  'wasm-session is not initialized: call `await init()` (or initSync) first; in Node, import "wasm-session/node"';

const GUARD =
  '// wasm-session: until init, every use of `wasm` throws a SessionError "not_initialized".\n' +
  'const wasmNotInitialized = new Proxy({}, { get() {\n' +
  `    const error = new Error(${JSON.stringify(NOT_INITIALIZED_MESSAGE)});\n` +
  '    error.name = "SessionError";\n' +
  '    error.code = "not_initialized";\n' +
  '    throw error;\n' +
  '} });\n';

const DISPOSE =
  '// wasm-session: `Symbol.dispose` as lib esnext declares it, for projects on lib ES2022.\n' +
  'declare global { interface SymbolConstructor { readonly dispose: unique symbol; } }\n';

/** Replaces `from` in `text` exactly `count` times (fails otherwise). */
function replaceExactly(text, from, to, count, what) {
  const found = text.split(from).length - 1;
  if (found !== count) {
    throw new Error(`finish-pkg: expected ${count} × ${JSON.stringify(from)} in ${what}, found ${found}`);
  }
  return text.split(from).join(to);
}

/** The glue with the not-initialized guard. */
export function guardInit(glue) {
  if (glue.includes('wasmNotInitialized')) return glue;
  let out = replaceExactly(glue, 'let wasmModule, wasmInstance, wasm;', `${GUARD}let wasmModule, wasmInstance, wasm = wasmNotInitialized;`, 1, 'the glue');
  const checks = out.split('if (wasm !== undefined) return wasm;').length - 1;
  if (checks < 1) throw new Error('finish-pkg: no `if (wasm !== undefined) return wasm;` in the glue');
  out = replaceExactly(out, 'if (wasm !== undefined) return wasm;', 'if (wasm !== wasmNotInitialized) return wasm;', checks, 'the glue');
  if (/wasm [!=]== undefined/.test(out)) throw new Error('finish-pkg: the glue still compares `wasm` with undefined');
  return out;
}

/** The declarations with `Symbol.dispose` declared (when they use it). */
export function declareDispose(dts) {
  if (!dts.includes('[Symbol.dispose]') || dts.includes('interface SymbolConstructor')) return dts;
  return `${DISPOSE}${dts}`;
}

function main() {
  const [pkgDir] = process.argv.slice(2);
  if (!pkgDir) {
    console.error('usage: finish-pkg.mjs PKG_DIR');
    process.exit(2);
  }
  const edit = (file, fn) => writeFileSync(join(pkgDir, file), fn(readFileSync(join(pkgDir, file), 'utf8')));
  edit('wasm_session.js', guardInit);
  edit('wasm_session.d.ts', declareDispose);
  for (const file of ['wasm_session_bg.wasm.d.ts', 'node.js', 'node.d.ts', 'react.js', 'react.d.ts', 'dialog.js', 'dialog.d.ts']) {
    copyFileSync(join(ROOT, 'js', file), join(pkgDir, file));
  }
  console.log(`finish-pkg: ${pkgDir}: init guard, Symbol.dispose declaration, node, react and dialog entries, wasm URL types`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
