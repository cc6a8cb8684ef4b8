// eval-untuned.ts: issue 12's third requirement, "a mean at or above Isolation Forest's on tables nobody
// tuned on", estimated on tables nobody tuned on: one-vs-rest tables cut from the MNIST digits in
// ../shared/datasets/mnist (2,500 test-split digits that no setting was ever chosen on), scored under
// ADBench's protocol beside an Isolation Forest run on the same splits.
//
// Tables: for each digit d, its images are the normal rows and 10% more rows are anomalies, drawn
// (seeded) from the other nine digits (the one-class MNIST setup of the anomaly-detection literature);
// features: the 784 pixels / 255. Protocol: as tools/eval-tabular.ts (stratified 70/30 split, fit on the
// whole 70% with its anomalies, no labels, AUC-ROC on the 30%), seeds 1..3.
// Detectors: the library's defaults, exactly `Autoencoder.create({ inputDim, normalize: 'standard', seed })`,
// `fit(x)`, `score(x)`; Isolation Forest (Liu, Ting, Zhou 2008, scikit-learn's defaults: 100 trees, 256
// rows each, height limit ceil(log2 256), split feature uniform among those not constant in the node,
// split value uniform between the node's min and max; score: the mean path length, shorter = more
// anomalous), written here because neither npm package does that (ml-isolation-forest 0.1.0 grows every
// tree on all rows; isolation-forest 0.0.9 draws the subsample and then grows the tree on all rows);
// and the distance from the training mean (in standard units) as a floor.
// `--check-iforest` first runs this Isolation Forest on the eight shared ADBench tables and prints its
// AUC beside ADBench's published IForest figure, so the implementation is checked against an outside number.
// Usage: npm run eval:untuned -- (or npx tsx tools/eval-untuned.ts) [--seeds 3] [--digits 0,1,...] [--check-iforest] [--tables vowels,letter]
// Only metrics and the comparison detectors are computed here; every autoencoder number comes from the library.
import { existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { Autoencoder } from '../bindings/node.js';
import { aucRoc, mulberry32, stratifiedSplit } from '../tests/ref/metrics.js';
import { loadTable, pick, type Table } from './tables.js';

const SHARED = new URL('../../shared/datasets/', import.meta.url).pathname;
const opts = new Command()
  .option('--seeds <n>', 'seeds 1..n', '3')
  .option('--digits <list>', 'normal digits, one table each', '0,1,2,3,4,5,6,7,8,9')
  .option('--check-iforest', 'first run the Isolation Forest on the shared ADBench tables beside the published figure')
  .option('--tables <list>', 'tables for --check-iforest', 'vowels,letter,musk,aloi,campaign,magic.gamma,shuttle,smtp')
  .parse().opts<{ seeds: string; digits: string; checkIforest?: boolean; tables: string }>();

/** Isolation Forest over n rows of d features (row-major); returns a scorer (higher = more anomalous). */
function isolationForest(x: Float64Array, n: number, d: number, seed: number, trees = 100, psi = 256): (row: Float64Array) => number {
  const rand = mulberry32(seed);
  const u = () => rand() / 4294967296;
  const sample = Math.min(psi, n), limit = Math.ceil(Math.log2(Math.max(sample, 2)));
  const c = (m: number) => (m > 2 ? 2 * (Math.log(m - 1) + 0.5772156649) - (2 * (m - 1)) / m : m === 2 ? 1 : 0);
  // a tree: flat arrays; feature -1 marks a leaf holding `size` rows
  interface Tree { feat: number[]; split: number[]; left: number[]; right: number[]; size: number[] }
  const grow = (ids: number[], depth: number, t: Tree): number => {
    const node = t.feat.length;
    t.feat.push(-1); t.split.push(0); t.left.push(-1); t.right.push(-1); t.size.push(ids.length);
    if (depth >= limit || ids.length <= 1) return node;
    const live: number[] = [], lo: number[] = [], hi: number[] = [];
    for (let f = 0; f < d; f++) {
      let a = Infinity, b = -Infinity;
      for (const i of ids) { const v = x[i * d + f]!; if (v < a) a = v; if (v > b) b = v; }
      if (b > a) { live.push(f); lo.push(a); hi.push(b); }
    }
    if (live.length === 0) return node;
    const k = rand() % live.length, f = live[k]!;
    const s = lo[k]! + u() * (hi[k]! - lo[k]!);
    const l = ids.filter((i) => x[i * d + f]! < s), r = ids.filter((i) => x[i * d + f]! >= s);
    t.feat[node] = f; t.split[node] = s;
    t.left[node] = grow(l, depth + 1, t);
    t.right[node] = grow(r, depth + 1, t);
    return node;
  };
  const forest: Tree[] = [];
  const all = Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < trees; k++) {
    for (let i = 0; i < sample; i++) { const j = i + (rand() % (n - i)); [all[i], all[j]] = [all[j]!, all[i]!]; }
    const t: Tree = { feat: [], split: [], left: [], right: [], size: [] };
    grow(all.slice(0, sample), 0, t);
    forest.push(t);
  }
  return (row) => {
    let h = 0;
    for (const t of forest) {
      let node = 0, depth = 0;
      while (t.feat[node]! >= 0) { node = row[t.feat[node]!]! < t.split[node]! ? t.left[node]! : t.right[node]!; depth++; }
      h += depth + c(t.size[node]!);
    }
    return -h / forest.length;
  };
}

/** Squared distance from the training mean in standard units (sd 0 columns skipped). */
function meanDistance(x: Float64Array, n: number, d: number): (row: Float64Array) => number {
  const mu = new Float64Array(d), sd = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) mu[f] = mu[f]! + x[i * d + f]! / n;
  for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) sd[f] = sd[f]! + (x[i * d + f]! - mu[f]!) ** 2 / n;
  return (row) => { let s = 0; for (let f = 0; f < d; f++) if (sd[f]! > 0) s += (row[f]! - mu[f]!) ** 2 / sd[f]!; return s; };
}

const rowsOf = (x: Float64Array, d: number) => (i: number) => x.subarray(i * d, (i + 1) * d);

interface Result { ae: number; iforest: number; mean: number; aeMs: number; ifMs: number }
async function evaluate(t: Table, seed: number): Promise<Result> {
  const { train, test } = stratifiedSplit(t.y, 0.3, seed);
  const xFit = pick(t, train), xTest = pick(t, test), labels = test.map((i) => t.y[i]!);
  const ae = await Autoencoder.create({ inputDim: t.cols, normalize: 'standard', seed });
  let t0 = performance.now();
  await ae.fit(xFit);
  const aeMs = performance.now() - t0;
  const aeAuc = 100 * aucRoc(ae.score(xTest), labels);
  ae.dispose();
  t0 = performance.now();
  const iso = isolationForest(xFit, train.length, t.cols, seed * 7919 + 17);
  const row = rowsOf(xTest, t.cols);
  const ifAuc = 100 * aucRoc(test.map((_, j) => iso(row(j))), labels);
  const ifMs = performance.now() - t0;
  const md = meanDistance(xFit, train.length, t.cols);
  const mAuc = 100 * aucRoc(test.map((_, j) => md(row(j))), labels);
  return { ae: aeAuc, iforest: ifAuc, mean: mAuc, aeMs, ifMs };
}

/** One-vs-rest table for digit `normal`: its images, plus 10% more drawn from the other digits (seeded). */
function digitTable(images: Uint8Array, labels: Uint8Array, normal: number): Table {
  const inl: number[] = [], out: number[] = [];
  labels.forEach((l, i) => (l === normal ? inl : out).push(i));
  const rand = mulberry32(0x9e3779b9 ^ normal);
  for (let i = out.length - 1; i > 0; i--) { const j = rand() % (i + 1); [out[i], out[j]] = [out[j]!, out[i]!]; }
  const ids = [...inl, ...out.slice(0, Math.round(inl.length / 9))];   // anomalies: 10% of the table
  const x = new Float64Array(ids.length * 784), y = new Int32Array(ids.length);
  ids.forEach((id, r) => { for (let p = 0; p < 784; p++) x[r * 784 + p] = images[id * 784 + p]! / 255; y[r] = r < inl.length ? 0 : 1; });
  return { name: `digit ${normal}`, x, y, rows: ids.length, cols: 784 };
}

const nSeeds = Number(opts.seeds), digits = opts.digits.split(',').map((d) => Number(d.trim()));
if (!Number.isInteger(nSeeds) || nSeeds < 1 || nSeeds > 100) throw new Error(`--seeds must be an integer from 1 to 100, got ${opts.seeds}`);
if (!digits.length || digits.some((d) => !Number.isInteger(d) || d < 0 || d > 9)) throw new Error(`--digits must be a comma list of digits 0-9, got ${opts.digits}`);
const seeds = Array.from({ length: nSeeds }, (_, i) => i + 1);
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const f = (v: number) => v.toFixed(2).padStart(8);
if (!existsSync(`${SHARED}mnist/mnist-subset-train-images.u8`)) {
  console.log(`eval-untuned: skipped: ${SHARED} is absent (it needs ../shared/datasets, beside the checkout)`);
  process.exit(0);
}

if (opts.checkIforest) {
  const base = JSON.parse(readFileSync(`${SHARED}tabular/baselines.json`, 'utf8')) as { datasets: Record<string, { adbench_aucroc_pct: Record<string, number> }> };
  console.log('Isolation Forest (this file) on the shared ADBench tables, ADBench protocol, seeds 1..' + seeds.length);
  console.log('table          this IForest   ADBench IForest');
  for (const name of opts.tables.split(',')) {
    const t = loadTable(`${SHARED}tabular`, name);
    const v: number[] = [];
    for (const s of seeds) {
      const { train, test } = stratifiedSplit(t.y, 0.3, s);
      const iso = isolationForest(pick(t, train), train.length, t.cols, s * 7919 + 17);
      const xt = pick(t, test), row = rowsOf(xt, t.cols);
      v.push(100 * aucRoc(test.map((_, j) => iso(row(j))), test.map((i) => t.y[i]!)));
    }
    console.log(`${name.padEnd(14)}${f(mean(v))}      ${f(base.datasets[name]!.adbench_aucroc_pct.IForest!)}`);
  }
}

const images = new Uint8Array(Buffer.concat([readFileSync(`${SHARED}mnist/mnist-subset-train-images.u8`), readFileSync(`${SHARED}mnist/mnist-subset-test-images.u8`)]));
const labels = new Uint8Array(Buffer.concat([readFileSync(`${SHARED}mnist/mnist-subset-train-labels.u8`), readFileSync(`${SHARED}mnist/mnist-subset-test-labels.u8`)]));
console.log(`\none-vs-rest digit tables (${labels.length} MNIST digits, normal = one digit, 10% anomalies from the others), ADBench protocol, AUC-ROC %, mean of seeds 1..${seeds.length}`);
console.log('table       rows  autoencoder  IForest  mean-dist   AE fit ms  IF fit+score ms');
const all: Result[] = [];
for (const d of digits) {
  const t = digitTable(images, labels, d);
  const rs: Result[] = [];
  for (const s of seeds) rs.push(await evaluate(t, s));
  all.push(...rs);
  console.log(`${t.name.padEnd(10)}${String(t.rows).padStart(5)}  ${f(mean(rs.map((r) => r.ae)))}   ${f(mean(rs.map((r) => r.iforest)))} ${f(mean(rs.map((r) => r.mean)))}   ${f(mean(rs.map((r) => r.aeMs)))}   ${f(mean(rs.map((r) => r.ifMs)))}`);
}
console.log(`${'mean'.padEnd(15)}  ${f(mean(all.map((r) => r.ae)))}   ${f(mean(all.map((r) => r.iforest)))} ${f(mean(all.map((r) => r.mean)))}   (${digits.length} tables x ${seeds.length} seeds)`);
