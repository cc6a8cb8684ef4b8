// screen.ts: screening of SeriesDetector settings on NAB, cheaper than one `npm run nab` per idea:
// each options set runs once over the (sub)corpus and its per-file scores are cached in --cache
// (keyed by the options and the series); then every set alone and the pointwise max and mean of
// the sets' scores (an ensemble, combined here in evaluation code only to decide whether building
// it into the detector is worth it) are scored in the three profiles.
// Usage: npx tsx tools/nab/screen.ts [--only substring] [--cache dir] '{"window": 16}' '{"window": 64}' ...
// A set with "untimed": true runs without the timestamps (the key is not passed to the detector).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SeriesDetector, type SeriesOptions } from '../../bindings/node.js';
import { loadCorpus } from './corpus.js';
import { PROFILES, normalise, optimizeThreshold, scoreFile, sweepRows, type ScoredFile } from './scorer.js';

const argv = process.argv.slice(2);
const flag = (name: string) => { const i = argv.indexOf(name); if (i < 0) return undefined; const v = argv[i + 1]; argv.splice(i, 2); return v; };
const only = flag('--only');
const cache = flag('--cache') ?? '/tmp/nab-screen';
mkdirSync(cache, { recursive: true });
const sets = argv.map((a) => JSON.parse(a) as SeriesOptions);
const corpus = loadCorpus().filter((s) => !only || s.name.includes(only));
const nw = corpus.reduce((a, s) => a + new Set([...sweepRows(s.values.length, s.windows, PROFILES[0]!).window].filter((w) => w >= 0)).size, 0);

const runs: Float32Array[][] = [];
for (const o of sets) {
  const per: Float32Array[] = [];
  let ms = 0, fresh = 0;
  for (const s of corpus) {
    const key = createHash('sha1').update(JSON.stringify(o)).update(s.name).digest('hex').slice(0, 16);
    const f = `${cache}/${key}.f32`;
    if (existsSync(f)) { const b = readFileSync(f); per.push(new Float32Array(b.buffer, b.byteOffset, b.length / 4).slice()); continue; }
    // tx: the values through asinh(x / c) first, c = tx times the mean |value| of the first txw (128) points
    // (a research transform of round 21, not an option of the detector; the key is in the cache's hash)
    const { untimed, tx, txw, ...opts } = o as SeriesOptions & { untimed?: boolean; tx?: number; txw?: number };
    let vals = s.values;
    if (tx) { const w = Math.min(txw ?? 128, vals.length); let m = 0; for (let j = 0; j < w; j++) m += Math.abs(vals[j]!); let c = tx * m / w; if (!(c > 0)) c = 1; vals = Float64Array.from(vals, (x) => Math.asinh(x / c)); }
    const d = await SeriesDetector.create(opts);
    const t = performance.now();
    const sc = untimed ? d.pushMany(vals) : d.pushMany(vals, s.times);
    ms += performance.now() - t;
    fresh += s.values.length;
    d.dispose();
    writeFileSync(f, Buffer.from(sc.buffer));
    per.push(sc);
  }
  if (fresh) console.error(`${JSON.stringify(o)}: ${fresh} points in ${(ms / 1000).toFixed(1)} s`);
  runs.push(per);
}
// per category: the standard profile at the corpus threshold (categories with windows only)
const cats = [...new Set(corpus.map((s) => s.category))].filter((c) => corpus.some((s) => s.category === c && s.windows.length > 0));
const winsOf = (fs: ScoredFile[]) => fs.reduce((a, f) => a + new Set([...sweepRows(f.scores.length, f.windows, PROFILES[0]!).window].filter((w) => w >= 0)).size, 0);
const row = (label: string, scores: Float32Array[]) => {
  const files: ScoredFile[] = corpus.map((s, i) => ({ name: s.name, windows: s.windows, scores: scores[i]! }));
  const opt = PROFILES.map((p) => optimizeThreshold(files, p));
  const v = PROFILES.map((p, j) => normalise(opt[j]!.raw, nw, p));
  const per = cats.map((c) => { const fs = files.filter((f) => f.name.startsWith(`${c}/`)); return normalise(fs.reduce((a, f) => a + scoreFile(f, opt[0]!.threshold, PROFILES[0]!), 0), winsOf(fs), PROFILES[0]!); });
  console.log(`${v.map((x) => x.toFixed(1).padStart(6)).join('')}  |${per.map((x) => x.toFixed(1).padStart(6)).join('')}  ${label}`);
  return v;
};
console.log(`${corpus.length} series, ${nw} windows; standard / low FP / low FN | standard per category: ${cats.join(', ')}`);
const totals = sets.map((o, k) => row(JSON.stringify(o), runs[k]!));
if (sets.length > 1) console.log(`${[0, 1, 2].map((j) => (totals.reduce((a, v) => a + v[j]!, 0) / totals.length).toFixed(1).padStart(6)).join("")}  mean of the rows above (each set scored alone; seeds: the seed mean)`);
if (sets.length > 1) {
  const comb = (f: (xs: number[]) => number) => corpus.map((s, i) => Float32Array.from({ length: s.values.length }, (_, j) => f(runs.map((r) => r[i]![j]!))));
  row('max of the sets', comb((xs) => Math.max(...xs)));
  row('mean of the sets', comb((xs) => xs.reduce((a, b) => a + b, 0) / xs.length));
}
