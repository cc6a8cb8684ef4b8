// ab.mjs: an A/B of two builds of the kernels in ONE process, rounds interleaved, so that a busy
// machine slows both sides alike: the ratio NEW/OLD is meaningful under contention, absolute rows/s
// are not. Workloads: convdae training (W3 train: batch 128, noisy -> clean, Adam) and inference
// (W3 infer, batch 128), tab30 reconstruct at batch 256 (W1 batch256), dense784 training (W2:
// batch 64, Adam), and dense784 and tab30 trained with gaussian input noise 0.1 (batch 64: the
// noise drawn in wasm each epoch), and convdae's layers with a batchNorm after each encoder conv, trained (batch 128,
// as family-threads.mjs's batchnorm model) and scored (128 rows, the moving statistics), and a VAE's negative ELBO
// score (5 draws) at widths 30 (30-16-4) and 784 (784-256-16); optionally the onnxruntime-web
// peer (1 thread) on the two inference workloads, in the same rounds.
//   node tools/bench/ab.mjs --old <dist dir of the other build> [--new <dist dir>, default ./dist]
//        [--rounds 7] [--peers <dir with node_modules/onnxruntime-web>] [--only convdae-train,...]
// Each side is a whole dist/ (its bindings and its kernels.wasm), so the two may differ in ABI.
// Per round and workload: each side (and the peer) runs a fixed number of calls after one warm
// call; the round's figure is rows / median call time. Prints per-workload medians over rounds,
// the median of the per-round ratios NEW/OLD and NEW/ORT, and each side's reference check.
// On a shared machine (load 7-15 on 2 cores) two 5-round runs of the same pair differed by up to
// 15%; 9-round runs repeated within ~5%. Take 9 rounds or more, and repeat the run.
// A side can be any dist/: e.g. a copy of main's (cp -r dist /tmp/old-dist before the change), or
// one with another kernels.wasm dropped into its build/ (an A/B of a single kernel switch).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { check, intArg, loadModel, loadWorkloads, median, noisy, specOf, uniform } from './common.mjs';

const W = loadWorkloads();
const ROOT = new URL('../../', import.meta.url).pathname;
const opts = new Command('node tools/bench/ab.mjs')
  .description('an A/B of two builds (dist/ dirs) of the kernels in one process, rounds interleaved')
  .requiredOption('--old <dir>', "the dist/ of the other build (e.g. a copy of main's dist/)")
  .option('--new <dir>', 'the dist/ of the build under test', `${ROOT}dist`)
  .option('--rounds <n>', 'interleaved rounds', intArg(1), 7)
  .option('--peers <dir>', 'a directory with node_modules/onnxruntime-web: ORT (1 thread) on the inference workloads too')
  .option('--only <list>', 'workloads, comma-separated (tab30-b256, convdae-infer, convdae-train, dense784-train, dense784-train-noise, tab30-train-noise, convbn-train, convbn-infer)', (s) => s.split(','))
  .parse()
  .opts();
const rounds = opts.rounds;
const only = opts.only;
const sides = { OLD: opts.old, NEW: opts.new };

const specs = {
  tab30: { inputDim: 30, layers: [16, 8], activation: 'tanh', latentActivation: 'tanh', outputActivation: 'linear', loss: 'mse', seed: W.seed },
  convdae: specOf(W, 'convdae'),
};

const timeIt = async (fn, calls) => {
  await fn();
  const ms = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
};

/** One side's workloads: name -> { rows, calls, run }. */
async function ours(dir) {
  const { Autoencoder } = await import(`${resolve(dir)}/bindings/node.js`);
  const out = {}, refs = {};
  for (const name of ['tab30', 'convdae']) {
    const m = loadModel(name);
    const ae = await Autoencoder.create(specs[name]);
    ae.setWeights(m.tensors);
    refs[name] = check(ae.reconstruct(m.refInput), m.refOutputKeras ?? m.refOutput).maxDiff;
  }
  const tab = await Autoencoder.create(specs.tab30);
  tab.setWeights(loadModel('tab30').tensors);
  const xt = uniform(256, 30, W.seed, 12);
  out['tab30-b256'] = { rows: 256, calls: 200, run: () => tab.reconstruct(xt) };
  const conv = await Autoencoder.create(specs.convdae);
  conv.setWeights(loadModel('convdae').tensors);
  const xi = uniform(128, 784, W.seed, 30);
  out['convdae-infer'] = { rows: 128, calls: 5, run: () => conv.reconstruct(xi) };
  // training: one epoch of 2 batches of 128 per call (in calls into wasm of about 50 ms: fit() times them)
  const train = await Autoencoder.create(specs.convdae);
  train.setWeights(loadModel('convdae').tensors);
  const clean = uniform(256, 784, W.seed, 31), dirty = noisy(clean, W.data.denoise_noise_factor, W.seed, 32);
  const fit = { target: clean, epochs: 1, batchSize: 128, learningRate: 1e-3, optimizer: 'adam', shuffle: true, validationSplit: 0, earlyStopping: false };
  out['convdae-train'] = { rows: 256, calls: 3, run: () => train.fit(dirty, fit) };
  // dense784 training (W2's model and batch): one epoch of 8 batches of 64 per call
  const dense = await Autoencoder.create(specOf(W, 'dense784'));
  dense.setWeights(loadModel('dense784').tensors);
  const xd = uniform(512, 784, W.seed, 33);
  const fitD = { epochs: 1, batchSize: 64, learningRate: 1e-3, optimizer: 'adam', shuffle: true, validationSplit: 0, earlyStopping: false };
  out['dense784-train'] = { rows: 512, calls: 5, run: () => dense.fit(xd, fitD) };
  // the same with gaussian input noise (a denoising autoencoder: normals drawn in wasm every epoch), and tab30's
  // model trained with it (where drawing the noise weighs most against the products)
  const denseN = await Autoencoder.create(specOf(W, 'dense784'));
  denseN.setWeights(loadModel('dense784').tensors);
  const fitN = { ...fitD, noise: { gaussian: 0.1 } };
  out['dense784-train-noise'] = { rows: 512, calls: 5, run: () => denseN.fit(xd, fitN) };
  const tabN = await Autoencoder.create(specs.tab30);
  tabN.setWeights(loadModel('tab30').tensors);
  const xn = uniform(4096, 30, W.seed, 34);
  out['tab30-train-noise'] = { rows: 4096, calls: 5, run: () => tabN.fit(xn, fitN) };
  // convdae's layers with a batchNorm after each encoder conv (family-threads.mjs's batchnorm model), one thread
  const conv2d = (filters, extra = {}) => ({ type: 'conv2d', filters, kernel: 3, padding: 'same', activation: 'relu', ...extra });
  const convT = { type: 'conv2dTranspose', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'relu' };
  const bnSpec = {
    inputShape: [28, 28, 1], loss: 'bce', seed: 42,
    encoder: [conv2d(32), { type: 'batchNorm' }, { type: 'maxPool2d', pool: 2 }, conv2d(32), { type: 'batchNorm' }, { type: 'maxPool2d', pool: 2 }],
    decoder: [convT, convT, conv2d(1, { activation: 'sigmoid' })],
  };
  const bn = await Autoencoder.create(bnSpec);
  const fitB = { epochs: 1, batchSize: 128, learningRate: 1e-3, optimizer: 'adam', shuffle: true, validationSplit: 0, earlyStopping: false };
  out['convbn-train'] = { rows: 256, calls: 3, run: () => bn.fit(clean, fitB) };
  const bnInfer = await Autoencoder.create(bnSpec);
  await bnInfer.fit(clean, fitB);
  out['convbn-infer'] = { rows: 128, calls: 5, run: () => bnInfer.score(xi) };
  // a VAE's negative ELBO (5 draws) at tab30's width, where drawing the normals weighs most against the decoder's
  // products, and at dense784's (784-256-16)
  for (const [name, D, layers, rows] of [['vae30-elbo', 30, [16, 4], 4096], ['vae784-elbo', 784, [256, 16], 512]]) {
    const vae = await Autoencoder.create({ inputDim: D, layers, variational: { beta: 1 }, seed: W.seed });
    const xv = uniform(rows, D, W.seed, 35);
    await vae.fit(xv, { epochs: 1, validationSplit: 0, earlyStopping: false });
    out[name] = { rows, calls: 5, run: () => vae.score(xv, { by: 'elbo', samples: 5, seed: 1 }) };
  }
  return { work: out, refs };
}

async function ort(peers) {
  const require = createRequire(`${peers}/package.json`);
  const entry = require.resolve('onnxruntime-web');
  const o = await import(entry.replace(/\.js$/, '.mjs'));
  o.env.wasm.numThreads = 1;
  o.env.wasm.wasmPaths = entry.replace(/[^/]*$/, '');
  o.env.logLevel = 'error';
  const session = async (name, rows, x) => {
    const m = loadModel(name);
    const s = await o.InferenceSession.create(readFileSync(m.onnx), { executionProviders: ['wasm'] });
    const [inp] = s.inputNames, [outp] = s.outputNames;
    const run = async (x, r) => { const res = await s.run({ [inp]: new o.Tensor('float32', x, [r, ...m.refShape.slice(1)]) }); const d = res[outp].data; res[outp].dispose(); return d; };
    const ref = check(await run(m.refInput, m.refRows), m.refOutput).maxDiff;
    return { rows, run: () => run(x, rows), ref };
  };
  const t = await session('tab30', 256, uniform(256, 30, W.seed, 12));
  const c = await session('convdae', 128, uniform(128, 784, W.seed, 30));
  return { work: { 'tab30-b256': { ...t, calls: 200 }, 'convdae-infer': { ...c, calls: 5 } }, refs: { tab30: t.ref, convdae: c.ref }, version: o.env.versions.web };
}

const runners = {};
for (const [k, dir] of Object.entries(sides)) runners[k] = await ours(dir);
// (createRequire needs an absolute path: --peers .runtimes/peers is taken from the current directory)
const peers = opts.peers && resolve(opts.peers);
if (peers) runners.ORT = await ort(peers);
const names = Object.keys(runners.NEW.work).filter((n) => !only || only.includes(n));
const rate = {};   // name -> side -> [rows/s per round]
for (let r = 0; r < rounds; r++) {
  for (const n of names) {
    // alternate which side goes first, so a slow start or a drift is shared
    const order = Object.keys(runners).filter((k) => runners[k].work[n]);
    if (r % 2) order.reverse();
    for (const k of order) {
      const w = runners[k].work[n];
      const ms = await timeIt(w.run, w.calls);
      ((rate[n] ??= {})[k] ??= []).push(w.rows / (ms / 1000));
    }
  }
  process.stderr.write(`round ${r + 1}/${rounds}\n`);
}
console.log(`ab.mjs: ${rounds} rounds, node ${process.version}; OLD=${sides.OLD} NEW=${sides.NEW}${runners.ORT ? `; onnxruntime-web ${runners.ORT.version} (1 thread)` : ''}`);
console.log('reference max |diff|:', JSON.stringify(Object.fromEntries(Object.entries(runners).map(([k, v]) => [k, v.refs]))));
console.log('workload        ' + Object.keys(runners).map((k) => `${k} rows/s`.padStart(14)).join('') + '   NEW/OLD' + (runners.ORT ? '   NEW/ORT   OLD/ORT' : ''));
for (const n of names) {
  const s = rate[n];
  const ratio = (a, b) => (s[a] && s[b] ? median(s[a].map((v, i) => v / s[b][i])).toFixed(3).padStart(10) : '        --');
  console.log(n.padEnd(16) + Object.keys(runners).map((k) => (s[k] ? median(s[k]).toFixed(0) : '--').padStart(14)).join('')
    + ratio('NEW', 'OLD') + (runners.ORT ? ratio('NEW', 'ORT') + ratio('OLD', 'ORT') : ''));
}
process.exit(0);
