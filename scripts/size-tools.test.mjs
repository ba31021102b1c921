// Tests of the size and packaging checks (`make check-package` runs them first):
// the wasm reader, the demangler and the grouping of scripts/wasm-modules.mjs, the
// budget check of scripts/size.mjs, the file-list check of scripts/check-pack.mjs
// and the forbidden-names check of scripts/check-names.mjs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { forbiddenNames } from './check-names.mjs';
import { analyze, demangle, demangleLegacy, demangleV0, moduleOf, readWasm } from './wasm-modules.mjs';
import { dropDeadShims, gzipOrder, largest, nameInOrder, orderForGzip } from './wasm-layout.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

// ------------------------------------------------------------------ a tiny module

const leb = (n) => {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const str = (s) => [...leb(Buffer.byteLength(s)), ...Buffer.from(s)];
const section = (id, body) => [id, ...leb(body.length), ...body];

/** One imported function and three bodies of 3, 5 and 4 bytes, named as rustc names them. */
function tinyModule(names) {
  const type = section(1, [1, 0x60, 0, 0]);
  const imports = section(2, [1, ...str('env'), ...str('f'), 0, 0]);
  const funcs = section(3, [3, 0, 0, 0]);
  const body = (extra) => [...leb(2 + extra), 0, ...Array(extra).fill(0x01), 0x0b]; // nops
  const code = section(10, [3, ...body(1), ...body(3), ...body(2)]);
  const nameMap = [names.length, ...names.flatMap(([i, n]) => [...leb(i), ...str(n)])];
  const nameSec = section(0, [...str('name'), 1, ...leb(nameMap.length), ...nameMap]);
  return Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...type, ...imports, ...funcs, ...code, ...nameSec]);
}

test('code bytes are summed per module from the name section', () => {
  const report = analyze(
    tinyModule([
      [0, 'f'],
      [1, '_ZN12wasm_session4core4http4read17h0123456789abcdefE'],
      [2, '_ZN12wasm_session4core4http5write17h0123456789abcdefE'],
      [3, 'memcpy'],
    ]),
  );
  assert.equal(report.functions, 3);
  assert.equal(report.total, 3 + 5 + 4);
  assert.deepEqual(
    report.modules.map((g) => [g.module, g.bytes, g.functions]),
    [
      ['wasm_session::core::http', 8, 2],
      ['compiler_builtins', 4, 1],
    ],
  );
});

test('a module without names is reported as unnamed', () => {
  const report = analyze(tinyModule([]));
  assert.equal(report.named, 0);
  assert.deepEqual(report.modules.map((g) => g.module), ['(unnamed)']);
});

test('a JSON text or HTTP-date parser in the name section fails the check', () => {
  const clean = tinyModule([
    [1, '_ZN12wasm_session4core5value5Value3get17h0123456789abcdefE'],
    [2, '_ZN12wasm_session4core4http11json_encode17h0123456789abcdefE'],
  ]);
  assert.deepEqual(forbiddenNames(clean), []);
  const parser = tinyModule([
    [1, '_ZN12wasm_session4core4json10parse_with17h0123456789abcdefE'],
    [2, '_ZN12wasm_session4core9http_date15parse_http_date17h0123456789abcdefE'],
    [3, '_ZN10serde_json2de10from_slice17h0123456789abcdefE'],
  ]);
  assert.deepEqual(
    forbiddenNames(parser).map((f) => f.name),
    ['wasm_session::core::json::parse_with', 'wasm_session::core::http_date::parse_http_date', 'serde_json::de::from_slice'],
  );
  assert.throws(() => forbiddenNames(tinyModule([])), /no name section/);
});

// ------------------------------------------------------------------ demangling

test('legacy symbols demangle, hash dropped, escapes decoded', () => {
  assert.equal(demangleLegacy('_ZN12wasm_session3api5flush17h55a1c49766e491f8E'), 'wasm_session::api::flush');
  assert.equal(
    demangleLegacy('_ZN6js_sys12Set$LT$T$GT$3add26__wbg_add_7e9bd3b787a1cfb017h6c2af6a74673f881E'),
    'js_sys::Set<T>::add::__wbg_add_7e9bd3b787a1cfb0',
  );
  assert.equal(
    demangleLegacy('_ZN74_$LT$wasm_session..core..http..Transport$u20$as$u20$core..clone..Clone$GT$5clone17h718fec0a6d44bc38E'),
    '<wasm_session::core::http::Transport as core::clone::Clone>::clone',
  );
  assert.equal(demangleLegacy('memcpy'), null);
});

test('v0 symbols demangle (checked against GNU c++filt)', () => {
  assert.equal(demangleV0('_RNvCs15kBYyAo9fc_7mycrate7example'), 'mycrate::example');
  assert.equal(demangleV0('_RINvNtC3std3mem8align_ofdE'), 'std::mem::align_of<f64>');
  assert.equal(demangleV0('_RNCNCNgCs6DXkGYLi8lr_2cc5spawn00B5_'), 'cc::spawn::{{closure}}::{{closure}}');
  assert.equal(
    demangleV0('_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeINtNtCslNYArtu3iFV_5alloc3vec3VecNtNtBL_6string6StringEECsh537bOAIRKx_3lib'),
    'core::ptr::drop_in_place<alloc::vec::Vec<alloc::string::String>>',
  );
  assert.equal(
    demangleV0(
      '_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeINtNtCsh537bOAIRKx_3lib5inner5ThingTINtNtCslNYArtu3iFV_5alloc3vec3VecNtNtB1l_6string6StringEAhj4_EEEBL_',
    ),
    'core::ptr::drop_in_place<lib::inner::Thing<(alloc::vec::Vec<alloc::string::String>, [u8; 0x4])>>',
  );
  assert.equal(demangleV0('_ZN3foo3barE'), null);
});

test('names wasm-bindgen already demangled keep their path', () => {
  assert.equal(demangle('wasm_session::api::flush::h55a1c49766e491f8'), 'wasm_session::api::flush');
  assert.equal(demangle('__rustc[b7974e8690430dd9]::rust_begin_unwind'), '__rustc::rust_begin_unwind');
  assert.equal(demangle('session_on externref shim'), null);
});

// ------------------------------------------------------------------ grouping

test('functions group by crate and module', () => {
  const cases = {
    'wasm_session::api::flush': 'wasm_session::api',
    'wasm_session::api::perform::{{closure}}': 'wasm_session::api',
    'wasm_session::browser::locks::lease::grant_when_won::{closure#0}': 'wasm_session::browser::locks',
    'wasm_session::browser::Dispatch<A>::call': 'wasm_session::browser',
    '<wasm_session::core::tokens::Secret as core::ops::drop::Drop>::drop': 'wasm_session::core::tokens',
    '<u32 as core::fmt::Display>::fmt': 'core::fmt',
    '<str>::to_ascii_lowercase': 'core::str',
    'core::str::<impl str>::trim_matches': 'core::str',
    'core::fmt::Formatter::pad_integral': 'core::fmt',
    'core::ptr::drop_in_place<core::option::Option<wasm_session::api::Shell>>': 'wasm_session::api',
    'core::ptr::drop_in_place::<alloc::vec::Vec<u8>>': 'alloc',
    'alloc::raw_vec::RawVec<T,A>::grow_one': 'alloc',
    'js_sys::_::<impl wasm_bindgen::cast::JsCast for js_sys::Object>::instanceof': 'js_sys',
    'talc::base::Talc<S,B>::try_allocate': 'talc',
  };
  for (const [path, module] of Object.entries(cases)) assert.equal(moduleOf(path), module, path);
  assert.equal(moduleOf('wasm_session::core::http::read', 2), 'wasm_session::core');
});

// ------------------------------------------------------------------ the budget

function withTemp(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'size-test-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const runCheck = (dir, measured, budget) => {
  writeFileSync(join(dir, 'size.json'), JSON.stringify({ bundlerGzip: measured }));
  writeFileSync(join(dir, 'budget.json'), JSON.stringify({ bundlerGzipBytes: budget }));
  return spawnSync(
    process.execPath,
    [join(HERE, 'size.mjs'), 'check', '--json', join(dir, 'size.json'), '--budget', join(dir, 'budget.json')],
    { encoding: 'utf8' },
  );
};

test('the budget check passes at or under the budget and fails over it', () => {
  withTemp((dir) => {
    assert.equal(runCheck(dir, 1000, 1000).status, 0);
    const under = runCheck(dir, 1000, 2000);
    assert.equal(under.status, 0);
    assert.match(under.stdout, /lower the budget to 1,024/);
    const over = runCheck(dir, 1001, 1000);
    assert.equal(over.status, 1);
    assert.match(over.stderr, /size budget exceeded: the package ships 1,001 bytes .* by 1\b/);
  });
});

// ------------------------------------------------------------------ the packed files

test('the pack check fails on a file the list does not name, and on a missing one', () => {
  withTemp((dir) => {
    const pkg = join(dir, 'pkg');
    const list = join(dir, 'files.txt');
    const run = () =>
      spawnSync(process.execPath, [join(HERE, 'check-pack.mjs'), pkg, list], { encoding: 'utf8' });
    spawnSync('mkdir', [pkg]);
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'x', version: '1.0.0', files: ['a.js'] }));
    writeFileSync(join(pkg, 'a.js'), '');
    writeFileSync(join(pkg, 'stray.js'), '');
    writeFileSync(list, '# comment\npackage.json\na.js\n');
    assert.equal(run().status, 0, run().stderr);
    writeFileSync(list, 'package.json\na.js\nLICENSE-MIT\n');
    const missing = run();
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /not packed: LICENSE-MIT/);
    writeFileSync(list, 'package.json\n');
    const extra = run();
    assert.equal(extra.status, 1);
    assert.match(extra.stderr, /packed but not in .*: a\.js/);
  });
});

// ------------------------------------------------------------------ wasm-layout

const WASM_OPT = join(HERE, '../tools/binaryen/node_modules/.bin/wasm-opt');

test('the gzip order chains each body to the most similar one left, from the given start', () => {
  const a = Buffer.from('0123456789abcdef0123');
  const b = Buffer.from('0123456789abcdefXYZ');
  const c = Buffer.from('qrstuvwxyzQRSTUVW');
  const d = Buffer.from('qrstuvwxyzQRST');
  const bodies = [c, a, d, b];
  assert.deepEqual(largest(bodies, 2), [1, 3]);
  const order = gzipOrder(bodies, 1);
  assert.deepEqual([...order].sort(), [0, 1, 2, 3], 'a permutation');
  assert.deepEqual(order, [1, 3, 0, 2], 'a then b (alike), then c then d (alike)');
});

test('the order is written as names that sort the bodies, the other sections untouched', () => {
  const bytes = tinyModule([[1, 'x']]);
  const named = readWasm(nameInOrder(bytes, readWasm(bytes), [2, 0, 1]));
  assert.deepEqual([1, 2, 3].map((i) => named.names.get(i)), ['f1', 'f2', 'f0']);
  assert.deepEqual(named.bodies.map((body) => body.length), [3, 5, 4]);
  assert.equal(named.importedFuncs, 1);
});

test('wasm-opt moves the bodies into the gzip order, and the module keeps its functions', () => {
  const bytes = tinyModule([[1, 'x']]);
  const best = orderForGzip(bytes, WASM_OPT, [], 2);
  const out = readWasm(best.bytes);
  assert.deepEqual(out.bodies.map((body) => body.length).sort(), [3, 4, 5]);
  assert.equal(out.names.size, 0, 'names stripped');
  assert.ok(best.gzip > 0);
  assert.ok(best.unordered > 0, 'the figure without the order, to compare a change by');
});

const SHIM = 'wasm_bindgen::convert::closures::_::invoke::h0123456789abcdef';

const JSPI_WAKE = 'js_sys::futures::jspi::task_waker::raw_wake::h0123456789abcdef';
const JSPI_SPAWN = 'js_sys::futures::jspi::spawn_promising::h0123456789abcdef';

/**
 * A function table holding a closure shim, a JSPI waker function and another
 * function, used by `call_indirect`; with `jspiSpawn` (a name), a function that
 * makes JSPI tasks is there too.
 */
async function tableModule({ exportTable, jspiSpawn = null }) {
  const binaryen = (await import('../tools/binaryen/node_modules/binaryen/index.js')).default;
  const module = new binaryen.Module();
  module.addFunction(SHIM, binaryen.none, binaryen.none, [], module.nop());
  module.addFunction(JSPI_WAKE, binaryen.none, binaryen.none, [], module.nop());
  module.addFunction('kept', binaryen.none, binaryen.none, [], module.nop());
  module.addTable('table', 4, 4);
  module.addActiveElementSegment('table', 'elems', [SHIM, JSPI_WAKE, 'kept'], module.i32.const(1));
  if (jspiSpawn) {
    module.addFunction(jspiSpawn, binaryen.none, binaryen.none, [], module.nop());
    module.addFunctionExport(jspiSpawn, 'spawn');
  }
  const call = module.call_indirect('table', module.i32.const(3), [], binaryen.none, binaryen.none);
  module.addFunction('caller', binaryen.none, binaryen.none, [], call);
  module.addFunctionExport('caller', 'caller');
  if (exportTable) module.addTableExport('table', 'table');
  binaryen.setDebugInfo(true);
  const bytes = module.emitBinary();
  module.dispose();
  return bytes;
}

test('closure invoke shims in the function table are replaced by a trap, other entries kept', async () => {
  const shim = SHIM;
  const { bytes, dropped } = await dropDeadShims(await tableModule({ exportTable: false }));
  assert.equal(dropped, 2);
  const names = [...readWasm(bytes).names.values()];
  assert.ok(!names.includes(shim), 'the shim is gone');
  assert.ok(!names.includes(JSPI_WAKE), 'the JSPI waker is gone: nothing makes JSPI tasks');
  assert.ok(names.includes('kept') && names.includes('wasm_session::dead_closure_shim'));
});

test('the JSPI waker stays in a module that can make JSPI tasks', async () => {
  // `spawn_promising`, or the poll export (`#[no_mangle]`, so no path in its name).
  for (const maker of [JSPI_SPAWN, '__wbg_jspi_task_poll']) {
    const { bytes, dropped } = await dropDeadShims(await tableModule({ exportTable: false, jspiSpawn: maker }));
    assert.equal(dropped, 1, maker);
    assert.ok([...readWasm(bytes).names.values()].includes(JSPI_WAKE), maker);
  }
});

test('closure shims in an exported function table are kept: the build fails instead', async () => {
  await assert.rejects(dropDeadShims(await tableModule({ exportTable: true })), /is exported/);
});
