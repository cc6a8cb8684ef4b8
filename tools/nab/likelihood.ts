// likelihood.ts: the float64 emulation of SeriesDetector's likelihood streams that the screening tools
// (tools/nab/streams.ts, round 6; streams7.ts, round 7) share: -ln Q of each error's short average under
// the long history before it (assembly/series.ts's series_likelihood), the tail's log, and ln(floor + x).
// Evaluation code only.
import type { Series } from './corpus.js';
import { PROFILES, normalise, optimizeThreshold, scoreFile, sweepRows, type ScoredFile } from './scorer.js';

export function logTail(z: number): number {
  const x = z * Math.SQRT1_2, ax = Math.abs(x), t = 1 / (1 + 0.5 * ax);
  const p = -ax * ax - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  if (x >= 0) return Math.fround(Math.log(Math.fround(0.5 * t))) + p;
  return Math.fround(Math.log(Math.fround(1 - 0.5 * t * Math.fround(Math.exp(Math.fround(p))))));
}
export const HALF = 11.512925464970229;
/** -ln Q of each error's LS-average under the LL averages before it; NaN errors skipped (L 0) */
export function stream(err: ArrayLike<number>, LS = 1, LL = 8000, minHist = 100): Float64Array {
  const n = err.length, out = new Float64Array(n);
  const ring = new Float32Array(LS), hist = new Float32Array(LL);
  let e = 0, ssum = 0, es = 0, eq = 0;
  for (let i = 0; i < n; i++) {
    const x = err[i]!;
    if (Number.isNaN(x)) continue;
    const k = e % LS;
    if (e >= LS) ssum -= ring[k]!;
    ring[k] = x; ssum += ring[k]!;
    const avg = Math.fround(ssum / Math.min(e + 1, LS));
    const have = Math.min(e, LL);
    if (have >= minHist) {
      const mean = es / have, sd = Math.max(Math.sqrt(Math.max(eq / have - mean * mean, 0)), 1e-6);
      out[i] = Math.max(-logTail((avg - mean) / sd), 0);
    }
    const slot = e % LL;
    if (e >= LL) { es -= hist[slot]!; eq -= hist[slot]! * hist[slot]!; }
    hist[slot] = avg; es += avg; eq += avg * avg; e++;
  }
  return out;
}
export const lnf = (sq: ArrayLike<number>, floor = 0.01) => Float32Array.from(sq as Float32Array, (x) => Number.isNaN(x) ? NaN : Math.fround(Math.log(Math.fround(x + floor))));

/** The three profiles' normalised scores of `scores` (one array per series of `corpus`), each at its corpus threshold, and the standard profile per category. */
export function evaluateOn(corpus: Series[], scores: ArrayLike<number>[]): { v: number[]; cats: number[] } {
  const nw = corpus.reduce((a, s) => a + new Set([...sweepRows(s.values.length, s.windows, PROFILES[0]!).window].filter((w) => w >= 0)).size, 0);
  const files: ScoredFile[] = corpus.map((s, i) => ({ name: s.name, windows: s.windows, scores: scores[i]! }));
  const res = PROFILES.map((p) => optimizeThreshold(files, p));
  const v = PROFILES.map((p, k) => normalise(res[k]!.raw, nw, p));
  const cs = [...new Set(corpus.map((s) => s.category))].filter((c) => c !== 'artificialNoAnomaly');
  const cats = cs.map((c) => {
    const fs = files.filter((f) => f.name.startsWith(`${c}/`));
    const w = fs.reduce((a, f) => a + new Set([...sweepRows(f.scores.length, f.windows, PROFILES[0]!).window].filter((x) => x >= 0)).size, 0);
    return normalise(fs.reduce((a, f) => a + scoreFile(f, res[0]!.threshold, PROFILES[0]!), 0), w, PROFILES[0]!);
  });
  return { v, cats };
}
