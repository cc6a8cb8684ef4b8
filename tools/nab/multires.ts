// multires.ts: round 7's screen of a second resolution (tools/nab/tries.md, Round 7): the built
// SeriesDetector run over each corpus series aggregated by F points (means of F consecutive points,
// each block timed at its last point), both halving rules and the range check off, so its output is
// score_of(L) of its own streams; writes those scores per file to /tmp/nab7-agg/f<F>-s<seed>/<i>.f32
// (one per block). tools/nab/streams7.ts joins them as a stream. Evaluation code only.
// Usage: npx tsx tools/nab/multires.ts F seed
import { mkdirSync, writeFileSync } from 'node:fs';
import { SeriesDetector } from '../../bindings/node.js';
import { loadCorpus } from './corpus.js';
const [F, seed] = process.argv.slice(2).map(Number) as [number, number];
const corpus = loadCorpus();
const dir = `/tmp/nab7-agg/f${F}-s${seed}`;
mkdirSync(dir, { recursive: true });
const t0 = performance.now();
for (let i = 0; i < corpus.length; i++) {
  const s = corpus[i]!, m = Math.floor(s.values.length / F);
  const v = new Float64Array(m), t = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    let a = 0;
    for (let j = 0; j < F; j++) a += s.values[k * F + j]!;
    v[k] = a / F; t[k] = s.times[k * F + F - 1]!;
  }
  const d = await SeriesDetector.create({ seed, suppress: 0, refractory: 0, spatialTolerance: -1 });
  writeFileSync(`${dir}/${i}.f32`, Buffer.from(d.pushMany(v, t).buffer));
  d.dispose();
}
console.error(`f${F} s${seed}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
