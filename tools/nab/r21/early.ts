import { corpus, load, rangeCheck } from './emu.js';
import { pipe } from './feed.js';
import { PROFILES, optimizeThreshold, sweepRows } from '../scorer.js';
for (const seed of [1, 2, 3]) {
  const raw = load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 });
  const files = corpus.map((s, i) => ({ name: s.name, windows: s.windows, scores: pipe(i, raw[i]!, {}) }));
  const t = optimizeThreshold(files, PROFILES[0]!).threshold;
  const bins: Record<string, number> = {}; const tps: Record<string, number> = {};
  files.forEach((f, i) => {
    const r = raw[i]!, rp = rangeCheck(corpus[i]!.values).ramp; let first = -1; for (let c = 0; c < r.length; c++) if (r[c]! > 0 && r[c]! < 1) { first = c; break; }
    const sw = sweepRows(r.length, f.windows, PROFILES[0]!);
    for (let c = 0; c < r.length; c++) if (f.scores[c]! >= t && sw.window[c] !== -2) { const since = c - first; const k = since < 0 ? 'pre' : since < 200 ? '<200' : since < 500 ? '<500' : since < 1000 ? '<1000' : '>=1000'; const kind = rp[c]! > 0 && rp[c]! >= f.scores[c]! ? 'ramp' : r[c] === 1 ? 'one' : 'model';
      const key = `${k} ${kind}`; if (sw.window[c] === -1) bins[key] = (bins[key] ?? 0) + 1; else tps[key] = (tps[key] ?? 0) + 1; }
  });
  console.log(seed, 'FP', JSON.stringify(bins)); console.log(seed, 'in-window detections', JSON.stringify(tps));
}
