// round 31 (tools/nab/tries.md): a two-fold check of the choice among the shape forms, on cached raw scores (seeds 1-8;
// the rules off, as tools/nab/r21 caches them): none (the shipped build of round 21, /tmp/r21/c), every window demeaned
// (demean.patch with DM 2, /tmp/r31/c-a10), that build beside the shipped one (the larger raw score of the two), the
// coarser resolutions demeaned instead (/tmp/r31/c-who1: demean.patch where only the detectors with the range check
// off demean), and those beside the shipped ones (the kept form). The form is chosen by its standard score on the even
// (or odd) files; the other half scores it, each half at its own threshold. Each cache: `npx tsx tools/nab/screen.ts
// --cache DIR '{"seed":S,"suppress":0,"refractory":0,"memory":0,"spatialRamp":-1}'` with that build.
// Usage: SEEDS=1 npx tsx tools/nab/r31/twofold.ts (SEEDS=1: feed.ts, imported, then loads one seed of its own)
import { corpus, load, evalAll } from '../r21/emu.js';
import { pipe } from '../r21/feed.js';
const R = { suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 };
const v = { agree: 0.2857, modelOnly: true };
const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
const max = (a: Float32Array[], b: Float32Array[]) => a.map((x, i) => Float32Array.from(x, (q, c) => Math.max(q, b[i]![c]!)));
const forms: Record<string, (s: number) => Float32Array[]> = {
  none: (s) => load({ seed: s, ...R }),
  demeaned: (s) => load({ seed: s, ...R }, '/tmp/r31/c-a10'),
  'demeaned beside': (s) => max(load({ seed: s, ...R }), load({ seed: s, ...R }, '/tmp/r31/c-a10')),
  'coarser demeaned': (s) => load({ seed: s, ...R }, '/tmp/r31/c-who1'),
  'coarser demeaned beside': (s) => max(load({ seed: s, ...R }), load({ seed: s, ...R }, '/tmp/r31/c-who1')),
};
const piped = Object.fromEntries(Object.entries(forms).map(([k, f]) => [k, seeds.map((s) => { const raw = f(s); return corpus.map((_, i) => pipe(i, raw[i]!, v)); })]));
const score = (k: string, idx: number[]) => { const res = piped[k]!.map((sc) => evalAll(sc, idx)); return [0, 1, 2].map((j) => res.reduce((a, r) => a + r.v[j]!, 0) / res.length); };
const all = corpus.map((_, i) => i), f = (x: number[]) => x.map((y) => y.toFixed(3)).join(' / ');
for (const h of [0, 1]) {
  const fit = all.filter((i) => i % 2 === h), test = all.filter((i) => i % 2 !== h);
  const on = Object.keys(forms).map((k) => [k, score(k, fit)[0]!] as const);
  const best = on.reduce((a, b) => (b[1] > a[1] + 1e-9 ? b : a));
  console.log(`${h ? 'odd' : 'even'} files: ${on.map(([k, x]) => `${k} ${x.toFixed(2)}`).join(', ')}`);
  console.log(`  chosen: ${best[0]}; on the other half: none ${f(score('none', test))}, chosen ${f(score(best[0], test))}`);
}
