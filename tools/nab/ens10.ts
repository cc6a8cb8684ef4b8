// ens10.ts (round 10, evaluation code): max-ensembles of whole detectors on their raw scores (both
// halving rules off), the rules then applied to the combination as assembly/series.ts does. Each
// member is screen.ts's cache of {...BASE, "seed": S * 100 + j} (j = 1..M); the rules are tools/nab/rules.ts's.
// Usage: BASE='{"suppress":0,"refractory":0,"trainWindows":341}' M=3 SEEDS=1,2,3 npx tsx tools/nab/ens10.ts --cache DIR
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadCorpus } from './corpus.js';
import { evaluateOn } from './likelihood.js';
import { halvingRules } from './rules.js';

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
for (const m of [1, M]) {
  const res = SEEDS.map((S) => evaluateOn(corpus, corpus.map((s) => {
    const rs = Array.from({ length: m }, (_, j) => read({ ...BASE, seed: S * 100 + j + 1 }, s.name));
    const mx = rs[0]!.slice();
    for (const r of rs.slice(1)) for (let i = 0; i < mx.length; i++) if (r[i]! > mx[i]!) mx[i] = r[i]!;
    return halvingRules(mx);
  })));
  const mean = [0, 1, 2].map((j) => res.reduce((a, r) => a + r.v[j]!, 0) / res.length);
  const mc = res[0]!.cats.map((_, j) => res.reduce((a, r) => a + r.cats[j]!, 0) / res.length);
  console.log(`${mean.map((x) => x.toFixed(1).padStart(6)).join('')} | ${mc.map((x) => x.toFixed(1).padStart(5)).join('')} | std per seed ${res.map((r) => r.v[0]!.toFixed(1)).join(' / ')}  max of ${m} ${JSON.stringify(BASE)}`);
}
