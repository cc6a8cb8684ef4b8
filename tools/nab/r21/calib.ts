import { corpus, load } from './emu.js';
import { pipe } from './feed.js';
import { PROFILES, optimizeThreshold, scoreFile, normalise, sweepRows } from '../scorer.js';
for (const seed of [1, 2]) {
  const raw = load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 });
  const files = corpus.map((s, i) => ({ name: s.name, windows: s.windows, scores: pipe(i, raw[i]!, {}) }));
  const nw = files.reduce((a, f) => a + new Set([...sweepRows(f.scores.length, f.windows, PROFILES[0]!).window].filter((w) => w >= 0)).size, 0);
  const g = optimizeThreshold(files, PROFILES[0]!);
  let tot = 0; const cats = [...new Set(corpus.map((s) => s.category))];
  for (const c of cats) { const fs = files.filter((f) => f.name.startsWith(c)); const o = optimizeThreshold(fs, PROFILES[0]!); tot += o.raw; console.log(seed, c, 'own thr', o.threshold.toFixed(3), o.raw.toFixed(2), 'global', fs.reduce((a, f) => a + scoreFile(f, g.threshold, PROFILES[0]!), 0).toFixed(2)); }
  console.log(seed, 'global', normalise(g.raw, nw, PROFILES[0]!).toFixed(2), 'per-category thresholds', normalise(tot, nw, PROFILES[0]!).toFixed(2));
  let pf = 0; for (const f of files) pf += optimizeThreshold([f], PROFILES[0]!).raw; console.log(seed, 'per-file thresholds (oracle)', normalise(pf, nw, PROFILES[0]!).toFixed(2));
}
