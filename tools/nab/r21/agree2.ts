// two-fold check of the ramp's agreement gate g (the ramp counts only where the model's raw score is >= g, once scores started)
import { corpus, load, evalAll } from './emu.js';
import { pipe } from './feed.js';
const seeds = (process.env.SEEDS ?? '1,2,3,4,5,6,7,8').split(',').map(Number);
const raws = seeds.map((seed) => load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 }));
const gs = (process.env.GS ?? '0,0.05,0.1,0.15,0.2,0.25,0.3,0.35').split(',').map(Number);
const extra = JSON.parse(process.env.EXTRA ?? '{}');
const sc = new Map<number, Float32Array[][]>();
const get = (g: number) => { if (!sc.has(g)) sc.set(g, raws.map((raw) => corpus.map((_, i) => pipe(i, raw[i]!, g > 0 ? { agree: g, ...extra } : extra)))); return sc.get(g)!; };
const score = (g: number, idx: number[]) => { const res = get(g).map((s) => evalAll(s, idx)); return [0, 1, 2].map((k) => res.reduce((a, r) => a + r.v[k]!, 0) / res.length); };
const all = corpus.map((_, i) => i); const f = (v: number[]) => v.map((x) => x.toFixed(3)).join(' / ');
for (const h of [0, 1]) {
  const fit = all.filter((i) => i % 2 === h), test = all.filter((i) => i % 2 !== h);
  let best = 0, bv = -Infinity; const line: string[] = [];
  for (const g of gs) { const v = score(g, fit)[0]!; line.push(`${g}:${v.toFixed(2)}`); if (v > bv + 1e-9) { bv = v; best = g; } }
  console.log(`half ${h}: ${line.join(' ')}`);
  console.log(`chosen on half ${h}: g ${best}; on the other half: none ${f(score(0, test))}, chosen ${f(score(best, test))}; test-half by g: ${gs.map((g) => `${g}:${score(g, test)[0]!.toFixed(2)}`).join(' ')}`);
}
