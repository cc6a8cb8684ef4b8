// heldout.ts: the check on NAB series nobody tuned on: the two outside the 51 (../shared/datasets/nab/,
// art_daily_jumpsup with its one window, art_daily_small_noise with none), run with the given options
// (default: the defaults). Prints per file the largest score inside each window (and its row) and the
// largest outside the windows after row 600, to compare with the corpus threshold `npm run nab` prints.
// Usage: npx tsx tools/nab/heldout.ts ['{options}']
import { readFileSync } from 'node:fs';
import { SeriesDetector, type SeriesOptions } from '../../bindings/node.js';
import { parseNabCsv } from './corpus.js';

const DIR = new URL('../../../shared/datasets/nab/', import.meta.url);
const opts = JSON.parse(process.argv[2] ?? '{}') as SeriesOptions;
const labels = JSON.parse(readFileSync(new URL('labels.json', DIR), 'utf8')) as { series: Record<string, { anomaly_windows: { start_row: number; end_row: number }[] }> };
for (const [name, lab] of Object.entries(labels.series)) {
  const { times: t, values: v } = parseNabCsv(readFileSync(new URL(name, DIR), 'utf8'), name);
  const d = await SeriesDetector.create(opts);
  const s = d.pushMany(v, t);
  d.dispose();
  const inside = (i: number) => lab.anomaly_windows.some((w) => i >= w.start_row && i <= w.end_row);
  const top = (pred: (i: number) => boolean) => { let m = 0, at = -1; for (let i = 0; i < s.length; i++) if (pred(i) && s[i]! > m) { m = s[i]!; at = i; } return `${m.toFixed(3)} at row ${at}`; };
  const wins = lab.anomaly_windows.map((w) => `window ${w.start_row}-${w.end_row}: ${top((i) => i >= w.start_row && i <= w.end_row)}`);
  console.log(`${name}: ${[...wins, `outside the windows after row 600: ${top((i) => i > 600 && !inside(i))}`].join('; ')}`);
}
