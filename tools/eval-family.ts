// eval-family.ts: AUC-ROC of each autoencoder variant of issue 11 beside the plain autoencoder and
// ADBench's published IForest on the eight shared anomaly tables (../shared/datasets/tabular).
//   adbench (default): ADBench's unsupervised protocol, the splits and seeds of tools/eval-tabular.ts:
//            stratifiedSplit(labels, 0.3, seed), fit on the WHOLE 70% (anomalies included, labels
//            unused), score the 30%, AUC-ROC; mean over seeds 1..3.
//   novelty: the same split, fit on the normal rows of the 70% only.
// --max-train N subsamples larger training splits (stratified, eval-tabular's rule and stream), to
// bound the time on the large tables; the header line says when it did. Every variant starts from
// `create({ inputDim, normalize: 'standard', seed, ensemble: false })` (one autoencoder with the default
// layers: the variants are single models, so the baseline is too) plus its one option.
// Only metrics are computed here; every number the models produce comes from the library.
// Cost: the contractive penalty's exact Jacobian costs about d x hidden x latent multiply-adds per row and
// step: on musk (d = 166, layers 128-32) an epoch of 2,000 rows took 14 s against 65 ms without it with scalar loops;
// since they run in f32x4 lanes (2026-12-06) its three fits take 144 s here; `--skip contractive` leaves the variant out.
// Usage: npx tsx tools/eval-family.ts [--protocol adbench|novelty] [--seeds 3] [--max-train 0]
//        [--tables vowels,letter] [--skip 'vae kl,contractive'] [--samples 5]
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { Autoencoder, type AutoencoderSpec, type FitOptions, type ScoreBy } from '../bindings/node.js';
import { aucRoc, stratifiedSplit } from '../tests/ref/metrics.js';
import { intArg } from './args.js';
import { loadTable, pick, subsample, type Table } from './tables.js';

const opts = new Command()
  .option('--data <dir>', 'folder of the tables and baselines.json', new URL('../../shared/datasets/tabular', import.meta.url).pathname)
  .option('--protocol <p>', 'adbench | novelty', 'adbench')
  .option('--seeds <n>', 'seeds per variant (1..n)', '3')
  .option('--max-train <n>', 'stratified subsample of training splits larger than this (0: none)', '0')
  .option('--tables <list>', 'comma-separated', 'vowels,letter,musk,aloi,campaign,magic.gamma,shuttle,smtp')
  .option('--skip <labels>', 'comma-separated variant labels to leave out', '')
  .option('--samples <n>', "the VAE's draws per row for its ELBO score", intArg('--samples', 1, 10000), 5)
  .parse().opts<{ data: string; protocol: string; seeds: string; maxTrain: string; tables: string; skip: string; samples: number }>();
if (opts.protocol !== 'adbench' && opts.protocol !== 'novelty') throw new Error(`--protocol is adbench or novelty, got ${opts.protocol}`);

const load = (name: string): Table => loadTable(opts.data, name);

type Variant = { label: string; spec: Partial<AutoencoderSpec>; fit?: FitOptions; by?: ScoreBy };
const VARIANTS: Variant[] = [
  { label: 'plain', spec: {} },
  { label: 'denoise g0.1', spec: {}, fit: { noise: { gaussian: 0.1 } } },
  { label: 'sparse l1', spec: { sparsity: { l1: 1e-3 } } },
  { label: 'sparse kl', spec: { latentActivation: 'sigmoid', sparsity: { kl: { rho: 0.05, weight: 0.1 } } } },
  { label: 'contractive', spec: { contractive: 1e-3 } },
  { label: 'vae recon', spec: { variational: { beta: 1 } } },
  { label: 'vae kl', spec: { variational: { beta: 1 } }, by: 'kl' },
  { label: 'vae elbo', spec: { variational: { beta: 1 } }, by: 'elbo' },
];

const skip = new Set(opts.skip.split(',').filter(Boolean));
const variants = VARIANTS.filter((v) => !skip.has(v.label));
const seeds = Array.from({ length: Number(opts.seeds) }, (_, i) => i + 1);
const maxTrain = Number(opts.maxTrain);
const baselines = JSON.parse(readFileSync(`${opts.data}/baselines.json`, 'utf8')) as {
  datasets: Record<string, { adbench_aucroc_pct: Record<string, number | null> }>;
};
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

console.log(`## ${opts.protocol === 'adbench' ? "ADBench's unsupervised protocol: fit on the whole 70% split, anomalies included" : 'novelty protocol: fit on the normal rows of the 70% split'}` +
  ` (seeds ${seeds.join(',')}, AUC-ROC %, mean of seeds${maxTrain > 0 ? `, training splits over ${maxTrain} rows subsampled (stratified) to ${maxTrain}` : ', no subsampling'})`);
console.log(`| table | rows fit | ${variants.map((v) => v.label).join(' | ')} | ADBench IForest | seconds |`);
console.log(`|---|---|${variants.map(() => '---|').join('')}---|---|`);
const sums: number[][] = variants.map(() => []), iforest: number[] = [];
const wall0 = performance.now();
for (const name of opts.tables.split(',')) {
  const t = load(name);
  const t0 = performance.now();
  const cells: number[] = [];
  let rowsFit = 0;
  // one model per (spec, fit, seed): the VAE's three scores come from the same fitted model
  const fitted = new Map<string, Autoencoder>();
  for (const [vi, v] of variants.entries()) {
    const aucs: number[] = [];
    for (const seed of seeds) {
      const { train, test } = stratifiedSplit(t.y, 0.3, seed);
      let fitIds = opts.protocol === 'adbench' ? train : train.filter((i) => t.y[i] === 0);
      if (maxTrain > 0 && fitIds.length > maxTrain) fitIds = subsample(fitIds, t.y, maxTrain, seed);
      rowsFit = fitIds.length;
      const key = JSON.stringify([v.spec, v.fit ?? null, seed]);
      let ae = fitted.get(key);
      if (!ae) {
        ae = await Autoencoder.create({ inputDim: t.cols, normalize: 'standard', seed, ensemble: false, ...v.spec });
        await ae.fit(pick(t, fitIds), v.fit ?? {});
        fitted.set(key, ae);
      }
      const s = ae.score(pick(t, test), v.by ? { by: v.by, ...(v.by === 'elbo' ? { samples: opts.samples } : {}) } : undefined);
      aucs.push(100 * aucRoc(s, test.map((i) => t.y[i]!)));
    }
    cells.push(mean(aucs));
    sums[vi]!.push(mean(aucs));
  }
  for (const ae of fitted.values()) ae.dispose();
  const ifo = baselines.datasets[name]?.adbench_aucroc_pct.IForest ?? NaN;
  iforest.push(ifo);
  console.log(`| ${name} | ${rowsFit} | ${cells.map((c) => c.toFixed(2)).join(' | ')} | ${ifo.toFixed(2)} | ${((performance.now() - t0) / 1000).toFixed(0)} |`);
}
console.log(`| **mean** | | ${sums.map((s) => `**${mean(s).toFixed(2)}**`).join(' | ')} | ${mean(iforest).toFixed(2)} | ${((performance.now() - wall0) / 1000).toFixed(0)} |`);
