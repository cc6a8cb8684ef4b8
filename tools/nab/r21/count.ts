// L adjusted by the number of points seen: L - a ln(min(c, cap) / n0)
import { corpus, load, pipeline, evalAll, fmt } from './emu.js';
const HALF = 11.512925464970229;
const seeds = (process.env.SEEDS ?? '1').split(',').map(Number);
const raws = seeds.map((seed) => load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 }));
function adj(raw: Float32Array, a: number, n0: number, cap: number): Float32Array {
  const out = raw.slice();
  for (let c = 0; c < raw.length; c++) {
    const s = raw[c]!; if (!(s > 0) || s >= 1) continue;
    const L = HALF * s / (1 - s);
    const L2 = Math.max(0, L - a * Math.log(Math.min(c + 1, cap) / n0));
    out[c] = Math.fround(L2 / (L2 + HALF));
  }
  return out;
}
const grid: [number, number, number][] = JSON.parse(process.env.GRID ?? '[[0,4000,1e9],[0.25,4000,1e9],[0.5,4000,1e9],[1,4000,1e9],[0.5,4000,8000],[1,4000,8000],[0.5,2000,1e9],[0.5,8000,1e9]]');
for (const [a, n0, cap] of grid) {
  const res = raws.map((raw) => evalAll(corpus.map((s, i) => pipeline(s, adj(raw[i]!, a, n0, cap)))));
  const m = (k: number) => res.reduce((x, r) => x + r.v[k]!, 0) / res.length;
  const cats = res[0]!.cats.map((_, k) => res.reduce((x, r) => x + r.cats[k]!, 0) / res.length);
  console.log(`a ${a} n0 ${n0} cap ${cap}: ${[0, 1, 2].map((k) => m(k).toFixed(3)).join(' / ')} | ${cats.map((x) => x.toFixed(1)).join(' ')} | ${res.map((r) => r.v[0]!.toFixed(2)).join(' ')}`);
}
