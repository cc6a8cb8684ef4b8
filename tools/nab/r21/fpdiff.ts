import { corpus, load } from './emu.js';
import { pipe } from './feed.js';
import { PROFILES, optimizeThreshold, sweepRows, scoreFile } from '../scorer.js';
const seed = +(process.env.SEED ?? 1);
const raw = load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 });
const A = corpus.map((s, i) => ({ name: s.name, windows: s.windows, scores: pipe(i, raw[i]!, {}) }));
const B = corpus.map((s, i) => ({ name: s.name, windows: s.windows, scores: pipe(i, raw[i]!, { agree: 0.2857, modelOnly: true }) }));
const ta = optimizeThreshold(A, PROFILES[0]!).threshold, tb = optimizeThreshold(B, PROFILES[0]!).threshold;
console.log('thr', ta, tb);
A.forEach((a, i) => { const b = B[i]!; const sw = sweepRows(a.scores.length, a.windows, PROFILES[0]!);
  const fa: number[] = [], fb: number[] = []; for (let c = 0; c < a.scores.length; c++) { if (sw.window[c] !== -1) continue; if (a.scores[c]! >= ta) fa.push(c); if (b.scores[c]! >= tb) fb.push(c); }
  const x = scoreFile(a, ta, PROFILES[0]!), y = scoreFile(b, tb, PROFILES[0]!);
  if (Math.abs(x - y) > 1e-6 || fa.join() !== fb.join()) console.log(a.name, x.toFixed(2), '->', y.toFixed(2), 'FP', fa.filter((c) => !fb.includes(c)).join(' ') || '-', '| new FP', fb.filter((c) => !fa.includes(c)).join(' ') || '-'); });
