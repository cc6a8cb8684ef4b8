import { corpus, load } from './emu.js';
import { pipe } from './feed.js';
const [name, w] = process.argv.slice(2);
const i = corpus.findIndex((s) => s.name.includes(name!)); const win = corpus[i]!.windows[+w!]!;
for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) { const raw = load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 })[i]!; const sc = pipe(i, raw, {});
  let m = 0, am = -1, mr = 0, amr = -1; for (let c = win.start_row; c <= win.end_row; c++) { if (sc[c]! > m) { m = sc[c]!; am = c; } if (raw[c]! > mr) { mr = raw[c]!; amr = c; } }
  console.log(seed, 'final max', m.toFixed(3), '@', am, 'raw max', mr.toFixed(3), '@', amr); }
