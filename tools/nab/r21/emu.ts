// emu.ts: round 21 screen: cached raw scores (halving rules, memory, ramp off) -> [TS range check] -> memory -> halving rules -> ramp -> NAB
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadCorpus, type Series } from '../corpus.js';
import { evaluateOn } from '../likelihood.js';
import { halvingRules } from '../rules.js';
export const corpus = loadCorpus();
export function load(o: object, cache = '/tmp/r21/c'): Float32Array[] {
  return corpus.map((s) => { const key = createHash('sha1').update(JSON.stringify(o)).update(s.name).digest('hex').slice(0, 16); const b = readFileSync(`${cache}/${key}.f32`); return new Float32Array(b.buffer, b.byteOffset, b.length / 4).slice(); });
}
const W = 32, WARM = 128;
export function memory(vals: ArrayLike<number>, raw: Float32Array, tol = 0.35, ratio = 1.2, level = 0.4, keep = 64): Float32Array {
  const out = raw.slice();
  const bank: { shape: Float64Array; size: number }[] = [];
  let lo = Infinity, hi = -Infinity;
  for (let c = 0; c < raw.length; c++) {
    lo = Math.min(lo, vals[c]!); hi = Math.max(hi, vals[c]!);
    const r = raw[c]!;
    if (!(r > 0) || c < W) continue;
    const range = hi - lo || 1;
    let base = 0;
    for (let j = 0; j < W / 2; j++) base += vals[c - W + 1 + j]!;
    base /= W / 2;
    const shape = Float64Array.from({ length: W }, (_, j) => (vals[c - W + 1 + j]! - base) / range);
    let size = 0; for (const v of shape) size = Math.max(size, Math.abs(v));
    if (size > 0) shape.forEach((v, j) => { shape[j] = v / size; });
    const repeats = bank.some((e) => size <= e.size * ratio && e.size <= size * ratio && Math.sqrt(e.shape.reduce((a, v, j) => a + (shape[j]! - v) ** 2, 0) / W) < tol);
    if (repeats && r < 1) out[c] = Math.fround(r * 0.5);
    if (r >= level) { if (bank.length === keep) bank.shift(); bank.push({ shape, size }); }
  }
  return out;
}
/** range check: 1 beyond tol of the range; ramp (r0) for excess below tol; returns [flag1, ramp] */
export function rangeCheck(vals: ArrayLike<number>, tol = 0.05, r0 = 0.3): { one: Uint8Array; ramp: Float32Array } {
  const n = vals.length, one = new Uint8Array(n), ramp = new Float32Array(n);
  let lo = 0, hi = 0;
  for (let c = 0; c < n; c++) {
    const v = vals[c]!;
    if (c >= WARM) { const span = hi - lo; if (span > 0) { if (v > hi + tol * span || v < lo - tol * span) one[c] = 1; else if (r0 >= 0 && (v > hi || v < lo)) ramp[c] = Math.fround(r0 + (1 - r0) * (Math.max(v - hi, lo - v) / span) / tol); } }
    if (c === 0 || v < lo) lo = v; if (c === 0 || v > hi) hi = v;
  }
  return { one, ramp };
}
export function pipeline(s: Series, raw: Float32Array, opt: { addRange?: boolean; memVals?: ArrayLike<number>; noRamp?: boolean; extra?: (s: Series, score: Float32Array, raw0: Float32Array) => Float32Array } = {}): Float32Array {
  let r: Float32Array = raw.slice();
  const rc = rangeCheck(s.values);
  if (opt.addRange) for (let c = 0; c < r.length; c++) if (rc.one[c] && c + 1 >= WARM) r[c] = 1;
  r = memory(opt.memVals ?? s.values, r);
  let out: Float32Array = halvingRules(r);
  if (!opt.noRamp) for (let c = 0; c < out.length; c++) if (rc.ramp[c]! > out[c]!) out[c] = rc.ramp[c]!;
  if (opt.extra) out = opt.extra(s, out, r);
  return out;
}
export const fmt = (e: { v: number[]; cats: number[] }) => `${e.v.map((x) => x.toFixed(3)).join(' / ')} | ${e.cats.map((x) => x.toFixed(1)).join(' ')}`;
export function evalAll(scores: Float32Array[], idx?: number[]) { const I = idx ?? corpus.map((_, i) => i); return evaluateOn(I.map((i) => corpus[i]!), I.map((i) => scores[i]!)); }
if (process.argv[1]?.endsWith('emu.ts')) {
  for (const seed of (process.env.SEEDS ?? '1').split(',').map(Number)) {
    const shipped = load({ seed });
    const raw = load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 });
    console.log(seed, 'shipped  ', fmt(evalAll(shipped)));
    console.log(seed, 'emulated ', fmt(evalAll(corpus.map((s, i) => pipeline(s, raw[i]!)))));
    let diff = 0; corpus.forEach((s, i) => { const e = pipeline(s, raw[i]!); for (let c = 0; c < e.length; c++) if (e[c] !== shipped[i]![c]) diff++; });
    console.log('points differing', diff);
  }
}
