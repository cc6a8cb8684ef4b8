// gap.ts: where the standard score is lost, per series, from screen.ts's cached scores (no rerun):
// at the corpus threshold, each file's raw score beside Numenta HTM's (its per-row scores at its
// corpus threshold on these 51 files), its false alarms (count and cost), and per window whether it
// was found (credit) or missed (with the window's largest score).
// Usage: npx tsx tools/nab/gap.ts [--cache dir] [--only substring] '{options}'
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadCorpus, loadNumentaRowScores } from './corpus.js';
import { PROFILES, optimizeThreshold, scoreFile, sweepRows, type ScoredFile } from './scorer.js';

const argv = process.argv.slice(2);
const flag = (name: string) => { const i = argv.indexOf(name); if (i < 0) return undefined; const v = argv[i + 1]; argv.splice(i, 2); return v; };
const cache = flag('--cache') ?? '/tmp/nab-screen';
const only = flag('--only') ?? '';
const o = JSON.parse(argv[0] ?? '{}') as object;
const corpus = loadCorpus();
const files: ScoredFile[] = corpus.map((s) => {
  const key = createHash('sha1').update(JSON.stringify(o)).update(s.name).digest('hex').slice(0, 16);
  const b = readFileSync(`${cache}/${key}.f32`);
  return { name: s.name, windows: s.windows, scores: new Float32Array(b.buffer, b.byteOffset, b.length / 4).slice() };
});
const htmRows = loadNumentaRowScores();
const hf: ScoredFile[] = corpus.map((s) => ({ name: s.name, windows: s.windows, scores: htmRows[s.name]! }));
const std = PROFILES[0]!;
const thr = optimizeThreshold(files, std).threshold, hthr = optimizeThreshold(hf, std).threshold;
console.log(`threshold ${thr.toFixed(4)} (HTM ${hthr.toFixed(4)}); per file: ours / HTM raw, FPs (cost), windows`);
let tot = 0, htot = 0;
files.forEach((f, k) => {
  if (!f.name.includes(only)) return;
  const n = f.scores.length, sw = sweepRows(n, f.windows, std);
  const a = scoreFile(f, thr, std), h = scoreFile(hf[k]!, hthr, std);
  tot += a; htot += h;
  let fpn = 0, fpc = 0;
  const fps: string[] = [];
  for (let i = 0; i < n; i++) if (sw.window[i] === -1 && f.scores[i]! >= thr) { fpn++; fpc += sw.weight[i]!; if (fps.length < 6) fps.push(`${i}:${f.scores[i]!.toFixed(2)}`); }
  const hit = (sc: ArrayLike<number>, t: number, w: { start_row: number; end_row: number }) => { for (let i = w.start_row; i <= w.end_row; i++) if (sc[i]! >= t && sw.window[i]! >= 0) return i; return -1; };
  const ws = f.windows.map((w, j) => {
    let m = 0, am = -1;
    for (let i = w.start_row; i <= w.end_row; i++) if (f.scores[i]! > m) { m = f.scores[i]!; am = i; }
    const first = hit(f.scores, thr, w), hf1 = hit(hf[k]!.scores, hthr, w);
    return (first >= 0 ? `W${j}[${w.start_row}-${w.end_row}] hit@${first} +${sw.weight[first]!.toFixed(2)}` : `W${j}[${w.start_row}-${w.end_row}] MISS max ${m.toFixed(3)}@${am}`) + ` (HTM ${hf1 >= 0 ? `@${hf1}` : 'miss'})`;
  });
  let hfpn = 0; const hfps: string[] = [];
  for (let i = 0; i < n; i++) if (sw.window[i] === -1 && hf[k]!.scores[i]! >= hthr) { hfpn++; if (hfps.length < 4) hfps.push(String(i)); }
  ws.push(`HTM FP ${hfpn} ${hfps.join(' ')}`);
  console.log(`${f.name.padEnd(52)} ${a.toFixed(2).padStart(6)} / ${h.toFixed(2).padStart(6)}  FP ${fpn} (${fpc.toFixed(2)}) ${fps.join(' ')}\n    ${ws.join('  ')}`);
});
console.log(`total ${tot.toFixed(2)} / HTM ${htot.toFixed(2)}`);
