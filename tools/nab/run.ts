// run.ts (npm run nab): SeriesDetector over NAB's 51 labelled series (../shared/datasets/nab-corpus),
// scored with the port of NAB's scorer (scorer.ts): the three profiles with one threshold optimised
// over the corpus, per category, beside the published detectors, and the time taken.
// Usage: npm run nab [-- --options '{"window": 64}'] [--json out.json] [--jobs 1] [--nab <dir>]
// --nab reads a checkout of NAB itself instead (github.com/numenta/NAB: data/, labels/combined_windows.json
// and, when there, results/): all its series, the 7 realKnownCause ones that ../shared leaves out included,
// with the published detectors' rows read from its results/ (--only realKnownCause/ for those 7 alone).
// The series run on --jobs worker threads (default: the machine's cores), each whole series on one
// thread with its own detector, so the scores are the same bits for any --jobs; it prints the summed
// pushMany() time of the series (one core's work) and the wall time.

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { intArg } from '../args.js';
import { SeriesDetector, type SeriesOptions } from '../../bindings/node.js';
import { pathToFileURL } from 'node:url';
import { loadCheckoutNumentaRows, loadCheckoutPublished, loadCorpus, loadNabCheckout, loadNumentaRowScores, loadPublished } from './corpus.js';
import { scoreSeries } from './pool.js';
import { PROFILES, normalise, optimizeThreshold, scoreFile, sweepRows, type ScoredFile } from './scorer.js';

const cli = new Command('nab').option('--options <json>', 'SeriesDetector options as JSON', '{}').option('--json <file>', 'write the per-file scores and table as JSON')
  .option('--only <substring>', 'run only the series whose name contains this')
  .option('--jobs <n>', 'worker threads running series at once (the scores do not depend on it)', intArg('--jobs', 1), availableParallelism())
  .option('--nab <dir>', "a checkout of NAB (github.com/numenta/NAB) to read instead of ../shared's 51 series: all of its series, realKnownCause's included").parse();
const args = cli.opts<{ options: string; json?: string; only?: string; jobs: number; nab?: string }>();
const options = JSON.parse(args.options) as SeriesOptions;
const checkout = args.nab === undefined ? null : pathToFileURL(`${args.nab.replace(/\/+$/, '')}/`);

const corpus = (checkout ? loadNabCheckout(checkout) : loadCorpus()).filter((s) => !args.only || s.name.includes(args.only));
if (corpus.length === 0) throw new Error(`no series${args.only ? ` whose name contains ${JSON.stringify(args.only)}` : ''}`);
const run = await scoreSeries(corpus, options, args.jobs);
const files: ScoredFile[] = corpus.map((s, i) => ({ name: s.name, windows: s.windows, scores: run.scores[i]! }));
const points = corpus.reduce((a, s) => a + s.values.length, 0), ms = run.pushMs, wall = run.wallMs;
const digest = createHash('sha256');
for (const sc of run.scores) digest.update(new Uint8Array(sc.buffer, sc.byteOffset, sc.byteLength));
const scoresSha256 = digest.digest('hex');
// push() one point at a time over the first 4 series: the median per-point time (trainings are one
// point in retrainEvery, so the median is a point between retrains)
const each: number[] = [];
for (const s of corpus.slice(0, 4)) {
  const d = await SeriesDetector.create(options);
  for (let i = 0; i < s.values.length; i++) {
    const t = performance.now();
    d.push(s.values[i]!, s.times[i]!);
    each.push(performance.now() - t);
  }
  d.dispose();
}
each.sort((a, b) => a - b);
const pct = (q: number) => (1000 * each[Math.min(each.length - 1, Math.floor(q * each.length))]!).toFixed(1);

const cats = [...new Set(corpus.map((s) => s.category))];
const windowsIn = (fs: ScoredFile[]) => fs.reduce((a, f) => a + new Set([...sweepRows(f.scores.length, f.windows, PROFILES[0]!).window].filter((w) => w >= 0)).size, 0);
const nw = windowsIn(files);
const fmt = (x: number) => x.toFixed(1).padStart(6);
console.log(`SeriesDetector ${JSON.stringify(options)}: ${corpus.length} series, ${points} points, pushMany ${(ms / 1000).toFixed(1)} s summed over the series (${(1000 * ms / points).toFixed(1)} us/point incl. training), the corpus ${(wall / 1000).toFixed(1)} s on ${Math.min(args.jobs, corpus.length)} thread${Math.min(args.jobs, corpus.length) > 1 ? 's' : ''} with create\npush() one at a time (${each.length} points of the first ${Math.min(4, corpus.length)} series): median ${pct(0.5)} us, 90th percentile ${pct(0.9)} us, slowest ${pct(1)} us (a retraining)\n`);
const table: Record<string, Record<string, number>> = {};
const ours: Record<string, { threshold: number; score: number }> = {};
for (const p of PROFILES) {
  const o = optimizeThreshold(files, p);
  ours[p.name] = { threshold: o.threshold, score: normalise(o.raw, nw, p) };
}
// published detectors: their per-file raw scores at their published thresholds (NAB's full corpus
// optimum), so per category they are indicative; the corpus column of Numenta HTM is re-optimised
// on these files from its per-row scores
const detectors = ['ARTime', 'contextOSE', 'numenta', 'knncad', 'relativeEntropy', 'randomCutForest', 'twitterADVec', 'windowedGaussian', 'skyline'];
const pub = checkout ? loadCheckoutPublished(checkout, detectors, PROFILES.map((p) => p.name)) : loadPublished();
const htm = checkout ? loadCheckoutNumentaRows(checkout, corpus.map((s) => s.name)) : corpus.length === 51 ? loadNumentaRowScores() : null;
// a detector's row or cell only where it has a published score for every file in it
const published = (det: string, fs: { name: string }[], prof: string) => (fs.every((f) => pub.per_file[f.name]?.[det]?.[prof]) ? fs.reduce((a, f) => a + pub.per_file[f.name]![det]![prof]!.score, 0) : null);
console.log(`${'detector'.padEnd(22)} ${PROFILES.map((p) => p.name.padStart(20)).join('')}`);
console.log(`${'SeriesDetector'.padEnd(22)} ${PROFILES.map((p) => `${fmt(ours[p.name]!.score)} @${ours[p.name]!.threshold.toFixed(4)}`.padStart(20)).join('')}`);
if (htm) {
  const hf = corpus.map((s) => ({ name: s.name, windows: s.windows, scores: htm[s.name]! }));
  console.log(`${'numenta (re-optimised)'.padEnd(22)} ${PROFILES.map((p) => fmt(normalise(optimizeThreshold(hf, p).raw, nw, p)).padStart(20)).join('')}`);
}
for (const det of detectors) {
  if (PROFILES.some((p) => published(det, corpus, p.name) === null)) continue;
  const row = PROFILES.map((p) => normalise(published(det, corpus, p.name)!, nw, p));
  console.log(`${`${det} (published thr)`.padEnd(22)} ${row.map((x) => fmt(x).padStart(20)).join('')}`);
}
console.log('\nper category (standard profile; SeriesDetector at its corpus threshold, others at their published one; artificialNoAnomaly has no window: raw FP cost)');
console.log(`${'category'.padEnd(24)}${'windows'.padStart(8)}${'Series'.padStart(8)}${detectors.slice(0, 4).map((d) => d.slice(0, 9).padStart(10)).join('')}`);
const std = PROFILES[0]!;
for (const c of cats) {
  const fs = files.filter((f) => f.name.startsWith(`${c}/`));
  const w = windowsIn(fs);
  const val = (raw: number) => (w === 0 ? raw : normalise(raw, w, std));
  const mine = val(fs.reduce((a, f) => a + scoreFile(f, ours.standard!.threshold, std), 0));
  const others = detectors.slice(0, 4).map((det) => { const raw = published(det, fs, std.name); return raw === null ? null : val(raw); });
  table[c] = { windows: w, SeriesDetector: mine, ...Object.fromEntries(detectors.slice(0, 4).flatMap((d, i) => (others[i] === null ? [] : [[d, others[i]!]]))) };
  console.log(`${c.padEnd(24)}${String(w).padStart(8)}${fmt(mine).padStart(8)}${others.map((x) => (x === null ? '-'.padStart(6) : fmt(x)).padStart(10)).join('')}`);
}
console.log('\nSeriesDetector per category in the three profiles (each at its corpus threshold)');
console.log(`${'category'.padEnd(24)}${PROFILES.map((p) => p.name.padStart(20)).join('')}`);
for (const c of cats) {
  const fs = files.filter((f) => f.name.startsWith(`${c}/`));
  const w = windowsIn(fs);
  const row = PROFILES.map((p) => { const raw = fs.reduce((a, f) => a + scoreFile(f, ours[p.name]!.threshold, p), 0); return w === 0 ? raw : normalise(raw, w, p); });
  console.log(`${c.padEnd(24)}${row.map((x) => fmt(x).padStart(20)).join('')}`);
}
if (args.json) writeFileSync(args.json, JSON.stringify({ options, ours, table, seconds: ms / 1000, wallSeconds: wall / 1000, jobs: args.jobs, points, scoresSha256 }, null, 1));
