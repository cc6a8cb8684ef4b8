// tfjs.mjs: the TensorFlow.js 4.22 peer, one workload (and model) per process.
//   node tools/bench/tfjs.mjs --peers <.runtimes/peers> [--backend wasm|cpu] --workload W1|W2|W3 [--model m] [--cpu-batch n] [--quick]
// @tensorflow/tfjs + @tensorflow/tfjs-backend-wasm from <peers>/node_modules (tools/bench/peers/install.mjs).
// wasm: in Node the backend loads dist/tfjs-backend-wasm-simd.wasm (SIMD) and never threads
// (WASM_HAS_MULTITHREAD_SUPPORT is false under Node); both flags are checked and reported.
// cpu: the pure-JS backend, used where a wasm kernel is missing (W3 training: Conv2DBackpropFilter).
// Models: Keras layers with the shared weights (Keras layout, as TF.js takes them), checked against
// the shared reference output. Per call (W1): tf.tensor2d(Float32Array) in, model.predict, dataSync()
// out, tensors disposed. Training: model.fit (W2), model.trainOnBatch per step (W3). A kernel check
// (tf.profile of one training step) lists any kernel the backend lacks: TF.js never falls back to
// another backend on its own (a missing kernel throws), so "fallback" would show as an error.
// Memory: RSS delta (peak RSS minus RSS before the model is built) and, on wasm, the backend's heap.
import { createRequire } from 'node:module';
import { Command, Option } from 'commander';
import { check, intArg, loadModel, loadWorkloads, main, maxRss, median, noisy, probe, rss, summary, timeBudget, timeCalls, uniform } from './common.mjs';

const opts = new Command('node tools/bench/tfjs.mjs')
  .description('the TensorFlow.js peer of the benchmark, one workload per process; prints `@@RESULT <json>`')
  .requiredOption('--peers <dir>', 'the peers\' install directory (.runtimes/peers, with node_modules/@tensorflow/*)')
  .addOption(new Option('--backend <name>', 'the TF.js backend').choices(['wasm', 'cpu']).default('wasm'))
  .addOption(new Option('--workload <w>', 'the workload').choices(['W1', 'W2', 'W3']).makeOptionMandatory())
  .option('--model <name>', "W1's shared model (dense784 or tab30)")
  .option('--cpu-batch <n>', 'W3 training batch on the cpu backend (default 16, with --quick 2)', intArg(1))
  .option('--quick', 'smoke-run counts (figures not meaningful)')
  .parse()
  .opts();
const QUICK = opts.quick === true;
const W = loadWorkloads(QUICK);
const workload = opts.workload;
const modelName = opts.model;
const backend = opts.backend;
const peers = opts.peers;

const require = createRequire(`${peers}/package.json`);
const tf = require('@tensorflow/tfjs');
const wasmBackend = require('@tensorflow/tfjs-backend-wasm');
// the folder its .wasm files ship in (also its default in Node: the CJS bundle's __dirname)
wasmBackend.setWasmPaths(require.resolve('@tensorflow/tfjs-backend-wasm').replace(/[^/]*$/, ''));
if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend(${JSON.stringify(backend)}) failed`);
await tf.ready();
const flags = backend === 'wasm'
  ? { simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') }
  : {};
if (backend === 'wasm' && !(flags.simd === true && flags.threads === false)) throw new Error(`not the SIMD, single-threaded wasm backend: ${JSON.stringify(flags)}`);
const registered = new Set(tf.getKernelsForBackend(backend).map((k) => k.kernelName));
const versions = () => ({
  tfjs: tf.version.tfjs, 'tfjs-core': tf.version['tfjs-core'], 'tfjs-layers': tf.version['tfjs-layers'],
  'tfjs-backend-wasm': wasmBackend.version_wasm, backend: tf.getBackend(), ...flags, node: process.version,
});
const memory = (base) => ({
  rss_delta_bytes: maxRss() - base,
  ...(backend === 'wasm' ? { wasm_bytes: tf.backend().wasm.HEAPU8.buffer.byteLength } : {}),
});

/** A tf.sequential for a shared model (workloads.json's layers), its weights set from the shared file. */
function build(name) {
  const m = W.models[name];
  const shared = loadModel(name);
  let layers;
  if (m.kind === 'dense') {
    const s = m.sizes;
    layers = s.slice(1).map((units, i) => tf.layers.dense({
      units, activation: i === s.length - 2 ? m.output_activation : m.hidden_activation, ...(i === 0 ? { inputShape: [s[0]] } : {}),
    }));
  } else {
    layers = m.layers.map((l, i) => {
      const first = i === 0 ? { inputShape: [...m.input_hw, m.input_channels] } : {};
      if (l.op === 'maxpool2d') return tf.layers.maxPooling2d({ poolSize: l.pool, ...first });
      const o = { filters: l.filters, kernelSize: l.kernel, strides: l.stride, padding: l.padding, activation: l.activation, ...first };
      return l.op === 'conv2d' ? tf.layers.conv2d(o) : tf.layers.conv2dTranspose(o);
    });
  }
  const model = tf.sequential({ layers });
  model.setWeights(shared.params.map((p, i) => tf.tensor(shared.tensors[i], p.shape)));
  // reference: NHWC with one channel is the same flat array as NCHW
  const inShape = m.kind === 'dense' ? [shared.refRows, m.sizes[0]] : [shared.refRows, ...m.input_hw, m.input_channels];
  const got = tf.tidy(() => model.predict(tf.tensor(shared.refInput, inShape)).dataSync());
  const reference = { ...check(got, shared.refOutputKeras ?? shared.refOutput), against: shared.refOutputKeras ? 'output_keras_alignment' : 'output' };
  return { model, shared, reference, inShape: inShape.slice(1) };
}

/** Kernels one call of `fn` runs that this backend does not register (op scope names excluded). */
async function kernelCheck(fn) {
  const p = await tf.profile(fn);
  const used = [...new Set(p.kernelNames.filter((k) => !k.endsWith('__op')))];
  return { kernels: used, missing: used.filter((k) => !registered.has(k)) };
}

async function w1() {
  const { model, reference, inShape } = build(modelName);
  const D = inShape[0];
  const row = uniform(1, D, W.seed, 11);
  const batch = uniform(256, D, W.seed, 12);
  const base = rss();
  const call = (x, rows) => {
    const t = tf.tensor2d(x, [rows, D]);
    const y = model.predict(t);
    const out = y.dataSync();
    t.dispose();
    y.dispose();
    return out;
  };
  const b1 = await timeCalls(() => call(row, 1), W.W1.batch1.warmup_calls, W.W1.batch1.timed_calls);
  const b256 = await timeBudget(() => call(batch, 256), W.W1.batch256);
  return {
    reference,
    batch1: { ...summary(b1), median_us: median(b1) * 1000 },
    batch256: { ...summary(b256), rows_per_s: 256 / (median(b256) / 1000) },
    memory: memory(base),
    versions: versions(),
  };
}

async function w2() {
  const c = W.W2;
  const { model, reference } = build(c.model);
  const D = W.models[c.model].sizes[0];
  const x = tf.tensor2d(uniform(c.n_samples, D, W.seed, 20), [c.n_samples, D]);
  const base = rss();
  model.compile({ optimizer: tf.train.adam(c.optimizer.lr, c.optimizer.beta1, c.optimizer.beta2, 1e-8), loss: 'meanSquaredError' });
  // one step on a batch, profiled: which kernels training runs, and whether this backend has them all
  const xb = x.slice([0, 0], [c.batch, D]);
  const kernels = await kernelCheck(() => model.trainOnBatch(xb, xb));
  xb.dispose();
  const epochs = [];
  let t0 = 0;
  const end = probe();
  await model.fit(x, x, {
    batchSize: c.batch, epochs: c.warmup_epochs + c.timed_epochs, shuffle: c.shuffle, verbose: 0,
    callbacks: {
      onEpochBegin: async () => { t0 = performance.now(); },
      onEpochEnd: async (_e, logs) => { const ms = performance.now() - t0; epochs.push({ ms, loss: logs.loss }); },
    },
  });
  const contention = end();
  const timed = epochs.slice(c.warmup_epochs).map((e) => e.ms);
  return {
    reference,
    contention,
    kernels,
    epochs: epochs.map((e) => ({ ...e, rows_per_s: c.n_samples / (e.ms / 1000) })),
    rows_per_s: c.n_samples / (median(timed) / 1000),
    final_loss: epochs.at(-1)?.loss,
    memory: memory(base),
    versions: versions(),
  };
}

async function w3() {
  const c = W.W3;
  const { model, reference, inShape } = build(c.model);
  const D = inShape.reduce((a, b) => a * b, 1);
  const base = rss();
  const out = { reference };
  // inference, batch 128 (the wasm backend runs Conv2DTranspose as Conv2DBackpropInput)
  const xi = uniform(c.infer.batch, D, W.seed, 30);
  const infer = () => {
    const t = tf.tensor(xi, [c.infer.batch, ...inShape]);
    const y = model.predict(t);
    const r = y.dataSync();
    t.dispose();
    y.dispose();
    return r;
  };
  try {
    const ms = await timeBudget(infer, c.infer);
    out.infer = { ...summary(ms), rows_per_s: c.infer.batch / (median(ms) / 1000) };
  } catch (e) {
    out.infer = { unsupported: String(e.message).split('\n')[0] };
  }
  // training, noisy -> clean, one trainOnBatch per step. On cpu the naive JS conv gradients take
  // ~100 s per 128-row step on this machine, so the cpu run uses a smaller batch (--cpu-batch, the
  // rows/s of those kernels is ~flat in the batch) and a small step budget
  const t = c.train;
  const batch = backend === 'cpu' ? (opts.cpuBatch ?? (QUICK ? 2 : 16)) : t.batch;
  const budget = backend === 'cpu' ? { warmup: 1, min: 1, max: QUICK ? 1 : 3, budget_s: QUICK ? 0 : 25 } : { warmup: t.warmup_steps, min: t.min_steps, max: t.max_steps, budget_s: t.budget_s };
  const nb = QUICK ? 1 : t.n_batches;
  const clean = uniform(nb * t.batch, D, W.seed, 31);
  const dirty = noisy(clean, W.data.denoise_noise_factor, W.seed, 32);
  const batches = Array.from({ length: nb }, (_, i) => [
    tf.tensor(dirty.subarray(i * t.batch * D, (i * t.batch + batch) * D), [batch, ...inShape]),
    tf.tensor(clean.subarray(i * t.batch * D, (i * t.batch + batch) * D), [batch, ...inShape]),
  ]);
  model.compile({ optimizer: tf.train.adam(c.optimizer.lr, c.optimizer.beta1, c.optimizer.beta2, 1e-8), loss: 'binaryCrossentropy' });
  let step = 0;
  const trainStep = async () => {
    const [xb, yb] = batches[step++ % nb];
    return model.trainOnBatch(xb, yb);
  };
  try {
    const ms = await timeBudget(trainStep, { warmup_calls: budget.warmup, min_calls: budget.min, max_calls: budget.max, budget_s: budget.budget_s });
    out.train = { batch, ...summary(ms), rows_per_s: batch / (median(ms) / 1000), ...(batch !== t.batch ? { note: `batch ${batch}, not ${t.batch}: the cpu backend's conv gradients are too slow for the budget` } : {}) };
  } catch (e) {
    out.train = { unsupported: String(e.message).split('\n')[0] };
  }
  out.memory = memory(base);
  out.versions = versions();
  return out;
}

main(() => ({ W1: w1, W2: w2, W3: w3 })[workload]?.() ?? Promise.reject(new Error(`tfjs.mjs: unknown --workload ${workload}`)));
