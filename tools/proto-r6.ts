// proto-r6.ts (round 6 screening prototype, not shipped): a latent local-density term over a large
// reference set, added to the library's default anomaly score. Per table and seed: the default model
// (`create({ inputDim, normalize: 'standard', seed })`, `fit(x)` on the whole 70% split, ADBench's
// protocol) gives s = score(x); member 0's codes (encode()) of R reference training rows (`all`: random
// training rows; `clean`: random rows among those whose own default score is <= the 80% quantile of the
// training scores, the cleaning pass's cut) are the reference set; for each test row (and each statistic
// row, its own index skipped) the K = 20 nearest reference codes (squared Euclidean, `raw` codes, or `sd`:
// each latent dim divided by its sd over the reference) give the terms kthK (distance to the k-th),
// meanK (mean distance over the k nearest) and lofK (LOF: the mean of the neighbours' local reachability
// densities over the row's own). Every term and s are put in median/IQR units over up to 4,096 random
// training rows (anomalies included, as the library's statistics), and mixed as z(s) + w z(term).
// The kNN is computed HERE in TypeScript: screening only (a library version would do it in wasm).
// Usage: tsx tools/proto-r6.ts [--tables aloi,shuttle] [--first-seed 4] [--R 2048,8192] [--ref all,clean] [--scale raw]
import { Command } from 'commander';
import { Autoencoder } from '../bindings/node.js';
import { aucRoc, mulberry32, quantile, stratifiedSplit } from '../tests/ref/metrics.js';
import { TABLES, loadTable, pick, type Table } from './tables.js';

const opts = new Command()
  .option('--data <dir>', 'tables', new URL('../../shared/datasets/tabular', import.meta.url).pathname)
  .option('--first-seed <n>', 'first seed', '1')
  .option('--seeds <n>', 'seeds', '3')
  .option('--tables <list>', 'tables', TABLES.join(','))
  .option('--R <list>', 'reference sizes', '2048,8192')
  .option('--ref <list>', 'reference pools: all, clean', 'all,clean')
  .option('--scale <s>', 'raw | sd', 'raw')
  .option('--terms <list>', 'terms to print', 'kth5,kth10,kth20,mean5,mean10,mean20,lof10,lof20')
  .option('--weights <list>', 'weights', '0.25,0.5,1,2')
  .parse().opts<{ data: string; firstSeed: string; seeds: string; tables: string; R: string; ref: string; scale: string; terms: string; weights: string }>();
const KMAX = 20;
const WEIGHTS = opts.weights.split(',').map(Number);
const TERMS = opts.terms.split(',');

/** The KMAX nearest reference rows of each query row: squared distances (ascending) and reference indices. */
function knn(zq: Float32Array, nq: number, zr: Float32Array, nr: number, L: number, inv: Float64Array, selfQ?: Int32Array, selfR?: Int32Array) {
  const D = new Float64Array(nq * KMAX).fill(Infinity), I = new Int32Array(nq * KMAX).fill(-1);
  for (let i = 0; i < nq; i++) {
    const o = i * KMAX, self = selfQ ? selfQ[i]! : -2;
    let worst = Infinity;
    for (let a = 0; a < nr; a++) {
      if (selfR && selfR[a] === self) continue;
      let s2 = 0;
      const qi = i * L, ra = a * L;
      for (let l = 0; l < L; l++) { const t = zq[qi + l]! - zr[ra + l]!; s2 += t * t * inv[l]!; }
      if (s2 >= worst) continue;
      let p = KMAX - 1; // insert into the sorted list
      while (p > 0 && D[o + p - 1]! > s2) { D[o + p] = D[o + p - 1]!; I[o + p] = I[o + p - 1]!; p--; }
      D[o + p] = s2; I[o + p] = a;
      worst = D[o + KMAX - 1]!;
    }
  }
  return { D, I };
}

/** The named term per query row from its neighbour lists (lof needs the reference rows' own lists). */
function term(name: string, q: { D: Float64Array; I: Int32Array }, n: number, refLrd: Map<number, { kd: Float64Array; lrd: Float64Array }>): Float64Array {
  const k = Number(name.replace(/\D+/g, '')), out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * KMAX;
    if (name.startsWith('kth')) out[i] = Math.sqrt(q.D[o + k - 1]!);
    else if (name.startsWith('mean')) { let s = 0; for (let j = 0; j < k; j++) s += Math.sqrt(q.D[o + j]!); out[i] = s / k; }
    else {
      const r = refLrd.get(k)!;
      let reach = 0, nl = 0;
      for (let j = 0; j < k; j++) { const a = q.I[o + j]!; reach += Math.max(r.kd[a]!, Math.sqrt(q.D[o + j]!)); nl += r.lrd[a]!; }
      const lrd = k / Math.max(reach, 1e-12);
      out[i] = nl / k / lrd;
    }
  }
  return out;
}

function lrdOf(ref: { D: Float64Array; I: Int32Array }, nr: number, k: number) {
  const kd = new Float64Array(nr), lrd = new Float64Array(nr);
  for (let a = 0; a < nr; a++) kd[a] = Math.sqrt(ref.D[a * KMAX + k - 1]!);
  for (let a = 0; a < nr; a++) {
    let reach = 0;
    for (let j = 0; j < k; j++) reach += Math.max(kd[ref.I[a * KMAX + j]!]!, Math.sqrt(ref.D[a * KMAX + j]!));
    lrd[a] = k / Math.max(reach, 1e-12);
  }
  return { kd, lrd };
}

const zs = (v: Float64Array | Float32Array, stat: Float64Array | Float32Array) => {
  const med = quantile(stat, 0.5), iqr = quantile(stat, 0.75) - quantile(stat, 0.25) || 1;
  return Float64Array.from(v, (x) => (x - med) / iqr);
};
const rowsOf = (x: Float64Array, d: number, ids: ArrayLike<number>) => { const o = new Float64Array(ids.length * d); for (let j = 0; j < ids.length; j++) o.set(x.subarray(ids[j]! * d, (ids[j]! + 1) * d), j * d); return o; };
function draw(pool: number[], n: number, rand: () => number): Int32Array {
  const a = pool.slice();
  if (n >= a.length) return Int32Array.from(a);
  for (let i = 0; i < n; i++) { const j = i + (rand() % (a.length - i)); [a[i], a[j]] = [a[j]!, a[i]!]; }
  return Int32Array.from(a.slice(0, n));
}

async function run(t: Table, seed: number): Promise<{ aucs: Record<string, number>; ms: number; knnMs: number }> {
  const { train, test } = stratifiedSplit(t.y, 0.3, seed);
  const d = t.cols, n = train.length, xTr = pick(t, train), xTe = pick(t, test), yTe = test.map((i) => t.y[i]!);
  const ae = await Autoencoder.create({ inputDim: d, normalize: 'standard', seed });
  const t0 = performance.now();
  await ae.fit(xTr);
  const ms = performance.now() - t0;
  const k0 = performance.now();
  const sTe = ae.score(xTe), sTr = ae.score(xTr);
  const rand = mulberry32(seed * 7919 + 6);
  const all = Array.from({ length: n }, (_, i) => i);
  const stat = draw(all, 4096, rand);
  const sStat = Float64Array.from(stat, (i) => sTr[i]!);
  const aucs: Record<string, number> = { base: 100 * aucRoc(sTe, yTe) };
  const zS = zs(sTe, sStat);
  const cut = Float64Array.from(sTr).sort()[Math.floor(0.8 * (n - 1))]!;
  const pools: Record<string, number[]> = { all, clean: all.filter((i) => sTr[i]! <= cut) };
  const zTe = ae.encode(xTe), zStat = ae.encode(rowsOf(xTr, d, stat)), L = zTe.length / test.length;
  for (const R of opts.R.split(',').map(Number)) {
    for (const p of opts.ref.split(',')) {
      const ref = draw(pools[p]!, R, rand), nr = ref.length;
      const zR = ae.encode(rowsOf(xTr, d, ref));
      const inv = new Float64Array(L).fill(1);
      if (opts.scale === 'sd') for (let l = 0; l < L; l++) {
        let a = 0, b = 0; for (let i = 0; i < nr; i++) { a += zR[i * L + l]!; b += zR[i * L + l]! ** 2; }
        const mu = a / nr; inv[l] = 1 / Math.max(1e-12, b / nr - mu * mu);
      }
      const needLof = TERMS.some((x) => x.startsWith('lof'));
      const refLrd = new Map<number, { kd: Float64Array; lrd: Float64Array }>();
      if (needLof) {
        const rr = knn(zR, nr, zR, nr, L, inv, ref, ref);
        for (const x of TERMS) if (x.startsWith('lof')) { const k = Number(x.slice(3)); refLrd.set(k, lrdOf(rr, nr, k)); }
      }
      const qTe = knn(zTe, test.length, zR, nr, L, inv), qSt = knn(zStat, stat.length, zR, nr, L, inv, stat, ref);
      for (const x of TERMS) {
        const tt = term(x, qTe, test.length, refLrd), ts = term(x, qSt, stat.length, refLrd);
        const zT = zs(tt, ts), key = `${p}${R}:${x}`;
        aucs[`${key}`] = 100 * aucRoc(zT, yTe);
        for (const w of WEIGHTS) aucs[`${key}+${w}`] = 100 * aucRoc(zS.map((v, i) => v + w * zT[i]!), yTe);
      }
    }
  }
  ae.dispose();
  return { aucs, ms, knnMs: performance.now() - k0 };
}

const names = opts.tables.split(',');
const seeds = Array.from({ length: Number(opts.seeds) }, (_, i) => i + Number(opts.firstSeed));
const res: Record<string, Record<string, number>> = {};
const times: Record<string, [number, number]> = {};
for (const name of names) {
  const t = loadTable(opts.data, name);
  const acc: Record<string, number[]> = {};
  let ms = 0, kms = 0;
  for (const s of seeds) {
    const r = await run(t, s);
    ms += r.ms / seeds.length; kms += r.knnMs / seeds.length;
    for (const [k, v] of Object.entries(r.aucs)) (acc[k] ??= []).push(v);
  }
  res[name] = Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, v.reduce((a, b) => a + b, 0) / v.length]));
  times[name] = [ms, kms];
  console.error(`${name} base ${res[name]!.base!.toFixed(2)} fit ${ms.toFixed(0)} ms, knn (TS) ${kms.toFixed(0)} ms`);
}
console.log(`\nproto-r6 seeds ${seeds.join(',')} scale ${opts.scale}`);
console.log(`${'variant'.padEnd(24)}${names.map((n) => n.slice(0, 7).padStart(8)).join('')}    mean`);
for (const c of Object.keys(res[names[0]!]!)) {
  const v = names.map((n) => res[n]![c]!);
  console.log(`${c.padEnd(24)}${v.map((a) => a.toFixed(2).padStart(8)).join('')}${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(2).padStart(8)}`);
}
console.log(`fit ms${' '.repeat(18)}${names.map((n) => times[n]![0].toFixed(0).padStart(8)).join('')}`);
console.log(`knn ms${' '.repeat(18)}${names.map((n) => times[n]![1].toFixed(0).padStart(8)).join('')}`);
