import { corpus, load } from './emu.js';
import { pipe } from './feed.js';
import { PROFILES, optimizeThreshold, scoreFile } from '../scorer.js';
const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
const per = seeds.map((seed) => { const raw = load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 }); const files = corpus.map((s, i) => ({ name: s.name, windows: s.windows, scores: pipe(i, raw[i]!, {}) })); const t = optimizeThreshold(files, PROFILES[0]!).threshold; return { t, sc: files.map((f) => scoreFile(f, t, PROFILES[0]!)) }; });
console.log('thresholds', per.map((p) => p.t.toFixed(4)).join(' '));
corpus.forEach((s, i) => { const v = per.map((p) => p.sc[i]!); const mn = Math.min(...v), mx = Math.max(...v); if (mx - mn > 0.3) console.log(s.name.padEnd(55), v.map((x) => x.toFixed(2).padStart(6)).join('')); });
console.log('total'.padEnd(55), per.map((p) => p.sc.reduce((a, b) => a + b, 0).toFixed(2).padStart(6)).join(''));
