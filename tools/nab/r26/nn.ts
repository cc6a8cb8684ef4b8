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
// START, LOG, GATE, MIN, HIST, COMB, WT, FOLD: stream.ts (START: the first distances, with little to compare with, are large).
// F > 1: the same on the means of F-point blocks (a point that ends a block takes it).
// LOOK=1: the stream at the 8 windows ARTime finds and we miss instead (stream.ts look).
// Usage: [W=32 H=2000 KIND=raw|demean COMB=max|mean WT=1 F=1 SEEDS=1,...,8] npx tsx tools/nab/r26/nn.ts
import { likelihood, likelihoodKey, negLogTail, cached, look, screen, env } from './stream.js';
const W = Number(process.env.W ?? 32), H = Number(process.env.H ?? 2000), KIND = process.env.KIND ?? 'raw';
const F = Number(process.env.F ?? 1), CAL = process.env.CAL ?? 'past';
const { MIN, LOG } = env;

/** each point's distance to its nearest earlier window (d), and with CAL=self its like-with-like likelihood (self) */
function novelty(v: Float64Array): { d: Float64Array; self: Float64Array } {
  const n = v.length, d = new Float64Array(n).fill(NaN);
  const x = Float64Array.from(v, (a) => a - v[0]!);
  const pre = new Float64Array(n + 1), pre2 = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) { pre[i + 1] = pre[i]! + x[i]!; pre2[i + 1] = pre2[i]! + x[i]! * x[i]!; }
  let lo = x[0]!, hi = x[0]!;
  const mp = new Float64Array(n).fill(Infinity);
  const Ls = new Float64Array(n);
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
        Ls[t] = negLogTail((y - mu) / sd);
      }
    }
  }
  return { d, self: Ls };
}
function blockMeans(v: Float64Array): Float64Array { const m = Math.floor(v.length / F), o = new Float64Array(m); for (let b = 0; b < m; b++) { let s = 0; for (let j = 0; j < F; j++) s += v[b * F + j]!; o[b] = s / F; } return o; }
export const nnL = cached('/tmp/r26/nn', { W, H, KIND, F, CAL, ...likelihoodKey() }, (s) => {
  const lik = (v: Float64Array) => { const { d, self } = novelty(v); return CAL === 'self' ? self : likelihood(d, F); };
  if (F === 1) return lik(s.values);
  const Lb = lik(blockMeans(s.values)), L = new Float64Array(s.values.length); for (let b = 0; b < Lb.length; b++) L[b * F + F - 1] = Lb[b]!;
  return L;
});
if (process.argv[1]?.endsWith('nn.ts')) {
  if (process.env.LOOK) look(nnL); else console.log(screen(nnL, `W ${W} H ${H} ${KIND} F ${F} cal ${CAL}`));
}
