// round 26 screen: a spectral-residual stream beside the autoencoder (Ren et al. 2019, "Time-Series Anomaly Detection
// Service at Microsoft"), emulated. For each point t: the last N - M values, then M values extrapolated from the last
// M's mean slope (the paper's trick, so that t is not at the window's edge); the window's log amplitude spectrum less
// its Q-point moving average is the spectral residual; back through the inverse transform with the original phases it
// gives the saliency map S; the point's value is (S_t - m) / m, m the mean of S over the Z points before t. It is
// local: a spike scores by its neighbourhood, not by the range seen, which the model's errors are scaled by (the
// in-range spikes after larger ones among the windows ARTime finds and we miss). Then stream.ts: its likelihood,
// joined to the model's raw scores, the shipped rules, seeds 1-8.
// LOOK=1: the stream at the 8 windows ARTime finds and we miss instead (stream.ts look).
// Usage: [N=64 M=5 Q=3 Z=21 COMB WT START LOG GATE FOLD SEEDS] npx tsx tools/nab/r26/sr.ts
import { cached, likelihood, likelihoodKey, look, screen } from './stream.js';
const N = Number(process.env.N ?? 64), M = Number(process.env.M ?? 5), Q = Number(process.env.Q ?? 3), Z = Number(process.env.Z ?? 21);
const cosT = Float64Array.from({ length: N * N }, (_, k) => Math.cos((2 * Math.PI * (k % N) * Math.floor(k / N)) / N));
const sinT = Float64Array.from({ length: N * N }, (_, k) => Math.sin((2 * Math.PI * (k % N) * Math.floor(k / N)) / N));
/** the saliency map of x (length N) into S */
function saliency(x: Float64Array, S: Float64Array, re: Float64Array, im: Float64Array, lg: Float64Array): void {
  for (let f = 0; f < N; f++) { let a = 0, b = 0; for (let j = 0; j < N; j++) { a += x[j]! * cosT[f * N + j]!; b -= x[j]! * sinT[f * N + j]!; } re[f] = a; im[f] = b; lg[f] = Math.log(Math.hypot(a, b) + 1e-8); }
  for (let f = 0; f < N; f++) {
    let s = 0, c = 0; for (let k = f - (Q >> 1); k <= f + (Q >> 1); k++) if (k >= 0 && k < N) { s += lg[k]!; c++; }
    const amp = Math.hypot(re[f]!, im[f]!), r = Math.exp(lg[f]! - s / c);
    if (amp > 0) { re[f] = re[f]! / amp * r; im[f] = im[f]! / amp * r; } else { re[f] = 0; im[f] = 0; }
  }
  for (let j = 0; j < N; j++) { let a = 0, b = 0; for (let f = 0; f < N; f++) { a += re[f]! * cosT[f * N + j]! - im[f]! * sinT[f * N + j]!; b += re[f]! * sinT[f * N + j]! + im[f]! * cosT[f * N + j]!; } S[j] = Math.hypot(a, b) / N; }
}
function srStream(v: Float64Array): Float64Array {
  const n = v.length, out = new Float64Array(n).fill(NaN), R = N - M;
  const x = new Float64Array(N), S = new Float64Array(N), re = new Float64Array(N), im = new Float64Array(N), lg = new Float64Array(N);
  for (let t = R - 1; t < n; t++) {
    for (let j = 0; j < R; j++) x[j] = v[t - R + 1 + j]! - v[t]!;
    let g = 0; for (let i = 1; i <= M; i++) g += (x[R - 1]! - x[R - 1 - i]!) / i; g /= M;
    const ext = x[R - M]! + g * M; for (let j = R; j < N; j++) x[j] = ext;
    saliency(x, S, re, im, lg);
    let m = 0; for (let j = R - 1 - Z; j < R - 1; j++) m += S[j]!; m /= Z;
    out[t] = (S[R - 1]! - m) / (m + 1e-8);
  }
  return out;
}
export const srL = cached('/tmp/r26/sr', { N, M, Q, Z, ...likelihoodKey() }, (s) => likelihood(srStream(s.values)));
if (process.argv[1]?.endsWith('sr.ts')) {
  if (process.env.LOOK) look(srL); else console.log(screen(srL, `sr N ${N} M ${M} Q ${Q} Z ${Z}`));
}
