// streams.ts: round 6's screening of new likelihood streams (tools/nab/tries.md, Round 6) on the
// dumps of tools/nab/dump-streams.patch (per point: the shipped score, the window error, the
// squared errors of the newest point predicted 1, 2, 3, 4 steps ahead, the squared first
// difference, the range-check flag, the normaliser's spread). A float64 copy of the likelihood
// streams, the range check and the one-alarm rule (assembly/series.ts) turns them into scores; on
// the shipped streams it reproduces the shipped NAB numbers exactly. Evaluation code only.
// Usage: SEEDS=s1,s2,s3 [ONLY=substring] npx tsx tools/nab/streams.ts [--halved]
//   (the seeds are the dump names under /tmp/nab6d; --halved: which missed windows the one-alarm rule halved)
import { readFileSync } from 'node:fs';
import { loadCorpus } from './corpus.js';
import { PROFILES, normalise, optimizeThreshold, scoreFile, sweepRows, type ScoredFile } from './scorer.js';
import { HALF, evaluateOn, lnf, stream } from './likelihood.js';
export { HALF, lnf, stream };
export const corpus = loadCorpus();
export const nw = corpus.reduce((a, s) => a + new Set([...sweepRows(s.values.length, s.windows, PROFILES[0]!).window].filter((w) => w >= 0)).size, 0);
export type Dump = { score: Float32Array; werr: Float32Array; sq1: Float32Array; sq2: Float32Array; dd: Float32Array; spatial: Float32Array; std: Float32Array; sq3?: Float32Array; sq4?: Float32Array };
export function loadDump(name: string): Dump[] {
  return corpus.map((s, i) => {
    const b = readFileSync(`/tmp/nab6d/${name}/${i}.f32`);
    const a = new Float32Array(b.buffer, b.byteOffset, b.length / 4).slice();
    const n = s.values.length;
    const ch = (k: number) => a.subarray(k * n, (k + 1) * n);
    const nch = a.length / n; return { sq3: nch > 7 ? ch(7) : undefined, sq4: nch > 7 ? ch(8) : undefined, score: ch(0), werr: ch(1), sq1: ch(2), sq2: ch(3), dd: ch(4), spatial: ch(5), std: ch(6) };
  });
}
export function finish(L: ArrayLike<number>, spatial: ArrayLike<number>, warm = 128, K = 600, f = 0.5): Float32Array {
  const n = L.length, raw = new Float32Array(n), out = new Float32Array(n);
  for (let c = 0; c < n; c++) raw[c] = spatial[c] ? 1 : Math.fround(L[c]! / (L[c]! + HALF));
  for (let c = 0; c < n; c++) {
    if (c + 1 < warm) { out[c] = 0; continue; }
    let top = 0;
    for (let j = Math.max(warm - 1, c - K); j < c; j++) top = Math.max(top, raw[j]!);
    out[c] = raw[c]! <= top ? Math.fround(raw[c]! * f) : raw[c]!;
  }
  return out;
}
export const evaluate = (scores: ArrayLike<number>[]) => evaluateOn(corpus, scores);
const seeds = (process.env.SEEDS ?? 's1').split(',');
const HALF_AT = HALF;
const only = process.env.ONLY;
const dumps = seeds.map(loadDump);
type V = [string, (d: Dump, i: number) => ArrayLike<number>];
const mean = (...xs: Float64Array[]) => xs[0]!.map((_, j) => xs.reduce((a, x) => a + x[j]!, 0) / xs.length);
// per-file cached base streams
const cache = new Map<string, Float64Array>();
const memo = (k: string, f: () => Float64Array) => { let v = cache.get(k); if (!v) { v = f(); cache.set(k, v); } return v; };
const B = (d: Dump, i: number, s: number) => ({
  L1: memo(`L1${s}.${i}`, () => stream(d.werr, 1)),
  L2: memo(`L2${s}.${i}`, () => stream(lnf(d.sq1), 3)),
});
/** sq / mean of the M sq's before it */
function localRatio(sq: Float32Array, M: number, floor: number): Float32Array {
  const out = new Float32Array(sq.length).fill(NaN); const r: number[] = []; let s = 0;
  for (let i = 0; i < sq.length; i++) { const x = sq[i]!; if (Number.isNaN(x)) continue; if (r.length >= 8) out[i] = Math.log(floor + x / (s / r.length + 1e-6)); r.push(x); s += x; if (r.length > M) s -= r.shift()!; }
  return out;
}
let si = 0;
const variants: V[] = [];
const add = (name: string, f: (d: Dump, i: number, b: ReturnType<typeof B>) => ArrayLike<number>) => variants.push([name, (d, i) => f(d, i, B(d, i, si))]);
add('base (reproduce)', (d, i, b) => mean(b.L1, b.L2));
add('shipped scores', (d) => d.score);
for (const M of [64, 128, 256]) for (const fl of [0.1, 1]) add(`3rd: ln(${fl} + sq1 / mean of last ${M} sq1), LS1`, (d, i, b) => mean(b.L1, b.L2, stream(localRatio(d.sq1, M, fl), 1)));
for (const M of [64, 256]) add(`3rd: ln(0.1 + sq1/mean${M}), LS3`, (d, i, b) => mean(b.L1, b.L2, stream(localRatio(d.sq1, M, 0.1), 3)));
add('3rd: pred stream LS10 (HTM form)', (d, i, b) => mean(b.L1, b.L2, stream(lnf(d.sq1), 10)));
add('4 weights: L1, L2, L2-LS10 at 0.5 weight', (d, i, b) => { const L = stream(lnf(d.sq1), 10); return b.L1.map((x, j) => (x + b.L2[j]! + 0.5 * L[j]!) / 2.5); });
add('max(base, LS10 pred)', (d, i, b) => { const L = stream(lnf(d.sq1), 10); return mean(b.L1, b.L2).map((x, j) => Math.max(x, L[j]!)); });
add('3rd: window err LS10', (d, i, b) => mean(b.L1, b.L2, stream(d.werr, 10)));
add('3rd: 2-step ln(0.01+sq2) LS3', (d, i, b) => mean(b.L1, b.L2, stream(lnf(d.sq2), 3)));
add('3rd: 2-step LS1', (d, i, b) => mean(b.L1, b.L2, stream(lnf(d.sq2), 1)));
add('pred = ln(0.01 + (sq1+sq2)/2) LS3', (d, i, b) => mean(b.L1, stream(lnf(d.sq1.map((x, j) => (x + d.sq2[j]!) / 2)), 3)));
add('3rd: diff ln(0.01+dd) LS1', (d, i, b) => mean(b.L1, b.L2, stream(lnf(d.dd), 1)));
add('3rd: diff LS3', (d, i, b) => mean(b.L1, b.L2, stream(lnf(d.dd), 3)));
const w3 = (a: Float64Array, b: Float64Array, c: Float64Array, w: number) => a.map((x, j) => (x + b[j]! + w * c[j]!) / (2 + w));
for (const w of [0.25, 0.5, 2]) add(`2-step LS3 as 3rd at weight ${w}`, (d, i, b) => w3(b.L1, b.L2, stream(lnf(d.sq2), 3), w));
add('pred ln(0.01+max(sq1,sq2)) LS3', (d, i, b) => mean(b.L1, stream(lnf(d.sq1.map((x, j) => Math.max(x, d.sq2[j]!))), 3)));
add('pred avg(sq1,sq2) LS3 + 2-step LS3 3rd', (d, i, b) => mean(b.L1, stream(lnf(d.sq1.map((x, j) => (x + d.sq2[j]!) / 2)), 3), stream(lnf(d.sq2), 3)));
add('3rd: 2-step LS10', (d, i, b) => mean(b.L1, b.L2, stream(lnf(d.sq2), 10)));
for (const w of [0.25]) add(`pred LS10 as 3rd at weight ${w}`, (d, i, b) => w3(b.L1, b.L2, stream(lnf(d.sq1), 10), w));
add('3rd: pred LS5', (d, i, b) => mean(b.L1, b.L2, stream(lnf(d.sq1), 5)));
add('L2 LS3 -> (L2 LS3 + L2 LS10)/2', (d, i, b) => mean(b.L1, mean(b.L2, stream(lnf(d.sq1), 10))));
add('2-step replaces 1-step (LS3)', (d, i, b) => mean(b.L1, stream(lnf(d.sq2), 3)));
for (const w of [0.1, 0.15, 0.35]) add(`R2 2-step LS3 as 3rd at weight ${w}`, (d, i, b) => w3(b.L1, b.L2, stream(lnf(d.sq2), 3), w));
for (const ls of [2, 5]) add(`R2 2-step LS${ls} as 3rd at weight 0.25`, (d, i, b) => w3(b.L1, b.L2, stream(lnf(d.sq2), ls), 0.25));
add('R2 2-step LS3 floor 0.1 at 0.25', (d, i, b) => w3(b.L1, b.L2, stream(lnf(d.sq2, 0.1), 3), 0.25));
add('R2 2-step LS3 floor 0.001 at 0.25', (d, i, b) => w3(b.L1, b.L2, stream(lnf(d.sq2, 0.001), 3), 0.25));
const m4 = (a: Float64Array[], w: number[]) => a[0]!.map((_, j) => a.reduce((s, x, k) => s + w[k]! * x[j]!, 0) / w.reduce((s, x) => s + x, 0));
add('R3 check: 2-step LS3 at 0.25', (d, i, b) => w3(b.L1, b.L2, stream(lnf(d.sq2), 3), 0.25));
add('R3 3-step LS3 at 0.25', (d, i, b) => w3(b.L1, b.L2, stream(lnf(d.sq3!), 3), 0.25));
add('R3 4-step LS3 at 0.25', (d, i, b) => w3(b.L1, b.L2, stream(lnf(d.sq4!), 3), 0.25));
add('R3 2-step and 3-step LS3 at 0.25 each', (d, i, b) => m4([b.L1, b.L2, stream(lnf(d.sq2), 3), stream(lnf(d.sq3!), 3)], [1, 1, 0.25, 0.25]));
add('R3 2,3,4-step LS3 at 0.15 each', (d, i, b) => m4([b.L1, b.L2, stream(lnf(d.sq2), 3), stream(lnf(d.sq3!), 3), stream(lnf(d.sq4!), 3)], [1, 1, 0.15, 0.15, 0.15]));
add('R3 mean sq of 2,3,4-step LS3 at 0.25', (d, i, b) => w3(b.L1, b.L2, stream(lnf(d.sq2.map((x, j) => (x + d.sq3![j]! + d.sq4![j]!) / 3)), 3), 0.25));
add('R3 3-step LS3 at 0.5', (d, i, b) => w3(b.L1, b.L2, stream(lnf(d.sq3!), 3), 0.5));
// on the kept default (the 2-step stream at 0.25)
const kept = (d: Dump, b: ReturnType<typeof B>) => w3(b.L1, b.L2, stream(lnf(d.sq2), 3), 0.25);
add('R4 kept default (2-step LS3 at 0.25)', (d, i, b) => kept(d, b));
add('R4 kept + pred LS10 at 0.1', (d, i, b) => m4([b.L1, b.L2, stream(lnf(d.sq2), 3), stream(lnf(d.sq1), 10)], [1, 1, 0.25, 0.1]));
add('R4 kept, 2-step likelihood over the last 2000', (d, i, b) => w3(b.L1, b.L2, stream(lnf(d.sq2), 3, 2000), 0.25));
add('R4 kept, window stream weight 0.75', (d, i, b) => m4([b.L1, b.L2, stream(lnf(d.sq2), 3)], [0.75, 1, 0.25]));
for (const K of [300, 1200]) add(`R4 kept, one-alarm span ${K}`, (d, i, b) => kept(d, b));
if (!process.argv.includes('--halved')) for (const [name, f] of variants) {
  if (only && !name.includes(only) && !name.startsWith('base')) continue;
  const K = /one-alarm span (\d+)/.exec(name)?.[1];
  const res = dumps.map((ds, s) => { si = s; return evaluate(ds.map((d, i) => finish(f(d, i), d.spatial, 128, K ? Number(K) : 600))); });
  const m = [0, 1, 2].map((j) => res.reduce((a, r) => a + r.v[j]!, 0) / res.length);
  const mc = res[0]!.cats.map((_, j) => res.reduce((a, r) => a + r.cats[j]!, 0) / res.length);
  console.log(`${m.map((x) => x.toFixed(1).padStart(6)).join('')} | ${mc.map((x) => x.toFixed(1).padStart(5)).join('')} | std per seed ${res.map((r) => r.v[0]!.toFixed(1)).join(' / ')}  ${name}`);
}

// --halved: the missed windows (at the corpus threshold, standard profile) whose score before the one-alarm rule reached it
if (process.argv.includes('--halved')) for (const seed of seeds) {
  const ds = loadDump(seed);
  const Ls = ds.map((d) => { const a = stream(d.werr, 1), b = stream(lnf(d.sq1), 3); return a.map((x, j) => (x + b[j]!) / 2); });
  const fin = ds.map((d, i) => finish(Ls[i]!, d.spatial));
  const raw = ds.map((d, i) => Float32Array.from(Ls[i]!, (L, c) => d.spatial[c] ? 1 : (c + 1 < 128 ? 0 : L / (L + HALF_AT))));
  const files: ScoredFile[] = corpus.map((s, i) => ({ name: s.name, windows: s.windows, scores: fin[i]! }));
  const thr = optimizeThreshold(files, PROFILES[0]!).threshold;
  let miss = 0, halved = 0, total = 0; const names: string[] = [];
  corpus.forEach((s, i) => {
    const sw = sweepRows(s.values.length, s.windows, PROFILES[0]!);
    s.windows.forEach((w, j) => {
      total++;
      let mf = 0, mr = 0;
      for (let r = w.start_row; r <= w.end_row; r++) { if (sw.window[r]! < 0) continue; mf = Math.max(mf, fin[i]![r]!); mr = Math.max(mr, raw[i]![r]!); }
      if (mf < thr) { miss++; if (mr >= thr) { halved++; names.push(`${s.name.split('/')[1]} W${j} raw ${mr.toFixed(3)}`); } }
    });
  });
  console.log(`${seed}: threshold ${thr.toFixed(4)}, windows ${total}, missed ${miss}, of which halved by the rule ${halved}: ${names.join('; ')}`);
}
