// round 26 screen: a nearest-neighbour (discord) stream beside the autoencoder, emulated. For each point t, the
// window of the W values ending at t is compared with every earlier window ending in [t - H, t - X] (X = W: no
// overlap); its distance to the nearest one (RMS, over the range seen so far; KIND=demean: both windows less their
// means, a shape at any level) is the point's novelty. Its likelihood L = -ln Q (Q the normal tail under the mean
// and deviation of the last 8000 distances, from MIN of them) joins the model's: COMB=max: the score is the larger
// of the model's raw score and L / (L + ln 1e5) times WT; COMB=mean: L enters the model's weighted mean of -ln Q
// with weight WT (the model's weights sum to 2.25). Then the shipped rules and the confirmed ramp
// (r21/feed.ts `pipe`, {"agree":0.2857,"modelOnly":true}, which gives each seed's shipped figures exactly).
// CAL=self: each window in the history keeps its distance to its nearest other window so far (either side), and the new
// window's distance is scored under their mean and deviation (like with like; no START).
// GATE: the stream counts only where the model's raw score is at least GATE (the two agree).
// LOG > 0: the likelihood of ln(distance + LOG) instead.
// START: distances enter the likelihood's history from that point on (the first ones, with little to compare with, are large).
// F > 1: the same on the means of F-point blocks (a point that ends a block takes it).
// Usage: [W=32 H=2000 KIND=raw|demean COMB=max|mean WT=1 F=1 SEEDS=1,...,8] npx tsx tools/nab/r26/nn.ts
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { corpus, load, evalAll } from '../r21/emu.js';
import { pipe } from '../r21/feed.js';
import { HALF } from '../likelihood.js';
const W = Number(process.env.W ?? 32), H = Number(process.env.H ?? 2000), KIND = process.env.KIND ?? 'raw';
const COMB = process.env.COMB ?? 'max', WT = Number(process.env.WT ?? 1), F = Number(process.env.F ?? 1);
const MIN = Number(process.env.MIN ?? 128), HIST = Number(process.env.HIST ?? 8000), WARM = 128, START = Number(process.env.START ?? 0), LOG = Number(process.env.LOG ?? 0), CAL = process.env.CAL ?? 'past', GATE = Number(process.env.GATE ?? 0);
const seeds = (process.env.SEEDS ?? '1,2,3,4,5,6,7,8').split(',').map(Number);
const cache = '/tmp/r26/nn'; mkdirSync(cache, { recursive: true });
const RAW = { suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 };
const V = { agree: 0.2857, modelOnly: true };

/** normal upper tail, Abramowitz-Stegun 7.1.26 through erfc (screening only) */
function tail(z: number): number {
  if (z < 0) return 1 - tail(-z);
  const x = z / Math.SQRT2, t = 1 / (1 + 0.3275911 * x);
  const e = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return Math.max(0.5 * e, 1e-300);
}
/** distance to the nearest earlier window, over the range seen so far (NaN before there is one) */
let Ls = new Float64Array(0);
function novelty(v: Float64Array): Float64Array {
  const n = v.length, d = new Float64Array(n).fill(NaN);
  const x = Float64Array.from(v, (a) => a - v[0]!);
  const pre = new Float64Array(n + 1), pre2 = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) { pre[i + 1] = pre[i]! + x[i]!; pre2[i + 1] = pre2[i]! + x[i]! * x[i]!; }
  let lo = x[0]!, hi = x[0]!;
  const mp = new Float64Array(n).fill(Infinity);
  Ls = new Float64Array(n);
  const qt = new Float64Array(H + 1); // qt[k] = dot(window ending t, window ending t - k)
  for (let t = 0; t < n; t++) {
    lo = Math.min(lo, x[t]!); hi = Math.max(hi, x[t]!);
    if (t < W - 1 + W) continue;
    const fresh = t % 256 === 0 || t === 2 * W - 1;
    const kmax = Math.min(H, t - (W - 1));
    for (let k = W; k <= kmax; k++) {
      if (fresh || k > Math.min(H, t - 1 - (W - 1))) { let s = 0; for (let j = 0; j < W; j++) s += x[t - j]! * x[t - k - j]!; qt[k] = s; }
      else qt[k] = qt[k]! + x[t]! * x[t - k]! - x[t - W]! * x[t - W - k]!;
    }
    const sA = pre[t + 1]! - pre[t + 1 - W]!, qA = pre2[t + 1]! - pre2[t + 1 - W]!;
    let best = Infinity;
    for (let k = W; k <= kmax; k++) {
      const e = t - k, sB = pre[e + 1]! - pre[e + 1 - W]!, qB = pre2[e + 1]! - pre2[e + 1 - W]!;
      let s2 = qA + qB - 2 * qt[k]!;
      if (KIND === 'demean') s2 -= (sA - sB) * (sA - sB) / W;
      if (s2 < best) best = s2;
    }
    const range = hi - lo;
    d[t] = range > 0 ? Math.sqrt(Math.max(0, best) / W) / range : 0;
    if (CAL === 'self') {
      // every window in the history keeps its distance to its nearest other window (either side, no overlap) up to now;
      // the new window's distance is scored against theirs, all taken over the same history
      for (let k = W; k <= kmax; k++) {
        const e = t - k, sB = pre[e + 1]! - pre[e + 1 - W]!, qB = pre2[e + 1]! - pre2[e + 1 - W]!;
        let s2 = qA + qB - 2 * qt[k]!; if (KIND === 'demean') s2 -= (sA - sB) * (sA - sB) / W;
        if (s2 < mp[e]!) mp[e] = s2;
      }
      mp[t] = best;
      const from = Math.max(2 * W - 1, t - H);
      if (t - from >= MIN) {
        let m1 = 0, m2 = 0, c = 0;
        for (let e = from; e < t; e++) { const y = LOG > 0 ? Math.log(Math.sqrt(Math.max(0, mp[e]!) / W) / (range || 1) + LOG) : Math.sqrt(Math.max(0, mp[e]!) / W) / (range || 1); m1 += y; m2 += y * y; c++; }
        const mu = m1 / c, sd = Math.sqrt(Math.max(m2 / c - mu * mu, 1e-12)), y = LOG > 0 ? Math.log(d[t]! + LOG) : d[t]!;
        Ls[t] = -Math.log(tail((y - mu) / sd));
      }
    }
  }
  return d;
}
function blockMeans(v: Float64Array): Float64Array { const m = Math.floor(v.length / F), o = new Float64Array(m); for (let b = 0; b < m; b++) { let s = 0; for (let j = 0; j < F; j++) s += v[b * F + j]!; o[b] = s / F; } return o; }
/** -ln Q of each distance under the last HIST distances before it */
function likelihood(d: Float64Array): Float64Array {
  const L = new Float64Array(d.length), ring: number[] = [];
  let s = 0, q = 0;
  for (let t = 0; t < d.length; t++) {
    const x0 = d[t]!; if (Number.isNaN(x0) || t < START / F) continue; const x = LOG > 0 ? Math.log(x0 + LOG) : x0;
    if (ring.length >= MIN) { const mu = s / ring.length, sd = Math.sqrt(Math.max(q / ring.length - mu * mu, 1e-12)); L[t] = -Math.log(tail((x - mu) / sd)); }
    ring.push(x); s += x; q += x * x;
    if (ring.length > HIST) { const y = ring.shift()!; s -= y; q -= y * y; }
  }
  return L;
}
const nnL: Float64Array[] = corpus.map((s) => {
  const key = createHash('sha1').update(JSON.stringify(CAL === 'self' ? { W, H, KIND, F, MIN, LOG, CAL } : LOG ? { W, H, KIND, F, MIN, HIST, START, LOG } : START ? { W, H, KIND, F, MIN, HIST, START } : { W, H, KIND, F, MIN, HIST })).update(s.name).digest('hex').slice(0, 16);
  const f = `${cache}/${key}.f64`;
  if (existsSync(f)) { const b = readFileSync(f); return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)); }
  let L: Float64Array;
  const lik = (v: Float64Array) => { const d = novelty(v); return CAL === 'self' ? Ls : likelihood(d); };
  if (F === 1) L = lik(s.values);
  else { const Lb = lik(blockMeans(s.values)); L = new Float64Array(s.values.length); for (let b = 0; b < Lb.length; b++) L[b * F + F - 1] = Lb[b]!; }
  writeFileSync(f, Buffer.from(L.buffer));
  return L;
});
const Lof = (r: number) => (r < 1 ? HALF * r / (1 - r) : Infinity);
const res: { v: number[]; cats: number[] }[] = [];
for (const seed of seeds) {
  const raws = load({ seed, ...RAW });
  const out = raws.map((raw, i) => {
    const r = raw.slice(), L = nnL[i]!;
    for (let c = 0; c < r.length; c++) {
      if (c + 1 < WARM || !(L[c]! > 0) || !(r[c]! > 0) || r[c]! >= 1 || r[c]! < GATE) continue; // only where the model scores
      if (COMB === 'max') { const x = Math.fround(WT * L[c]! / (L[c]! + HALF)); if (x > r[c]!) r[c] = x; }
      else { const Lm = (2.25 * Lof(r[c]!) + WT * L[c]!) / (2.25 + WT); r[c] = Math.fround(Lm / (Lm + HALF)); }
    }
    return pipe(i, r, V);
  });
  const FOLD = process.env.FOLD; // even | odd: score only those files (a two-fold check of a setting)
  res.push(FOLD ? evalAll(out, corpus.map((_, i) => i).filter((i) => i % 2 === (FOLD === 'odd' ? 1 : 0))) : evalAll(out));
}
const m = (k: number) => res.reduce((x, r) => x + r.v[k]!, 0) / res.length;
console.log(`${[0, 1, 2].map((k) => m(k).toFixed(3)).join(' / ')} | ${res.map((r) => r.v[0]!.toFixed(2)).join(' ')} | cats ${res[0]!.cats.map((_, k) => (res.reduce((x, r) => x + r.cats[k]!, 0) / res.length).toFixed(1)).join(' ')}  W ${W} H ${H} ${KIND} ${COMB} wt ${WT} F ${F} min ${MIN} hist ${HIST} start ${START} log ${LOG} cal ${CAL} gate ${GATE}${process.env.FOLD ? ' fold ' + process.env.FOLD : ''}`);
