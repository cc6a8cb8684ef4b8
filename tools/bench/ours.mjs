// ours.mjs: this package's side of the benchmark, one workload (and model) per process.
//   node tools/bench/ours.mjs --workload W1|W2|W3 [--model dense784|tab30] [--quick]
// Imports 'autoencoder' by self-reference (package.json "exports", node condition: the built
// dist/bindings/node.js), as a user's code would, through the public API (reconstruct, fit).
// W5's GEMM (the raw export ae_gemm) is in w5.mjs. Prints `@@RESULT <json>` (common.mjs).
// Wasm memory: memory.buffer.byteLength after the run, read through the model's kernel (no public
// accessor; a model's memory only grows, so this is its peak).
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ROOT, check, loadModel, loadWorkloads, main, maxRss, median, noisy, probe, rss, specOf, summary, timeBudget, timeCalls, uniform } from './common.mjs';

const opts = new Command('node tools/bench/ours.mjs')
  .description("this package's side of the benchmark, one workload per process; prints `@@RESULT <json>`")
  .addOption(new Option('--workload <w>', 'the workload').choices(['W1', 'W2', 'W3']).makeOptionMandatory())
  .option('--model <name>', "W1's shared model (dense784 or tab30)")
  .option('--quick', 'smoke-run counts (figures not meaningful)')
  .parse()
  .opts();
const QUICK = opts.quick === true;
const W = loadWorkloads(QUICK);
const workload = opts.workload;
const modelName = opts.model;


const wasmBytes = (ae) => ae.k.x.memory.buffer.byteLength;
const versions = () => {
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8'));
  return { autoencoder: pkg.version, kernelsWasmBytes: readFileSync(`${ROOT}dist/build/kernels.wasm`).length, node: process.version };
};

/** A model with the shared weights, checked against the shared reference output. */
async function sharedModel(Autoencoder, name) {
  const m = loadModel(name);
  const ae = await Autoencoder.create(specOf(W, name));
  ae.setWeights(m.tensors);
  const got = ae.reconstruct(m.refInput);
  // convdae: our transposed convolutions follow Keras's 'same' alignment
  const c = check(got, m.refOutputKeras ?? m.refOutput);
  return { ae, m, reference: { ...c, against: m.refOutputKeras ? 'output_keras_alignment' : 'output' } };
}

async function w1() {
  const { Autoencoder } = await import('autoencoder');
  const { ae, m, reference } = await sharedModel(Autoencoder, modelName);
  const D = m.refShape[1];
  const row = uniform(1, D, W.seed, 11);
  const batch = uniform(256, D, W.seed, 12);
  const base = rss();
  // the per-call contract: a Float32Array in, a Float32Array copy out (reconstruct copies both ways)
  const b1 = await timeCalls(() => ae.reconstruct(row), W.W1.batch1.warmup_calls, W.W1.batch1.timed_calls);
  const b256 = await timeBudget(() => ae.reconstruct(batch), W.W1.batch256);
  // for the notes, not the contract: the same calls writing into one array of the caller's ({ out }),
  // which leaves out the new typed array a call otherwise allocates
  const out = new Float32Array(256 * D);
  const b256out = await timeBudget(() => ae.reconstruct(batch, { out }), W.W1.batch256);
  return {
    reference,
    batch1: { ...summary(b1), median_us: median(b1) * 1000 },
    batch256: { ...summary(b256), rows_per_s: 256 / (median(b256) / 1000) },
    batch256_out: { ...summary(b256out), rows_per_s: 256 / (median(b256out) / 1000) },
    memory: { wasm_bytes: wasmBytes(ae), rss_delta_bytes: maxRss() - base },
    versions: versions(),
  };
}

async function w2() {
  const { Autoencoder } = await import('autoencoder');
  const c = W.W2;
  const { ae, reference } = await sharedModel(Autoencoder, c.model);
  const D = W.models[c.model].sizes[0];
  const x = uniform(c.n_samples, D, W.seed, 20);
  const base = rss();
  const epochs = [];
  const end = probe();
  const h = await ae.fit(x, {
    epochs: c.warmup_epochs + c.timed_epochs, batchSize: c.batch, learningRate: c.optimizer.lr, optimizer: 'adam',
    beta1: c.optimizer.beta1, beta2: c.optimizer.beta2, shuffle: c.shuffle, validationSplit: 0, earlyStopping: false,
    onEpoch: ({ ms, loss }) => { epochs.push({ ms, loss }); },
  });
  const contention = end();
  const timed = epochs.slice(c.warmup_epochs).map((e) => e.ms);
  return {
    reference,
    contention,
    epochs: epochs.map((e) => ({ ms: e.ms, loss: e.loss, rows_per_s: c.n_samples / (e.ms / 1000) })),
    rows_per_s: c.n_samples / (median(timed) / 1000),
    final_loss: h.loss.at(-1),
    memory: { wasm_bytes: wasmBytes(ae), rss_delta_bytes: maxRss() - base },
    versions: versions(),
  };
}

async function w3() {
  const { Autoencoder } = await import('autoencoder');
  const c = W.W3;
  const { ae, m, reference } = await sharedModel(Autoencoder, c.model);
  const D = m.refInput.length / m.refRows;
  const base = rss();
  // inference, batch 128
  const x = uniform(c.infer.batch, D, W.seed, 30);
  const inf = await timeBudget(() => ae.reconstruct(x), c.infer);
  const infWasm = wasmBytes(ae);
  // training, noisy -> clean: an "epoch" here is n_batches steps of `batch` rows, and a step's time is the
  // epoch's ms (its calls into wasm, without the host's turns between them) / n_batches
  const t = c.train;
  const nb = QUICK ? 1 : t.n_batches;
  const clean = uniform(nb * t.batch, D, W.seed, 31);
  const dirty = noisy(clean, W.data.denoise_noise_factor, W.seed, 32);
  const warmEpochs = Math.ceil(t.warmup_steps / nb);
  const maxEpochs = warmEpochs + Math.ceil(t.max_steps / nb);
  const epochs = [];
  let timedMs = 0;
  const end = probe();
  await ae.fit(dirty, {
    target: clean, epochs: maxEpochs, batchSize: t.batch, learningRate: c.optimizer.lr, optimizer: 'adam',
    beta1: c.optimizer.beta1, beta2: c.optimizer.beta2, shuffle: true, validationSplit: 0, earlyStopping: false,
    onEpoch: ({ ms, loss }) => {
      epochs.push({ ms, loss });
      if (epochs.length <= warmEpochs) return true;
      timedMs += ms;
      const steps = (epochs.length - warmEpochs) * nb;
      return !(steps >= t.min_steps && timedMs >= t.budget_s * 1000);
    },
  });
  const contention = end();
  const stepMs = epochs.slice(warmEpochs).map((e) => e.ms / nb);
  return {
    reference,
    infer: { ...summary(inf), rows_per_s: c.infer.batch / (median(inf) / 1000) },
    train: {
      step_ms: stepMs, steps_per_epoch: nb, warmup_steps: warmEpochs * nb, timed_steps: stepMs.length * nb,
      rows_per_s: t.batch / (median(stepMs) / 1000), losses: epochs.map((e) => e.loss), contention,
    },
    memory: { wasm_bytes: wasmBytes(ae), wasm_bytes_after_infer: infWasm, rss_delta_bytes: maxRss() - base },
    versions: versions(),
  };
}

main(() => ({ W1: w1, W2: w2, W3: w3 })[workload]?.() ?? Promise.reject(new Error(`ours.mjs: unknown --workload ${workload}`)));
