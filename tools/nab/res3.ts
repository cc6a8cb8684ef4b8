// res3.ts: round 9's screen of more resolutions: the built SeriesDetector (resolution 0, both halving
// rules and the range check off, plus the given options) over each series' means of F points, its
// scores joined to the raw scores of a base run (screen.ts's cache of BASE with "seed":S; default the
// shipped {"suppress":0,"refractory":0}) as max(raw, block score) at the points that end a block, then
// both halving rules re-applied as assembly/series.ts does. Each argument is one variant: children
// joined with '+', each F or F:{options}, e.g. '4' '4:{"window":16}+8' ('seedOffset': the child's seed is the run's plus this).
// Usage: [BASE='{...}'] [SEEDS=1,2,3] npx tsx tools/nab/res3.ts [--cache DIR] variant...
// (child scores cached in /tmp/s9/agg)
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SeriesDetector } from '../../bindings/node.js';
import { loadCorpus } from './corpus.js';
import { evaluateOn } from './likelihood.js';
import { halvingRules } from './rules.js';

const argv = process.argv.slice(2);
const ci = argv.indexOf('--cache');
const cache = ci >= 0 ? argv.splice(ci, 2)[1]! : '/tmp/s8/raw96';
const variants = argv;
const BASE = JSON.parse(process.env.BASE ?? '{"suppress":0,"refractory":0}') as object;
const corpus = loadCorpus();
const SEEDS = (process.env.SEEDS ?? '1,2,3').split(',').map(Number);
const raws = SEEDS.map((seed) => corpus.map((s) => {
  const key = createHash('sha1').update(JSON.stringify({ ...BASE, seed })).update(s.name).digest('hex').slice(0, 16);
  const b = readFileSync(`${cache}/${key}.f32`);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4).slice();
}));
async function child(F: number, seed: number, extra: object = {}): Promise<Float32Array[]> {
  const tag = `f${F}-s${seed}${Object.keys(extra).length ? '-' + createHash('sha1').update(JSON.stringify(extra)).digest('hex').slice(0, 8) : ''}`;
  const dir = `/tmp/s9/agg/${tag}`;
  mkdirSync(dir, { recursive: true });
  const out: Float32Array[] = [];
  for (let i = 0; i < corpus.length; i++) {
    const f = `${dir}/${i}.f32`;
    if (existsSync(f)) { const b = readFileSync(f); out.push(new Float32Array(b.buffer, b.byteOffset, b.length / 4).slice()); continue; }
    const s = corpus[i]!, m = Math.floor(s.values.length / F);
    const v = new Float64Array(m), t = new Float64Array(m);
    for (let k = 0; k < m; k++) {
      let a = 0;
      for (let j = 0; j < F; j++) a += Math.fround(s.values[k * F + j]!);
      v[k] = a / F; t[k] = s.times[k * F + F - 1]!;
    }
    const { seedOffset = 0, ...rest } = extra as { seedOffset?: number };
    const d = await SeriesDetector.create({ seed: seed + seedOffset, suppress: 0, refractory: 0, spatialTolerance: -1, resolution: 0, ...rest });
    const sc = d.pushMany(v, t);
    d.dispose();
    writeFileSync(f, Buffer.from(sc.buffer));
    out.push(sc);
  }
  return out;
}
function join(raw: Float32Array, F: number, cs: Float32Array): Float32Array {
  const out = raw.slice();
  for (let k = 0; k < cs.length; k++) {
    const c = k * F + F - 1;
    if (c < out.length && out[c]! > 0 && cs[k]! > out[c]!) out[c] = cs[k]!;
  }
  return out;
}
const show = (name: string, res: { v: number[]; cats: number[] }[]) => {
  const m = [0, 1, 2].map((j) => res.reduce((a, r) => a + r.v[j]!, 0) / res.length);
  const mc = res[0]!.cats.map((_, j) => res.reduce((a, r) => a + r.cats[j]!, 0) / res.length);
  console.log(`${m.map((x) => x.toFixed(1).padStart(6)).join('')} | ${mc.map((x) => x.toFixed(1).padStart(5)).join('')} | std per seed ${res.map((r) => r.v[0]!.toFixed(1)).join(' / ')}  ${name}`);
};
show('defaults (reproduce)', raws.map((rs) => evaluateOn(corpus, rs.map((r) => halvingRules(r)))));
for (const v of variants) {
  const t0 = performance.now();
  const kids = v.split('+').map((c) => { const i = c.indexOf(':'); return i < 0 ? { F: Number(c), extra: {} } : { F: Number(c.slice(0, i)), extra: JSON.parse(c.slice(i + 1)) as object }; });
  const cs = await Promise.all(kids.map((c) => Promise.all(SEEDS.map((seed) => child(c.F, seed, c.extra)))));
  console.error(`${v}: children in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const joined = (r: Float32Array, si: number, i: number) => { let a = r; kids.forEach((c, j) => { a = join(a, c.F, cs[j]![si]![i]!); }); return a; };
  show(v, raws.map((rs, si) => evaluateOn(corpus, rs.map((r, i) => halvingRules(joined(r, si, i))))));
}
