// streams7.ts: round 7's screening (tools/nab/tries.md, Round 7) on round 6's dumps (/tmp/nab6d/s1..s3,
// tools/nab/dump-streams.patch): the shipped three streams (window, prediction, two-step at 0.25)
// re-made in float64 (tools/nab/streams.ts), then post-processing ideas on their combined -ln Q and
// new streams computed from the corpus values (context novelty). Evaluation code only.
// Usage: SEEDS=s1,s2,s3 [ONLY=substring] npx tsx tools/nab/streams7.ts
import { readFileSync } from 'node:fs';
import { loadCorpus } from './corpus.js';
import { HALF, evaluateOn, lnf, stream } from './likelihood.js';
const corpus = loadCorpus();
type Dump = { score: Float32Array; werr: Float32Array; sq1: Float32Array; sq2: Float32Array; spatial: Float32Array };
function loadDump(name: string): Dump[] {
  return corpus.map((s, i) => {
    const b = readFileSync(`/tmp/nab6d/${name}/${i}.f32`);
    const a = new Float32Array(b.buffer, b.byteOffset, b.length / 4).slice();
    const n = s.values.length;
    const ch = (k: number) => a.subarray(k * n, (k + 1) * n);
    return { score: ch(0), werr: ch(1), sq1: ch(2), sq2: ch(3), spatial: ch(5) };
  });
}
type Fin = { K?: number; theta?: number; m?: number; runFirst?: boolean; margin?: number };
function finish(L: ArrayLike<number>, spatial: ArrayLike<number>, o: Fin = {}, warm = 128): Float32Array {
  const K = o.K ?? 600;
  const n = L.length, raw = new Float32Array(n), out = new Float32Array(n);
  for (let c = 0; c < n; c++) raw[c] = spatial[c] ? 1 : Math.fround(L[c]! / (L[c]! + HALF));
  let lastHot = -1e9;
  for (let c = 0; c < n; c++) {
    if (c + 1 < warm) { out[c] = 0; continue; }
    let top = 0;
    for (let j = Math.max(warm - 1, c - K); j < c; j++) top = Math.max(top, raw[j]!);
    let s = raw[c]! <= top ? Math.fround(raw[c]! * 0.5) : raw[c]!;
    if (o.theta !== undefined && o.runFirst) {
      // only the first point of a run of hot raw scores counts whole
      if (raw[c - 1]! >= o.theta && s < 1) s = Math.fround(raw[c]! * 0.5);
    } else if (o.theta !== undefined) {
      // refractory: within m points after a raw score >= theta, a score counts half (unless a range-check 1, or above the last hot score by margin)
      if (c - lastHot <= o.m! && s < 1 && !(o.margin !== undefined && raw[c]! > raw[lastHot]! + o.margin)) s = Math.fround(raw[c]! * 0.5);
      if (raw[c]! >= o.theta) lastHot = c;
    }
    out[c] = s;
  }
  return out;
}
const evaluate = (scores: ArrayLike<number>[]) => evaluateOn(corpus, scores);
const seeds = (process.env.SEEDS ?? 's1,s2,s3').split(',');
const only = process.env.ONLY;
const dumps = seeds.map(loadDump);
// the shipped streams, per seed and file
const base = dumps.map((ds) => ds.map((d) => ({ L1: stream(d.werr, 1), L2: stream(lnf(d.sq1), 3), L3: stream(lnf(d.sq2), 3) })));
const kept = (b: { L1: Float64Array; L2: Float64Array; L3: Float64Array }) => b.L1.map((x, j) => (x + b.L2[j]! + 0.25 * b.L3[j]!) / 2.25);
type Ctx = { d: Dump; i: number; s: number; b: (typeof base)[0][0]; L: Float64Array };
const variants: [string, (c: Ctx) => ArrayLike<number>, Fin?][] = [];
const add = (name: string, f: (c: Ctx) => ArrayLike<number>, fin?: Fin) => variants.push([name, f, fin]);
add('kept default (reproduce)', (c) => c.L);

// ---- idea 1: per-series self-calibration of L
/** L transformed against the running statistics of the L's before it (only where the streams have started: L's of points with werr defined) */
function selfCal(L: Float64Array, ok: Float32Array, N: number, kind: 'mean' | 'rms' | 'q' | 'medsub' | 'meansub', q = 0.9, alpha = 1): Float64Array {
  const out = new Float64Array(L.length);
  const ring = new Float64Array(N); let e = 0, s = 0, s2 = 0;
  const sorted: number[] = [];
  for (let c = 0; c < L.length; c++) {
    if (Number.isNaN(ok[c]!)) continue;
    const x = L[c]!, have = Math.min(e, N);
    if (have >= 100) {
      let ref: number;
      if (kind === 'mean') ref = s / have;
      else if (kind === 'rms') ref = Math.sqrt(Math.max(s2 / have, 0));
      else if (kind === 'medsub' || kind === 'q') ref = sorted[Math.min(have - 1, Math.floor((kind === 'medsub' ? 0.5 : q) * have))]!;
      else ref = s / have;
      if (kind === 'medsub' || kind === 'meansub') out[c] = Math.max(x - alpha * ref, 0);
      else out[c] = x / Math.pow(Math.max(ref, 1e-3), alpha);
    }
    // join the history
    if (e >= N) { const old = ring[e % N]!; s -= old; s2 -= old * old; if (kind === 'q' || kind === 'medsub') sorted.splice(lowerBound(sorted, old), 1); }
    ring[e % N] = x; s += x; s2 += x * x; e++;
    if (kind === 'q' || kind === 'medsub') sorted.splice(lowerBound(sorted, x), 0, x);
  }
  return out;
}
function lowerBound(a: number[], x: number): number { let lo = 0, hi = a.length; while (lo < hi) { const m = (lo + hi) >> 1; if (a[m]! < x) lo = m + 1; else hi = m; } return lo; }
for (const N of [2000, 8000]) for (const a of [0.5, 1]) add(`1: L / mean(L over last ${N})^${a}`, (c) => selfCal(c.L, c.d.werr, N, 'mean', 0, a));
for (const N of [2000, 8000]) add(`1: L / rms(L over last ${N})`, (c) => selfCal(c.L, c.d.werr, N, 'rms'));
for (const N of [2000, 8000]) for (const q of [0.9, 0.99]) add(`1: L / q${q}(L over last ${N})`, (c) => selfCal(c.L, c.d.werr, N, 'q', q));
for (const N of [2000, 8000]) add(`1: L - median(L over last ${N})`, (c) => selfCal(c.L, c.d.werr, N, 'medsub'));
for (const N of [2000, 8000]) add(`1: L - mean(L over last ${N})`, (c) => selfCal(c.L, c.d.werr, N, 'meansub'));

// ---- idea 2: refractory after a hot raw score
for (const th of [0.3, 0.35, 0.4]) for (const m of [3, 10, 30]) add(`2: refractory theta ${th} m ${m}`, (c) => c.L, { theta: th, m });
for (const th of [0.35, 0.4]) for (const m of [10, 30]) add(`2: refractory theta ${th} m ${m} unless +0.05`, (c) => c.L, { theta: th, m, margin: 0.05 });
for (const th of [0.3, 0.35, 0.4]) add(`2: run-first theta ${th} (m 1 from the run's first)`, (c) => c.L, { theta: th, m: 1, runFirst: true });

// round 7b: the refractory grid
for (const th of [0.38, 0.4, 0.42, 0.45]) for (const mg of [0.02, 0.05, 0.1]) for (const m of [10, 30, 100]) add(`2b: refractory theta ${th} m ${m} unless +${mg}`, (c) => c.L, { theta: th, m, margin: mg });
for (const m of [30]) add(`2b: L / mean8000^0.5 + refractory theta 0.4 m ${m} unless +0.05`, (c) => selfCal(c.L, c.d.werr, 8000, 'mean', 0, 0.5), { theta: 0.4, m, margin: 0.05 });
// round 7c: finer grid
for (const th of [0.36, 0.38, 0.39, 0.4, 0.41]) for (const mg of [0.03, 0.04, 0.06, 0.07]) add(`2c: refractory theta ${th} m 30 unless +${mg}`, (c) => c.L, { theta: th, m: 30, margin: mg });
add(`2c: refractory theta 0.4 m 30 unless +0.05, one-alarm span 1200`, (c) => c.L, { theta: 0.4, m: 30, margin: 0.05, K: 1200 });
// round 7d: span at margin 0.04
for (const m of [5, 10, 60, 100, 300]) add(`2d: refractory theta 0.4 m ${m} unless +0.04`, (c) => c.L, { theta: 0.4, m, margin: 0.04 });
// ---- idea 4: context novelty (a Markov model over quantised values)
/** -ln P(s_c | s_{c-k+1..c-1}) (add-a smoothing) of the quantised series, NaN where werr is NaN (so the stream starts with the others); bins over the running [min, max] */
function novelty(v: Float64Array, ok: Float32Array, bins: number, k: number, a = 1, diff = false): Float32Array {
  const out = new Float32Array(v.length).fill(NaN);
  const cnt = new Map<string, number>(), pre = new Map<string, number>();
  let lo = Infinity, hi = -Infinity; const sym: number[] = [];
  for (let c = 0; c < v.length; c++) {
    const x = diff ? (c > 0 ? v[c]! - v[c - 1]! : 0) : v[c]!;
    lo = Math.min(lo, x); hi = Math.max(hi, x);
    const s = hi > lo ? Math.min(bins - 1, Math.floor((x - lo) / (hi - lo) * bins)) : 0;
    sym.push(s);
    if (c + 1 < k) continue;
    const p = sym.slice(c - k + 1, c).join(','), key = `${p}|${s}`;
    const nc = cnt.get(key) ?? 0, np = pre.get(p) ?? 0;
    if (!Number.isNaN(ok[c]!)) out[c] = Math.log((np + a * bins) / (nc + a));
    cnt.set(key, nc + 1); pre.set(p, np + 1);
  }
  return out;
}
const w4 = (b: Ctx['b'], X: Float64Array, w: number) => b.L1.map((x, j) => (x + b.L2[j]! + 0.25 * b.L3[j]! + w * X[j]!) / (2.25 + w));
for (const bins of [8, 16]) for (const k of [3, 5]) for (const w of [0.25, 1]) add(`4: novelty bins ${bins} order ${k}, LS3, weight ${w}`, (c) => w4(c.b, stream(novelty(corpus[c.i]!.values, c.d.werr, bins, k), 3), w));
for (const w of [0.25, 0.5]) add(`4: novelty of differences bins 16 order 3, LS3, weight ${w}`, (c) => w4(c.b, stream(novelty(corpus[c.i]!.values, c.d.werr, 16, 3, 1, true), 3), w));

// round 7e: a second resolution (tools/nab/multires.ts): the aggregated detector's L (from its score_of(L)), held from its block's last point
const R7: Fin = { theta: 0.4, m: 30, margin: 0.04 };
add('7e: new default (refractory 30 / 0.4 / 0.04)', (c) => c.L, R7);
import { existsSync } from 'node:fs';
function aggL(F: number, s: number, i: number, n: number, hold: boolean): Float64Array {
  const b = readFileSync(`/tmp/nab7-agg/f${F}-s${s + 1}/${i}.f32`);
  const a = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  const out = new Float64Array(n);
  for (let k = 0; k < a.length; k++) {
    const L = HALF * a[k]! / (1 - a[k]!);
    if (hold) for (let j = k * F + F - 1; j < Math.min(n, (k + 1) * F + F - 1); j++) out[j] = L;
    else out[k * F + F - 1] = L;
  }
  return out;
}
for (const F of [4, 8]) {
  if (!existsSync(`/tmp/nab7-agg/f${F}-s3`)) continue;
  for (const w of [0.25, 0.5, 1]) add(`7e: F ${F} held, 4th stream weight ${w}`, (c) => w4(c.b, aggL(F, c.s, c.i, c.L.length, true), w), R7);
  add(`7e: F ${F} at block ends only, weight 0.5`, (c) => w4(c.b, aggL(F, c.s, c.i, c.L.length, false), 0.5), R7);
  add(`7e: F ${F} held, max(L, Lagg)`, (c) => { const A = aggL(F, c.s, c.i, c.L.length, true); return c.L.map((x, j) => Math.max(x, A[j]!)); }, R7);
  add(`7e: F ${F} held, max(L, Lagg) at block ends only`, (c) => { const A = aggL(F, c.s, c.i, c.L.length, false); return c.L.map((x, j) => Math.max(x, A[j]!)); }, R7);
}
for (const [name, f, fin] of variants) {
  if (only && !name.includes(only) && !name.startsWith('kept')) continue;
  const t0 = performance.now();
  const res = dumps.map((ds, s) => evaluate(ds.map((d, i) => finish(f({ d, i, s, b: base[s]![i]!, L: kept(base[s]![i]!) }), d.spatial, fin))));
  const m = [0, 1, 2].map((j) => res.reduce((a, r) => a + r.v[j]!, 0) / res.length);
  const mc = res[0]!.cats.map((_, j) => res.reduce((a, r) => a + r.cats[j]!, 0) / res.length);
  console.log(`${m.map((x) => x.toFixed(1).padStart(6)).join('')} | ${mc.map((x) => x.toFixed(1).padStart(5)).join('')} | std per seed ${res.map((r) => r.v[0]!.toFixed(1)).join(' / ')}  ${name}  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
