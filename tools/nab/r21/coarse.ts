// a range check on F-point block means (at block ends), beside the point range check
import { corpus, load, memory, rangeCheck, evalAll } from './emu.js';
import { halvingRules } from '../rules.js';
const WARM = 128;
const seeds = (process.env.SEEDS ?? '1,2,3').split(',').map(Number);
const raws = seeds.map((seed) => load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 }));
type V = { F: number; tol: number; where: 'raw' | 'after'; r0?: number; level?: number; start?: number };
function coarse(vals: Float64Array, v: V): Float32Array {
  const n = vals.length, out = new Float32Array(n); let lo = 0, hi = 0, seen = 0;
  const start = v.start ?? WARM;
  for (let c = v.F - 1; c < n; c += v.F) {
    let m = 0; for (let j = c - v.F + 1; j <= c; j++) m += vals[j]!; m /= v.F;
    if (c >= start && seen > 0) { const span = hi - lo; if (span > 0) { const ex = Math.max(m - hi, lo - m) / span;
      if (ex > v.tol) out[c] = v.level ?? 1; else if (ex > 0 && v.r0 !== undefined) out[c] = Math.fround(v.r0 + (1 - v.r0) * ex / v.tol); } }
    if (seen === 0 || m < lo) lo = m; if (seen === 0 || m > hi) hi = m; seen++;
  }
  return out;
}
function run(vals: Float64Array, raw0: Float32Array, v: V | null): Float32Array {
  const rc = rangeCheck(vals); let raw = raw0;
  const co = v ? coarse(vals, v) : null;
  if (co && v!.where === 'raw') { raw = raw0.slice(); for (let c = 0; c < raw.length; c++) if (co[c]! > raw[c]!) raw[c] = co[c]!; }
  const h = halvingRules(memory(vals, raw));
  for (let c = 0; c < h.length; c++) { if (rc.ramp[c]! > h[c]!) h[c] = rc.ramp[c]!; if (co && v!.where === 'after' && co[c]! > h[c]!) h[c] = co[c]!; }
  return h;
}
const vs: (V | null)[] = JSON.parse(process.env.V ?? 'null') ?? [null, ...[4, 8, 16, 32].flatMap((F) => [{ F, tol: 0.05, where: 'raw' }, { F, tol: 0.05, where: 'after', r0: 0.3 }, { F, tol: 0.2, where: 'raw' }])];
for (const v of vs) {
  const res = raws.map((raw) => evalAll(corpus.map((s, i) => run(s.values, raw[i]!, v))));
  const m = (k: number) => res.reduce((x, r) => x + r.v[k]!, 0) / res.length;
  const cats = res[0]!.cats.map((_, k) => res.reduce((x, r) => x + r.cats[k]!, 0) / res.length);
  console.log(`${[0, 1, 2].map((k) => m(k).toFixed(3)).join(' / ')} | ${cats.map((x) => x.toFixed(1)).join(' ')} | ${res.map((r) => r.v[0]!.toFixed(2)).join(' ')}  ${JSON.stringify(v)}`);
}
