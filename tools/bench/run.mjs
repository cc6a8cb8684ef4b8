// run.mjs: `npm run bench`: the side-by-side benchmark of ../shared/bench/workloads.json (W1-W5)
// against TensorFlow.js 4.22 (wasm backend: SIMD, no threads; cpu backend where wasm lacks a kernel)
// and onnxruntime-web 1.30 (wasm execution provider, SIMD, numThreads = 1).
// Every (workload, model, runtime) runs in a fresh child process of its own, one after another
// (the machine has 2 cores and is shared: nothing runs beside a measurement but the OS and whatever
// else is on the box), and prints one `@@RESULT <json>` line:
//   ours.mjs       this package (built dist/, by self-reference), W1-W3
//   tfjs.mjs       TF.js, --backend wasm|cpu, W1-W3
//   ort.mjs        onnxruntime-web, W1 and W3 inference (it has no training)
//   w5.mjs         W5: the f32x4 mul+add peak (peak/peak.mjs, a separate WAT micro-kernel module
//                  assembled with binaryen) and this package's GEMM (raw ae_gemm), paired
//   peer-size.mjs  W4: the peers' minified bundles + the .wasm they load, gzip -9
//   threads.mjs    T: W2 with 1 and 2 threads, and the machine's two-process scaling (issue 15)
//   series.mjs     S1: SeriesDetector push() per point between retrains, and pushMany() throughput
//                  (this package only; two NAB series from examples/data)
//   ../coldstart.mjs --json and ../size.mjs --json for W4's cold start and this package's size.
// Peers install pinned into .runtimes/peers/ on first use (peers/install.mjs); one that cannot be
// installed is reported unavailable and its columns say so. Every runtime's output for the shared
// models is checked against the reference output in ../shared/bench/models (abs. tolerance 1e-4).
// Prints one table (medians; ratios oriented so > 1 means this package is better; the issue's
// targets with PASS/FAIL), a memory table, the versions, and writes the raw JSON to
// bench/out/<timestamp>.json (git-ignored).
// Usage: node tools/bench/run.mjs [--only W1,W3,S1] [--quick] [--runtimes ours,tfjs-wasm,tfjs-cpu,ort] [--rounds 2] [--out DIR]
//   --quick     every count and budget cut to a smoke run (numbers are not meaningful); W1 in 1 round
//   --rounds N  W1's interleaved rounds (default 2; each runtime's figure is its better round median)
//   needs `npm run build` first (npm run bench does it). Exit 1 when a check of our outputs fails or
//   one of our runs errors; a FAIL against a target is a result, not an error.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ROOT, SHARED, listArg, loadWorkloads } from './common.mjs';

const BENCH = `${ROOT}tools/bench/`;
const ALL_W = ['W1', 'W2', 'W3', 'W4', 'W5', 'T', 'S1'];
const ALL_RT = ['ours', 'tfjs-wasm', 'tfjs-cpu', 'ort'];
const rounds = (s) => {
  const n = Number(s);
  if (!(Number.isInteger(n) && n >= 1 && n <= 5)) throw new InvalidArgumentError('an integer from 1 to 5');
  return n;
};
const flags = new Command('node tools/bench/run.mjs')
  .description('the side-by-side benchmark of ../shared/bench/workloads.json (npm run bench; needs `npm run build` first)')
  .option('--only <list>', `workloads to run, comma-separated, any case (${ALL_W.join(',')}; default all)`, (s) => listArg(ALL_W, 'workload')(s.toUpperCase()))
  .option('--quick', 'every count and budget cut to a smoke run (numbers are not meaningful); W1 in 1 round')
  .option('--runtimes <list>', `runtimes to run, comma-separated (${ALL_RT.join(',')}; default all)`, listArg(ALL_RT, 'runtime'))
  .option('--rounds <n>', "W1's and W3's interleaved rounds, 1 to 5 (default 2, with --quick 1)", rounds)
  .option('--out <dir>', 'directory for the raw JSON', `${ROOT}bench/out`)
  .parse()
  .opts();
const QUICK = flags.quick === true;
const ONLY = flags.only ?? ALL_W;
const RUNTIMES = flags.runtimes ?? ALL_RT;
const OUT = flags.out;
const CHILD_TIMEOUT_MS = 240_000;
const childEnv = { ...process.env };
delete childEnv.NODE_OPTIONS;   // no loader hooks (tsx, vitest) leak into the measured processes

if (!existsSync(`${SHARED}workloads.json`)) {
  console.error(`bench: ${SHARED}workloads.json is missing: the benchmark needs ../shared/bench beside the repo`);
  process.exit(2);
}
if (!existsSync(`${ROOT}dist/bindings/node.js`) || !existsSync(`${ROOT}dist/build/kernels.wasm`)) {
  console.error('bench: dist/ is missing: run `npm run build` (node tools/build.mjs) first, or `npm run bench`');
  process.exit(2);
}
const W = loadWorkloads(QUICK);
const T0 = performance.now();
const load0 = loadavg();
const log = (s) => process.stderr.write(`${s}\n`);

/** Runs one child; resolves { ok, result | error, ms, stderr } (never rejects). */
function runChild(script, args, { json = 'marker' } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      let result = null;
      if (json === 'marker') {
        const line = out.split('\n').find((l) => l.startsWith('@@RESULT '));
        if (line) result = JSON.parse(line.slice(9));
      } else {
        const line = out.trim().split('\n').at(-1);
        try { result = JSON.parse(line); } catch { /* reported below */ }
      }
      const lastErr = err.trim().split('\n').filter((l) => !/^=+$|^Hi,? |tfjs-node|^\s*$/.test(l)).at(-1);
      if (result && !result.error) resolve({ ok: true, result, ms, code });
      else {
        const why = result?.error ?? (signal ? `killed (${signal}${signal === 'SIGKILL' ? `, over ${CHILD_TIMEOUT_MS / 1000} s` : ''})` : `exit ${code}`);
        resolve({ ok: false, error: why, stderr: lastErr, ms, code, result });
      }
    });
  });
}

// ---- peers ----
const peerState = { tfjs: null, ort: null };   // null = not needed; { dir } or { unavailable }
const wantTf = RUNTIMES.some((r) => r.startsWith('tfjs')) && ONLY.some((w) => ['W1', 'W2', 'W3', 'W4'].includes(w));
const wantOrt = RUNTIMES.includes('ort') && ONLY.some((w) => ['W1', 'W3', 'W4'].includes(w));
const install = await import('./peers/install.mjs');
for (const [name, want, fn] of [['tfjs', wantTf, install.tfjsPeer], ['ort', wantOrt, install.ortPeer]]) {
  if (!want) continue;
  try {
    await fn({ timeoutMs: 120_000 });
    peerState[name] = { dir: install.dir };
  } catch (e) {
    peerState[name] = { unavailable: e.message.split('\n')[0] };
    log(`bench: ${name === 'tfjs' ? 'TF.js' : 'onnxruntime-web'} unavailable: ${peerState[name].unavailable}`);
  }
}
const peerArgs = ['--peers', install.dir, ...(QUICK ? ['--quick'] : [])];
const q = QUICK ? ['--quick'] : [];

// ---- jobs ----
/** Each job: { key, label, script, args, opts }; key = `${workload}/${model}/${runtime}` (W1: `#round` appended). */
const jobs = [];
const add = (w, model, rt, script, args, opts) => {
  if (!RUNTIMES.includes(rt) && rt !== 'machine') return;
  if (rt.startsWith('tfjs') && !peerState.tfjs?.dir) return;
  if (rt === 'ort' && !peerState.ort?.dir) return;
  jobs.push({ key: `${w}/${model}/${rt}`, label: `${w} ${model} ${rt}`, script, args, opts });
};
// W1's calls are short and the machine is shared: ROUNDS interleaved rounds (ours, TF.js, ORT, then
// again), each runtime's figure the lower of its round medians (all rounds kept in the JSON). W3 the
// same (ours, TF.js-wasm, ORT; TF.js-cpu, at 20 s a run, once): this VM's speed changes by up to 2x for
// seconds at a time (a W3 run of ours at 80 ms a call, ORT's next one at 173 ms, then 85 ms), which one
// run per runtime reads as a ratio
const ROUNDS = flags.rounds ?? (QUICK ? 1 : 2);
if (ONLY.includes('W1')) {
  for (let r = 1; r <= ROUNDS; r++) {
    for (const m of W.W1.models) {
      add('W1', m, 'ours', `${BENCH}ours.mjs`, ['--workload', 'W1', '--model', m, ...q]);
      add('W1', m, 'tfjs-wasm', `${BENCH}tfjs.mjs`, ['--workload', 'W1', '--model', m, '--backend', 'wasm', ...peerArgs]);
      add('W1', m, 'ort', `${BENCH}ort.mjs`, ['--workload', 'W1', '--model', m, ...peerArgs]);
    }
  }
  tagRounds('W1/');
}
/** Numbers the repeated jobs under `prefix` as rounds (key#1, key#2, ...), when there is more than one round. */
function tagRounds(prefix) {
  if (ROUNDS < 2) return;
  const seen = {};
  for (const j of jobs) {
    if (!j.key.startsWith(prefix) || jobs.filter((o) => o.key === j.key || o.key.startsWith(`${j.key}#`)).length < 2) continue;
    seen[j.key] = (seen[j.key] ?? 0) + 1;
    j.round = seen[j.key];
    j.key = `${j.key}#${j.round}`;
    j.label = `${j.label} (round ${j.round})`;
  }
}
if (ONLY.includes('W2')) {
  add('W2', W.W2.model, 'ours', `${BENCH}ours.mjs`, ['--workload', 'W2', ...q]);
  add('W2', W.W2.model, 'tfjs-wasm', `${BENCH}tfjs.mjs`, ['--workload', 'W2', '--backend', 'wasm', ...peerArgs]);
}
if (ONLY.includes('W3')) {
  for (let r = 1; r <= ROUNDS; r++) {
    add('W3', W.W3.model, 'ours', `${BENCH}ours.mjs`, ['--workload', 'W3', ...q]);
    add('W3', W.W3.model, 'tfjs-wasm', `${BENCH}tfjs.mjs`, ['--workload', 'W3', '--backend', 'wasm', ...peerArgs]);
    if (r === 1) add('W3', W.W3.model, 'tfjs-cpu', `${BENCH}tfjs.mjs`, ['--workload', 'W3', '--backend', 'cpu', ...peerArgs]);
    add('W3', W.W3.model, 'ort', `${BENCH}ort.mjs`, ['--workload', 'W3', ...peerArgs]);
  }
  tagRounds('W3/');
}
if (ONLY.includes('W4') && RUNTIMES.includes('ours')) {
  const skip = [];
  if (!(RUNTIMES.includes('tfjs-wasm') && peerState.tfjs?.dir)) skip.push('tfjs');
  // a quick run uses workerd only when .runtimes/ already holds it (no install for a smoke run)
  if (QUICK && !existsSync(`${ROOT}.runtimes/node_modules/workerd/package.json`)) skip.push('workerd');
  add('W4', W.W4.model, 'ours', `${ROOT}tools/coldstart.mjs`, ['--json', '--launches', String(W.W4.launches), ...(skip.length ? ['--skip', skip.join(',')] : [])], { json: 'last' });
  jobs.at(-1).key = 'W4/coldstart/all';
  jobs.at(-1).label = 'W4 cold start (tools/coldstart.mjs)';
  add('W4', 'size', 'ours', `${ROOT}tools/size.mjs`, ['--json'], { json: 'last' });
  const peersForSize = ['tfjs', 'ort'].filter((p) => peerState[p]?.dir && RUNTIMES.includes(p === 'tfjs' ? 'tfjs-wasm' : 'ort'));
  for (const p of peersForSize) add('W4', 'size', p === 'tfjs' ? 'tfjs-wasm' : 'ort', `${BENCH}peer-size.mjs`, ['--peers', install.dir, '--only', p]);
}
if (ONLY.includes('W5')) {
  add('W5', 'peak+gemm', 'ours', `${BENCH}w5.mjs`, q);
}
if (ONLY.includes('T')) {
  add('T', W.W2.model, 'ours', `${BENCH}threads.mjs`, q);
}
if (ONLY.includes('S1')) {
  add('S1', 'series', 'ours', `${BENCH}series.mjs`, q);
}

// ---- run ----
/**
 * The worst contention any timed loop of a result saw (common.mjs probe()): the lowest share of a
 * core the process got, and the most steal time relative to the loop's wall time.
 */
function contention(res) {
  let share = Infinity, steal = 0;
  const walk = (o) => {
    if (!o || typeof o !== 'object') return;
    if (typeof o.cpu_share === 'number' && typeof o.wall_ms === 'number') {
      share = Math.min(share, o.cpu_share);
      if (typeof o.steal_ms === 'number' && o.wall_ms > 0) steal = Math.max(steal, o.steal_ms / o.wall_ms);
    } else for (const v of Object.values(o)) walk(v);
  };
  walk(res);
  return share === Infinity ? null : { share, steal };
}
const CONTENDED = (c) => c !== null && (c.share < 0.8 || c.steal > 0.05);
const RERUN_BEFORE_S = 420;   // no reruns once the run is this old (the whole bench stays under 10 minutes)
const runs = {};
const reruns = [];
log(`bench: ${jobs.length} runs, one process each${QUICK ? ' (--quick: smoke-run counts, figures not meaningful)' : ''}; 1-min load average ${load0[0].toFixed(2)} on ${cpus().length} CPUs`);
for (const j of jobs) {
  let r = await runChild(j.script, j.args, j.opts);
  const c = r.ok ? contention(r.result) : null;
  const line = (x, cc) => `${(x.ms / 1000).toFixed(1).padStart(6)} s  ${x.ok ? `ok${CONTENDED(cc) ? ` (contended: ${(cc.share * 100).toFixed(0)}% of a core, steal ${(cc.steal * 100).toFixed(0)}%)` : ''}` : `ERROR: ${x.error}${x.stderr && x.stderr !== x.error ? ` (${x.stderr})` : ''}`}`;
  log(`  ${j.label.padEnd(36)} ${line(r, c)}`);
  // another process on our core (or the host taking the vCPU) during a timed loop: once more, keep the cleaner run
  if (CONTENDED(c) && (performance.now() - T0) / 1000 < RERUN_BEFORE_S) {
    const r2 = await runChild(j.script, j.args, j.opts);
    const c2 = r2.ok ? contention(r2.result) : null;
    log(`  ${`${j.label} (rerun)`.padEnd(36)} ${line(r2, c2)}`);
    const better = r2.ok && c2 && (c2.share - c2.steal > c.share - c.steal);
    reruns.push({ key: j.key, first: c, second: c2, kept: better ? 'rerun' : 'first' });
    if (better) r = r2;
  }
  r.contention = r.ok ? contention(r.result) : null;
  runs[j.key] = r;
}

/**
 * Merges the rounds (key#1, key#2, ...) of the workload `w` into one run under key: per figure (a
 * part of the result), the round `better` prefers; the reference check (the worst) and the memory (the
 * most) from all rounds; `summary` of each round kept as the result's `rounds`.
 */
function mergeRounds(w, parts, better, summary) {
  const of = {};
  for (const k of Object.keys(runs)) {
    const m = new RegExp(`^(${w}/[^/]+/[^#]+)#(\\d+)$`).exec(k);
    if (m) (of[m[1]] ??= []).push(runs[k]);
  }
  for (const [key, rs] of Object.entries(of)) {
    for (let i = 1; i <= rs.length; i++) delete runs[`${key}#${i}`];
    const ok = rs.filter((r) => r.ok);
    if (!ok.length) { runs[key] = rs[0]; continue; }
    const mem = {};
    for (const r of ok) for (const [f, v] of Object.entries(r.result.memory ?? {})) mem[f] = Math.max(mem[f] ?? 0, v);
    const result = { ...ok[0].result, reference: ok.map((r) => r.result.reference).reduce((a, b) => (!b.ok || b.maxDiff > a.maxDiff ? b : a)), memory: mem, rounds: ok.map((r) => summary(r.result)) };
    for (const part of parts) result[part] = ok.map((r) => r.result[part]).reduce((a, b) => (better(b, a) ? b : a));
    runs[key] = { ok: true, ms: rs.reduce((a, r) => a + r.ms, 0), contention: null, result, roundRuns: rs };
  }
}
// W1: per figure the round with the lower median; W3: the round with the higher rows/s (inference, training)
mergeRounds('W1', ['batch1', 'batch256'], (b, a) => b.median_ms < a.median_ms,
  (r) => ({ batch1_median_us: r.batch1.median_us, batch256_rows_per_s: r.batch256.rows_per_s, batch256_out_rows_per_s: r.batch256_out?.rows_per_s }));
const rate = (part) => (typeof part?.rows_per_s === 'number' ? part.rows_per_s : -1);
mergeRounds('W3', ['infer', 'train'], (b, a) => rate(b) > rate(a),
  (r) => ({ infer_rows_per_s: r.infer?.rows_per_s, train_rows_per_s: r.train?.rows_per_s }));
// back in the jobs' order (the merge appended W1's and W3's entries)
for (const k of [...new Set(jobs.map((j) => j.key.replace(/#\d+$/, '')))]) {
  if (!(k in runs)) continue;
  const v = runs[k];
  delete runs[k];
  runs[k] = v;
}

// ---- table ----
const get = (key) => (runs[key]?.ok ? runs[key].result : null);
const errOf = (key) => runs[key] && !runs[key].ok ? runs[key].error : null;
const mark = (res) => (res?.reference ? (res.reference.ok ? ' ✓' : ' ✗') : '');
const num = (v, d = 0) => (v >= 1000 ? Math.round(v).toLocaleString('en-US') : v.toFixed(d));
const fmt = {
  us: (v) => `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : num(v)} µs`,
  rps: (v) => `${v < 100 ? v.toFixed(1) : num(v)}/s`,
  ms: (v) => `${v.toFixed(1)} ms`,
  kb: (v) => `${(v / 1000).toFixed(1)} KB`,
  gf: (v) => `${v.toFixed(1)} GFLOP/s`,
};
/** Why a runtime has no figure for a row: not run, unavailable, its error. */
function missing(rt, key, fallback = '—') {
  const peer = rt.startsWith('tfjs') ? 'tfjs' : rt === 'ort' ? 'ort' : null;
  if (!RUNTIMES.includes(rt)) return 'not run';
  if (peer && peerState[peer]?.unavailable) return 'unavailable';
  if (key && errOf(key)) return `error`;
  return fallback;
}

const rows = [];
const targets = [];
/**
 * One table row. cells: runtime -> { v, s } (value, shown text) or a string. better: 'lower'|'higher'.
 * target: { vs: runtime|null, op: '>=', '<=', value, text } judged on ratio ours/peer (as the issue states it) or ours' value.
 */
function row(label, cells, better, target) {
  const o = cells.ours?.v;
  const ratios = [];
  for (const rt of ['tfjs-wasm', 'tfjs-cpu', 'ort']) {
    const p = cells[rt]?.v;
    if (typeof o === 'number' && typeof p === 'number' && o > 0 && p > 0) {
      ratios.push(`${(better === 'lower' ? p / o : o / p).toFixed(2)}x vs ${rt === 'ort' ? 'ORT' : rt === 'tfjs-wasm' ? 'TF.js-wasm' : 'TF.js-cpu'}`);
    }
  }
  let verdict = '', tText = '';
  if (target) {
    tText = target.text;
    let x = null;
    if (target.vs) {
      const p = cells[target.vs]?.v;
      if (typeof o === 'number' && typeof p === 'number' && p > 0) x = o / p;
    } else if (typeof o === 'number') x = o;
    if (target.measure) x = target.measure;
    if (x === null || !Number.isFinite(x)) verdict = 'n/a';
    else verdict = (target.op === '>=' ? x >= target.value : x <= target.value) ? 'PASS' : 'FAIL';
    targets.push({ row: label, target: target.text, value: x, verdict });
  }
  const cell = (rt) => (cells[rt] === undefined ? '—' : typeof cells[rt] === 'string' ? cells[rt] : cells[rt].s);
  rows.push({ label, ours: cell('ours'), 'tfjs-wasm': cell('tfjs-wasm'), 'tfjs-cpu': cell('tfjs-cpu'), ort: cell('ort'), ratios: ratios.join(', ') || '—', target: tText, verdict });
}

const cellFrom = (key, rt, pick, f) => {
  const res = get(key);
  const v = res ? pick(res) : undefined;
  if (typeof v === 'number') return { v, s: `${f(v)}${mark(res)}` };
  if (typeof v === 'string') return v;   // 'unsupported: ...'
  return missing(rt, key);
};

if (ONLY.includes('W1')) {
  const LAT = { dense784: 0.75, tab30: 0.33 };
  const THR = { dense784: 1.25, tab30: 2 };   // tab30: issue 15's 2x (the earlier target was 1.5x)
  for (const m of W.W1.models) {
    const k = (rt) => `W1/${m}/${rt}`;
    const c1 = {}, c256 = {};
    for (const rt of ['ours', 'tfjs-wasm', 'ort']) {
      c1[rt] = cellFrom(k(rt), rt, (r) => r.batch1.median_us, fmt.us);
      c256[rt] = cellFrom(k(rt), rt, (r) => r.batch256.rows_per_s, fmt.rps);
    }
    c1['tfjs-cpu'] = c256['tfjs-cpu'] = 'not run';
    row(`W1 ${m} batch-1 latency (median)`, c1, 'lower', LAT[m] && { vs: 'ort', op: '<=', value: LAT[m], text: `ours ≤ ${LAT[m]}x ORT's latency` });
    row(`W1 ${m} batch-256 throughput`, c256, 'higher', THR[m] && { vs: 'ort', op: '>=', value: THR[m], text: `≥ ${THR[m]}x ORT` });
  }
}
if (ONLY.includes('W2')) {
  const k = (rt) => `W2/${W.W2.model}/${rt}`;
  const c = {};
  for (const rt of ['ours', 'tfjs-wasm']) c[rt] = cellFrom(k(rt), rt, (r) => r.rows_per_s, fmt.rps);
  c['tfjs-cpu'] = 'not run';
  c.ort = 'n/a (no training)';
  row(`W2 ${W.W2.model} training (Adam, batch ${W.W2.batch})`, c, 'higher', { vs: 'tfjs-wasm', op: '>=', value: 8, text: '≥ 8x TF.js-wasm' });
}
if (ONLY.includes('W3')) {
  const k = (rt) => `W3/${W.W3.model}/${rt}`;
  const unsup = (x) => (x?.unsupported ? (/not registered/.test(x.unsupported) ? `unsupported (${x.unsupported.match(/'([^']+)'/)?.[1] ?? 'kernel'} missing)` : x.unsupported.startsWith('onnxruntime-web is inference-only') ? 'n/a (no training)' : 'unsupported') : undefined);
  const ci = {}, ct = {};
  for (const rt of ['ours', 'tfjs-wasm', 'tfjs-cpu', 'ort']) {
    ci[rt] = cellFrom(k(rt), rt, (r) => unsup(r.infer) ?? r.infer.rows_per_s, fmt.rps);
    ct[rt] = cellFrom(k(rt), rt, (r) => unsup(r.train) ?? r.train.rows_per_s, (v) => `${fmt.rps(v)}${get(k(rt))?.train?.batch && get(k(rt)).train.batch !== W.W3.train.batch ? ` (batch ${get(k(rt)).train.batch})` : ''}`);
  }
  // issue 15's targets (the earlier ones were 1.25x ORT and 500 rows/s)
  row(`W3 ${W.W3.model} inference (batch ${W.W3.infer.batch})`, ci, 'higher', { vs: 'ort', op: '>=', value: 2, text: '≥ 2x ORT' });
  row(`W3 ${W.W3.model} training noisy→clean (batch ${W.W3.train.batch})`, ct, 'higher', { vs: null, op: '>=', value: 1000, text: '≥ 1,000 rows/s' });
}
if (ONLY.includes('W4') && RUNTIMES.includes('ours')) {
  const cs = get('W4/coldstart/all');
  const find = (re) => cs?.rows.find((r) => re.test(r.runtime));
  const oursNode = find(/node .*, autoencoder/), tfNode = find(/TF\.js/), worker = find(/autoencoder Worker/);
  const c = {
    ours: oursNode ? { v: oursNode.minusBaseline, s: `${fmt.ms(oursNode.minusBaseline)} (${fmt.ms(oursNode.median)} total)` } : missing('ours', 'W4/coldstart/all'),
    'tfjs-wasm': tfNode ? { v: tfNode.minusBaseline, s: `${fmt.ms(tfNode.minusBaseline)} (${fmt.ms(tfNode.median)} total)` } : (peerState.tfjs?.unavailable || (cs?.unavailable?.tfjs && !/skipped/.test(cs.unavailable.tfjs)) ? 'unavailable' : missing('tfjs-wasm', 'W4/coldstart/all', 'not run')),
    'tfjs-cpu': 'not run',
    ort: 'not run',
  };
  row(`W4 cold start, node: ms above an empty process`, c, 'lower', { vs: 'tfjs-wasm', op: '<=', value: 0.1, text: "ours ≤ 0.1x TF.js-wasm's" });
  if (worker) row('W4 cold start, workerd: ms above a trivial Worker', { ours: { v: worker.minusBaseline, s: `${fmt.ms(worker.minusBaseline)} (${fmt.ms(worker.median)} total)` } }, 'lower');
  const sz = get('W4/size/ours');
  const szCell = (rt) => {
    const r = get(`W4/size/${rt}`);
    const p = r?.[rt === 'ort' ? 'ort' : 'tfjs'];
    return p ? { v: p.gzip, s: `${fmt.kb(p.gzip)} (${fmt.kb(p.js.gzip)} JS + ${fmt.kb(p.wasm.gzip)} wasm)` } : missing(rt, `W4/size/${rt}`, 'not run');
  };
  const worst = sz ? Math.max(sz.browser.gzip, sz.workerd.gzip) : null;
  row('W4 shipped size, gzip -9 (bundle + wasm)', {
    ours: sz ? { v: worst, s: `${fmt.kb(sz.browser.gzip)} browser / ${fmt.kb(sz.workerd.gzip)} workerd` } : missing('ours', 'W4/size/ours'),
    'tfjs-wasm': szCell('tfjs-wasm'), 'tfjs-cpu': 'not run', ort: szCell('ort'),
    // the budget of tools/size.mjs (BUDGET, STRETCH): 40 KB as features land (the guide, issue 15); issue 6's 25 KB stays a stretch
  }, 'lower', { vs: null, op: '<=', value: 40_000, text: '≤ 40 KB gzipped, both bundles (stretch 25 KB)' });
}
if (ONLY.includes('T')) {
  const t = get(`T/${W.W2.model}/ours`);
  row(`T ${W.W2.model} training, ${t?.threads ?? 2} threads vs 1 (machine: ${t?.pair_scaling ? `${t.pair_scaling.toFixed(2)}x in the same rounds, ` : ''}2 processes ${t ? `${t.two_process_scaling.toFixed(2)}x` : '?'})`, {
    ours: t ? { v: t.speedup, s: `${t.speedup.toFixed(2)}x (${fmt.rps(t.threaded)} vs ${fmt.rps(t.one)}), bytes ${t.identical ? 'identical' : 'DIFFER'}` } : missing('ours', `T/${W.W2.model}/ours`),
  }, 'higher', { vs: null, op: '>=', value: 1.8, text: '≥ 1.8x one thread, same bytes' });
  const c = t?.conv;
  row(`T convdae training (batch ${c?.batch ?? W.W3.train.batch}), ${t?.threads ?? 2} threads`, {
    ours: c ? { v: c.threaded, s: `${fmt.rps(c.threaded)} (${c.speedup.toFixed(2)}x one thread: ${fmt.rps(c.one)}), bytes ${c.identical ? 'identical' : 'DIFFER'}` } : missing('ours', `T/${W.W2.model}/ours`),
  }, 'higher', { vs: null, op: '>=', value: 1800, text: '≥ 1,800 rows/s, same bytes' });
  const ci = t?.convInfer;
  row(`T convdae inference (batch ${ci?.rows ?? W.W3.infer.batch}), ${t?.threads ?? 2} threads`, {
    ours: ci ? { v: ci.threaded, s: `${fmt.rps(ci.threaded)} (${ci.speedup.toFixed(2)}x one thread: ${fmt.rps(ci.one)}), outputs ${ci.identical ? 'identical' : 'DIFFER'}` } : missing('ours', `T/${W.W2.model}/ours`),
  }, 'higher');
}
if (ONLY.includes('W5')) {
  const r5 = get('W5/peak+gemm/ours');
  row(`W5 f32x4 mul+add peak (best of ${W.W5.peak.accumulators.join('/')} accumulators)`, {
    ours: r5 ? { v: r5.peak.gflops, s: `${fmt.gf(r5.peak.gflops)} (${r5.peak.accumulators} acc.)${mark(r5)}` } : missing('ours', 'W5/peak+gemm/ours'),
    'tfjs-wasm': 'not run', 'tfjs-cpu': 'not run', ort: 'not run',
  }, 'higher');
  const pct = r5 ? r5.paired.ratio_median : null;
  const { m, n, k } = W.W5.gemm;
  row(`W5 GEMM ${m}x${n}x${k} (ae_gemm, median)`, {
    ours: r5 ? { v: r5.gemm.gflops, s: `${fmt.gf(r5.gemm.gflops)} = ${(pct * 100).toFixed(0)}% of peak (paired)${mark(r5)}` } : missing('ours', 'W5/peak+gemm/ours'),
    'tfjs-wasm': 'not run', 'tfjs-cpu': 'not run', ort: 'not run',
  }, 'higher', { vs: null, op: '>=', value: 0.85, text: '≥ 85% of peak', measure: pct ?? NaN });
}
if (ONLY.includes('S1')) {
  const r = get('S1/series/ours');
  const na = { 'tfjs-wasm': 'not run', 'tfjs-cpu': 'not run', ort: 'not run' };
  row('S1 SeriesDetector push() between retrains (median)', {
    ours: r ? { v: r.push.median_us, s: `${fmt.us(r.push.median_us)} (90th pct ${fmt.us(r.push.p90_us)}; a retraining ${fmt.ms(r.trainings.median_ms)})` } : missing('ours', 'S1/series/ours'), ...na,
  }, 'lower', { vs: null, op: '<=', value: 50, text: '≤ 50 µs per point' });
  row('S1 SeriesDetector pushMany() incl. training', {
    ours: r ? { v: r.pushMany.points_per_s, s: `${num(r.pushMany.points_per_s)} points/s (${fmt.us(r.pushMany.us_per_point)}/point)` } : missing('ours', 'S1/series/ours'), ...na,
  }, 'higher');
  row('S1 SeriesDetector request: load(), push() a point, save(), dispose() (median)', {
    ours: r?.request ? { v: r.request.median_ms, s: `${fmt.ms(r.request.median_ms)} (90th pct ${fmt.ms(r.request.p90_ms)}; a ${(r.request.state_bytes / 1024).toFixed(0)} KB state)` } : missing('ours', 'S1/series/ours'), ...na,
  }, 'lower');
}

// ---- memory ----
const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const memRows = [];
for (const [key] of Object.entries(runs)) {
  const [w, model, rt] = key.split('/');
  const r = get(key);
  if (!r?.memory || w === 'W4') continue;
  let e = memRows.find((x) => x.w === `${w} ${model}`);
  if (!e) memRows.push(e = { w: `${w} ${model}` });
  const parts = [];
  if (r.memory.wasm_bytes !== undefined) parts.push(`wasm ${mb(r.memory.wasm_bytes)}`);
  if (r.memory.rss_delta_bytes !== undefined) parts.push(`RSS +${mb(r.memory.rss_delta_bytes)}`);
  e[rt] = parts.join(', ');
}

// ---- print ----
const seconds = (performance.now() - T0) / 1000;
const versions = {};
for (const r of Object.values(runs)) {
  if (!r.ok || !r.result.versions) continue;
  Object.assign(versions, r.result.versions);
}
const header = ['workload', 'ours', 'TF.js-wasm', 'TF.js-cpu', 'ORT-web', 'ours vs peer (>1: ours better)', 'target (issue)', 'verdict'];
const lines = rows.map((r) => [r.label, r.ours, r['tfjs-wasm'], r['tfjs-cpu'], r.ort, r.ratios, r.target, r.verdict]);
const printTable = (head, body) => {
  const wd = head.map((h, c) => Math.max(h.length, ...body.map((b) => String(b[c]).length)));
  console.log(head.map((h, c) => h.padEnd(wd[c])).join(' | '));
  console.log(wd.map((n) => '-'.repeat(n)).join('-|-'));
  for (const b of body) console.log(b.map((x, c) => String(x).padEnd(wd[c])).join(' | '));
};
console.log(`\nautoencoder benchmark${QUICK ? ' (--quick smoke run: figures not meaningful)' : ''}: ../shared/bench/workloads.json ${ONLY.join(', ')}; medians; each runtime in its own process, single-threaded`);
printTable(header, lines);
const checks = Object.entries(runs).filter(([, r]) => r.ok && r.result.reference).map(([k, r]) => `${k.replace(/\/(?=[^/]+$)/, ' ')} ${r.result.reference.ok ? '✓' : '✗'} ${r.result.reference.maxDiff?.toExponential(1) ?? ''}`);
console.log(`\n✓/✗: output for the shared reference input vs ../shared/bench/models' reference output, max |diff| ≤ 1e-4 (convdae: ours and TF.js vs output_keras_alignment, ORT vs PyTorch's output; W5: the peak loops' values, the GEMM's bits and relative error)`);
console.log(`  ${checks.join('; ')}`);
if (memRows.length) {
  console.log('\nmemory after each run (ours: wasm memory.buffer.byteLength, which only grows, so the peak; everyone: peak RSS minus RSS before the model was built)');
  printTable(['workload', 'ours', 'TF.js-wasm', 'TF.js-cpu', 'ORT-web'], memRows.map((e) => [e.w, e.ours ?? '—', e['tfjs-wasm'] ?? '—', e['tfjs-cpu'] ?? '—', e.ort ?? '—']));
}
const notes = [];
const w2tf = get(`W2/${W.W2.model}/tfjs-wasm`);
if (w2tf?.kernels) notes.push(`W2 TF.js-wasm: a training step runs ${w2tf.kernels.kernels.length} kernels, ${w2tf.kernels.missing.length ? `missing on wasm: ${w2tf.kernels.missing.join(', ')}` : 'all registered on the wasm backend (no cpu fallback: TF.js would throw, not fall back)'}`);
const w2o = get(`W2/${W.W2.model}/ours`);
if (w2o && w2tf) notes.push(`W2 final loss (same start weights and data, own shuffles): ours ${w2o.final_loss.toFixed(5)}, TF.js ${w2tf.final_loss.toFixed(5)}`);
const w3tf = get(`W3/${W.W3.model}/tfjs-wasm`);
if (w3tf?.train?.unsupported) notes.push(`W3 TF.js-wasm training: ${w3tf.train.unsupported}`);
const w3cpu = get(`W3/${W.W3.model}/tfjs-cpu`);
if (w3cpu?.train?.note) notes.push(`W3 TF.js-cpu training: ${w3cpu.train.note} (${w3cpu.train.calls} timed step${w3cpu.train.calls === 1 ? '' : 's'} after 1 warmup)`);
const w3o = get(`W3/${W.W3.model}/ours`);
if (w3o) {
  const nb = w3o.train.steps_per_epoch;
  notes.push(`W3 ours training: a step's time is an epoch's ms (its calls into wasm, without the host's turns between them)${nb > 1 ? ` / ${nb} (epochs of ${nb} batches)` : ' (epochs of 1 batch)'}; ${w3o.train.timed_steps} timed steps after ${w3o.train.warmup_steps} warmup`);
}
const roundNotes = Object.entries(runs).filter(([k, r]) => k.startsWith('W1/') && r.ok && Array.isArray(r.result.rounds)).map(([k, r]) => `${k.replace(/^W1\//, '')} ${r.result.rounds.map((x) => `${x.batch1_median_us.toFixed(1)} µs / ${Math.round(x.batch256_rows_per_s).toLocaleString('en-US')}/s`).join(' | ')}`);
if (roundNotes.length) notes.push(`W1: ${ROUNDS} interleaved rounds, the better round median shown; per round (batch-1 / batch-256): ${roundNotes.join('; ')}`);
const outNotes = Object.entries(runs).filter(([k, r]) => /^W1\/.*\/ours$/.test(k) && r.ok && Array.isArray(r.result.rounds) && r.result.rounds.every((x) => typeof x.batch256_out_rows_per_s === 'number'))
  .map(([k, r]) => `${k.split('/')[1]} ${r.result.rounds.map((x) => `${Math.round(x.batch256_out_rows_per_s).toLocaleString('en-US')}/s`).join(' | ')}`);
if (outNotes.length) notes.push(`W1 ours batch-256 writing into the caller's array (reconstruct(x, { out }): no new typed array per call; not the workload's contract, not judged), per round: ${outNotes.join('; ')}`);
const w3Notes = Object.entries(runs).filter(([k, r]) => k.startsWith('W3/') && r.ok && Array.isArray(r.result.rounds)).map(([k, r]) => `${k.replace(/^W3\/[^/]+\//, '')} ${r.result.rounds.map((x) => [x.infer_rows_per_s, x.train_rows_per_s].filter((v) => typeof v === 'number').map((v) => `${Math.round(v).toLocaleString('en-US')}/s`).join(' + ')).join(' | ')}`);
if (w3Notes.length) notes.push(`W3: ${ROUNDS} interleaved rounds (TF.js-cpu one), the better round shown; per round (inference${RUNTIMES.includes('ours') ? ' + ours\' training' : ''}): ${w3Notes.join('; ')}`);
const r5 = get('W5/peak+gemm/ours');
if (r5) {
  notes.push(`W5 peak by accumulators: ${r5.peak.rows.map((r) => `${r.accumulators}: ${r.gflops_best.toFixed(1)}`).join(', ')} GFLOP/s (best of ${r5.peak.calls} x ${r5.peak.iters_per_call.toLocaleString('en-US')} iterations; 8 flops per f32x4 mul+add pair; past 12 the accumulators no longer fit x64's 16 SIMD registers)`);
  const rs = r5.paired.rounds.map((x) => x.ratio);
  notes.push(`W5 GEMM vs peak: paired rounds (one peak-kernel call, then GEMM calls, ${rs.length} rounds) ${(Math.min(...rs) * 100).toFixed(0)}-${(Math.max(...rs) * 100).toFixed(0)}%, median ${(r5.paired.ratio_median * 100).toFixed(0)}% (judged); GEMM median of ${r5.gemm.calls} calls / best peak ${(r5.gemm.gflops / r5.peak.gflops * 100).toFixed(0)}%; best GEMM call ${fmt.gf(r5.gemm.gflops_best)} / best peak ${(r5.gemm.gflops_best / r5.peak.gflops * 100).toFixed(0)}%`);
}
const cs = get('W4/coldstart/all');
if (cs) notes.push(`W4 cold start: median of ${cs.launches} launches; ${cs.rows.map((r) => `${r.runtime} ${r.median.toFixed(1)} ms`).join('; ')}`);
for (const x of reruns) notes.push(`${x.key}: contended (${(x.first.share * 100).toFixed(0)}% of a core, steal ${(x.first.steal * 100).toFixed(0)}%), rerun; kept the ${x.kept === 'rerun' ? 'rerun' : 'first run'}`);
const stillBad = Object.entries(runs).filter(([, r]) => CONTENDED(r.contention)).map(([k, r]) => `${k} (${(r.contention.share * 100).toFixed(0)}% of a core)`);
if (stillBad.length) notes.push(`contended timed loops in the figures shown (treat them with care): ${stillBad.join(', ')}`);
notes.push(`warmup: workloads.json's warmup calls, then more until V8's background compilers are idle (the process under 1.15 cores in two ${QUICK ? 20 : 100} ms windows in a row; at most ${QUICK ? 0.3 : 5} s), the same rule for every runtime`);
const unsettled = [];
for (const [k, r] of Object.entries(runs)) {
  if (!r.ok) continue;
  for (const [part, v] of Object.entries(r.result)) if (v?.warmup && v.warmup.settled === false) unsettled.push(`${k} ${part} (${v.warmup.calls} calls, ${(v.warmup.ms / 1000).toFixed(1)} s)`);
}
if (unsettled.length) notes.push(`warmup hit its cap before the compilers were idle: ${unsettled.join(', ')}`);
for (const [k, r] of Object.entries(runs)) if (!r.ok) notes.push(`${k}: ERROR ${r.error}${r.stderr && r.stderr !== r.error ? ` (${r.stderr})` : ''}`);
for (const p of ['tfjs', 'ort']) if (peerState[p]?.unavailable) notes.push(`${p === 'tfjs' ? 'TF.js' : 'onnxruntime-web'} unavailable: ${peerState[p].unavailable}`);
if (notes.length) console.log(`\nnotes:\n${notes.map((n) => `- ${n}`).join('\n')}`);

const installed = (p) => install.installedVersion(p);
const peerVersions = {
  '@tensorflow/tfjs': installed('@tensorflow/tfjs'), '@tensorflow/tfjs-backend-wasm': installed('@tensorflow/tfjs-backend-wasm'),
  'onnxruntime-web': installed('onnxruntime-web'),
};
const ortV = Object.values(runs).find((r) => r.ok && r.result.versions?.['onnxruntime-web'])?.result.versions;
const tfV = Object.values(runs).find((r) => r.ok && r.result.versions?.backend === 'wasm')?.result.versions;
console.log(`\nversions: node ${process.version} (V8 ${process.versions.v8}); autoencoder ${versions.autoencoder ?? '?'} (kernels.wasm ${versions.kernelsWasmBytes ?? '?'} bytes)`);
console.log(`  TF.js ${peerVersions['@tensorflow/tfjs'] ?? 'not installed'} + tfjs-backend-wasm ${peerVersions['@tensorflow/tfjs-backend-wasm'] ?? '-'}${tfV ? ` (wasm: SIMD ${tfV.simd}, threads ${tfV.threads})` : ''}; cpu backend tfjs-backend-cpu ${installed('@tensorflow/tfjs-backend-cpu') ?? '-'}`);
console.log(`  onnxruntime-web ${peerVersions['onnxruntime-web'] ?? 'not installed'}${ortV ? ` (wasm EP, ${ortV.wasm}, numThreads ${ortV.numThreads})` : ''}`);
const cpuModel = cpus()[0]?.model ?? '?';
const load1 = loadavg();
console.log(`machine: ${cpus().length} x ${cpuModel}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; 1-min load average ${load0[0].toFixed(2)} at start, ${load1[0].toFixed(2)} at end (shared machine: other work widens the spread)`);

mkdirSync(OUT, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const file = join(OUT, `${stamp}.json`);
writeFileSync(file, `${JSON.stringify({
  date: new Date().toISOString(), quick: QUICK, only: ONLY, runtimes: RUNTIMES, seconds,
  machine: { cpus: cpus().length, model: cpuModel, totalmem: totalmem(), loadavg_start: load0, loadavg_end: load1, node: process.version, v8: process.versions.v8 },
  versions: { ...versions, peers: peerVersions }, peers: peerState, workloads: W,
  table: rows, targets, memory: memRows, notes, reruns, runs,
}, null, 1)}\n`);
console.log(`raw results: ${file.startsWith(ROOT) ? file.slice(ROOT.length) : file}  (${seconds.toFixed(0)} s)`);

const oursBad = Object.entries(runs).filter(([k, r]) => /\/(ours|machine)$|^W4\/coldstart\//.test(k) && (!r.ok || r.result.reference?.ok === false));
if (oursBad.length) {
  console.error(`bench: ${oursBad.map(([k]) => k).join(', ')} failed or gave a wrong output`);
  process.exitCode = 1;
}
