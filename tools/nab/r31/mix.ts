// round 31 (tools/nab/tries.md): a second detector of another build beside the shipped one, emulated on raw scores. The
// shipped build's raw scores of {"seed":S,"suppress":0,"refractory":0,"memory":0,"spatialRamp":-1} (S = 1-8) cached by
// tools/nab/screen.ts --cache /tmp/r21/c, the other build's (demean.patch applied, `npm run build`) by the same command
// into the cache C; each point takes the larger raw score (the other's times WT), then the shipped memory, halving
// rules and confirmed ramp (../r21/feed.ts pipe). MODE=base gives the shipped figures exactly (76.011 / 72.513 / 79.334),
// MODE=alone the other build alone through the same rules; OFF pairs seed S with the other build's seed S + OFF.
// Usage: SEEDS=1 C=/tmp/r31/c-a10 [MODE=max|alone|base] [OFF=0] [WT=1] npx tsx tools/nab/r31/mix.ts (SEEDS=1: feed.ts, imported,
// then loads one seed of its own instead of eight)
import { corpus, load, evalAll } from '../r21/emu.js';
import { pipe, seedMeans } from '../r21/feed.js';
const R = { suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 };
const v = { agree: 0.2857, modelOnly: true };
const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
const cache = process.env.C ?? '/tmp/r31/c-a10';
const off = Number(process.env.OFF ?? 0);
const mode = process.env.MODE ?? 'max';
const w = Number(process.env.WT ?? 1);
const res = seeds.map((s) => {
  const a = load({ seed: s, ...R });
  const b = load({ seed: ((s - 1 + off) % 8) + 1, ...R }, cache);
  return evalAll(corpus.map((_, i) => {
    const x = a[i]!, y = b[i]!;
    const m = mode === 'alone' ? y : mode === 'base' ? x : Float32Array.from(x, (q, c) => Math.max(q, Math.fround(y[c]! * w)));
    return pipe(i, m, v);
  }));
});
console.log(`${process.env.TAG ?? ''} ${seedMeans(res)}`);
