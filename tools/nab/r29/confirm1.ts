// round 29 (tools/nab/tries.md): the range check's 1s (a value beyond the range seen by more than 5% of it) confirmed by
// the model, as round 21 confirmed the ramp: emulated on the model's raw scores without the range check,
// {"seed":S,"suppress":0,"refractory":0,"memory":0,"spatialRamp":-1,"spatialTolerance":-1} cached by
// tools/nab/screen.ts --cache /tmp/r21/c (seeds 1-8); the 1s added back where the model's raw score is at least `level`
// (or before the model scores), then the shipped rules and the confirmed ramp (r21/feed.ts pipe).
// Usage: [SEEDS=1,...,8] [LEVELS=0,0.1,0.2] [FOLD=even|odd] npx tsx tools/nab/r29/confirm1.ts
import { corpus, load, rangeCheck, evalAll } from '../r21/emu.js';
import { pipe, seedMeans } from '../r21/feed.js';
const WARM = 128;
const seeds = (process.env.SEEDS ?? '1,2,3,4,5,6,7,8').split(',').map(Number);
const levels = (process.env.LEVELS ?? '0,0.05,0.1,0.15,0.2,0.25,0.2857,0.35').split(',').map(Number);
const raws = seeds.map((seed) => load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1, spatialTolerance: -1 }));
const ones = corpus.map((s) => rangeCheck(s.values).one);
const idx = process.env.FOLD ? corpus.map((_, i) => i).filter((i) => i % 2 === (process.env.FOLD === 'even' ? 0 : 1)) : undefined;
/** The model's raw scores with the range check's 1s where it fires and the model agrees (or has not started). */
function withOnes(i: number, raw: Float32Array, level: number): Float32Array {
  const r = raw.slice(); let started = false;
  for (let c = 0; c < r.length; c++) {
    const model = raw[c]!;
    if (ones[i]![c] && c + 1 >= WARM && (!started || model >= level)) r[c] = 1;
    if (model > 0) started = true;
  }
  return r;
}
for (const level of levels) {
  console.log(`level ${level}: ${seedMeans(raws.map((raw) => evalAll(corpus.map((_, i) => pipe(i, withOnes(i, raw[i]!, level), { agree: 0.2857, modelOnly: true })), idx)))}`);
}
