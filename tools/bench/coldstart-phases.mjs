// coldstart-phases.mjs: where W4's cold start goes (tools/coldstart.mjs times it whole). The same child
// steps, each timed inside a fresh node process, with the page faults each step takes
// (process.resourceUsage().minorPageFault, the whole process's: V8's background compile threads
// included):
//   first import   `await import('node:fs')`: Node's ESM loader on its first import, which any package
//                  pays (coldstart.mjs's empty process imports nothing)
//   package        `await import('autoencoder')` (self-reference: dist/bindings/node.js)
//   load           `Autoencoder.load(path)` of the dense784 model file (coldstart.mjs's)
//   score          the first score() of one row
// and, after those, what one fresh page costs in this child right now (a new wasm memory's pages
// touched once each): 2-3 µs on 2026-12-03, about 13 µs in session 29's slow phase, while the child
// touches about 1,400 pages, so the faults read steadier than the milliseconds.
// Variants run in alternation, one launch of each per round: `--variant notier=--wasm-tiering-budget=1000000000`
// runs the child under those flags (comma-separated), e.g. to see what V8's tier-up of the hot wasm
// functions costs (a diagnosis only: a package cannot set V8 flags for its user's process). A V8 flag
// (not node's own, such as --v8-pool-size) also slows the first two steps (the first import about
// 5 -> 15 ms on Node 20: Node's own modules then compile without their built-in code cache, which V8
// checks against its flags): compare a variant's load and score.
// Usage: node tools/bench/coldstart-phases.mjs [--launches 20] [--variant name=flags ...] [--json]
//   (needs `npm run build`; the model file goes to a temp dir)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ROOT, intArg, median, printColumns } from './common.mjs';
import { makeInputs } from '../coldstart.mjs';

const variantArg = (v, all) => {
  const m = /^([\w-]+)=(.*)$/.exec(v);
  if (!m || m[1] === 'default') throw new InvalidArgumentError(`a variant is name=flags (comma-separated V8/node flags), its name not "default": got ${JSON.stringify(v)}`);
  return [...all, { name: m[1], flags: m[2].split(',').filter(Boolean) }];
};
const opts = new Command('node tools/bench/coldstart-phases.mjs')
  .description("W4's cold start step by step (first import, the package, load(path), the first score): median ms and page faults over fresh node processes")
  .option('--launches <n>', 'launches of each variant (alternated, after one warmup round)', intArg(1), 20)
  .option('--variant <name=flags>', 'also run the child under these node/V8 flags (comma-separated); repeatable', variantArg, [])
  .option('--json', 'print one JSON line instead of the table')
  .parse()
  .opts();

const PHASES = ['first import', 'package', 'load', 'score'];
const CHILD = (model, row) => `
const faults = () => process.resourceUsage().minorPageFault;
const marks = [[performance.now(), faults()]];
const mark = () => marks.push([performance.now(), faults()]);
const { readFileSync } = await import('node:fs');
mark();
const { Autoencoder } = await import('autoencoder');
mark();
const ae = await Autoencoder.load(${JSON.stringify(model)});
mark();
const r = readFileSync(${JSON.stringify(row)});
const score = ae.score(new Float32Array(r.buffer, r.byteOffset, r.byteLength / 4))[0];
mark();
// one fresh page's cost now: 4 MiB of new wasm memory, each page touched once
const probe = new Uint8Array(new WebAssembly.Memory({ initial: 64 }).buffer);
const f0 = faults(), t0 = performance.now();
for (let i = 0; i < probe.length; i += 4096) probe[i] = 1;
const us = (performance.now() - t0) * 1000 / Math.max(1, faults() - f0);
console.log(JSON.stringify({ score, ms: marks.slice(1).map((m, i) => m[0] - marks[i][0]), faults: marks.slice(1).map((m, i) => m[1] - marks[i][1]), usPerFault: us }));
`;

const env = { ...process.env };
delete env.NODE_OPTIONS;

/** One child under `flags`: its JSON line, its score checked against `expected`. */
function launch(flags, code, expected) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [...flags, '--input-type=module', '-e', code], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { err += d; });
    c.once('error', reject);
    c.once('exit', (status) => {
      try {
        if (status !== 0) throw new Error(`exited ${status}`);
        const r = JSON.parse(out.trim().split('\n').at(-1));
        if (!(Math.abs(r.score - expected) <= 1e-5 * Math.max(1, Math.abs(expected)))) throw new Error(`scored ${r.score}, expected ${expected}`);
        resolve(r);
      } catch (e) {
        reject(new Error(`the child (flags: ${flags.join(' ') || 'none'}) ${e.message}\n${out}${err}`));
      }
    });
  });
}

if (!existsSync(`${ROOT}dist/bindings/node.js`) || !existsSync(`${ROOT}dist/build/kernels.wasm`)) {
  console.error('coldstart-phases: dist/ is missing: run `npm run build` first');
  process.exit(2);
}
const variants = [{ name: 'default', flags: [] }, ...opts.variant];
const dir = mkdtempSync(join(tmpdir(), 'autoencoder-phases-'));
try {
  const { expected, model, row, source } = await makeInputs(dir);
  const code = CHILD(model, row);
  const runs = variants.map(() => []);
  for (let r = -1; r < opts.launches; r++) {
    for (let j = 0; j < variants.length; j++) {
      const i = (j + Math.max(r, 0)) % variants.length;   // each variant goes first in turn
      const x = await launch(variants[i].flags, code, expected);
      if (r >= 0) runs[i].push(x);
    }
  }
  const rows = variants.map((v, i) => {
    const rs = runs[i];
    const ms = PHASES.map((_, p) => median(rs.map((x) => x.ms[p])));
    const faults = PHASES.map((_, p) => median(rs.map((x) => x.faults[p])));
    return {
      variant: v.name, flags: v.flags, ms, faults,
      totalMs: median(rs.map((x) => x.ms.reduce((a, b) => a + b, 0))),
      totalFaults: median(rs.map((x) => x.faults.reduce((a, b) => a + b, 0))),
      usPerFault: median(rs.map((x) => x.usPerFault)),
    };
  });
  if (opts.json) {
    console.log(JSON.stringify({ launches: opts.launches, phases: PHASES, rows, model: source }));
  } else {
    console.log(`W4's cold start by step: medians of ${opts.launches} fresh node ${process.version} processes per variant (alternated), ms / page faults`);
    const head = ['variant', ...PHASES, 'sum', 'µs per fresh page'];
    const table = [head, ...rows.map((r) => [
      r.variant, ...r.ms.map((m, p) => `${m.toFixed(2)} / ${r.faults[p]}`), `${r.totalMs.toFixed(2)} / ${r.totalFaults}`, r.usPerFault.toFixed(2),
    ])];
    printColumns(table);
    for (const v of opts.variant) console.log(`- ${v.name}: node ${v.flags.join(' ')}`);
    if (opts.variant.length) console.log('- a V8 flag (not node\'s own, such as --v8-pool-size) also slows the first import and the package (Node\'s own modules then compile without their built-in code cache): compare load and score');
    console.log(`- model: ${source}`);
    console.log('- first import: Node\'s ESM loader on the first import of anything (node:fs here), which coldstart.mjs\'s empty process does not pay and every package does');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
