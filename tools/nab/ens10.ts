// ens10.ts (round 10, evaluation code): max-ensembles of whole detectors on their raw scores (both
// halving rules off), the rules then applied to the combination as assembly/series.ts does. Each
// member is screen.ts's cache of {...BASE, "seed": S * 100 + j} (j = 1..M); the rules are res3.ts's.
// Usage: BASE='{"suppress":0,"refractory":0,"trainWindows":341}' M=3 SEEDS=1,2,3 npx tsx tools/nab/ens10.ts --cache DIR
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadCorpus } from './corpus.js';
import { evaluateOn } from './likelihood.js';

const argv = process.argv.slice(2);
const cache = argv[argv.indexOf('--cache') + 1]!;
const BASE = JSON.parse(process.env.BASE ?? '{"suppress":0,"refractory":0}') as object;
const M = Number(process.env.M ?? 3);
const SEEDS = (process.env.SEEDS ?? '1,2,3').split(',').map(Number);
const corpus = loadCorpus();
const read = (o: object, name: string) => {
  const key = createHash('sha1').update(JSON.stringify(o)).update(name).digest('hex').slice(0, 16);
  const b = readFileSync(`${cache}/${key}.f32`);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4).slice();
};
const WARM = 128;
function finish(raw: Float32Array, K = 400, R = 30, level = 0.4, margin = 0.04): Float32Array {
  const n = raw.length, out = new Float32Array(n);
  let at = -1, val = 0;
  for (let c = 0; c < n; c++) {
    if (c + 1 < WARM) { out[c] = raw[c]!; continue; }
    const r = raw[c]!;
    let top = 0;
    for (let j = Math.max(WARM - 1, c - K); j < c; j++) if (raw[j]! >= top) top = raw[j]!;
    let s = r;
    if (K > 0 && r <= top) s = Math.fround(r * 0.5);
    if (R > 0) {
      if (at >= 0 && c - at <= R && s < 1 && !(r > val + margin)) s = Math.fround(r * 0.5);
      if (r >= level) { at = c; val = r; }
    }
    out[c] = s;
  }
  return out;
}
for (const m of [1, M]) {
  const res = SEEDS.map((S) => evaluateOn(corpus, corpus.map((s) => {
    const rs = Array.from({ length: m }, (_, j) => read({ ...BASE, seed: S * 100 + j + 1 }, s.name));
    const mx = rs[0]!.slice();
    for (const r of rs.slice(1)) for (let i = 0; i < mx.length; i++) if (r[i]! > mx[i]!) mx[i] = r[i]!;
    return finish(mx);
  })));
  const mean = [0, 1, 2].map((j) => res.reduce((a, r) => a + r.v[j]!, 0) / res.length);
  const mc = res[0]!.cats.map((_, j) => res.reduce((a, r) => a + r.cats[j]!, 0) / res.length);
  console.log(`${mean.map((x) => x.toFixed(1).padStart(6)).join('')} | ${mc.map((x) => x.toFixed(1).padStart(5)).join('')} | std per seed ${res.map((r) => r.v[0]!.toFixed(1)).join(' / ')}  max of ${m} ${JSON.stringify(BASE)}`);
}
