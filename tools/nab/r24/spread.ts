// round 24 screen: a resolution on the blocks' spread (a quiet or a busier stretch), emulated. For each series the
// spread of each F-point block (KIND: std | range | mad (mean |first difference|); LOG=1: ln(spread + eps), eps 1e-3 of
// the first 128 points' range) is scored by a detector with the child's options (no rules, no range check, no
// further resolutions; its scores cached), and a point that ends a block takes the larger of its raw score and the
// spread child's (as the coarser resolutions do); then the shipped rules and the confirmed ramp (r21/feed.ts `pipe`).
// Usage: F=8 KIND=std LOG=1 [SEEDS=1,...,8] [CACHE=dir] npx tsx tools/nab/r24/spread.ts ['<child options>']
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SeriesDetector } from '../../../bindings/node.js';
import { corpus, load, evalAll } from '../r21/emu.js';
import { pipe } from '../r21/feed.js';
const F = Number(process.env.F ?? 8), KIND = process.env.KIND ?? 'std', LOG = process.env.LOG === '1';
const W = Number(process.env.WEIGHT ?? 1);
const seeds = (process.env.SEEDS ?? '1,2,3,4,5,6,7,8').split(',').map(Number);
const extra = JSON.parse(process.argv[2] ?? '{}');
const cache = process.env.CACHE ?? '/tmp/nab-r24-spread'; mkdirSync(cache, { recursive: true });
const RAW = { suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 };
const V = { agree: 0.2857, modelOnly: true };
function spreads(v: Float64Array): Float64Array {
  const m = Math.floor(v.length / F), out = new Float64Array(m);
  let lo = Infinity, hi = -Infinity; for (let j = 0; j < Math.min(128, v.length); j++) { lo = Math.min(lo, v[j]!); hi = Math.max(hi, v[j]!); }
  const eps = 1e-3 * ((hi - lo) || Math.abs(lo) || 1);
  for (let b = 0; b < m; b++) {
    const x = v.subarray(b * F, b * F + F); let s = 0;
    if (KIND === 'std') { let mu = 0; for (const a of x) mu += a; mu /= F; for (const a of x) s += (a - mu) ** 2; s = Math.sqrt(s / F); }
    else if (KIND === 'range') { s = Math.max(...x) - Math.min(...x); }
    else { for (let j = 1; j < F; j++) s += Math.abs(x[j]! - x[j - 1]!); s /= F - 1; }
    out[b] = LOG ? Math.log(s + eps) : s;
  }
  return out;
}
const res: { v: number[]; cats: number[] }[] = [];
for (const seed of seeds) {
  const raws = load({ seed, ...RAW });
  const combined: Float32Array[] = [];
  for (const [i, s] of corpus.entries()) {
    const o = { seed, suppress: 0, refractory: 0, memory: 0, spatialTolerance: -1, spatialRamp: -1, resolution: 0, ...extra };
    const key = createHash('sha1').update(JSON.stringify({ o, F, KIND, LOG })).update(s.name).digest('hex').slice(0, 16);
    const f = `${cache}/${key}.f32`;
    let cs: Float32Array;
    if (existsSync(f)) { const b = readFileSync(f); cs = new Float32Array(b.buffer, b.byteOffset, b.length / 4).slice(); }
    else {
      const sp = spreads(s.values);
      const bt = Float64Array.from({ length: sp.length }, (_, b) => s.times[b * F + F - 1]!);
      const d = await SeriesDetector.create(o); cs = d.pushMany(sp, bt); d.dispose();
      writeFileSync(f, Buffer.from(cs.buffer));
    }
    const r = raws[i]!.slice();
    for (let b = 0; b < cs.length; b++) { const c = b * F + F - 1; const x = Math.fround(cs[b]! * W); if (x > r[c]!) r[c] = x; }
    combined.push(pipe(i, r, V));
  }
  res.push(evalAll(combined));
}
const m = (k: number) => res.reduce((x, r) => x + r.v[k]!, 0) / res.length;
console.log(`${[0, 1, 2].map((k) => m(k).toFixed(3)).join(' / ')} | ${res.map((r) => r.v[0]!.toFixed(2)).join(' ')} | cats ${res[0]!.cats.map((_, k) => (res.reduce((x, r) => x + r.cats[k]!, 0) / res.length).toFixed(1)).join(' ')}  F ${F} ${KIND} log ${LOG} w ${W} ${JSON.stringify(extra)}`);
