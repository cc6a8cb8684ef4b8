// diag.ts: per series, the largest score inside each labelled window and the largest after the
// probation outside them (where a corpus threshold must fall between), for one options set.
// Usage: npx tsx tools/nab/diag.ts '{"context": 0}' [name-substring, default artificialWith]
import { SeriesDetector, type SeriesOptions } from '../../bindings/node.js';
import { loadCorpus } from './corpus.js';
const opts = JSON.parse(process.argv[2] ?? '{}') as SeriesOptions;
const only = process.argv[3] ?? 'artificialWith';
for (const s of loadCorpus().filter((x) => x.name.includes(only))) {
  const d = await SeriesDetector.create(opts);
  const sc = d.pushMany(s.values, s.times);
  const n = sc.length, prob = Math.min(Math.floor(0.15 * n), 750);
  const inW = new Uint8Array(n);
  for (const w of s.windows) for (let i = w.start_row; i <= w.end_row; i++) inW[i] = 1;
  let outMax = 0, outArg = -1; for (let i = prob; i < n; i++) if (!inW[i] && sc[i]! > outMax) { outMax = sc[i]!; outArg = i; }
  const wm = s.windows.map((w) => { const a = w.start_row, b = w.end_row; let m = 0, am = -1; for (let i = a; i <= b; i++) if (sc[i]! > m) { m = sc[i]!; am = i; } return `[${a}-${b}] max ${m.toFixed(3)}@${am}`; });
  console.log(s.name.padEnd(60), `out max ${outMax.toFixed(3)}@${outArg}`, wm.join(' '));
}
