// build.mjs: kernels.wasm from assembly/ (asc), then dist/ from bindings/, tools/ and examples/.
//   build/kernels.{wasm,js,d.ts}   asc --target release (SIMD, raw bindings, stub runtime, no imports)
//   dist/build/                    a copy of those, beside the JS that loads them
//   dist/bindings/*.js + .d.ts     the library (esbuild transpile, tsc declarations)
//   dist/tools/cli.js              the CLI, its third-party libraries bundled in (the package itself has none)
//   dist/examples/*.js             runnable demos; they import 'autoencoder' (this package, by self-reference)
// Plain JS so that it runs before anything is compiled. Usage: node tools/build.mjs [--wasm-only]
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => `${root}node_modules/.bin/${name}`;
const t0 = Date.now();
execFileSync(bin('asc'), ['--target', 'release'], { cwd: root, stdio: 'inherit' });
const wasm = readFileSync(`${root}build/kernels.wasm`);
console.log(`kernels.wasm: ${wasm.length} bytes, ${gzipSync(wasm, { level: 9 }).length} gzipped (${Date.now() - t0} ms)`);
if (process.argv.includes('--wasm-only')) process.exit(0);

rmSync(`${root}dist`, { recursive: true, force: true });
mkdirSync(`${root}dist/build`, { recursive: true });
for (const f of ['kernels.wasm', 'kernels.js', 'kernels.d.ts']) cpSync(`${root}build/${f}`, `${root}dist/build/${f}`);

const ts = (dir) => readdirSync(`${root}${dir}`).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => `${root}${dir}/${f}`);
await build({ entryPoints: ts('bindings'), outdir: `${root}dist/bindings`, format: 'esm', platform: 'neutral', target: 'es2022', logLevel: 'warning' });
const bundled = { bundle: true, format: 'esm', platform: 'node', target: 'node20', external: ['autoencoder'], logLevel: 'warning' };
await build({ ...bundled, entryPoints: [`${root}tools/cli.ts`], outfile: `${root}dist/tools/cli.js`, banner: { js: '#!/usr/bin/env node\nimport { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' } });
const examples = ts('examples');
if (examples.length) await build({ ...bundled, entryPoints: examples, outdir: `${root}dist/examples` });
cpSync(`${root}examples/data`, `${root}dist/examples/data`, { recursive: true });
execFileSync(bin('tsc'), ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
console.log(`dist/ built in ${Date.now() - t0} ms`);
