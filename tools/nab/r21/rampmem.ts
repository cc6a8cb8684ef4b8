// the memory of alarms applied to the ramp too: a ramp whose window repeats a remembered alarm counts x f
import { corpus, load, rangeCheck, evalAll } from './emu.js';
import { halvingRules } from '../rules.js';
const W = 32;
const seeds = (process.env.SEEDS ?? '1,2,3').split(',').map(Number);
const raws = seeds.map((seed) => load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 }));
type V = { f: number; rememberRamp?: boolean; tol?: number; ratio?: number; halveRule?: boolean };
function run(vals: Float64Array, raw: Float32Array, v: V | null): Float32Array {
  const out = raw.slice(), rc = rangeCheck(vals), rep = new Uint8Array(raw.length);
  const bank: { shape: Float64Array; size: number }[] = [];
  const tol = v?.tol ?? 0.35, ratio = v?.ratio ?? 1.2;
  let lo = Infinity, hi = -Infinity;
  for (let c = 0; c < raw.length; c++) {
    lo = Math.min(lo, vals[c]!); hi = Math.max(hi, vals[c]!);
    const r = raw[c]!;
    const rampOn = v && rc.ramp[c]! > 0;
    if (!(r > 0 || rampOn) || c < W) continue;
    const range = hi - lo || 1;
    let base = 0; for (let j = 0; j < W / 2; j++) base += vals[c - W + 1 + j]!; base /= W / 2;
    const shape = Float64Array.from({ length: W }, (_, j) => (vals[c - W + 1 + j]! - base) / range);
    let size = 0; for (const x of shape) size = Math.max(size, Math.abs(x));
    if (size > 0) shape.forEach((x, j) => { shape[j] = x / size; });
    const repeats = bank.some((e) => size <= e.size * ratio && e.size <= size * ratio && Math.sqrt(e.shape.reduce((a, x, j) => a + (shape[j]! - x) ** 2, 0) / W) < tol);
    if (repeats) rep[c] = 1;
    if (r > 0 && repeats && r < 1) out[c] = Math.fround(r * 0.5);
    if (r >= 0.4 || (v?.rememberRamp && rc.ramp[c]! >= 0.4)) { if (bank.length === 64) bank.shift(); bank.push({ shape, size }); }
  }
  const h = halvingRules(out);
  for (let c = 0; c < h.length; c++) { let rp = rc.ramp[c]!; if (v && rep[c]) rp = Math.fround(rp * v.f); if (rp > h[c]!) h[c] = rp; }
  return h;
}
const vs: (V | null)[] = JSON.parse(process.env.V ?? 'null') ?? [null, { f: 0.5 }, { f: 0.7 }, { f: 0.5, rememberRamp: true }, { f: 0.25 }, { f: 0 }];
for (const v of vs) {
  const res = raws.map((raw) => evalAll(corpus.map((s, i) => run(s.values, raw[i]!, v))));
  const m = (k: number) => res.reduce((x, r) => x + r.v[k]!, 0) / res.length;
  const cats = res[0]!.cats.map((_, k) => res.reduce((x, r) => x + r.cats[k]!, 0) / res.length);
  console.log(`${[0, 1, 2].map((k) => m(k).toFixed(3)).join(' / ')} | ${cats.map((x) => x.toFixed(1)).join(' ')} | ${res.map((r) => r.v[0]!.toFixed(2)).join(' ')}  ${JSON.stringify(v)}`);
}
