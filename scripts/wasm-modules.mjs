#!/usr/bin/env node
// Where the wasm's code goes: code-section bytes per crate/module, read from the
// name section of an unoptimized build (wasm-opt drops names), so that every change
// shows what it cost. No tools beyond node: a wasm section reader and a Rust symbol
// demangler (legacy `_ZN…E` and v0 `_R…`) are below.
//
// Usage: wasm-modules.mjs FILE.wasm [--json OUT.json] [--depth N] [--top N]
//
// Grouping: the demangled path up to the function's module, e.g.
// `wasm_session::core::http::read_answer` -> `wasm_session::core::http`,
// `<wasm_session::api::Session as Drop>::drop` -> `wasm_session::api`. Depth is 3 for
// this crate (`wasm_session::core::http`), 2 for `core` and `std` (`core::fmt`), 1 for
// other crates (`alloc`, `js_sys`, `talc`); `--depth N` sets one depth for all.
// Drop glue (`core::ptr::drop_in_place<T>`) counts under T's module, since T decides it.
// A function's size is its body in the code section (locals and instructions).
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

// ------------------------------------------------------------------ wasm sections

function readU32(bytes, pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos.at >= bytes.length) throw new Error('truncated LEB128');
    const b = bytes[pos.at++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return result;
    if (shift > 35) throw new Error('LEB128 too long');
  }
}

/** `n` as unsigned LEB128 bytes (what the readers here read back). */
export function u32Leb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function readName(bytes, pos) {
  const len = readU32(bytes, pos);
  const s = new TextDecoder().decode(bytes.subarray(pos.at, pos.at + len));
  pos.at += len;
  return s;
}

const SECTION_NAMES = [
  'custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export',
  'start', 'element', 'code', 'data', 'datacount', 'tag',
];

/**
 * Sections (id, name, size, and `from`/`to`: the section's bytes, header included),
 * imported function count, body sizes and bodies, function names, exports.
 */
export function readWasm(bytes) {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a wasm module');
  }
  const pos = { at: 8 };
  const sections = [];
  let importedFuncs = 0;
  const bodySizes = [];
  const bodies = [];
  const names = new Map();
  const exports = new Map();
  while (pos.at < bytes.length) {
    const from = pos.at;
    const id = bytes[pos.at++];
    const size = readU32(bytes, pos);
    const start = pos.at;
    const end = start + size;
    let name = SECTION_NAMES[id] ?? `section-${id}`;
    if (id === 0) {
      name = `custom:${readName(bytes, pos)}`;
      if (name === 'custom:name') readNameSection(bytes, pos, end, names);
    } else if (id === 2) {
      for (let n = readU32(bytes, pos); n > 0; n--) {
        readName(bytes, pos);
        readName(bytes, pos);
        const kind = bytes[pos.at++];
        if (kind === 0) {
          importedFuncs++;
          readU32(bytes, pos);
        } else if (kind === 1) {
          pos.at++; // reftype
          skipLimits(bytes, pos);
        } else if (kind === 2) {
          skipLimits(bytes, pos);
        } else if (kind === 3) {
          pos.at += 2; // valtype, mutability
        } else if (kind === 4) {
          pos.at++;
          readU32(bytes, pos);
        } else {
          throw new Error(`unknown import kind ${kind}`);
        }
      }
    } else if (id === 7) {
      for (let n = readU32(bytes, pos); n > 0; n--) {
        const exportName = readName(bytes, pos);
        const kind = bytes[pos.at++];
        const index = readU32(bytes, pos);
        if (kind === 0) exports.set(index, exportName);
      }
    } else if (id === 10) {
      for (let n = readU32(bytes, pos); n > 0; n--) {
        const bodySize = readU32(bytes, pos);
        bodySizes.push(bodySize);
        bodies.push(bytes.subarray(pos.at, pos.at + bodySize));
        pos.at += bodySize;
      }
    }
    sections.push({ id, name, size, from, to: end });
    pos.at = end;
  }
  return { sections, importedFuncs, bodySizes, bodies, names, exports };
}

function skipLimits(bytes, pos) {
  const flags = bytes[pos.at++];
  readU32(bytes, pos);
  if (flags & 1) readU32(bytes, pos);
}

function readNameSection(bytes, pos, end, names) {
  while (pos.at < end) {
    const sub = bytes[pos.at++];
    const size = readU32(bytes, pos);
    const subEnd = pos.at + size;
    if (sub === 1) {
      for (let n = readU32(bytes, pos); n > 0; n--) {
        const index = readU32(bytes, pos);
        names.set(index, readName(bytes, pos));
      }
    }
    pos.at = subEnd;
  }
}

// ------------------------------------------------------------------ demangling

const LEGACY_ESCAPES = {
  SP: '@', BP: '*', RF: '&', LT: '<', GT: '>', LP: '(', RP: ')', C: ',',
};

function unescapeLegacy(ident) {
  let s = ident.startsWith('_$') ? ident.slice(1) : ident;
  s = s.replace(/\$([A-Z]{1,2}|u[0-9a-f]+)\$/g, (m, code) => {
    if (code in LEGACY_ESCAPES) return LEGACY_ESCAPES[code];
    if (code[0] === 'u') return String.fromCodePoint(parseInt(code.slice(1), 16));
    return m;
  });
  return s.replace(/\.\./g, '::');
}

/** `_ZN3foo3bar17h0123456789abcdefE` -> `foo::bar`; null when not a legacy Rust symbol. */
export function demangleLegacy(sym) {
  const m = /^_?_ZN(.*)E(\.llvm\.\d+)?$/.exec(sym);
  if (!m) return null;
  const body = m[1];
  const parts = [];
  let i = 0;
  while (i < body.length) {
    const len = /^\d+/.exec(body.slice(i));
    if (!len) return null;
    i += len[0].length;
    const n = Number(len[0]);
    if (i + n > body.length) return null;
    parts.push(body.slice(i, i + n));
    i += n;
  }
  if (parts.length > 1 && /^h[0-9a-f]{16}$/.test(parts[parts.length - 1])) parts.pop();
  return parts.map(unescapeLegacy).join('::');
}

/** `_R…` (RFC 2603) -> a readable path; null when not a v0 Rust symbol. */
export function demangleV0(sym) {
  if (!sym.startsWith('_R')) return null;
  const s = sym.slice(2);
  let i = 0;
  const peek = () => s[i];
  const eat = (c) => (s[i] === c ? (i++, true) : false);
  const fail = () => {
    throw new Error('bad v0 symbol');
  };
  const base62 = () => {
    if (eat('_')) return 0;
    let v = 0;
    for (;;) {
      const c = s[i++];
      if (c === undefined) fail();
      if (c === '_') return v + 1;
      const d = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'.indexOf(c);
      if (d < 0) fail();
      v = v * 62 + d;
    }
  };
  const decimal = () => {
    const m = /^(0|[1-9]\d*)/.exec(s.slice(i));
    if (!m) fail();
    i += m[0].length;
    return Number(m[0]);
  };
  const ident = () => {
    if (eat('s')) base62();
    const punycode = eat('u');
    const n = decimal();
    eat('_');
    const text = s.slice(i, i + n);
    i += n;
    return punycode ? `${text}(punycode)` : text;
  };
  const backref = (parse) => {
    const target = base62();
    const saved = i;
    i = target;
    const out = parse();
    i = saved;
    return out;
  };
  const BASIC = {
    a: 'i8', b: 'bool', c: 'char', d: 'f64', e: 'str', f: 'f32', h: 'u8', i: 'isize',
    j: 'usize', l: 'i32', m: 'u32', n: 'i128', o: 'u128', s: 'i16', t: 'u16', u: '()',
    v: '...', x: 'i64', y: 'u64', z: '!', p: '_',
  };
  const genericArgs = () => {
    const args = [];
    while (!eat('E')) {
      if (eat('L')) base62();
      else if (eat('K')) args.push(konst());
      else args.push(type());
    }
    return args;
  };
  const konst = () => {
    if (eat('p')) return '_';
    if (eat('B')) return backref(konst);
    type();
    eat('n');
    const m = /^[0-9a-f]*_/.exec(s.slice(i));
    if (!m) fail();
    i += m[0].length;
    return `0x${m[0].slice(0, -1) || '0'}`;
  };
  const binder = () => {
    if (eat('G')) base62();
  };
  const type = () => {
    const c = peek();
    if (c in BASIC && c !== undefined) {
      i++;
      return BASIC[c];
    }
    if (eat('A')) return `[${type()}; ${konst()}]`;
    if (eat('S')) return `[${type()}]`;
    if (eat('R') || eat('Q')) {
      const mutable = s[i - 1] === 'Q';
      if (eat('L')) base62();
      return `&${mutable ? 'mut ' : ''}${type()}`;
    }
    if (eat('P')) return `*const ${type()}`;
    if (eat('O')) return `*mut ${type()}`;
    if (eat('F')) {
      binder();
      eat('U');
      if (eat('K')) {
        if (!eat('C')) ident();
      }
      const params = [];
      while (!eat('E')) params.push(type());
      const ret = type();
      return `fn(${params.join(', ')}) -> ${ret}`;
    }
    if (eat('D')) {
      binder();
      const traits = [];
      while (!eat('E')) {
        traits.push(path());
        while (eat('p')) {
          ident();
          type();
        }
      }
      if (eat('L')) base62();
      return `dyn ${traits.join(' + ')}`;
    }
    if (eat('T')) {
      const items = [];
      while (!eat('E')) items.push(type());
      return `(${items.join(', ')})`;
    }
    if (eat('B')) return backref(type);
    return path();
  };
  const path = () => {
    const c = s[i++];
    switch (c) {
      case 'C':
        return ident();
      case 'N': {
        const ns = s[i++];
        const prefix = path();
        const name = ident();
        if (ns === 'C') return `${prefix}::{{closure}}`;
        if (ns === 'S') return `${prefix}::{{shim}}`;
        return name ? `${prefix}::${name}` : prefix;
      }
      case 'M': {
        if (eat('s')) base62();
        path();
        return `<${type()}>`;
      }
      case 'X': {
        if (eat('s')) base62();
        path();
        const self = type();
        return `<${self} as ${path()}>`;
      }
      case 'Y': {
        const self = type();
        return `<${self} as ${path()}>`;
      }
      case 'I': {
        const p = path();
        return `${p}<${genericArgs().join(', ')}>`;
      }
      case 'B':
        return backref(path);
      default:
        return fail();
    }
  };
  try {
    if (/^\d/.test(peek() ?? '')) decimal();
    return path();
  } catch {
    return null;
  }
}

// wasm-bindgen names its adapters after the function they wrap: `session_on externref shim`.
const stripShim = (sym) => sym.replace(/( [a-z]+ shim)+$/, '');

/**
 * A Rust path for a name-section entry, or null for a C-ABI symbol (`memcpy`,
 * `session_new`). Takes mangled names (cargo's output) and names wasm-bindgen already
 * demangled (`wasm_session::api::flush::h55a1c49766e491f8`, `… externref shim`).
 */
export function demangle(sym) {
  const name = stripShim(sym).replace(/\.llvm\.\d+$/, '');
  const path = demangleLegacy(name) ?? demangleV0(name);
  if (path !== null) return path;
  if (!name.includes('::')) return null;
  // Already demangled: drop the hash and crate disambiguators (`__rustc[b7974e86…]`).
  return name.replace(/::h[0-9a-f]{16}$/, '').replace(/\[[0-9a-f]{16}\]/g, '');
}

// ------------------------------------------------------------------ grouping

/** Split a demangled path on `::` outside of `<…>`. */
export function splitPath(path) {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === '<') depth++;
    else if (c === '>' && path[i - 1] !== '-') depth--;
    else if (c === ':' && path[i + 1] === ':' && depth === 0) {
      parts.push(path.slice(start, i));
      i++;
      start = i + 1;
    }
  }
  parts.push(path.slice(start));
  return parts;
}

const OWN_CRATE = 'wasm_session';
const STD_CRATES = new Set(['core', 'alloc', 'std']);
const isModule = (seg) => /^[a-z_][a-z0-9_]*$/.test(seg) && seg !== '_';
const isClosure = (seg) => /^\{\{.*\}\}$/.test(seg) || /^\{.*#\d+\}$/.test(seg);
const stripRef = (t) => t.replace(/^(&(mut )?|\*(const|mut) |dyn )+/, '');

/** Where core implements a primitive type's methods (`<str>::to_ascii_lowercase`). */
function primitiveModule(type) {
  const t = stripRef(type);
  if (t === 'str') return 'core::str';
  if (t.startsWith('[')) return 'core::slice';
  if (t === 'char') return 'core::char';
  if (/^[iuf](8|16|32|64|128|size)$/.test(t)) return 'core::num';
  return 'core';
}

/** The module of a type such as `wasm_session::api::Shell`, or null for `u32`, `[T]`, `T`. */
function moduleOfType(type, fixedDepth) {
  const t = stripRef(type);
  if (!/^[A-Za-z_][A-Za-z0-9_]*::/.test(t)) return null;
  return moduleOf(`${t}::_`, fixedDepth);
}

/** The first crate-qualified type inside `t` not from core/alloc/std, else the first one. */
function ownerOfDrop(t) {
  const found = [...t.matchAll(/(?<![A-Za-z0-9_:])([A-Za-z_][A-Za-z0-9_]*)::[A-Za-z_]/g)];
  const m = found.find((f) => !STD_CRATES.has(f[1])) ?? found[0];
  return m ? t.slice(m.index).replace(/[,>)\]; ].*$/s, '') : t;
}

/** The module a demangled Rust path belongs to. */
export function moduleOf(path, fixedDepth) {
  let parts = splitPath(path.replace(/::h[0-9a-f]{16}$/, '').replace(/::<(?!impl )/g, '<'));
  // `<X as Trait>::f`, `<impl Trait for X>::f`, `<X>::f`: the code belongs to X, or to
  // the trait when X is a primitive or a type parameter (`<u32 as core::fmt::Display>`).
  const head = parts[0];
  const qualified = /^<(.*) as (.*)>$/s.exec(head) ?? /^<impl (.*) for (.*)>$/s.exec(head);
  if (qualified) {
    const [self, trait] = head.startsWith('<impl ') ? [qualified[2], qualified[1]] : [qualified[1], qualified[2]];
    return moduleOfType(self, fixedDepth) ?? moduleOfType(trait, fixedDepth) ?? primitiveModule(self);
  }
  const inherent = /^<(.*)>$/s.exec(head);
  if (inherent) return moduleOfType(inherent[1], fixedDepth) ?? primitiveModule(inherent[1]);
  // Drop glue counts under the first non-std type it drops (`Option<wasm_session::api::Shell>`).
  const drop = /^drop_in_place<(.*)>$/s.exec(parts[2] ?? '');
  if (parts[0] === 'core' && parts[1] === 'ptr' && drop) {
    return moduleOfType(ownerOfDrop(drop[1]), fixedDepth) ?? 'core::ptr';
  }
  // `js_sys::_::<impl …>::f` (impls inside `const _`): skip the `_`.
  parts = parts.filter((p, i) => i === 0 || p !== '_');
  // The function is the last segment before any closures.
  while (parts.length > 1 && isClosure(parts[parts.length - 1])) parts.pop();
  let crate = parts[0].replace(/<.*$/s, '');
  if (crate === '__rustc') crate = 'std';
  const depth = fixedDepth ?? (crate === OWN_CRATE ? 3 : STD_CRATES.has(crate) && crate !== 'alloc' ? 2 : 1);
  const mods = [crate];
  for (let i = 1; i < parts.length - 1 && mods.length < depth; i++) {
    if (!isModule(parts[i])) break;
    mods.push(parts[i]);
  }
  return mods.join('::');
}

// Unmangled symbols: C ABI exports and the compiler's runtime.
function groupUnmangled(name, exported) {
  if (/^__wbindgen|^__wbg_|^__externref/.test(name)) return 'wasm_bindgen';
  if (/^__rust_|^__rdl_|^__rg_|rust_begin_unwind|rust_panic/.test(name)) return 'std';
  if (/^(memcpy|memmove|memset|memcmp|bcmp|__(mul|div|mod|udiv|umod|ashl|lshr|ashr)[a-z]*\d)$/.test(name)) {
    return 'compiler_builtins';
  }
  if (exported) return `${OWN_CRATE}::api (exports)`;
  return '(other, unmangled)';
}

export function analyze(bytes, { depth } = {}) {
  const wasm = readWasm(bytes);
  const groups = new Map();
  const exportNames = new Set(wasm.exports.values());
  let named = 0;
  wasm.bodySizes.forEach((size, i) => {
    const index = wasm.importedFuncs + i;
    const raw = wasm.names.get(index);
    if (raw !== undefined) named++;
    const path = raw === undefined ? null : demangle(raw);
    let group;
    if (raw === undefined) {
      group = '(unnamed)';
    } else if (path === null) {
      const exported = exportNames.has(stripShim(raw));
      // wasm-bindgen's generated adapters (`Closure(…) -> Externref externref shim`).
      group = !exported && / shim$/.test(raw) ? 'wasm_bindgen' : groupUnmangled(stripShim(raw), exported);
    } else {
      group = moduleOf(path, depth);
    }
    const label = path ?? raw ?? `func[${index}]`;
    const g = groups.get(group) ?? { module: group, bytes: 0, functions: 0, largest: [] };
    g.bytes += size;
    g.functions++;
    g.largest.push({ name: label, bytes: size });
    groups.set(group, g);
  });
  const total = wasm.bodySizes.reduce((a, b) => a + b, 0);
  const modules = [...groups.values()].sort((a, b) => b.bytes - a.bytes || a.module.localeCompare(b.module));
  for (const g of modules) g.largest = g.largest.sort((a, b) => b.bytes - a.bytes).slice(0, 3);
  const sectionBytes = {};
  for (const s of wasm.sections) sectionBytes[s.name] = (sectionBytes[s.name] ?? 0) + s.size;
  return { total, functions: wasm.bodySizes.length, named, modules, sections: sectionBytes };
}

// ------------------------------------------------------------------ report

const kb = (n) => (n / 1024).toFixed(1);

function shorten(name, width) {
  const s = name.replace(/\{\{closure\}\}/g, '{closure}');
  return s.length <= width ? s : `…${s.slice(s.length - width + 1)}`;
}

export function formatTable(report, { top = 1 } = {}) {
  const lines = [];
  const w = Math.max(24, ...report.modules.map((g) => g.module.length));
  lines.push(`${'crate or module'.padEnd(w)} ${'KB'.padStart(7)} ${'%'.padStart(6)} ${'fns'.padStart(5)}  largest (KB)`);
  for (const g of report.modules) {
    const pct = ((100 * g.bytes) / report.total).toFixed(1);
    const largest = g.largest
      .slice(0, top)
      .map((f) => `${shorten(f.name, 56)} ${kb(f.bytes)}`)
      .join('; ');
    lines.push(`${g.module.padEnd(w)} ${kb(g.bytes).padStart(7)} ${pct.padStart(6)} ${String(g.functions).padStart(5)}  ${largest}`);
  }
  lines.push(`${'total code'.padEnd(w)} ${kb(report.total).padStart(7)} ${'100.0'.padStart(6)} ${String(report.functions).padStart(5)}`);
  const data = report.sections.data ?? 0;
  lines.push(`(data section ${kb(data)} KB beside the code; sizes are before wasm-opt, function bodies only)`);
  return lines.join('\n');
}

function main(argv) {
  const args = { file: null, json: null, depth: undefined, top: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') args.json = argv[++i];
    else if (a === '--depth') args.depth = Number(argv[++i]);
    else if (a === '--top') args.top = Number(argv[++i]);
    else if (a.startsWith('-')) usage();
    else if (args.file === null) args.file = a;
    else usage();
  }
  if (!args.file || Number.isNaN(args.depth) || !(args.top >= 0)) usage();
  const report = analyze(readFileSync(args.file), { depth: args.depth });
  if (report.named === 0) {
    console.error(`wasm-modules: ${args.file} has no function names (a name section); use an unoptimized build`);
    process.exit(1);
  }
  console.log(formatTable(report, { top: args.top }));
  if (report.named < report.functions) {
    console.log(`(${report.functions - report.named} functions without a name)`);
  }
  if (args.json) writeFileSync(args.json, `${JSON.stringify({ file: args.file, ...report }, null, 2)}\n`);
}

function usage() {
  console.error('usage: wasm-modules.mjs FILE.wasm [--json OUT.json] [--depth N] [--top N]');
  process.exit(2);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
