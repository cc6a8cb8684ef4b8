// eval-family.ts: AUC-ROC of each autoencoder variant of issue 11 beside the plain autoencoder on the
// eight shared anomaly tables (../shared/datasets/tabular), novelty protocol as tools/eval-tabular.ts:
// a stratified 70/30 split, train on the NORMAL rows of the 70% (at most --max-train of them, drawn
// in order, to bound the time on the large tables), score every row of the 30%, AUC-ROC on the labels.
// Not ADBench's protocol (the detector issue's tool is not on this branch). Prints one line per table.
// Usage: npx tsx tools/eval-family.ts [--seeds 1] [--max-train 5000] [--tables vowels,letter]
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { Command } from 'commander';
import { Autoencoder, type AutoencoderSpec, type FitOptions, type ScoreBy } from '../bindings/node.js';
import { aucRoc, stratifiedSplit } from '../tests/ref/metrics.js';

const opts = new Command()
  .option('--data <dir>', 'folder of the tables', new URL('../../shared/datasets/tabular', import.meta.url).pathname)
  .option('--seeds <n>', 'seeds per variant', '1')
  .option('--max-train <n>', 'at most this many normal training rows', '5000')
  .option('--tables <list>', 'comma-separated', 'vowels,letter,musk,aloi,campaign,magic.gamma,shuttle,smtp')
  .option('--skip <labels>', 'comma-separated variant labels to leave out (contractive costs d * sum(widths) * width flops per row: slow on musk, d = 166)', '')
  .parse().opts<{ data: string; seeds: string; maxTrain: string; tables: string; skip: string }>();

function load(name: string): { x: number[][]; y: number[] } {
  let bytes: Buffer;
  try { bytes = readFileSync(`${opts.data}/${name}.csv`); } catch { bytes = gunzipSync(readFileSync(`${opts.data}/${name}.csv.gz`)); }
  const rows = parse(bytes, { from_line: 2, cast: true }) as unknown as number[][];
  return { x: rows.map((r) => r.slice(0, -1)), y: rows.map((r) => r[r.length - 1]!) };
}

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
console.log(['table', 'rows', 'd', ...variants.map((v) => v.label)].join('\t'));
for (const name of opts.tables.split(',')) {
  const t = load(name);
  const d = t.x[0]!.length;
  const cells: string[] = [];
  for (const v of variants) {
    const aucs: number[] = [];
    for (let seed = 1; seed <= Number(opts.seeds); seed++) {
      const { train, test } = stratifiedSplit(t.y, 0.3, seed);
      const normal = train.filter((i) => t.y[i] === 0).slice(0, Number(opts.maxTrain)).map((i) => t.x[i]!);
      const ae = await Autoencoder.create({ inputDim: d, normalize: 'standard', seed, ...v.spec });
      await ae.fit(normal, v.fit ?? {});
      const s = ae.score(test.map((i) => t.x[i]!), v.by ? { by: v.by, ...(v.by === 'elbo' ? { samples: 5 } : {}) } : undefined);
      aucs.push(aucRoc(s, test.map((i) => t.y[i]!)));
      ae.dispose();
    }
    cells.push((aucs.reduce((a, b) => a + b, 0) / aucs.length).toFixed(3));
  }
  console.log([name, t.x.length, d, ...cells].join('\t'));
}
