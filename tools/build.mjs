// build.mjs: kernels.wasm from assembly/ (asc), then dist/ from bindings/, tools/ and examples/.
//   build/kernels.{wasm,js,d.ts}   asc --target release (SIMD, raw bindings, stub runtime, no imports)
//   build/kernels-test.wasm        the same kernels plus raw entry points for tests (assembly/abi-test.ts: GEMMs,
//                                  activations, losses, gradients), built with the kernels' assert()
//                                  preconditions live (asconfig.json target "test": noAssert off; the
//                                  release modules compile them out, byte for byte); never shipped
//   build/kernels-mt.wasm          the same kernels with wasm threads (assembly/abi-mt.ts: imported shared
//                                  memory, atomics; loaded only by models created with threads > 1);
//                                  build/kernels-mt-test.wasm the same with the asserts live and dist's
//                                  export names, for tests/threads.test.ts (never shipped)
//   dist/build/                    a copy of those, beside the JS that loads them
//   dist/bindings/*.js + .d.ts     the library (esbuild transpile, tsc declarations); index.js bundled into one
//                                  file that the thin runtime entries (browser, worker, deno) import; Node's
//                                  entry node.js is one file with the core in it, and score.js imports it
//   dist/tools/cli.js              the CLI, its third-party libraries bundled in (the package itself has none)
//   dist/examples/*.js             runnable demos; they import 'autoencoder' (this package, by self-reference)
// Plain JS so that it runs before anything is compiled. Usage: node tools/build.mjs [--wasm-only]
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { build } from 'esbuild';
import { zlibAsync } from '@gfx/zopfli';
import { exportsOf, renameExports } from './wasm-names.mjs';

const opts = new Command('node tools/build.mjs')
  .description('build/ (the kernels, asc) and dist/ (bindings, CLI, examples)')
  .option('--wasm-only', 'stop after build/ (the .wasm modules and their inline copies); dist/ is left as it is')
  .parse()
  .opts();

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => `${root}node_modules/.bin/${name}`;
const t0 = Date.now();
// the two builds side by side (each is mostly one core's work)
const asc = (args) => promisify(execFile)(bin('asc'), args, { cwd: root }).then(({ stdout, stderr }) => process.stdout.write(stdout + stderr));
// the threaded kernels (assembly/abi-mt.ts: imported shared memory, atomics) of an asconfig.json target into build/<name>
const threaded = (target, name) => asc(['assembly/abi-mt.ts', '--target', target, '-o', `build/${name}.wasm`, '-t', `build/${name}.wat`, '--bindings', 'raw',
  '--enable', 'threads', '--importMemory', '--sharedMemory', '--maximumMemory', '65536', '--zeroFilledMemory']);
await Promise.all([
  asc(['--target', 'release']),
  // the tests' module: the same kernels plus raw entry points only tests and tools/bench/w5.mjs call
  asc(['assembly/abi-test.ts', '--target', 'test', '-o', 'build/kernels-test.wasm', '-t', 'build/kernels-test.wat', '--bindings', 'raw']),
  threaded('release', 'kernels-mt'),
  // the same threaded kernels with their assert() preconditions live, for tests/threads.test.ts (never shipped)
  threaded('test', 'kernels-mt-test'),
  // the scoring module (AutoencoderLite through 'autoencoder/score'): asconfig.json's options, with
  // abi-score.ts as the only entry (the config's entries are always compiled, so a config of its own)
  (() => {
    const cfg = JSON.parse(readFileSync(`${root}asconfig.json`, 'utf8'));
    // (its paths are relative to it: it is written into build/)
    cfg.entries = ['../assembly/abi-score.ts'];
    // AE_SCORE_ONLY (0 in every other build): loops that the scoring module shares with training keep only their
    // scalar form there, the same bits in fewer bytes (layers.ts sample_forward, terms.ts vae_kl_row)
    cfg.options.use = cfg.options.use.map((u) => (u.startsWith('AE_SCORE_ONLY=') ? 'AE_SCORE_ONLY=1' : u));
    Object.assign(cfg.targets.release, { outFile: 'kernels-score.wasm', textFile: 'kernels-score.wat' });
    mkdirSync(`${root}build`, { recursive: true });
    writeFileSync(`${root}build/asconfig.score.json`, JSON.stringify(cfg));
    return asc(['--config', 'build/asconfig.score.json', '--target', 'release']);
  })(),
]);
// binaryen's wasm-opt -Os --converge over asc's output (asc runs binaryen's passes once; repeating them to
// a fixed point takes about 2.5% off the gzipped module, which the 40 KB scoring bundle needs; -Os and -O3
// time the same in tools/bench/ab.mjs, -Os is 48 B smaller). The passes
// keep IEEE semantics (no --fast-math), so the results are the bits asc's module gives: the conformance
// digests, computed before this step existed, still match. -ocimfs 0: no function is inlined into its one
// caller beyond what asc did (by default wasm-opt folds every conv and layer kernel into net_forward and
// train_epoch, 2.4% smaller, but V8's optimizing tier then compiles 5,000-7,000-line functions: +10 MB of
// peak RSS when a training run tiers up, tests/cli-memory.test.ts).
const wasmOpt = (f, extra = []) => promisify(execFile)(bin('wasm-opt'), [`build/${f}`, '-Os', '--converge', '-ocimfs', '0', '--enable-simd', '--enable-bulk-memory', '--enable-sign-ext',
  '--enable-mutable-globals', '--enable-nontrapping-float-to-int', ...extra, '-o', `build/${f}`], { cwd: root });
await Promise.all([wasmOpt('kernels.wasm'), wasmOpt('kernels-mt.wasm', ['--enable-threads']), wasmOpt('kernels-score.wasm')]);
const wasm = readFileSync(`${root}build/kernels.wasm`);
console.log(`kernels.wasm: ${wasm.length} bytes, ${gzipSync(wasm, { level: 9 }).length} gzipped (${Date.now() - t0} ms)`);
const mt = readFileSync(`${root}build/kernels-mt.wasm`);
console.log(`kernels-mt.wasm: ${mt.length} bytes, ${gzipSync(mt, { level: 9 }).length} gzipped`);
const score = readFileSync(`${root}build/kernels-score.wasm`);
console.log(`kernels-score.wasm: ${score.length} bytes, ${gzipSync(score, { level: 9 }).length} gzipped`);
// the browser entry inlines the kernels as base64 of their zlib-format deflate bytes, inflated on load
// by DecompressionStream('deflate') (every runtime the package supports has it). The deflate is
// zopfli's (@gfx/zopfli, 15 iterations; about 5% smaller than zlib's level 9, and its wrapper 12 bytes
// shorter than gzip's), so a gzipped bundle carries about what gzip -9 of the .wasm weighs, where hex
// cost +11%, base64 +31%
const inline = Buffer.from(await zlibAsync(wasm, { numiterations: 15 }));
writeFileSync(`${root}build/kernels.inline.js`, `// generated by tools/build.mjs from build/kernels.wasm: do not edit\nexport const KERNELS_DEFLATE_BASE64 = '${inline.toString('base64')}';\n`);
writeFileSync(`${root}build/kernels.inline.d.ts`, 'export declare const KERNELS_DEFLATE_BASE64: string;\n');
const scoreInline = Buffer.from(await zlibAsync(score, { numiterations: 15 }));
writeFileSync(`${root}build/kernels-score.inline.js`, `// generated by tools/build.mjs from build/kernels-score.wasm: do not edit\nexport const KERNELS_DEFLATE_BASE64 = '${scoreInline.toString('base64')}';\n`);
writeFileSync(`${root}build/kernels-score.inline.d.ts`, 'export declare const KERNELS_DEFLATE_BASE64: string;\n');
if (opts.wasmOnly) process.exit(0);

rmSync(`${root}dist`, { recursive: true, force: true });
mkdirSync(`${root}dist/build`, { recursive: true });
for (const f of ['kernels.wasm', 'kernels-mt.wasm', 'kernels-score.wasm', 'kernels.js', 'kernels.d.ts', 'kernels.inline.js', 'kernels.inline.d.ts', 'kernels-score.inline.js', 'kernels-score.inline.d.ts']) cpSync(`${root}build/${f}`, `${root}dist/build/${f}`);

const ts = (dir) => readdirSync(`${root}${dir}`).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => `${root}${dir}/${f}`);
cpSync(`${root}bindings/deno.js`, `${root}dist/bindings/deno.js`);
cpSync(`${root}bindings/score-deno.js`, `${root}dist/bindings/score-deno.js`);
cpSync(`${root}bindings/deno-file.js`, `${root}dist/bindings/deno-file.js`);
cpSync(`${root}bindings/kernels-mt.deno.js`, `${root}dist/bindings/kernels-mt.deno.js`);
await build({ entryPoints: ts('bindings'), outdir: `${root}dist/bindings`, format: 'esm', platform: 'neutral', target: 'es2022', logLevel: 'warning' });
// the core as one file (bindings/index.ts, its modules and ../build/kernels.js): a fresh process imports
// 2 modules (entry + core) instead of 8, and the runtime entries (browser, worker, deno) and
// 'autoencoder/core' share this one copy of the classes (one AutoencoderError, one Autoencoder); Node's
// entry is the one file below
// Its `x.ae_...` calls into the kernels are mangled to short names (esbuild mangleProps), and so are
// threads.js's (the same cache); dist/build's modules get their exports renamed to match, and the
// browser entry's inlined copy is made from the renamed module (tools/wasm-names.mjs). build/ keeps
// the long names, which the sources, tests and tools use.
const mangle = { mangleProps: /^ae_/, mangleCache: {} };
const core = await build({ entryPoints: [`${root}bindings/index.ts`], outfile: `${root}dist/bindings/index.js`, bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', logLevel: 'warning', ...mangle });
// Node and Bun (the "node" condition): the entry is one file too, the core with the Node loader in it
// (bindings/node.ts, node-load.ts and index.ts bundled), so a fresh process imports 1 module of ours, not 3:
// each module file costs a Node process about 1-2 ms on first import (the W4 child, 3 files -> 1: 0.90-0.94x in
// alternated launches; docs/benchmark-log.md, session 31). 'autoencoder/core' under the node condition is this
// file as well, and 'autoencoder/score' imports it (its own loader inlined), so in Node and Bun all three give one
// copy of the classes. index.js stays the core of the other runtimes' entries (Deno's 'autoencoder/core' included:
// Deno matches "node" too, so package.json lists "deno" first).
// Both are minified (whitespace, syntax, local names): 184 -> 110 KB, which V8 parses on every fresh import (its
// parse 5.5 -> 3.7 ms; the import alone 6.2 -> 5.3 ms, medians of 30 alternated launches; session 35). Not with
// esbuild's keepNames: it wraps every function and class in a call that sets its name, at import and for each
// closure made at run time, and its absence took a fresh process's import and first load() 11.7 -> 10.9 ms
// (medians of 50 alternated launches; session 77); node.ts names the public classes and functions itself, and
// stack traces show the minified names of the rest (the file's line and column still say where). Lines are kept under
// 200 characters (lineLimit): Node prints the source line of an uncaught error's throw, which on one minified line
// was the whole 124 KB file.
const intoNodeEntry = { name: 'core-is-node-entry', setup(b) { b.onResolve({ filter: /^\.\/index\.js$/ }, () => ({ path: './node.js', external: true })); } };
const nodeBuild = { bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', external: ['node:*'], logLevel: 'warning', allowOverwrite: true, minify: true, lineLimit: 200, mangleProps: mangle.mangleProps, mangleCache: core.mangleCache };
await build({ ...nodeBuild, entryPoints: [`${root}bindings/node.ts`], outfile: `${root}dist/bindings/node.js` });
await build({ ...nodeBuild, entryPoints: [`${root}bindings/score.ts`], outfile: `${root}dist/bindings/score.js`, plugins: [intoNodeEntry] });
const pool = await build({ entryPoints: [`${root}bindings/threads.ts`], outfile: `${root}dist/bindings/threads.js`, allowOverwrite: true, format: 'esm', platform: 'neutral', target: 'es2022', logLevel: 'warning', mangleProps: mangle.mangleProps, mangleCache: core.mangleCache });
// the shipped modules' exports and the library's calls must be the same names: a call the module lacks
// would fail at run time, an export nothing calls belongs in abi-test.ts (the tests' module)
const names = pool.mangleCache;
const modules = Object.fromEntries(['kernels.wasm', 'kernels-mt.wasm'].map((f) => [f, readFileSync(`${root}build/${f}`)]));
const exported = new Set(Object.values(modules).flatMap((b) => exportsOf(b).map((e) => e.name)));
const missing = Object.keys(names).filter((n) => !exported.has(n));
if (missing.length) throw new Error(`dist/bindings calls ${missing.join(', ')}, which build/kernels.wasm does not export (assembly/abi.ts): move it from abi-test.ts to abi.ts`);
const unused = [...exported].filter((n) => n.startsWith('ae_') && !Object.hasOwn(names, n));
if (unused.length) throw new Error(`the shipped kernels export ${unused.join(', ')}, which dist/bindings never calls: move it from assembly/abi.ts to abi-test.ts (the tests' module)`);
for (const [f, bytes] of Object.entries(modules)) writeFileSync(`${root}dist/build/${f}`, renameExports(bytes, names));
// the tests' asserting threaded kernels, renamed in place like dist's (tests/threads.test.ts runs on dist/)
writeFileSync(`${root}build/kernels-mt-test.wasm`, renameExports(readFileSync(`${root}build/kernels-mt-test.wasm`), names));
// the scoring module: a subset of kernels.wasm's exports, renamed by the same map
const scoreShipped = renameExports(score, names);
writeFileSync(`${root}dist/build/kernels-score.wasm`, scoreShipped);
const scoreShippedInline = Buffer.from(await zlibAsync(scoreShipped, { numiterations: 15 }));
writeFileSync(`${root}dist/build/kernels-score.inline.js`, `// generated by tools/build.mjs from dist/build/kernels-score.wasm (build/kernels-score.wasm, exports renamed): do not edit\nexport const KERNELS_DEFLATE_BASE64 = '${scoreShippedInline.toString('base64')}';\n`);
const shipped = readFileSync(`${root}dist/build/kernels.wasm`);
const shippedInline = Buffer.from(await zlibAsync(shipped, { numiterations: 15 }));
writeFileSync(`${root}dist/build/kernels.inline.js`, `// generated by tools/build.mjs from dist/build/kernels.wasm (build/kernels.wasm, exports renamed): do not edit\nexport const KERNELS_DEFLATE_BASE64 = '${shippedInline.toString('base64')}';\n`);
console.log(`dist/build/kernels.wasm (short export names): ${shipped.length} bytes, ${gzipSync(shipped, { level: 9 }).length} gzipped`);
const bundled = { bundle: true, format: 'esm', platform: 'node', target: 'node20', external: ['autoencoder'], logLevel: 'warning' };
await build({ ...bundled, entryPoints: [`${root}tools/cli.ts`], outfile: `${root}dist/tools/cli.js`, banner: { js: '#!/usr/bin/env node\nimport { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' } });
const examples = ts('examples');
if (examples.length) await build({ ...bundled, entryPoints: examples, outdir: `${root}dist/examples` });
cpSync(`${root}examples/data`, `${root}dist/examples/data`, { recursive: true });
execFileSync(bin('tsc'), ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
await (await import('../examples/browser-train/build.mjs')).buildBrowserTrain();
await (await import('../examples/worker-score/build.mjs')).buildWorkerScore();
console.log(`dist/ built in ${Date.now() - t0} ms`);
