// common.mjs: what every benchmark child (tools/bench/*.mjs) shares: the workload definitions
// (../shared/bench/workloads.json, scaled down by --quick), the shared models' weights and reference
// outputs, the seeded data every runtime gets bit for bit, timing loops, memory figures, and the
// one-line result protocol with tools/bench/run.mjs.
// Children print their result as one line `@@RESULT <json>` on stdout (peers print banners of their
// own there); a failure is `@@RESULT {"error": "..."}`, or a crash the parent reads from stderr.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const SHARED = new URL('../../../shared/bench/', import.meta.url).pathname;
export const MODELS = `${SHARED}models/`;
/** Absolute tolerance for the reference-output checks (the brief's 1e-4; ../shared asks ~1e-5). */
export const TOL = 1e-4;

/** A smoke run's warmup (loadWorkloads(true), i.e. the child's --quick): shorter windows, a lower cap. */
let quickSettle = false;

/**
 * workloads.json; with `quick` (a child's --quick), every count and budget cut to a smoke run (same
 * code paths), and warmUp's settling windows shortened to match.
 */
export function loadWorkloads(quick = false) {
  quickSettle = quick;
  if (!existsSync(`${SHARED}workloads.json`)) throw new Error(`${SHARED}workloads.json is missing: the benchmarks need ../shared/bench beside the repository`);
  const w = JSON.parse(readFileSync(`${SHARED}workloads.json`, 'utf8'));
  if (!quick) return w;
  Object.assign(w.W1.batch1, { warmup_calls: 20, timed_calls: 50 });
  Object.assign(w.W1.batch256, { warmup_calls: 1, min_calls: 3, max_calls: 3, budget_s: 0.2 });
  Object.assign(w.W2, { n_samples: 1024, warmup_epochs: 1, timed_epochs: 1 });
  Object.assign(w.W3.infer, { warmup_calls: 1, min_calls: 2, max_calls: 2, budget_s: 0.2 });
  Object.assign(w.W3.train, { warmup_steps: 1, min_steps: 1, max_steps: 1, budget_s: 0.2 });
  Object.assign(w.W4, { launches: 2 });
  Object.assign(w.W5.peak, { iters_per_call: 200_000, calls: 3 });
  Object.assign(w.W5.gemm, { calls: 5 });
  return w;
}

/** W2's dense784 fit options (Adam, its batch and shuffle; the caller sets the epochs): threads.mjs and ab-threads.mjs. */
export const w2Fit = (W) => {
  const c = W.W2;
  return { batchSize: c.batch, learningRate: c.optimizer.lr, optimizer: 'adam', beta1: c.optimizer.beta1, beta2: c.optimizer.beta2, shuffle: c.shuffle, validationSplit: 0, earlyStopping: false };
};

/**
 * The in-process comparisons' rounds (shards.mjs, family-threads.mjs): each model's fit(x, fit) timed once a round,
 * the models in turns, reversed every other round so that neither end of a round is always the same model; each
 * model's times (ms) are pushed onto its `ms`.
 */
export async function fitInTurns(models, x, fit, rounds) {
  for (let r = 0; r < rounds; r++) {
    for (const m of r % 2 ? [...models].reverse() : models) {
      const t0 = performance.now();
      await m.ae.fit(x, fit);
      m.ms.push(performance.now() - t0);
    }
  }
}

/** W3's convdae training fit options (noisy -> `target`, Adam 1e-3, its batch): threads.mjs and ab-threads.mjs. */
export const w3Fit = (W, target) => ({ target, batchSize: W.W3.train.batch, learningRate: 1e-3, optimizer: 'adam', shuffle: true, validationSplit: 0, earlyStopping: false });

/** An epoch of W3's convdae training for the in-process comparisons (ab-threads.mjs, shards.mjs): 512 noisy rows and w3Fit to the clean ones. */
export const w3Epoch = (W) => {
  const clean = uniform(512, 784, W.seed, 31), dirty = noisy(clean, W.data.denoise_noise_factor, W.seed, 32);
  return { dirty, fit: { ...w3Fit(W, clean), epochs: 1 } };
};

/**
 * A shared model: its tensors (Keras layout, in the .weights.json order), the reference input and
 * output (for convdae, `outputKeras` is the Keras-aligned one), and the layer list from workloads.json.
 */
export function loadModel(name) {
  const spec = JSON.parse(readFileSync(`${MODELS}${name}.weights.json`, 'utf8'));
  const b = readFileSync(`${MODELS}${name}.weights.bin`);
  const all = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  if (all.length !== spec.n_floats) throw new Error(`${name}.weights.bin holds ${all.length} floats, its json says ${spec.n_floats}`);
  const size = (s) => s.reduce((a, c) => a * c, 1);
  const r = spec.reference;
  return {
    name,
    params: spec.params,
    tensors: spec.params.map((p) => all.subarray(p.offset, p.offset + size(p.shape))),
    refShape: r.input_shape_nchw,
    refRows: r.input_shape_nchw[0],
    refInput: Float32Array.from(r.input.flat(Infinity)),
    refOutput: Float64Array.from(r.output.flat(Infinity)),
    refOutputKeras: r.output_keras_alignment ? Float64Array.from(r.output_keras_alignment.flat(Infinity)) : null,
    onnx: `${MODELS}${name}.onnx`,
  };
}

/** Largest |a[i] - b[i]| (NaN when the lengths differ or a value is not finite). */
export function maxAbsDiff(a, b) {
  if (a.length !== b.length) return NaN;
  let w = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= w)) w = d;   // NaN sticks
  }
  return w;
}

/** The result of a reference check: { maxDiff, ok } against TOL. */
export const check = (got, want) => {
  const maxDiff = maxAbsDiff(got, want);
  return { maxDiff, ok: maxDiff <= TOL };
};

// ---- seeded data: the same bits in every child, whatever the runtime (mulberry32 + Box-Muller) ----

function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** rows x cols uniform [0, 1) float32, from `seed` and a per-use `stream` number. */
export function uniform(rows, cols, seed, stream = 0) {
  const next = mulberry32((seed * 0x9e3779b1 + stream * 0x85ebca6b) >>> 0);
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < x.length; i++) x[i] = Math.fround(next());
  return x;
}

/** clip(x + factor * N(0, 1), 0, 1), noise from `seed` (Keras's denoising recipe). */
export function noisy(x, factor, seed, stream = 1) {
  const next = mulberry32((seed * 0x9e3779b1 + stream * 0x85ebca6b) >>> 0);
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i += 2) {
    const u1 = 1 - next(), u2 = next();
    const r = Math.sqrt(-2 * Math.log(u1));
    y[i] = Math.min(1, Math.max(0, x[i] + factor * r * Math.cos(2 * Math.PI * u2)));
    if (i + 1 < x.length) y[i + 1] = Math.min(1, Math.max(0, x[i + 1] + factor * r * Math.sin(2 * Math.PI * u2)));
  }
  return y;
}

// ---- statistics and timing loops ----

export const median = (a) => {
  if (!a.length) return NaN;
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (v, d = 3) => Math.round(v * 10 ** d) / 10 ** d;
/** Prints `table` (rows of strings, the header first) in aligned columns: the first to the left, the others to the right, a rule under the header. */
export function printColumns(table) {
  const w = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
  for (const [i, r] of table.entries()) {
    console.log(r.map((c, j) => (j === 0 ? c.padEnd(w[j]) : c.padStart(w[j]))).join('  '));
    if (i === 0) console.log(w.map((n) => '-'.repeat(n)).join('  '));
  }
}
/**
 * Contention while timing: `probe()` starts a window, calling what it returns ends it with
 * { wall_ms, cpu_share: this process's CPU time / wall time, steal_ms: the hypervisor's steal time
 * summed over all CPUs (/proc/stat; null where absent) }. A single-threaded loop that had its core to
 * itself has cpu_share ~1 (V8's background threads can push it above); another process on the core,
 * or a host taking the vCPU, shows as cpu_share well below 1 or steal > 0. run.mjs reruns such a child.
 */
function stealTicks() {
  try {
    return Number(readFileSync('/proc/stat', 'utf8').slice(0, 200).split('\n', 1)[0].trim().split(/\s+/)[8]);
  } catch {
    return null;
  }
}
export function probe() {
  const w0 = performance.now(), c0 = process.cpuUsage(), s0 = stealTicks();
  return () => {
    const wall = performance.now() - w0;
    const c = process.cpuUsage(c0);
    const s1 = stealTicks();
    return { wall_ms: wall, cpu_share: (c.user + c.system) / 1000 / wall, steal_ms: s0 === null || s1 === null ? null : (s1 - s0) * 10 };
  };
}

/** A summary of call times in ms (and the raw list, rounded, when short; the contention window when timed here). */
export const summary = (ms) => ({
  calls: ms.length,
  median_ms: median(ms),
  min_ms: Math.min(...ms),
  max_ms: Math.max(...ms),
  ...(ms.length <= 64 ? { ms: ms.map((v) => round(v, 4)) } : {}),
  ...(ms.contention ? { contention: ms.contention } : {}),
  ...(ms.warmup ? { warmup: ms.warmup } : {}),
});

/**
 * Warmup: `minCalls` calls (workloads.json's warmup count), then more until the JIT has settled,
 * i.e. this process used under `share` cores' worth of CPU in two windows of `windowMs` in a row
 * (V8 compiles wasm and JS on background threads: a peer with a large module, such as
 * onnxruntime-web's 14 MB wasm, keeps tiering up for thousands of calls past 300, and so measured
 * early looks slower than it is), at most `maxMs`. The same rule for every runtime.
 */
export async function warmUp(call, minCalls, { windowMs = quickSettle ? 20 : 100, maxMs = quickSettle ? 300 : 5000, share = 1.15 } = {}) {
  const t0 = performance.now();
  let calls = 0;
  for (; calls < minCalls; calls++) await call();
  let quiet = 0;
  while (quiet < 2 && performance.now() - t0 < maxMs) {
    const end = probe();
    const w0 = performance.now();
    do {
      await call();
      calls++;
    } while (performance.now() - w0 < windowMs);
    quiet = end().cpu_share < share ? quiet + 1 : 0;
  }
  return { calls, ms: performance.now() - t0, settled: quiet >= 2 };
}

/** Times `call` (sync or async) `timed` times, one at a time, after warmUp(`warmup`); returns the timed ms. */
export async function timeCalls(call, warmup, timed) {
  const w = await warmUp(call, warmup);
  const ms = new Array(timed);
  const end = probe();
  for (let i = 0; i < timed; i++) {
    const t0 = performance.now();
    await call();
    ms[i] = performance.now() - t0;
  }
  ms.contention = end();
  ms.warmup = w;
  return ms;
}

/**
 * Times `call` after warmUp(`warmup_calls`): at least `min_calls`, then more while the timed total
 * is under `budget_s`, at most `max_calls` (workloads.json's bounded loops); returns the timed ms.
 */
export async function timeBudget(call, { warmup_calls = 0, min_calls, max_calls, budget_s }) {
  const w = await warmUp(call, warmup_calls);
  const ms = [];
  let total = 0;
  const end = probe();
  while (ms.length < max_calls && (ms.length < min_calls || total < budget_s * 1000)) {
    const t0 = performance.now();
    await call();
    const d = performance.now() - t0;
    ms.push(d);
    total += d;
  }
  ms.contention = end();
  ms.warmup = w;
  return ms;
}

// ---- memory ----

/** Resident set size now, bytes. */
export const rss = () => process.memoryUsage.rss();
/** Peak resident set size of this process so far, bytes (getrusage's ru_maxrss). */
export const maxRss = () => process.resourceUsage().maxRSS * 1024;

// ---- command line (commander, in each script) ----

/** A commander option parser: a whole number of at least `min` (--rounds 7, --launches 10), else commander's error. */
export const intArg = (min = 1) => (v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`a whole number of ${min} or more`);
  return n;
};

/**
 * A commander option parser of a comma-separated list whose names are all in `all` (--only W1,W5, --skip
 * tfjs); `what` names them in the error. `empty`: an empty list is allowed (else an error).
 */
export const listArg = (all, what, { empty = false } = {}) => (s) => {
  const v = s.split(',').map((x) => x.trim()).filter(Boolean);
  const bad = v.filter((x) => !all.includes(x));
  if (bad.length || (!v.length && !empty)) throw new InvalidArgumentError(`unknown ${what ? `${what} ` : ''}${bad.join(', ') || '(none given)'}; choose from ${all.join(', ')}`);
  return v;
};

/** The command line of a script whose one flag is --quick (commander: --help, unknown flags refused); true with --quick. */
export const quickOnly = (name, description) =>
  new Command(name).description(description).option('--quick', 'smoke-run counts (figures not meaningful)').parse().opts().quick === true;

// ---- protocol ----

/** OS threads of this process now (Linux /proc; null elsewhere): a peer that started workers shows here. */
export function osThreads() {
  try {
    return readdirSync('/proc/self/task').length;
  } catch {
    return null;
  }
}

/** Prints the result line for run.mjs (with this process's OS thread count) and exits. */
export function result(obj) {
  process.stdout.write(`@@RESULT ${JSON.stringify({ ...obj, os_threads: osThreads() })}\n`, () => process.exit(0));
}

/** Runs a child's main; reports a thrown error as the result (the parent shows its first line). */
export async function main(fn) {
  try {
    result(await fn());
  } catch (e) {
    process.stderr.write(`${e?.stack ?? e}\n`);
    result({ error: String(e?.message ?? e).split('\n')[0] });
  }
}

/** The create() spec of a shared model, from workloads.json W (ours.mjs, ab.mjs, threads.mjs). */
export function specOf(W, name) {
  const m = W.models[name];
  if (m.kind === 'dense') {
    const s = m.sizes;
    const half = s.slice(1, (s.length + 1) / 2);
    // the dense shorthand mirrors the encoder: sizes must read [d, ...half, ...half reversed without the bottleneck, d]
    const mirrored = [s[0], ...half, ...half.slice(0, -1).reverse(), s[0]];
    if (JSON.stringify(s) !== JSON.stringify(mirrored)) throw new Error(`${name}: sizes ${s} are not a mirrored dense autoencoder`);
    return {
      inputDim: s[0], layers: half, activation: m.hidden_activation, latentActivation: m.hidden_activation,
      outputActivation: m.output_activation, loss: 'mse', seed: W.seed,
    };
  }
  // conv2d: the Keras denoising model (workloads.json's layer list, channels last)
  const layer = (l) => {
    if (l.op === 'maxpool2d') return { type: 'maxPool2d', pool: l.pool };
    const type = l.op === 'conv2d' ? 'conv2d' : 'conv2dTranspose';
    return { type, filters: l.filters, kernel: l.kernel, strides: l.stride, padding: l.padding, activation: l.activation };
  };
  const firstUp = m.layers.findIndex((l) => l.op === 'conv2d_transpose');
  return {
    inputShape: [...m.input_hw, m.input_channels],
    encoder: m.layers.slice(0, firstUp).map(layer),
    decoder: m.layers.slice(firstUp).map(layer),
    loss: 'bce', seed: W.seed,
  };
}
