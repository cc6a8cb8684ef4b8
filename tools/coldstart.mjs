// coldstart.mjs: W4 cold start (../shared/bench/workloads.json): wall ms from spawn() of a fresh
// process to the line it prints after its first inference of the dense784 model completes.
//   node      `node -e` importing 'autoencoder' (by self-reference, through package.json "exports",
//             so dist/bindings/node.js), Autoencoder.load(the model file's path), score() one row,
//             print it; a second row loads the file's bytes instead (load(readFileSync(path)): not judged);
//             baseline: the same `node --input-type=module -e` printing a line and nothing else
//   workerd   `workerd serve` of a Worker bundled as wrangler would (conditions workerd > worker >
//             browser; kernels.wasm a wasm module, the model and the row data modules) whose fetch
//             handler loads the model and scores the row; timed to the first response that holds
//             the score, polling the port every 5 ms; baseline: a Worker answering 'ok'
//   TF.js     `node` importing @tensorflow/tfjs 4.22 + tfjs-backend-wasm 4.22 (SIMD binary, no
//             threads), tf.sequential dense layers with the same weights, predict() one row
//             (tools/bench/peers/tfjs-child.mjs; installed into .runtimes/peers/ on first use)
// Weights: ../shared/bench/models/dense784.weights.{bin,json} when ../shared is there (checked
// against its reference output), else the package's seeded random init; the row is the reference
// input's first row, else seeded uniform [0, 1). Every child's score is checked against the score
// computed here. Launches are interleaved (one of each per round) after one warmup round.
// Usage: node tools/coldstart.mjs [--launches 10] [--skip workerd,tfjs] [--random] [--json]
//   (needs `npm run build`; the temp files go to a temp dir)
import { WORKER_BUILD } from './bundle-options.mjs';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { intArg, listArg, median, printColumns } from './bench/common.mjs';

const root = new URL('..', import.meta.url).pathname;
const shared = new URL('../../shared/bench/models/', import.meta.url).pathname;
const MAIN = import.meta.url === `file://${process.argv[1]}`;
const skippable = ['workerd', 'tfjs'];
const cli = new Command('node tools/coldstart.mjs')
  .description('W4 cold start: wall ms from spawn() of a fresh process to its first inference (node, workerd, TF.js); needs `npm run build`')
  .option('--launches <n>', 'timed launches of each (after one warmup round)', intArg(1), 10)
  .addOption(new Option('--skip <list>', `runtimes to leave out, comma-separated (${skippable.join(',')})`).default([], 'none').argParser(listArg(skippable, '', { empty: true })))
  .option('--random', "the package's seeded random init even when ../shared's weights are there")
  .option('--json', 'print the results as one JSON line instead of the table');
// parsed when run, not when imported (then the defaults)
const opts = MAIN ? cli.parse().opts() : cli.opts();
const LAUNCHES = opts.launches;
const WARMUP = 1;
const RANDOM = opts.random === true;   // random init even when ../shared is there
const SKIP = new Set(opts.skip);
const LAUNCH_TIMEOUT_MS = 15_000;
const POLL_MS = 5;
const SPEC = { inputDim: 784, layers: [256, 64], activation: 'relu', latentActivation: 'relu', outputActivation: 'sigmoid', loss: 'mse' };
// the children inherit no loader hooks (tsx, vitest) from whoever runs this script
const childEnv = { ...process.env };
delete childEnv.NODE_OPTIONS;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Checks a child's `score <x> ...` line against the score computed in this process. */
function checkScore(what, line, expected) {
  const m = /^score (\S+)/.exec(line);
  const got = m ? Number(m[1]) : NaN;
  if (!(Math.abs(got - expected) <= 1e-5 * Math.max(1, Math.abs(expected)))) {
    throw new Error(`${what} printed ${JSON.stringify(line)}; expected score ${expected}`);
  }
}

/** Spawns a process; resolves with the wall ms from spawn() to its first stdout line, then kills it. */
function timeToLine(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let done = false;
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv, ...opts });
    const finish = (e, v) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (e) reject(e); else resolve(v);
    };
    const timer = setTimeout(() => finish(new Error(`${cmd} printed nothing within ${LAUNCH_TIMEOUT_MS} ms\n${err}`)), LAUNCH_TIMEOUT_MS);
    child.stdout.on('data', (d) => {
      const t1 = performance.now();
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) finish(null, { ms: t1 - t0, line: out.slice(0, nl) });
    });
    child.stderr.on('data', (d) => { err += d; });
    child.once('error', (e) => finish(e));
    child.once('exit', (code, signal) => setImmediate(() => finish(new Error(`${cmd} exited (${signal ?? `code ${code}`}) before printing a line\n${err}`))));
  });
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; released before workerd binds it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** One GET on a fresh connection: { status, body }, or null when nothing answers yet. */
function get(port) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** `workerd serve config`: wall ms from spawn() to the first 200 whose body `accept`s, polling every 5 ms. */
async function workerdTime(workerd, config, accept) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(workerd, ['serve', config, `--socket-addr=http=127.0.0.1:${port}`], { cwd: join(config, '..'), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    for (;;) {
      const res = await get(port);
      const t1 = performance.now();
      if (res && res.status === 200 && accept(res.body)) return { ms: t1 - t0, line: res.body };
      if (res && res.status !== 200) throw new Error(`workerd answered ${res.status}: ${res.body}\n${err}`);
      if (child.exitCode !== null) throw new Error(`workerd exited (code ${child.exitCode}) before answering\n${err}`);
      if (t1 - t0 > LAUNCH_TIMEOUT_MS) throw new Error(`workerd did not answer within ${LAUNCH_TIMEOUT_MS} ms\n${err}`);
      await sleep(POLL_MS);
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Builds the dense784 model file, the row, the weights (Keras layout) and the expected score into `dir`;
 * returns the score, the model file's and the row's paths, and where the weights came from (also
 * tools/bench/coldstart-phases.mjs's inputs).
 */
export async function makeInputs(dir) {
  const { Autoencoder, randomMatrix } = await import('autoencoder');
  const ae = await Autoencoder.create({ ...SPEC, seed: 42 });
  let row;
  let source;
  if (!RANDOM && existsSync(`${shared}dense784.weights.json`) && existsSync(`${shared}dense784.weights.bin`)) {
    const spec = JSON.parse(readFileSync(`${shared}dense784.weights.json`, 'utf8'));
    const b = readFileSync(`${shared}dense784.weights.bin`);
    const all = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    ae.setWeights(spec.params.map((p) => all.subarray(p.offset, p.offset + p.shape.reduce((a, c) => a * c, 1))));
    const x = Float32Array.from(spec.reference.input.flat(Infinity));
    const ref = spec.reference.output.flat(Infinity);
    const y = ae.reconstruct(x);
    const worst = y.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i])), 0);
    if (!(worst <= 1e-5)) throw new Error(`the shared dense784 weights do not reproduce their reference output (max |diff| ${worst})`);
    row = x.slice(0, 784);
    source = `the shared weights (../shared/bench/models/dense784.weights.bin; reference output reproduced to ${worst.toExponential(1)})`;
  } else {
    row = await randomMatrix(1, 784, { seed: 42 });
    source = `random init, seed 42 (${RANDOM ? '--random' : '../shared/bench/models/dense784.weights.* not found'})`;
  }
  const expected = ae.score(row)[0];
  writeFileSync(join(dir, 'dense784.ae'), ae.save());
  writeFileSync(join(dir, 'row.f32'), new Uint8Array(row.buffer, row.byteOffset, row.byteLength));
  // the same weights for TF.js, in the shared layout (whichever they came from)
  const ws = ae.getWeights();
  let offset = 0;
  const params = ws.map((w, i) => {
    const l = i >> 1;
    const shape = i % 2 === 0 ? [[784, 256, 64, 256][l], [256, 64, 256, 784][l]] : [w.length];
    const p = { kind: i % 2 === 0 ? 'dense_kernel' : 'bias', shape, offset };
    offset += w.length;
    return p;
  });
  const flat = new Float32Array(offset);
  ws.forEach((w, i) => flat.set(w, params[i].offset));
  writeFileSync(join(dir, 'dense784.weights.json'), JSON.stringify({ name: 'dense784', params, n_floats: offset }));
  writeFileSync(join(dir, 'dense784.weights.bin'), new Uint8Array(flat.buffer));
  ae.dispose();
  return { expected, source, model: join(dir, 'dense784.ae'), row: join(dir, 'row.f32') };
}

// byPath: load(path), which reads the file's floats straight into wasm memory (the package's way to load
// a file in Node); else load(readFileSync(path)), the bytes form every runtime has (a second, unjudged row)
const NODE_CHILD = (model, row, byPath = true) => `
import { readFileSync } from 'node:fs';
import { Autoencoder } from 'autoencoder';
const ae = await Autoencoder.load(${byPath ? JSON.stringify(model) : `readFileSync(${JSON.stringify(model)})`});
const r = readFileSync(${JSON.stringify(row)});
console.log('score ' + ae.score(new Float32Array(r.buffer, r.byteOffset, r.byteLength / 4))[0]);
`;
const EMPTY_CHILD = `console.log('ready');`;

const WORKER_ENTRY = (dir) => `
import { Autoencoder } from 'autoencoder';
import model from ${JSON.stringify(join(dir, 'dense784.ae'))};
import row from ${JSON.stringify(join(dir, 'row.f32'))};
let ae = null;
export default {
  async fetch() {
    ae ??= await Autoencoder.load(new Uint8Array(model));
    return new Response('score ' + ae.score(new Float32Array(row))[0]);
  },
};
`;
const TRIVIAL_WORKER = `export default { fetch() { return new Response('ok'); } };\n`;
const capnp = (modules) => `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .w) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "main") ],
);
const w :Workerd.Worker = (
  modules = [
${modules.map(([name, kind]) => `    (name = "${name}", ${kind} = embed "${name}"),`).join('\n')}
  ],
  compatibilityDate = "2025-09-01",
);
`;

/** The scoring Worker (esbuild, as wrangler bundles it) and the trivial one, each with its config. */
async function buildWorkers(dir) {
  const { build } = await import('esbuild');
  const score = join(dir, 'worker-score');
  const trivial = join(dir, 'worker-trivial');
  mkdirSync(trivial, { recursive: true });
  const { metafile } = await build({
    // resolved from the repo root, so 'autoencoder' is this package by self-reference, through its
    // package.json "exports" as a consumer's Worker would get it
    stdin: { contents: WORKER_ENTRY(dir), resolveDir: root, sourcefile: 'worker-entry.mjs', loader: 'js' },
    outfile: join(score, 'worker.js'),
    ...WORKER_BUILD,
    minify: true,
    loader: { '.wasm': 'copy', '.ae': 'copy', '.f32': 'copy' },
    absWorkingDir: root,
  });
  const inputs = Object.keys(metafile.inputs);
  if (!inputs.some((i) => i.endsWith('dist/bindings/worker.js')) || inputs.some((i) => /dist\/bindings\/(browser|node)\.js$/.test(i))) {
    throw new Error(`the Worker bundle did not resolve 'autoencoder' to dist/bindings/worker.js (inputs: ${inputs.join(', ')})`);
  }
  writeFileSync(join(score, 'config.capnp'), capnp([['worker.js', 'esModule'], ['kernels.wasm', 'wasm'], ['dense784.ae', 'data'], ['row.f32', 'data']]));
  writeFileSync(join(trivial, 'worker.js'), TRIVIAL_WORKER);
  writeFileSync(join(trivial, 'config.capnp'), capnp([['worker.js', 'esModule']]));
  return { score: join(score, 'config.capnp'), trivial: join(trivial, 'config.capnp') };
}

/** Runs `launches` rounds (after WARMUP) of every job in `jobs`, interleaved; returns ms per job. */
async function rounds(jobs) {
  const ms = Object.fromEntries(Object.keys(jobs).map((k) => [k, []]));
  for (let i = 0; i < WARMUP + LAUNCHES; i++) {
    for (const [k, run] of Object.entries(jobs)) {
      const r = await run();
      if (i >= WARMUP) ms[k].push(r.ms);
    }
  }
  return ms;
}

if (MAIN) {
  const T0 = performance.now();
  const load = loadavg()[0];
  if (!existsSync(`${root}dist/bindings/node.js`) || !existsSync(`${root}dist/build/kernels.wasm`)) {
    console.error('coldstart: dist/ is missing: run `npm run build` (node tools/build.mjs) first');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'autoencoder-coldstart-'));
  const results = [];
  const notes = [];
  const unavailable = {};
  try {
    const { expected, source } = await makeInputs(dir);
    notes.push(`model: dense784 [784, 256, 64, 256, 784], relu hidden incl. the bottleneck, sigmoid output; weights: ${source}`);
    const model = join(dir, 'dense784.ae');
    const row = join(dir, 'row.f32');

    // Node: ours and the empty process, interleaved (plus TF.js when it installs)
    const nodeJobs = {
      empty: () => timeToLine(process.execPath, ['--input-type=module', '-e', EMPTY_CHILD], { cwd: root }),
      ours: async () => {
        const r = await timeToLine(process.execPath, ['--input-type=module', '-e', NODE_CHILD(model, row)], { cwd: root });
        checkScore('the node child', r.line, expected);
        return r;
      },
      oursBytes: async () => {
        const r = await timeToLine(process.execPath, ['--input-type=module', '-e', NODE_CHILD(model, row, false)], { cwd: root });
        checkScore('the node child (bytes)', r.line, expected);
        return r;
      },
    };
    let tfjsLine = null;
    if (!SKIP.has('tfjs')) {
      try {
        const t = performance.now();
        const { tfjsPeer, dir: peers } = await import('./bench/peers/install.mjs');
        await tfjsPeer({ timeoutMs: 60_000 });
        const installMs = performance.now() - t;
        const args = [`${root}tools/bench/peers/tfjs-child.mjs`, peers, join(dir, 'dense784.weights.json'), join(dir, 'dense784.weights.bin'), row];
        const probe = await timeToLine(process.execPath, args, { cwd: dir });
        checkScore('the TF.js child', probe.line, expected);
        if (!/simd=true threads=false backend=wasm/.test(probe.line)) throw new Error(`not the SIMD, single-threaded wasm backend: ${probe.line}`);
        tfjsLine = probe.line;
        if (installMs > 1000) notes.push(`TF.js installed into .runtimes/peers/ in ${(installMs / 1000).toFixed(1)} s (not timed)`);
        nodeJobs.tfjs = async () => {
          const r = await timeToLine(process.execPath, args, { cwd: dir });
          checkScore('the TF.js child', r.line, expected);
          return r;
        };
      } catch (e) {
        unavailable.tfjs = e.message.split('\n')[0];
      }
    } else unavailable.tfjs = 'skipped (--skip tfjs)';
    const node = await rounds(nodeJobs);
    const nodeVersion = process.version;
    const emptyMed = median(node.empty);
    results.push({ runtime: `node ${nodeVersion}, empty process (baseline)`, ms: node.empty, base: emptyMed });
    results.push({ runtime: `node ${nodeVersion}, autoencoder`, ms: node.ours, base: emptyMed, ours: 'node' });
    results.push({ runtime: `node ${nodeVersion}, autoencoder, load(bytes)`, ms: node.oursBytes, base: emptyMed, ours: 'node-bytes' });
    if (node.tfjs) results.push({ runtime: `node ${nodeVersion}, TF.js 4.22 wasm (SIMD, 1 thread)`, ms: node.tfjs, base: emptyMed, tfjs: true });
    if (tfjsLine) notes.push(`TF.js child printed: ${tfjsLine}`);

    // workerd: our Worker and a trivial one, interleaved
    if (!SKIP.has('workerd')) {
      try {
        const { runtimes, PINNED } = await import('./runtimes.mjs');
        const { workerd } = runtimes();
        const configs = await buildWorkers(dir);
        const w = await rounds({
          trivial: () => workerdTime(workerd, configs.trivial, (b) => b === 'ok'),
          ours: async () => {
            const r = await workerdTime(workerd, configs.score, (b) => b.startsWith('score '));
            checkScore('the Worker', r.line, expected);
            return r;
          },
        });
        const base = median(w.trivial);
        results.push({ runtime: `workerd ${PINNED.workerd}, trivial Worker (baseline)`, ms: w.trivial, base });
        results.push({ runtime: `workerd ${PINNED.workerd}, autoencoder Worker`, ms: w.ours, base, ours: 'workerd' });
        notes.push(`workerd: spawn of \`workerd serve\` to the first 200 response (GET, polled every ${POLL_MS} ms on a fresh connection)`);
      } catch (e) {
        unavailable.workerd = e.message.split('\n')[0];
      }
    }
  } catch (e) {
    console.error(`coldstart: ${e.stack ?? e}`);
    process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const tf = results.find((r) => r.tfjs);
  const tfMed = tf ? median(tf.ms) : null;
  const rows = results.map((r) => {
    const m = median(r.ms);
    return {
      runtime: r.runtime,
      median: m,
      min: Math.min(...r.ms),
      max: Math.max(...r.ms),
      minusBaseline: r.base === m ? null : m - r.base,
      // TF.js runs in Node only (its wasm backend compiles from bytes, which workerd forbids)
      vsTfjs: tfMed && (r.ours === 'node' || r.ours === 'node-bytes' || r.tfjs) ? m / tfMed : null,
      ms: r.ms.map((v) => Math.round(v * 10) / 10),
    };
  });
  const seconds = (performance.now() - T0) / 1000;
  if (opts.json) {
    console.log(JSON.stringify({ launches: LAUNCHES, warmup: WARMUP, rows, unavailable, notes, loadavg: load, seconds }));
  } else {
    const f = (v, d = 1) => (v === null ? '-' : v.toFixed(d));
    const table = [['runtime', 'median ms', 'min-max ms', 'minus baseline ms', 'ratio vs TF.js-wasm'],
      ...rows.map((r) => [r.runtime, f(r.median), `${f(r.min)}-${f(r.max)}`, f(r.minusBaseline), r.vsTfjs === null ? '-' : `${r.vsTfjs.toFixed(2)}x`])];
    console.log(`W4 cold start: median of ${LAUNCHES} launches (after ${WARMUP} warmup), wall ms from spawn() to the line printed after the first inference`);
    printColumns(table);
    if (unavailable.tfjs) console.log(`TF.js: unavailable (${unavailable.tfjs})`);
    if (unavailable.workerd) console.log(`workerd: unavailable (${unavailable.workerd})`);
    for (const n of notes) console.log(`- ${n}`);
    console.log(`- minus baseline: node rows minus the empty node process; workerd rows minus the trivial Worker; ratio: median / TF.js's median (Node rows only: TF.js's wasm backend cannot run in workerd)`);
    console.log(`- machine: ${cpus().length} CPUs, 1-min load average ${load.toFixed(2)} at start (other work on the box widens the spread)`);
    console.log(`(${seconds.toFixed(1)} s)`);
  }
  if (unavailable.workerd && !SKIP.has('workerd')) process.exitCode = 1;
}
