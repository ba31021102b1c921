#!/usr/bin/env node
// What the package costs a user, and the budget that keeps it from growing unnoticed.
//
//   size.mjs report --pkg DIR --names FILE.wasm --json OUT.json [--budget FILE]
//       Prints the shipped total in two forms and the wasm's code per crate/module
//       (from FILE.wasm, the same build before wasm-opt, which keeps the name section),
//       and writes the numbers to OUT.json.
//   size.mjs check --json OUT.json --budget FILE
//       Exits 1 when the bundler-form total in OUT.json exceeds the budget in FILE.
//
// The forms:
//   bundler form (the headline): gzip -9 of the .wasm + gzip -9 of the glue minified by
//     esbuild, i.e. what an app built with a bundler ships;
//   as published: the glue unminified, gzip -9 and brotli -q 11 (a plain
//     <script type="module"> page served compressed).
// gzip and brotli are node's zlib, so the figures do not depend on the gzip binary.
// Other JS entries in the package's `exports` are minified and measured on their own,
// outside the total: a user who does not import them does not ship them.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { analyze, formatTable, readWasm } from './wasm-modules.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ESBUILD_DIR = join(ROOT, 'tools/esbuild');

const gzip = (buf) => gzipSync(buf, { level: 9 }).length;
const brotli = (buf) =>
  brotliCompressSync(buf, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: buf.length,
    },
  }).length;

function loadEsbuild() {
  try {
    return createRequire(join(ESBUILD_DIR, 'package.json'))('esbuild');
  } catch (e) {
    fail(`esbuild is not installed in ${ESBUILD_DIR} (run: bash scripts/setup.sh --npm tools/esbuild): ${e.message}`);
  }
}

function minify(esbuild, file) {
  return Buffer.from(
    esbuild.transformSync(readFileSync(file, 'utf8'), {
      minify: true,
      format: 'esm',
      loader: 'js',
      target: 'es2020',
      legalComments: 'none',
    }).code,
  );
}

/** The package's JS entries from `exports`: { subpath: file }. */
function jsEntries(pkgDir) {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const pick = (target) =>
    typeof target === 'string' ? target : target && (target.import ?? target.browser ?? target.default);
  const entries = {};
  for (const [subpath, target] of Object.entries(pkg.exports ?? { '.': pkg.module ?? pkg.main })) {
    const file = pick(target);
    if (typeof file === 'string' && /\.m?js$/.test(file)) entries[subpath] = join(pkgDir, file);
  }
  return entries;
}

const fmt = (n) => n.toLocaleString('en-US');

function report(args) {
  const pkgDir = need(args, 'pkg');
  const entries = jsEntries(pkgDir);
  const glueFile = entries['.'] ?? fail(`${pkgDir}/package.json has no "." JS entry`);
  const wasmFile = join(pkgDir, 'wasm_session_bg.wasm');
  if (!existsSync(wasmFile)) fail(`${wasmFile} missing; run make build`);
  const esbuild = loadEsbuild();

  const wasm = readFileSync(wasmFile);
  const glue = readFileSync(glueFile);
  const glueMin = minify(esbuild, glueFile);
  const sizes = {
    wasm: { raw: wasm.length, gzip: gzip(wasm), brotli: brotli(wasm) },
    glue: { raw: glue.length, gzip: gzip(glue), brotli: brotli(glue) },
    glueMinified: { raw: glueMin.length, gzip: gzip(glueMin), brotli: brotli(glueMin) },
  };
  const bundler = sizes.wasm.gzip + sizes.glueMinified.gzip;
  const published = {
    raw: sizes.wasm.raw + sizes.glue.raw,
    gzip: sizes.wasm.gzip + sizes.glue.gzip,
    brotli: sizes.wasm.brotli + sizes.glue.brotli,
  };
  const otherEntries = {};
  for (const [subpath, file] of Object.entries(entries)) {
    if (subpath === '.') continue;
    const min = minify(esbuild, file);
    otherEntries[subpath] = { file, raw: min.length, gzip: gzip(min) };
  }

  const row = (name, raw, gz, br) =>
    `${name.padEnd(34)} ${fmt(raw).padStart(9)} ${fmt(gz).padStart(9)} ${br === '' ? '' : fmt(br).padStart(9)}`;
  const out = [];
  out.push(`Shipped size, bundler form (wasm gzip -9 + glue minified by esbuild, gzip -9): ${fmt(bundler)} bytes (${(bundler / 1024).toFixed(1)} KB)`);
  out.push('');
  out.push(`${''.padEnd(34)} ${'raw'.padStart(9)} ${'gzip-9'.padStart(9)} ${'brotli'.padStart(9)}`);
  out.push(row('wasm_session_bg.wasm', sizes.wasm.raw, sizes.wasm.gzip, sizes.wasm.brotli));
  out.push(row('wasm_session.js, minified', sizes.glueMinified.raw, sizes.glueMinified.gzip, sizes.glueMinified.brotli));
  out.push(row('total, bundler form', sizes.wasm.raw + sizes.glueMinified.raw, bundler, sizes.wasm.brotli + sizes.glueMinified.brotli));
  out.push(row('wasm_session.js, as published', sizes.glue.raw, sizes.glue.gzip, sizes.glue.brotli));
  out.push(row('total, glue unminified', published.raw, published.gzip, published.brotli));
  for (const [subpath, e] of Object.entries(otherEntries)) {
    out.push(row(`entry ${subpath}, minified (not in total)`, e.raw, e.gzip, ''));
  }

  let budget = null;
  if (args.budget) {
    budget = readBudget(args.budget);
    const left = budget - bundler;
    out.push('');
    out.push(
      left >= 0
        ? `Budget (${args.budget}): ${fmt(budget)} bytes, ${fmt(left)} to spare${left >= 256 ? `; can be lowered to ${fmt(roundUp(bundler))}` : ''}`
        : `Budget (${args.budget}): ${fmt(budget)} bytes, EXCEEDED by ${fmt(-left)}`,
    );
  }

  let modules = null;
  if (args.names) {
    modules = analyze(readFileSync(args.names));
    if (modules.named === 0) fail(`${args.names} has no name section; it must be the build before wasm-opt`);
    out.push('');
    out.push(`Code by crate or module, before wasm-opt (name section of ${args.names}):`);
    out.push(formatTable(modules, { top: 1 }));
    const shipped = readWasm(wasm);
    const shippedCode = shipped.bodySizes.reduce((a, b) => a + b, 0);
    out.push(
      `(after wasm-opt: ${(shippedCode / 1024).toFixed(1)} KB of code in ${shipped.bodySizes.length} functions, ` +
        `${((100 * shippedCode) / modules.total).toFixed(0)}% of the above)`,
    );
  }
  console.log(out.join('\n'));

  if (args.json) {
    const data = {
      bundlerGzip: bundler,
      published,
      files: sizes,
      entries: otherEntries,
      budget,
      modules: modules && {
        total: modules.total,
        functions: modules.functions,
        byModule: modules.modules.map((g) => ({ module: g.module, bytes: g.bytes, functions: g.functions })),
      },
    };
    writeFileSync(args.json, `${JSON.stringify(data, null, 2)}\n`);
  }
}

const roundUp = (n) => Math.ceil(n / 256) * 256;

function readBudget(file) {
  let data;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`cannot read the size budget ${file}: ${e.message}`);
  }
  const limit = data.bundlerGzipBytes;
  if (!Number.isSafeInteger(limit) || limit <= 0) fail(`${file}: "bundlerGzipBytes" must be a positive integer`);
  return limit;
}

function check(args) {
  const jsonFile = need(args, 'json');
  const budgetFile = need(args, 'budget');
  const budget = readBudget(budgetFile);
  let measured;
  try {
    measured = JSON.parse(readFileSync(jsonFile, 'utf8')).bundlerGzip;
  } catch (e) {
    fail(`cannot read ${jsonFile} (run make size first): ${e.message}`);
  }
  if (!Number.isSafeInteger(measured)) fail(`${jsonFile} has no bundlerGzip figure`);
  if (measured > budget) {
    console.error(
      `size budget exceeded: the package ships ${fmt(measured)} bytes (bundler form: wasm gzip + glue minified, gzip), ` +
        `over the budget of ${fmt(budget)} in ${budgetFile} by ${fmt(measured - budget)}.\n` +
        'Make it smaller (make size shows where the bytes are), or raise "bundlerGzipBytes" in the same ' +
        'commit and say why in its message.',
    );
    process.exit(1);
  }
  const hint = budget - measured >= 256 ? ` (lower the budget to ${fmt(roundUp(measured))} to lock in the gain)` : '';
  console.log(`size budget: ${fmt(measured)} of ${fmt(budget)} bytes${hint}`);
}

function need(args, key) {
  return args[key] ?? fail(`--${key} is required`);
}

function fail(msg) {
  console.error(`size: ${msg}`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    if (!/^--(pkg|names|json|budget)$/.test(key) || argv[i + 1] === undefined) usage();
    args[key.slice(2)] = argv[i + 1];
  }
  return args;
}

function usage() {
  console.error(
    'usage: size.mjs report --pkg DIR [--names FILE.wasm] [--json OUT.json] [--budget FILE]\n' +
      '       size.mjs check --json OUT.json --budget FILE',
  );
  process.exit(2);
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'report') report(parseArgs(rest));
else if (command === 'check') check(parseArgs(rest));
else usage();
