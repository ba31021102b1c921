#!/usr/bin/env node
// Short import names: wasm-bindgen names every import `__wbg_<name>_<16 hex digits>`,
// and each name is in the .wasm (import section) and in the glue (a key of the
// imports object). The hashes do not compress: renaming them to `a`, `b` … `Ab`
// saved ~2.3 KB gzip of wasm and ~1.9 KB gzip of minified glue (issue 13). Its
// own imports (`__wbindgen_generic_<16 digits>`, `__wbindgen_init_externref_table`)
// are renamed the same way, and the module they come from (`./<name>_bg.js`,
// repeated in the import section for each import, and a key of the glue's
// imports object) becomes `a`: 192 B gzip.
// The closure shims it exports (`…_invoke__h<16 hex digits>`) are renamed too
// (`invoke_a` …), in the glue and the declarations given after it; every other
// exported function (`session_new`, `__wbindgen_malloc` …) becomes `xa`, `xb` …:
// only the glue calls them (as `wasm.<name>`), and the `InitOutput` interface in
// the declarations follows (284 B gzip). `memory` and the externref table keep
// their names.
// Runs on the optimized package (after wasm-opt), on all files at once; fails
// unless every renamed import is a key exactly once in the glue, and every
// renamed export is used by it.
//
// Usage: minify-imports.mjs PKG/NAME_bg.wasm PKG/NAME.js [PKG/*.d.ts …]
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { u32Leb as u32 } from './wasm-modules.mjs';

const [wasmPath, jsPath, ...declarationPaths] = process.argv.slice(2);
if (!wasmPath || !jsPath) {
  console.error('usage: minify-imports.mjs FILE_bg.wasm GLUE.js');
  process.exit(2);
}
// The glue's own module name, as wasm-bindgen writes it (`./<name>_bg.js`).
const glueModule = './' + basename(wasmPath).replace(/\.wasm$/, '.js');
// What it becomes: the name is only a key of the imports object the glue hands
// to `WebAssembly.instantiate`, and the import section repeats it per import.
const shortModule = 'a';

function readU32(bytes, pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos.at++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return result;
  }
}

const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
function shortName(i) {
  let name = '';
  do {
    name = letters[i % letters.length] + name;
    i = Math.floor(i / letters.length) - 1;
  } while (i >= 0);
  return name;
}

const bytes = readFileSync(wasmPath);
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const renames = new Map();
const exportRenames = new Map();
// Every other exported function: only the glue calls it, as `wasm.<name>`.
const glueExportRenames = new Map();
const parts = [bytes.subarray(0, 8)];
const pos = { at: 8 };
while (pos.at < bytes.length) {
  const start = pos.at;
  const id = bytes[pos.at++];
  const size = readU32(bytes, pos);
  const end = pos.at + size;
  if (id === 7) {
    const at = { at: pos.at };
    const count = readU32(bytes, at);
    const section = u32(count);
    for (let i = 0; i < count; i++) {
      const length = readU32(bytes, at);
      let name = decoder.decode(bytes.subarray(at.at, at.at + length));
      at.at += length;
      const descStart = at.at;
      const kind = bytes[at.at++];
      readU32(bytes, at); // index
      if (/_h[0-9a-f]{16}$/.test(name)) {
        const short = `invoke_${shortName(exportRenames.size)}`;
        exportRenames.set(name, short);
        name = short;
      } else if (kind === 0) {
        const short = `x${shortName(glueExportRenames.size)}`;
        glueExportRenames.set(name, short);
        name = short;
      }
      const n = encoder.encode(name);
      section.push(...u32(n.length), ...n, ...bytes.subarray(descStart, at.at));
    }
    parts.push(Uint8Array.from([7, ...u32(section.length), ...section]));
    pos.at = end;
    continue;
  }
  if (id !== 2) {
    parts.push(bytes.subarray(start, end));
    pos.at = end;
    continue;
  }
  const at = { at: pos.at };
  const count = readU32(bytes, at);
  const section = u32(count);
  const text = () => {
    const length = readU32(bytes, at);
    const value = decoder.decode(bytes.subarray(at.at, at.at + length));
    at.at += length;
    return value;
  };
  for (let i = 0; i < count; i++) {
    const module = text();
    const field = text();
    const descStart = at.at;
    const kind = bytes[at.at++];
    if (kind === 0) readU32(bytes, at); // function: type index
    else if (kind === 1) { at.at++; const flags = bytes[at.at++]; readU32(bytes, at); if (flags & 1) readU32(bytes, at); } // table
    else if (kind === 2) { const flags = bytes[at.at++]; readU32(bytes, at); if (flags & 1) readU32(bytes, at); } // memory
    else if (kind === 3) at.at += 2; // global: value type, mutability
    else throw new Error(`minify-imports: import kind ${kind} not understood`);
    let name = field;
    if (module === glueModule && field.startsWith('__wb')) {
      if (!renames.has(field)) renames.set(field, shortName(renames.size));
      name = renames.get(field);
    }
    const m = encoder.encode(module === glueModule ? shortModule : module);
    const n = encoder.encode(name);
    section.push(...u32(m.length), ...m, ...u32(n.length), ...n, ...bytes.subarray(descStart, at.at));
  }
  parts.push(Uint8Array.from([2, ...u32(section.length), ...section]));
  pos.at = end;
}

let glue = readFileSync(jsPath, 'utf8');
for (const [from, to] of renames) {
  const key = new RegExp(`(?<![\\w$])${from}(?=:)`, 'g');
  const found = glue.match(key)?.length ?? 0;
  if (found !== 1) {
    console.error(`minify-imports: ${from} is a key ${found} times in ${jsPath}, not once`);
    process.exit(1);
  }
  glue = glue.replace(key, to);
}
const moduleKey = new RegExp(`(?<![\\w$])"${glueModule.replace(/[.]/g, '\\.')}"(?=:)`, 'g');
const moduleKeys = glue.match(moduleKey)?.length ?? 0;
if (moduleKeys !== 1) {
  console.error(`minify-imports: "${glueModule}" is a key ${moduleKeys} times in ${jsPath}, not once`);
  process.exit(1);
}
glue = glue.replace(moduleKey, shortModule);
const declarations = declarationPaths.map((path) => [path, readFileSync(path, 'utf8')]);
for (const [from, to] of exportRenames) {
  const name = new RegExp(`(?<![\\w$])${from}(?![\\w$])`, 'g');
  if (!name.test(glue)) {
    console.error(`minify-imports: the export ${from} is not used in ${jsPath}`);
    process.exit(1);
  }
  glue = glue.replace(name, to);
  for (const entry of declarations) entry[1] = entry[1].replace(name, to);
}
for (const [from, to] of glueExportRenames) {
  const call = new RegExp(`(?<=(?<![\\w$])wasm\\.)${from}(?![\\w$])`, 'g');
  if (!call.test(glue)) {
    console.error(`minify-imports: the export ${from} is not used in ${jsPath} (as wasm.${from})`);
    process.exit(1);
  }
  glue = glue.replace(call, to);
  // Reached any other way (`exports.<name>`, `["<name>"]`), it would be missed.
  if (new RegExp(`[\\w$)\\]]\\.${from}(?![\\w$])|['"]${from}['"]`).test(glue)) {
    console.error(`minify-imports: the export ${from} is used in ${jsPath} other than as wasm.${from}`);
    process.exit(1);
  }
  // The `InitOutput` interface that lists the raw exports.
  const member = new RegExp(`(?<=readonly )${from}(?=:)`, 'g');
  for (const entry of declarations) entry[1] = entry[1].replace(member, to);
}
writeFileSync(wasmPath, Buffer.concat(parts));
writeFileSync(jsPath, glue);
for (const [path, text] of declarations) writeFileSync(path, text);
console.log(`minify-imports: ${renames.size} imports and ${exportRenames.size + glueExportRenames.size} exports renamed in ${wasmPath} and ${jsPath}`);
