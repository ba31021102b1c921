// Tests of scripts/finish-pkg.mjs (`make check-package` runs them): the init guard on a
// glue shaped like wasm-bindgen's and on the built package, the Symbol.dispose declaration,
// and the refusal to finish a glue whose shape changed.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { declareDispose, guardInit, NOT_INITIALIZED_MESSAGE } from './finish-pkg.mjs';

const BUILT = fileURLToPath(new URL('../pkg/wasm_session.js', import.meta.url));

// The parts of wasm-bindgen's `--target web` glue that the guard touches.
const GLUE = `
export class Session {
    constructor(options) { const ret = wasm.session_new(options); this.__wbg_ptr = ret; }
    get state() { return wasm.session_state(this.__wbg_ptr); }
}
export function oauth2(args) { return wasm.oauth2(args); }
let wasmModule, wasmInstance, wasm;
function __wbg_finalize_init(instance) { wasm = instance.exports; return wasm; }
function initSync(module) {
    if (wasm !== undefined) return wasm;
    return __wbg_finalize_init({ exports: { session_new: () => 7, session_state: () => "anonymous", oauth2: (a) => a } });
}
async function __wbg_init(module_or_path) {
    if (wasm !== undefined) return wasm;
    return initSync(module_or_path);
}
export { initSync, __wbg_init as default };
`;

async function importGlue(text) {
  const dir = mkdtempSync(join(tmpdir(), 'finish-pkg-'));
  try {
    const file = join(dir, 'glue.mjs');
    writeFileSync(file, text);
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('before init, the constructor and the functions throw a SessionError "not_initialized"', async () => {
  const glue = await importGlue(guardInit(GLUE));
  for (const use of [() => new glue.Session({}), () => glue.oauth2({})]) {
    assert.throws(use, (e) => {
      assert.ok(e instanceof Error);
      assert.equal(e.name, 'SessionError');
      assert.equal(e.code, 'not_initialized');
      assert.equal(e.message, NOT_INITIALIZED_MESSAGE);
      assert.match(e.message, /await init\(\)/);
      return true;
    });
  }
});

test('after init (sync or async, once or twice) the glue works as generated', async () => {
  const glue = await importGlue(guardInit(GLUE));
  const first = await glue.default();
  assert.equal(glue.initSync(), first, 'a second init returns the same instance');
  assert.equal(new glue.Session({}).state, 'anonymous');
  assert.deepEqual(glue.oauth2({ a: 1 }), { a: 1 });
});

test('guardInit is idempotent and refuses a glue of another shape', () => {
  const once = guardInit(GLUE);
  assert.equal(guardInit(once), once);
  assert.throws(() => guardInit(GLUE.replace('let wasmModule, wasmInstance, wasm;', 'let wasm;')), /expected 1 ×/);
  assert.throws(() => guardInit(GLUE.replaceAll('if (wasm !== undefined) return wasm;', '')), /no `if \(wasm !== undefined\)/);
  assert.throws(() => guardInit(`${GLUE}\nif (wasm === undefined) {}`), /still compares/);
});

test('declareDispose declares Symbol.dispose once, only where the declarations use it', () => {
  const dts = 'export class Session {\n  free(): void;\n  [Symbol.dispose](): void;\n}\n';
  const out = declareDispose(dts);
  assert.match(out, /declare global \{ interface SymbolConstructor \{ readonly dispose: unique symbol; \} \}/);
  assert.ok(out.endsWith(dts));
  assert.equal(declareDispose(out), out);
  assert.equal(declareDispose('export type A = 1;\n'), 'export type A = 1;\n');
});

test('the built package (pkg/, when built) throws "not_initialized" before init and works after', { skip: !existsSync(BUILT) }, async () => {
  const glue = await import(pathToFileURL(BUILT).href);
  assert.throws(() => new glue.Session({}), (e) => e.name === 'SessionError' && e.code === 'not_initialized');
  glue.initSync({ module: readFileSync(join(dirname(BUILT), 'wasm_session_bg.wasm')) });
  const session = new glue.Session({});
  assert.equal(session.state, 'anonymous');
  session.destroy();
});
