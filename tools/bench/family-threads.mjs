// family-threads.mjs: what a second thread buys the conv models of the family (README "Threads"): a
// convdae-sized denoiser (28x28x1, two 32-filter convs and pools, two transposed convs), the same as a VAE
// (a flat dense code of 16 means and log-variances), with an L1 or a sparse KL penalty on its code, with a dropout
// node, and with a batchNorm after each encoder conv, each made on 1 and 2 threads and trained in ONE process, an
// epoch of 512 rows (batch 128, Adam) of each model in turns (reversed every other round), so that this VM's phases slow every model alike.
// Prints each model's rows/s (median over rounds), the median of the per-round ratios of 2 threads against
// 1, whether it trains in shards (ae.shards), and whether both save() digests are the same bytes.
//   node tools/bench/family-threads.mjs [--models plain,vae,l1,kl,dropout,batchnorm] [--rounds 7] [--dist <dist/bindings/node.js>]
// --dist runs another build (a worktree's) with the same models. Needs `npm run build`; not ../shared.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { ROOT, fitInTurns, intArg, listArg, median, uniform } from './common.mjs';

const MODELS = ['plain', 'vae', 'l1', 'kl', 'dropout', 'batchnorm'];
const opts = new Command('node tools/bench/family-threads.mjs')
  .description("the family's conv models (plain, VAE, L1, sparse KL, dropout, batchNorm) on 1 and 2 threads: one process, an epoch of each in turns")
  .option('--models <list>', `comma-separated (${MODELS.join(',')})`, listArg(MODELS, 'model'), MODELS)
  .option('--rounds <n>', 'rounds of one epoch per model', intArg(1), 7)
  .option('--dist <path>', "the build's node entry", `${ROOT}dist/bindings/node.js`)
  .parse()
  .opts();

const dist = resolve(opts.dist);
if (!existsSync(dist)) {
  console.error(`family-threads: ${dist} is missing: run \`npm run build\` first (or pass --dist)`);
  process.exit(2);
}
const { Autoencoder } = await import(pathToFileURL(dist).href);

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
const x = uniform(512, 784, 62, 0);
const fit = { epochs: 1, batchSize: 128, learningRate: 1e-3, optimizer: 'adam', shuffle: true, validationSplit: 0, earlyStopping: false };
const models = [];
for (const name of opts.models) {
  for (const threads of [1, 2]) {
    const ae = await Autoencoder.create({ inputShape: [28, 28, 1], loss: 'bce', seed: 42, ...SPECS[name] }, { threads });
    await ae.fit(x, fit);   // warm-up epoch
    models.push({ name, threads, ae, ms: [] });
  }
}
await fitInTurns(models, x, fit, opts.rounds);
console.log(`the family's conv models, ${opts.rounds} rounds of one epoch (512 rows, batch 128) per model in turns, node ${process.versions.node}, ${dist}`);
for (const name of opts.models) {
  const [one, two] = [1, 2].map((t) => models.find((m) => m.name === name && m.threads === t));
  const ratios = two.ms.map((ms, i) => one.ms[i] / ms);
  const rate = (m) => Math.round(512 / (median(m.ms) / 1000)).toLocaleString('en-US').padStart(6);
  const digest = (m) => createHash('sha256').update(m.ae.save()).digest('hex').slice(0, 16);
  const shards = 'shards' in one.ae ? one.ae.shards : undefined;
  console.log(`  ${name.padEnd(8)} 1 thread ${rate(one)} rows/s, 2 threads ${rate(two)} rows/s: ${median(ratios).toFixed(2)}x (rounds ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`
    + `  shards ${shards ?? 'n/a'}  save() ${digest(one)} ${digest(one) === digest(two) ? '= 2 threads' : `!= 2 threads ${digest(two)}`}`);
}
for (const m of models) m.ae.dispose();
