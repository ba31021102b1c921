#!/usr/bin/env node
// Two build steps around wasm-opt that change no code, only what the .wasm holds
// and in which order (issue 13; the figures are bundler-form bytes, `make size`):
//
// drop-dead-shims IN OUT (before wasm-opt, on wasm-bindgen's output, names kept):
//   rustc puts every closure invoke shim wasm-bindgen can describe into the
//   function table, because `describe_invoke` takes its address. wasm-bindgen's
//   CLI runs those describe functions, removes them, and calls the shims a closure
//   really uses through exports of its own; the table entries stay, and keep ~45
//   shims (and what they call) alive that nothing can reach: the table is not
//   exported, and no code left holds their indices. Each such entry now points at
//   one function that traps, so wasm-opt drops the shims (-227 B). If that
//   reasoning ever broke (a shim called through the table), the call would trap
//   loudly, never run other code; the browser and end-to-end tests call every
//   closure the package makes.
//   The same goes for js-sys's JSPI task waker (-102 B): its vtable stays in
//   memory, and its four functions in the table, after wasm-bindgen deletes the
//   JSPI poll export of a module without JSPI. Only `spawn_promising` makes a
//   JSPI task, so they are dropped only when the module has no such function
//   (the package runs its tasks on its own executor, `browser/task.rs`).
//
// order-for-gzip IN OUT WASM-OPT [FEATURE FLAGS] (after wasm-opt, names kept with -g):
//   gzip finds repeats only within its last 32 KB, and wasm-opt leaves functions
//   in the linker's order, where similar bodies are far apart. This orders the
//   bodies so that each is followed by the remaining one most like it (shared
//   4-byte sequences, cosine-normalized), writes the order as function names, and
//   has `wasm-opt --reorder-functions-by-name` move the bodies and renumber every
//   reference. Where the chain starts moves the result by up to ~250 B, so the 8
//   largest functions are each tried as its start and the smallest gzip -9 kept
//   (deterministic). Measured on the .wasm at 75,173 B: node's zlib gzip -9 (what
//   `make size` uses) 73,924 -> 73,214 (-710); GNU gzip -9 73,835 -> 71,945
//   (-1,890); brotli 63,863 -> 62,594 (-1,269). Ordered by module name instead:
//   GNU gzip -662; sorted by MinHash signature: GNU gzip +834.
//
// Usage: wasm-layout.mjs drop-dead-shims IN.wasm OUT.wasm
//        wasm-layout.mjs order-for-gzip IN.wasm OUT.wasm WASM-OPT [FLAGS…]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { readWasm, u32Leb as leb } from './wasm-modules.mjs';

/** wasm-bindgen's closure invoke shims, as its CLI names them in the name section. */
const INVOKE_SHIM = /^wasm_bindgen::convert::closures::(?:_::)+invoke::h[0-9a-f]{16}$/;
const TRAP = 'wasm_session::dead_closure_shim';

/** js-sys's JSPI task waker, and what makes the tasks it wakes (see above). */
const JSPI_WAKER = /^js_sys::futures::jspi::task_waker::raw_[a-z_]+::h[0-9a-f]{16}$/;
// `__wbg_jspi_task_poll` is `#[no_mangle]`: its name has no path.
const JSPI_TASK_MAKER = /^(?:js_sys::futures::jspi::spawn_promising::|__wbg_jspi_task_poll$)/;

/**
 * Points every invoke-shim entry of the function table (and the JSPI waker's,
 * when no JSPI task can exist) at one trapping function.
 */
export async function dropDeadShims(bytes) {
  const binaryen = (await import('../tools/binaryen/node_modules/binaryen/index.js')).default;
  const module = binaryen.readBinary(bytes);
  const F = binaryen.Features;
  // The features wasm-opt is given in the Makefile (WASM_OPT_FEATURES).
  module.setFeatures(
    F.MutableGlobals | F.NontrappingFPToInt | F.BulkMemory | F.BulkMemoryOpt | F.SignExt |
      F.ReferenceTypes | F.Multivalue | F.CallIndirectOverlong,
  );
  binaryen.setDebugInfo(true); // keep the name section: `make size` reads it
  module.addFunction(TRAP, binaryen.none, binaryen.none, [], module.unreachable());
  const segments = [];
  for (let i = 0; i < module.getNumElementSegments(); i++) {
    segments.push(binaryen.getElementSegmentInfo(module.getElementSegmentByIndex(i)));
  }
  // JS could call an exported function table's entries: then keep them all.
  const exportedTables = new Set();
  for (let i = 0; i < module.getNumExports(); i++) {
    const info = binaryen.getExportInfo(module.getExportByIndex(i));
    if (info.kind === binaryen.ExternalTable) exportedTables.add(info.value);
  }
  let jspiTasks = false;
  for (let i = 0; i < module.getNumFunctions(); i++) {
    jspiTasks ||= JSPI_TASK_MAKER.test(binaryen.getFunctionInfo(module.getFunctionByIndex(i)).name);
  }
  const dead = (name) => INVOKE_SHIM.test(name) || (!jspiTasks && JSPI_WAKER.test(name));
  let dropped = 0;
  for (const segment of segments) {
    if (!segment.data.some(dead)) continue;
    if (exportedTables.has(segment.table)) {
      throw new Error(`drop-dead-shims: table ${segment.table} is exported, so its closure shims may be called from JS`);
    }
    const offset = binaryen.getExpressionInfo(segment.offset);
    if (offset.id !== binaryen.ConstId) throw new Error(`drop-dead-shims: segment ${segment.name} has no constant offset`);
    const data = segment.data.map((name) => (dead(name) ? (dropped++, TRAP) : name));
    module.removeElementSegment(segment.name);
    module.addActiveElementSegment(segment.table, segment.name, data, module.i32.const(offset.value));
  }
  module.runPasses(['remove-unused-module-elements']);
  if (!module.validate()) throw new Error('drop-dead-shims: the module does not validate');
  const out = module.emitBinary();
  module.dispose();
  return { bytes: out, dropped };
}

/** Similarity order: from body `start`, always the most similar body left. */
export function gzipOrder(bodies, start) {
  const shingles = bodies.map((body) => {
    const set = new Set();
    for (let i = 0; i + 4 <= body.length; i++) {
      set.add(body[i] | (body[i + 1] << 8) | (body[i + 2] << 16) | (body[i + 3] << 24));
    }
    return set;
  });
  const holders = new Map();
  shingles.forEach((set, f) => {
    for (const s of set) {
      const list = holders.get(s);
      if (list) list.push(f);
      else holders.set(s, [f]);
    }
  });
  const left = new Set(bodies.keys());
  const order = [];
  let current = start;
  while (left.size > 0) {
    left.delete(current);
    order.push(current);
    const shared = new Map();
    for (const s of shingles[current]) {
      for (const f of holders.get(s)) if (left.has(f)) shared.set(f, (shared.get(f) ?? 0) + 1);
    }
    let next = -1;
    let best = -1;
    for (const [f, count] of shared) {
      const score = count / Math.sqrt(shingles[f].size * shingles[current].size + 1);
      if (score > best || (score === best && f < next)) [best, next] = [score, f];
    }
    if (next < 0) next = left.values().next().value; // nothing shared: the first left
    if (next === undefined) break;
    current = next;
  }
  return order;
}

function name(text) {
  const utf8 = Buffer.from(text);
  return [...leb(utf8.length), ...utf8];
}

/** The `count` largest bodies, largest first (ties: the lower index). */
export function largest(bodies, count) {
  return [...bodies.keys()].sort((a, b) => bodies[b].length - bodies[a].length || a - b).slice(0, count);
}

/** The module with a name section that sorts its defined functions in `order`. */
export function nameInOrder(bytes, wasm, order) {
  const rank = new Array(order.length);
  order.forEach((f, r) => (rank[f] = r));
  const width = String(order.length).length;
  const entries = [];
  for (let i = 0; i < wasm.importedFuncs; i++) entries.push(...leb(i), ...name(`i${i}`));
  rank.forEach((r, f) => entries.push(...leb(wasm.importedFuncs + f), ...name(`f${String(r).padStart(width, '0')}`)));
  const functionNames = [...leb(wasm.importedFuncs + rank.length), ...entries];
  const payload = [...name('name'), 1, ...leb(functionNames.length), ...functionNames];
  const parts = [bytes.subarray(0, 8)];
  for (const section of wasm.sections) {
    if (section.name !== 'custom:name') parts.push(bytes.subarray(section.from, section.to));
  }
  parts.push(Buffer.from([0, ...leb(payload.length), ...payload]));
  return Buffer.concat(parts);
}

/** Reorders the functions for gzip: the best of `starts` chains, by gzip -9 of the result. */
export function orderForGzip(bytes, wasmOpt, flags, starts = 8) {
  const wasm = readWasm(bytes);
  const dir = mkdtempSync(join(tmpdir(), 'wasm-layout-'));
  // The same flags on the functions in wasm-opt's own order (`order` null).
  const gzipOf = (order) => {
    writeFileSync(join(dir, 'in.wasm'), order ? nameInOrder(bytes, wasm, order) : bytes);
    const reorder = order ? ['--reorder-functions-by-name'] : [];
    const args = [...reorder, '--strip-debug', ...flags, join(dir, 'in.wasm'), '-o', join(dir, 'out.wasm')];
    const run = spawnSync(wasmOpt, args, { stdio: 'inherit' });
    if (run.status !== 0) throw new Error(`order-for-gzip: ${wasmOpt} exited with ${run.status}`);
    const out = readFileSync(join(dir, 'out.wasm'));
    return { bytes: out, gzip: gzipSync(out, { level: 9 }).length };
  };
  try {
    let best = null;
    for (const start of largest(wasm.bodies, starts)) {
      const candidate = gzipOf(gzipOrder(wasm.bodies, start));
      if (!best || candidate.gzip < best.gzip) best = { ...candidate, start };
    }
    // A change also changes the chains, so the ordered figure moves ~100 B more or
    // less than the change itself: this one shows the change's own cost.
    best.unordered = gzipOf(null).gzip;
    return best;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [step, input, output] = process.argv.slice(2);
  const bytes = readFileSync(input ?? '');
  if (step === 'drop-dead-shims') {
    const result = await dropDeadShims(bytes);
    writeFileSync(output, result.bytes);
    console.log(`wasm-layout: ${result.dropped} table entries of closure invoke shims (and an unused JSPI waker) point at a trap`);
  } else if (step === 'order-for-gzip' && process.argv[5]) {
    const best = orderForGzip(bytes, process.argv[5], process.argv.slice(6));
    writeFileSync(output, best.bytes);
    console.log(`wasm-layout: functions ordered for gzip from function ${best.start}: ${best.gzip} B gzip -9 (unordered, the figure to compare a change by: ${best.unordered} B)`);
  } else {
    console.error('usage: wasm-layout.mjs drop-dead-shims IN OUT | order-for-gzip IN OUT WASM-OPT [FLAGS…]');
    process.exit(2);
  }
}
