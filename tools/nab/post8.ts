// post8.ts: round 8's screening of post-processing rules (tools/nab/tries.md, Round 8) on the raw scores
// of the shipped detector (score_of(L), or 1 from the range check) with both halving rules off, as
// screen.ts caches them: npx tsx tools/nab/screen.ts --cache DIR '{"suppress":0,"refractory":0,"seed":S}'
// for S = 1, 2, 3. finish() re-applies the one-alarm rule and the refractory rule exactly as
// assembly/series.ts does (the default reproduces the full runs), then each idea's variant of them.
// Evaluation code only. Usage: [ONLY=substring] npx tsx tools/nab/post8.ts [--cache DIR]
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadCorpus } from './corpus.js';
import { HALF, evaluateOn, stream } from './likelihood.js';

const argv = process.argv.slice(2);
const cache = argv.includes('--cache') ? argv[argv.indexOf('--cache') + 1]! : '/tmp/s8/raw';
const corpus = loadCorpus();
const raws = [1, 2, 3].map((seed) => corpus.map((s) => {
  const key = createHash('sha1').update(JSON.stringify({ suppress: 0, refractory: 0, seed })).update(s.name).digest('hex').slice(0, 16);
  const b = readFileSync(`${cache}/${key}.f32`);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4).slice();
}));

type Rule = {
  K?: number; theta?: number; m?: number; margin?: number;
  /** the one-alarm rule's look-back ends where `calm` consecutive raw scores were below `calmLevel` */
  calm?: number; calmLevel?: number;
  /** a score halved by the one-alarm rule still counts whole when it is at least `ratio` times the top it lost to... */
  ratio?: number;
  /** the one-alarm rule's factor (0.5) */
  f?: number;
  /** the factor rises linearly from f at the top's point to 1 at K points after it */
  ramp?: boolean;
  /** evidence accumulation before the rules: L becomes max(L, S), S = max(0, S + L - cusum) (a CUSUM of L with drift `cusum`) */
  cusum?: number;
  /** ... with S decayed by this factor each point first (1: none) */
  decay?: number;
  /** a seasonal stream at this weight: ln(0.01 + ((v - v one period before) / running sd)^2), its likelihood (LS `seasonLS`) joined to the mean of L */
  season?: number;
  seasonLS?: number;
  /** the period: 'day' (a week when a day is under 64 points, as the context) or 'week' */
  period?: 'day' | 'week';
};
/** The seasonal residual errors of series i (NaN before one period and the warm-up). */
function seasonal(i: number, period: 'day' | 'week'): Float32Array {
  const s = corpus[i]!, v = s.values, t = s.times, n = v.length;
  const steps = Array.from({ length: 127 }, (_, k) => t[k + 1]! - t[k]!).sort((a, b) => a - b);
  const med = steps[63]!;
  let P = Math.round(86400000 / med);
  if (period === 'week' || P < 64) P *= 7;
  const out = new Float32Array(n).fill(NaN);
  let m = 0, q = 0;
  for (let c = 0; c < n; c++) {
    const x = v[c]!;
    if (c >= P && c >= 128) {
      const sd = Math.sqrt(Math.max(q / c - (m / c) * (m / c), 0)) || 1;
      const r = (x - v[c - P]!) / sd;
      out[c] = Math.fround(Math.log(0.01 + r * r));
    }
    m += x; q += x * x;
  }
  return out;
}
const seasonCache = new Map<string, Float64Array>();
function withSeason(raw: Float32Array, i: number, o: Rule): Float32Array {
  const key = `${i}/${o.period ?? 'day'}/${o.seasonLS ?? 3}`;
  let Ls = seasonCache.get(key);
  if (!Ls) { Ls = stream(seasonal(i, o.period ?? 'day'), o.seasonLS ?? 3); seasonCache.set(key, Ls); }
  const out = new Float32Array(raw.length), w = o.season!;
  for (let c = 0; c < raw.length; c++) {
    const r = raw[c]!;
    if (r >= 1 || r === 0) { out[c] = r; continue; }
    const L = (2.25 * (HALF * r / (1 - r)) + w * Ls[c]!) / (2.25 + w);
    out[c] = Math.fround(L / (L + HALF));
  }
  return out;
}
/** The CUSUM of L (see Rule.cusum) folded into the raw scores; range-check 1s stay 1. */
function accumulate(raw: Float32Array, c: number, decay = 1): Float32Array {
  const out = new Float32Array(raw.length);
  let S = 0;
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i]!;
    if (r >= 1) { out[i] = r; continue; }
    const L = HALF * r / (1 - r);
    S = Math.max(0, S * decay + L - c);
    const M = Math.max(L, S);
    out[i] = Math.fround(M / (M + HALF));
  }
  return out;
}
const WARM = 128;
function finish(raw0: Float32Array, o: Rule = {}, i = -1): Float32Array {
  const raw1 = o.season !== undefined ? withSeason(raw0, i, o) : raw0;
  const raw = o.cusum !== undefined ? accumulate(raw1, o.cusum, o.decay) : raw1;
  const K = o.K ?? 600, R = o.m ?? 30, level = o.theta ?? 0.4, margin = o.margin ?? 0.04;
  const n = raw.length, out = new Float32Array(n);
  let at = -1, val = 0, calmRun = 0, since = WARM - 1;
  for (let c = 0; c < n; c++) {
    if (c + 1 < WARM) { out[c] = raw[c]!; continue; }
    const r = raw[c]!;
    let top = 0, topAt = -1;
    for (let j = Math.max(WARM - 1, c - K, since); j < c; j++) if (raw[j]! >= top) { top = raw[j]!; topAt = j; }
    let s = r;
    const f = o.f ?? 0.5;
    if (K > 0 && r <= top && !(o.ratio !== undefined && r >= o.ratio * top)) s = Math.fround(r * (o.ramp ? f + (1 - f) * (c - topAt) / K : f));
    if (R > 0) {
      if (at >= 0 && c - at <= R && s < 1 && !(r > val + margin)) s = Math.fround(r * 0.5);
      if (r >= level) { at = c; val = r; }
    }
    if (o.calm !== undefined) {
      calmRun = r < o.calmLevel! ? calmRun + 1 : 0;
      if (calmRun >= o.calm) since = c + 1;
    }
    out[c] = s;
  }
  return out;
}
const variants: [string, Rule][] = [[process.env.K400 ? 'default K 400 (reproduce)' : 'default (reproduce: full runs 71.0 / 70.5 / 70.4)', process.env.K400 ? { K: 400 } : {}], ['no rules', { K: 0, m: 0 }]];
if (process.env.GRID === '1') for (const calm of [50, 100, 200, 400]) for (const calmLevel of [0.2, 0.3, 0.35]) variants.push([`one-alarm look-back ends after ${calm} calm points (< ${calmLevel})`, { calm, calmLevel }]);
if (process.env.GRID === '7') {
  for (const w of [0.25, 0.5, 1]) for (const seasonLS of [1, 3]) variants.push([`K 400, seasonal stream (day), weight ${w}, LS ${seasonLS}`, { K: 400, season: w, seasonLS }]);
  for (const w of [0.25, 0.5]) variants.push([`K 400, seasonal stream (week), weight ${w}, LS 3`, { K: 400, season: w, seasonLS: 3, period: 'week' }]);
}
if (process.env.GRID === '6') {
  for (const theta of [0.37, 0.4, 0.43]) for (const margin of [0.02, 0.04, 0.06]) variants.push([`K 400, refractory level ${theta}, margin ${margin}`, { K: 400, theta, margin }]);
  for (const m of [0, 10, 100]) variants.push([`K 400, refractory span ${m}`, { K: 400, m }]);
}
if (process.env.GRID === '5') {
  for (const c of [2, 3, 5, 8]) variants.push([`K 400, CUSUM of L, drift ${c}`, { K: 400, cusum: c }]);
  for (const c of [3, 5]) for (const decay of [0.5, 0.8]) variants.push([`K 400, CUSUM of L, drift ${c}, decay ${decay}`, { K: 400, cusum: c, decay }]);
  for (const K of [300, 400, 500, 600]) variants.push([`K ${K}`, { K }]);
}
if (process.env.GRID === '4') {
  for (const K of [400]) for (const f of [0.4, 0.6, 0.7]) variants.push([`K ${K}, factor ${f}`, { K, f }]);
  for (const K of [600, 800, 1200]) for (const f of [0.4, 0.5]) variants.push([`K ${K}, factor ${f} ramping to 1 at K`, { K, f, ramp: true }]);
}
if (process.env.GRID === '3') {
  for (const K of [350, 520, 540, 560, 580]) variants.push([`K ${K}`, { K }]);
  for (const K of [400, 500]) for (const calm of [100, 200, 300]) variants.push([`K ${K}, look-back ends after ${calm} calm points (< 0.2)`, { K, calm, calmLevel: 0.2 }]);
  for (const K of [400, 500]) for (const m of [10, 60]) variants.push([`K ${K}, refractory ${m}`, { K, m }]);
  for (const K of [400, 500]) for (const theta of [0.38, 0.42]) variants.push([`K ${K}, refractory level ${theta}`, { K, theta }]);
}
if (process.env.GRID === '2') {
  for (const K of [300, 400, 450, 500, 800]) variants.push([`K ${K}`, { K }]);
  for (const calm of [300, 350, 400, 450, 500]) for (const calmLevel of [0.1, 0.15, 0.2, 0.25]) variants.push([`one-alarm look-back ends after ${calm} calm points (< ${calmLevel})`, { calm, calmLevel }]);
  for (const calm of [200, 300, 400]) for (const K of [1200, 2400]) variants.push([`K ${K}, look-back ends after ${calm} calm points (< 0.2)`, { K, calm, calmLevel: 0.2 }]);
}
const only = process.env.ONLY;
// WRITE='{"K":400}' DIR=/tmp/x: writes seed 1's finished scores under that rule as screen.ts caches them (for gap.ts --cache DIR '{"K":400}')
if (process.env.WRITE) {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const rule = JSON.parse(process.env.WRITE) as Rule, dir = process.env.DIR ?? '/tmp/post8';
  mkdirSync(dir, { recursive: true });
  corpus.forEach((s, i) => {
    const key = createHash('sha1').update(process.env.WRITE!).update(s.name).digest('hex').slice(0, 16);
    writeFileSync(`${dir}/${key}.f32`, Buffer.from(finish(raws[0]![i]!, rule).buffer));
  });
  process.exit(0);
}
for (const [name, rule] of variants) {
  if (only && !name.includes(only) && !name.startsWith('default')) continue;
  const res = raws.map((rs) => evaluateOn(corpus, rs.map((r, i) => finish(r, rule, i))));
  const m = [0, 1, 2].map((j) => res.reduce((a, r) => a + r.v[j]!, 0) / res.length);
  const mc = res[0]!.cats.map((_, j) => res.reduce((a, r) => a + r.cats[j]!, 0) / res.length);
  console.log(`${m.map((x) => x.toFixed(1).padStart(6)).join('')} | ${mc.map((x) => x.toFixed(1).padStart(5)).join('')} | std per seed ${res.map((r) => r.v[0]!.toFixed(1)).join(' / ')}  ${name}`);
}
