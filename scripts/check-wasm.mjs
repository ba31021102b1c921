#!/usr/bin/env node
// Sanity check of the optimized pkg/*.wasm: it compiles, instantiates (with
// stub imports; wasm-bindgen starts via an exported function, not a start
// section, so no Rust code runs), and an exported `__wbindgen_externrefs`
// table really is an externref table. Old binaryen (<= 108) rewrote that
// export to point at the funcref table, which only failed at init in the page.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: check-wasm.mjs FILE.wasm');
  process.exit(2);
}
const mod = new WebAssembly.Module(readFileSync(file));
const imports = {};
for (const imp of WebAssembly.Module.imports(mod)) {
  if (imp.kind !== 'function') {
    console.error(`check-wasm: unexpected ${imp.kind} import ${imp.module}.${imp.name}`);
    process.exit(1);
  }
  (imports[imp.module] ??= {})[imp.name] = () => {
    throw new Error(`stub import ${imp.module}.${imp.name} called`);
  };
}
const { exports } = new WebAssembly.Instance(mod, imports);
const table = exports.__wbindgen_externrefs;
if (table !== undefined) {
  try {
    table.set(0, { any: 'js value' });
    table.set(0, undefined);
  } catch (e) {
    console.error(`check-wasm: __wbindgen_externrefs is not an externref table: ${e.message}`);
    process.exit(1);
  }
}
const n = WebAssembly.Module.exports(mod).length;
console.log(`check-wasm: ${file} ok (${n} exports${table ? ', externref table ok' : ''})`);
