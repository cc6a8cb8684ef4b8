// emulate the post-processing on dumped errors (evaluation-only research tool)
import { readFileSync } from 'node:fs';
import { loadCorpus } from './corpus.js';
import { PROFILES, normalise, optimizeThreshold, scoreFile, sweepRows, type ScoredFile } from './scorer.js';

export const corpus = loadCorpus();
export const nw = corpus.reduce((a, s) => a + new Set([...sweepRows(s.values.length, s.windows, PROFILES[0]!).window].filter((w) => w >= 0)).size, 0);
export function loadDump(name: string): Float32Array[] {
  return corpus.map((_, i) => { const b = readFileSync(`/tmp/nab4/dump-${name}/${i}.f32`); return new Float32Array(b.buffer, b.byteOffset, b.length / 4).slice(); });
}
const SQ = Math.SQRT1_2;
function erfc(x: number): number { // NR erfcc
  const z = Math.abs(x), t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
export function logTail(z: number): number { // ln Q(z)
  const x = z * SQ, ax = Math.abs(x), t = 1 / (1 + 0.5 * ax);
  const p = -ax * ax - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  if (x >= 0) return Math.log(0.5 * t) + p;
  return Math.log(1 - 0.5 * t * Math.exp(p));
}
void erfc;
export interface P { LS: number; LL: number; minHist: number; tol: number; K: number; supF: number; warm: number; half: number; lateLS?: number }
export const BASE: P = { LS: 1, LL: 8000, minHist: 100, tol: 0.05, K: 600, supF: 0.5, warm: 128, half: 11.512925464970229 };
export function spatialFlags(v: Float64Array, warm: number, tol: number): Uint8Array {
  const f = new Uint8Array(v.length); let lo = 0, hi = 0;
  for (let c = 0; c < v.length; c++) {
    const x = Math.fround(v[c]!);
    if (c >= warm && tol >= 0) { const sp = hi - lo; if (sp > 0 && (x > hi + tol * sp || x < lo - tol * sp)) f[c] = 1; }
    if (c === 0 || x < lo) lo = x; if (c === 0 || x > hi) hi = x;
  }
  return f;
}
/** likelihood scores (no spatial, no suppression); NaN errors -> 0 */
export function likelihood(err: Float32Array, p: P): Float64Array {
  const n = err.length, out = new Float64Array(n);
  const sring: number[] = [], hist = new Float64Array(p.LL);
  let e = 0, ssum = 0, es = 0, eq = 0;
  for (let i = 0; i < n; i++) {
    const x = err[i]!;
    if (Number.isNaN(x)) continue;
    if (sring.length >= p.LS) ssum -= sring.shift()!;
    sring.push(x); ssum += x;
    const avg = ssum / sring.length;
    const have = Math.min(e, p.LL);
    if (have >= p.minHist) {
      const mean = es / have, sd = Math.max(Math.sqrt(Math.max(eq / have - mean * mean, 0)), 1e-6);
      const L = Math.max(-logTail((avg - mean) / sd), 0);
      out[i] = L / (L + p.half);
    }
    const slot = e % p.LL;
    if (e >= p.LL) { es -= hist[slot]!; eq -= hist[slot]! ** 2; }
    hist[slot] = avg; es += avg; eq += avg * avg; e++;
  }
  return out;
}
export function suppress(sc: Float64Array, warm: number, K: number, f: number): Float64Array {
  if (K <= 0) return sc;
  const out = new Float64Array(sc.length);
  for (let c = 0; c < sc.length; c++) {
    let top = 0;
    for (let j = Math.max(warm - 1, c - K); j < c; j++) top = Math.max(top, sc[j]!);
    out[c] = c + 1 < warm ? 0 : sc[c]! <= top ? sc[c]! * f : sc[c]!;
  }
  return out;
}
export function evaluate(scores: ArrayLike<number>[], label = '', cats = false): number[] {
  const files: ScoredFile[] = corpus.map((s, i) => ({ name: s.name, windows: s.windows, scores: scores[i]! }));
  const res = PROFILES.map((p) => optimizeThreshold(files, p));
  const v = PROFILES.map((p, k) => normalise(res[k]!.raw, nw, p));
  let line = `${v.map((x) => x.toFixed(1).padStart(6)).join('')}  ${label}`;
  if (cats) {
    const cs = [...new Set(corpus.map((s) => s.category))].filter((c) => c !== 'artificialNoAnomaly');
    line += '  |' + cs.map((c) => {
      const fs = files.filter((f) => f.name.startsWith(`${c}/`));
      const w = fs.reduce((a, f) => a + new Set([...sweepRows(f.scores.length, f.windows, PROFILES[0]!).window].filter((x) => x >= 0)).size, 0);
      return `${c.replace(/real|artificialWith/, '').slice(0, 5)} ${normalise(fs.reduce((a, f) => a + scoreFile(f, res[0]!.threshold, PROFILES[0]!), 0), w, PROFILES[0]!).toFixed(1)}`;
    }).join(' ');
  }
  console.log(line);
  return v;
}
export function pipeline(errs: Float32Array[], p: P): Float64Array[] {
  return errs.map((err, i) => {
    const sp = spatialFlags(corpus[i]!.values, p.warm, p.tol);
    const L = likelihood(err, p);
    for (let c = 0; c < L.length; c++) if (sp[c]) L[c] = 1;
    return suppress(L, p.warm, p.K, p.supF);
  });
}
