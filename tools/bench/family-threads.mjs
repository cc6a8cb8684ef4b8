// family-threads.mjs: what a second thread buys the family's models (README "Threads"), each made on 1 and 2 threads
// and trained in ONE process, an epoch of each model in turns (reversed every other round), so that this VM's phases
// slow every model alike.
// The conv models: a convdae-sized denoiser (28x28x1, two 32-filter convs and pools, two transposed convs), the same
// as a VAE (a flat dense code of 16 means and log-variances), with an L1 or a sparse KL penalty on its code, with a
// dropout node, and with a batchNorm after each encoder conv; epochs of 512 rows (batch 128, Adam); they train in shards.
// The dense models (dense-*): dense784's shape (784-256-64 and back, batch 64, Adam, epochs of 2,048 rows) plain, as a
// VAE, with an L1 or sparse KL penalty on its code, the contractive penalty, a dropout node after the first layer, a
// batchNorm after each 256-unit layer, and gaussian input noise (a denoiser); their products split on the pool.
// Prints each model's rows/s (median over rounds), the median of the per-round ratios of 2 threads against
// 1, whether it trains in shards (ae.shards), and whether both save() digests are the same bytes. With --against
// <build>, each model is made by that build too and trained in the same turns, and the ratios of this build's
// rows/s to that one's are printed beside (a change's gain, in one process).
//   node tools/bench/family-threads.mjs [--models plain,vae,...,dense-plain,...] [--rounds 7] [--dist <dist/bindings/node.js>]
//                                        [--against <other dist/bindings/node.js>]
// --dist runs another build (a worktree's) with the same models. Needs `npm run build`; not ../shared.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { ROOT, intArg, listArg, median, uniform } from './common.mjs';

const CONV = ['plain', 'vae', 'l1', 'kl', 'dropout', 'batchnorm'];
const DENSE = ['dense-plain', 'dense-vae', 'dense-l1', 'dense-kl', 'dense-contractive', 'dense-dropout', 'dense-batchnorm', 'dense-noise'];
const opts = new Command('node tools/bench/family-threads.mjs')
  .description("the family's conv and dense models on 1 and 2 threads: one process, an epoch of each in turns")
  .option('--models <list>', `comma-separated (${[...CONV, ...DENSE].join(',')})`, listArg([...CONV, ...DENSE], 'model'), CONV)
  .option('--rounds <n>', 'rounds of one epoch per model', intArg(1), 7)
  .option('--dist <path>', "the build's node entry", `${ROOT}dist/bindings/node.js`)
  .option('--against <path>', "another build's node entry, trained in the same turns (this build's rows/s over its)")
  .parse()
  .opts();

const load = async (path) => {
  const dist = resolve(path);
  if (!existsSync(dist)) {
    console.error(`family-threads: ${dist} is missing: run \`npm run build\` first (or pass --dist)`);
    process.exit(2);
  }
  return { dist, lib: await import(pathToFileURL(dist).href) };
};
const builds = [await load(opts.dist), ...(opts.against ? [await load(opts.against)] : [])];

const conv = (filters, extra = {}) => ({ type: 'conv2d', filters, kernel: 3, padding: 'same', activation: 'relu', ...extra });
const convT = { type: 'conv2dTranspose', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'relu' };
const enc = [conv(32), { type: 'maxPool2d', pool: 2 }, conv(32), { type: 'maxPool2d', pool: 2 }];
const dec = [convT, convT, conv(1, { activation: 'sigmoid' })];
const SPECS = {
  plain: { encoder: enc, decoder: dec },
  vae: {
    encoder: [...enc, { type: 'flatten' }, { type: 'dense', units: 16 }],
    decoder: [{ type: 'dense', units: 7 * 7 * 32, activation: 'relu' }, { type: 'reshape', shape: [7, 7, 32] }, ...dec],
    variational: { beta: 1 },
  },
  l1: { encoder: enc, decoder: dec, sparsity: { l1: 1e-4 } },
  // (a sigmoid code, whose column means over the whole batch the KL penalty takes: assembly/train.ts kl_reduce)
  kl: { encoder: [conv(32), { type: 'maxPool2d', pool: 2 }, conv(32, { activation: 'sigmoid' }), { type: 'maxPool2d', pool: 2 }], decoder: dec, sparsity: { kl: { rho: 0.05, weight: 0.1 } } },
  dropout: { encoder: [...enc, { type: 'dropout', rate: 0.1 }], decoder: dec },
  // (the batch statistics over every shard: assembly/train.ts bn_phase)
  batchnorm: { encoder: [conv(32), { type: 'batchNorm' }, { type: 'maxPool2d', pool: 2 }, conv(32), { type: 'batchNorm' }, { type: 'maxPool2d', pool: 2 }], decoder: dec },
};
const d = (units, activation = 'relu') => ({ type: 'dense', units, activation });
const DENSE_SPECS = {
  'dense-plain': { inputDim: 784, layers: [256, 64] },
  'dense-vae': { inputDim: 784, layers: [256, 64], variational: { beta: 1 } },
  'dense-l1': { inputDim: 784, layers: [256, 64], sparsity: { l1: 1e-4 } },
  'dense-kl': { inputDim: 784, layers: [256, 64], latentActivation: 'sigmoid', sparsity: { kl: { rho: 0.05, weight: 0.1 } } },
  'dense-contractive': { inputDim: 784, layers: [256, 64], contractive: 1e-3 },
  'dense-dropout': { inputShape: [784], encoder: [d(256), { type: 'dropout', rate: 0.1 }, d(64)], decoder: [d(256), d(784, 'linear')] },
  'dense-batchnorm': { inputShape: [784], encoder: [d(256), { type: 'batchNorm' }, d(64)], decoder: [d(256), { type: 'batchNorm' }, d(784, 'linear')] },
  'dense-noise': { inputDim: 784, layers: [256, 64] },
};
const convX = uniform(512, 784, 62, 0), denseX = uniform(2048, 784, 62, 0);
const convFit = { epochs: 1, batchSize: 128, learningRate: 1e-3, optimizer: 'adam', shuffle: true, validationSplit: 0, earlyStopping: false };
const denseFit = { ...convFit, batchSize: 64 };
const run = (name) => (DENSE.includes(name)
  ? { spec: { seed: 42, ...DENSE_SPECS[name] }, x: denseX, rows: 2048, fit: name === 'dense-noise' ? { ...denseFit, noise: { gaussian: 0.1 } } : denseFit }
  : { spec: { inputShape: [28, 28, 1], loss: 'bce', seed: 42, ...SPECS[name] }, x: convX, rows: 512, fit: convFit });
const models = [];
for (const name of opts.models) {
  const r = run(name);
  for (const [b, { lib }] of builds.entries()) {
    for (const threads of [1, 2]) {
      const ae = await lib.Autoencoder.create(r.spec, { threads });
      await ae.fit(r.x, r.fit);   // warm-up epoch
      models.push({ name, build: b, threads, ae, ms: [] });
    }
  }
}
// each model's own data and options: the turns go model by model, in fitInTurns's order
for (let round = 0; round < opts.rounds; round++) {
  for (const m of round % 2 ? [...models].reverse() : models) {
    const r = run(m.name), t0 = performance.now();
    await m.ae.fit(r.x, r.fit);
    m.ms.push(performance.now() - t0);
  }
}
console.log(`the family's models, ${opts.rounds} rounds of one epoch per model in turns (conv: 512 rows, batch 128; dense: 2,048 rows, batch 64), node ${process.versions.node}, ${builds.map((b) => b.dist).join(' against ')}`);
const digest = (m) => createHash('sha256').update(m.ae.save()).digest('hex').slice(0, 16);
for (const name of opts.models) {
  const rows = run(name).rows;
  const of = (b, t) => models.find((m) => m.name === name && m.build === b && m.threads === t);
  const rate = (m) => Math.round(rows / (median(m.ms) / 1000));
  for (const b of builds.keys()) {
    const [one, two] = [of(b, 1), of(b, 2)];
    const ratios = two.ms.map((ms, i) => one.ms[i] / ms);
    const shards = 'shards' in one.ae ? one.ae.shards : undefined;
    console.log(`  ${(b ? '  against' : name).padEnd(17)} 1 thread ${rate(one).toLocaleString('en-US').padStart(6)} rows/s, 2 threads ${rate(two).toLocaleString('en-US').padStart(6)} rows/s: ${median(ratios).toFixed(2)}x (rounds ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`
      + `  shards ${shards ?? 'n/a'}  save() ${digest(one)} ${digest(one) === digest(two) ? '= 2 threads' : `!= 2 threads ${digest(two)}`}`);
  }
  if (builds.length > 1) {
    const gain = (t) => median(of(1, t).ms.map((ms, i) => ms / of(0, t).ms[i]));
    console.log(`  ${''.padEnd(17)} this build over the other: 1 thread ${gain(1).toFixed(3)}x, 2 threads ${gain(2).toFixed(3)}x (medians of the rounds); save() ${digest(of(0, 1)) === digest(of(1, 1)) ? 'the same bytes' : 'other bytes'}`);
  }
}
for (const m of models) m.ae.dispose();
