import { corpus, load, memory, rangeCheck } from './emu.js';
import { halvingRules } from '../rules.js';
import { PROFILES, optimizeThreshold, sweepRows } from '../scorer.js';
const seed = +(process.env.SEED ?? 1);
const raw = load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 });
const sh = load({ seed });
const thr = optimizeThreshold(corpus.map((s, i) => ({ name: s.name, windows: s.windows, scores: sh[i]! })), PROFILES[0]!).threshold;
const tally: Record<string, [number, number]> = {};
corpus.forEach((s, i) => {
  const h = halvingRules(memory(s.values, raw[i]!)); const rc = rangeCheck(s.values);
  const sw = sweepRows(s.values.length, s.windows, PROFILES[0]!);
  for (let c = 0; c < h.length; c++) { if (sw.window[c] !== -1 || !(sh[i]![c]! >= thr)) continue;
    const kind = rc.ramp[c]! > h[c]! ? 'ramp' : raw[i]![c] === 1 ? 'range1' : `model-${s.category.slice(4, 9)}`;
    tally[kind] ??= [0, 0]; tally[kind]![0]++; tally[kind]![1] += sw.weight[c]!;
    if (process.env.V) console.log(s.name, c, kind, sh[i]![c]!.toFixed(3), raw[i]![c]!.toFixed(3));
  }
});
console.log(thr, tally);
