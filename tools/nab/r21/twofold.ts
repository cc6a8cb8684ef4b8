// two-fold check of the ramp's record-age gate: D chosen on the files of one index parity, scored on the other
import { corpus, load, memory, evalAll } from './emu.js';
import { halvingRules } from '../rules.js';
const WARM = 128;
const seeds = (process.env.SEEDS ?? '1,2,3').split(',').map(Number);
const mode = process.env.MODE ?? 'gate';
const halved = seeds.map((seed) => { const raw = load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 }); return corpus.map((s, i) => halvingRules(memory(s.values, raw[i]!))); });
function ramp(vals: Float64Array, D: number): Float32Array {
  const n = vals.length, out = new Float32Array(n), tol = 0.05, r0 = 0.3;
  let lo = 0, hi = 0, atLo = 0, atHi = 0;
  for (let c = 0; c < n; c++) {
    const x = vals[c]!;
    if (c >= WARM) { const span = hi - lo;
      if (span > 0 && !(x > hi + tol * span || x < lo - tol * span) && (x > hi || x < lo)) {
        let r = r0 + (1 - r0) * (Math.max(x - hi, lo - x) / span) / tol;
        const age = x > hi ? c - atHi : c - atLo;
        if (mode === 'gate' && age < D) r = 0; if (mode === 'scale') r *= Math.min(1, age / D);
        out[c] = Math.fround(r); } }
    if (c === 0 || x < lo) { lo = x; atLo = c; } if (c === 0 || x > hi) { hi = x; atHi = c; }
  }
  return out;
}
const Ds = (process.env.DS ?? '1,5,10,20,30,40,50,60,70,80,100,150,200').split(',').map(Number);
const cache = new Map<number, Float32Array[][]>();
const scoresFor = (D: number) => { if (!cache.has(D)) cache.set(D, halved.map((h) => corpus.map((s, i) => { const r = ramp(s.values, D); const o = h[i]!.slice(); for (let c = 0; c < o.length; c++) if (r[c]! > o[c]!) o[c] = r[c]!; return o; }))); return cache.get(D)!; };
const score = (D: number, idx: number[]) => { const res = scoresFor(D).map((sc) => evalAll(sc, idx)); return [0, 1, 2].map((k) => res.reduce((a, r) => a + r.v[k]!, 0) / res.length); };
const all = corpus.map((_, i) => i);
const f = (v: number[]) => v.map((x) => x.toFixed(3)).join(' / ');
for (const D of Ds) console.log(`D ${D}: all ${f(score(D, all))}`);
for (const h of [0, 1]) {
  const fit = all.filter((i) => i % 2 === h), test = all.filter((i) => i % 2 !== h);
  let best = Ds[0]!, bv = -Infinity;
  for (const D of Ds) { const v = score(D, fit)[0]!; console.log(`  half ${h} D ${D}: ${v.toFixed(3)}`); if (v > bv + 1e-9) { bv = v; best = D; } }
  console.log(`chosen on half ${h}: D ${best} (${bv.toFixed(3)}); on the other half: none ${f(score(1, test))}, chosen ${f(score(best, test))}`);
}
