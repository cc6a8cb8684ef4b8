// ramp variants: the ramp (a value just beyond the range seen) only when the record it breaks stood for D points, etc.
import { corpus, load, memory, evalAll } from './emu.js';
import { halvingRules } from '../rules.js';
const WARM = 128;
const seeds = (process.env.SEEDS ?? '1').split(',').map(Number);
const raws = seeds.map((seed) => load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 }));
const halved = raws.map((raw) => corpus.map((s, i) => halvingRules(memory(s.values, raw[i]!))));
type V = { D?: number; mode?: 'gate' | 'scale' | 'episode'; K?: number; tol?: number; r0?: number };
function ramp(vals: Float64Array, v: V): Float32Array {
  const n = vals.length, out = new Float32Array(n), tol = v.tol ?? 0.05, r0 = v.r0 ?? 0.3;
  let lo = 0, hi = 0, atLo = 0, atHi = 0, lastRamp = -1e9;
  for (let c = 0; c < n; c++) {
    const x = vals[c]!;
    if (c >= WARM) {
      const span = hi - lo;
      if (span > 0 && !(x > hi + tol * span || x < lo - tol * span) && (x > hi || x < lo)) {
        let r = r0 + (1 - r0) * (Math.max(x - hi, lo - x) / span) / tol;
        const age = x > hi ? c - atHi : c - atLo;
        if (v.mode === 'gate' && age < v.D!) r = 0;
        if (v.mode === 'scale') r *= Math.min(1, age / v.D!);
        if (v.mode === 'episode' && c - lastRamp <= v.K!) { lastRamp = c; r = 0; } else if (v.mode === 'episode') lastRamp = c;
        out[c] = Math.fround(r);
      }
    }
    if (c === 0 || x < lo) { lo = x; atLo = c; }
    if (c === 0 || x > hi) { hi = x; atHi = c; }
  }
  return out;
}
const vs: (V | null)[] = JSON.parse(process.env.V ?? 'null') ?? [null, {}, { mode: 'gate', D: 2 }, { mode: 'gate', D: 5 }, { mode: 'gate', D: 20 }, { mode: 'gate', D: 50 }, { mode: 'gate', D: 100 }, { mode: 'scale', D: 20 }, { mode: 'scale', D: 100 }, { mode: 'episode', K: 24 }, { mode: 'episode', K: 100 }, { mode: 'episode', K: 400 }];
for (const v of vs) {
  const res = halved.map((h) => evalAll(corpus.map((s, i) => { if (!v) return h[i]!; const r = ramp(s.values, v); const o = h[i]!.slice(); for (let c = 0; c < o.length; c++) if (r[c]! > o[c]!) o[c] = r[c]!; return o; })));
  const m = (k: number) => res.reduce((x, r) => x + r.v[k]!, 0) / res.length;
  const cats = res[0]!.cats.map((_, k) => res.reduce((x, r) => x + r.cats[k]!, 0) / res.length);
  console.log(`${[0, 1, 2].map((k) => m(k).toFixed(3)).join(' / ')} | ${cats.map((x) => x.toFixed(1)).join(' ')} | ${res.map((r) => r.v[0]!.toFixed(2)).join(' ')}  ${JSON.stringify(v)}`);
}
if (process.env.DIFF) {
  const [a, b] = JSON.parse(process.env.DIFF) as V[];
  const { PROFILES, optimizeThreshold, scoreFile } = await import('../scorer.js');
  const mk = (v: V) => corpus.map((s, i) => { const r = ramp(s.values, v); const o = halved[0]![i]!.slice(); for (let c = 0; c < o.length; c++) if (r[c]! > o[c]!) o[c] = r[c]!; return { name: s.name, windows: s.windows, scores: o }; });
  const fa = mk(a!), fb = mk(b!);
  const ta = optimizeThreshold(fa, PROFILES[0]!).threshold, tb = optimizeThreshold(fb, PROFILES[0]!).threshold;
  console.log('thresholds', ta, tb);
  fa.forEach((f, i) => { const x = scoreFile(f, ta, PROFILES[0]!), y = scoreFile(fb[i]!, tb, PROFILES[0]!); if (Math.abs(x - y) > 1e-6) console.log(f.name, x.toFixed(3), y.toFixed(3)); });
}
