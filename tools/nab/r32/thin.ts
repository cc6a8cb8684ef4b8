// thin.ts (round 32): the corpus with points dropped at random, as a series sampled irregularly (NAB's withheld
// rogue_agent_key_hold is one) would have them: each point kept with probability KEEP, every point within PROTECT
// rows of a labelled anomaly point kept (so no window loses the point it is about), each window's rows then the kept
// rows inside it. NAB's three profiles over the 51 files per seed, with the options in OPTS; UNTIMED=1 pushes the
// values without their times.
// Usage: KEEP=0.7 PROTECT=10 SEEDS=1,2 [OPTS='{"context":0}'] [UNTIMED=1] npx tsx tools/nab/r32/thin.ts
import { loadCorpus, loadLabels } from '../corpus.js';
import { scoreSeries } from '../pool.js';
import { PROFILES, normalise, optimizeThreshold, countWindows } from '../scorer.js';

const labels = loadLabels() as unknown as { series: Record<string, { anomaly_points: { row: number }[] }> };
const PROTECT = Number(process.env.PROTECT ?? -1);   // keep every point within this many rows of a labelled anomaly point
const keep = Number(process.env.KEEP ?? 0.7);
const seeds = (process.env.SEEDS ?? '1').split(',').map(Number);
let s = 12345;
const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
const corpus = loadCorpus().map((c) => {
  if (keep >= 1) return c;
  const idx: number[] = [];
  const near = (i: number) => PROTECT >= 0 && labels.series[c.name]!.anomaly_points.some((a) => Math.abs(a.row - i) <= PROTECT);
  for (let i = 0; i < c.values.length; i++) if (rnd() < keep || near(i)) idx.push(i);
  const map = (r: number, up: boolean) => { // first kept index >= r (start) / last kept <= r (end)
    if (up) { const j = idx.findIndex((i) => i >= r); return j; }
    let j = -1; for (let k = 0; k < idx.length; k++) if (idx[k]! <= r) j = k; return j;
  };
  return { ...c, values: Float64Array.from(idx, (i) => c.values[i]!), times: Float64Array.from(idx, (i) => c.times[i]!),
    windows: c.windows.map((w) => ({ start_row: map(w.start_row, true), end_row: map(w.end_row, false) })) };
});
// RESAMPLE=1: each series onto its original grid (its median step) before the detector, the missing grid points
// filled by linear interpolation from the kept points either side (causal: they are filled when the next kept point
// arrives, before it is scored); each kept point takes its own grid point's score. MAXFILL: the longest run of
// grid points filled (a longer gap is not filled).
const MAXFILL = Number(process.env.MAXFILL ?? 1e9);
function resample(values: Float64Array, times: Float64Array): { values: Float64Array; times: Float64Array; at: Int32Array } {
  const steps = Array.from({ length: Math.min(times.length, 128) - 1 }, (_, i) => times[i + 1]! - times[i]!).sort((a, b) => a - b);
  const step = steps[steps.length >> 1]!;
  const v: number[] = [], t: number[] = [], at = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    if (i > 0 && step > 0) {
      const k = Math.round((times[i]! - times[i - 1]!) / step);
      if (k > 1 && k - 1 <= MAXFILL) for (let j = 1; j < k; j++) { v.push(values[i - 1]! + (values[i]! - values[i - 1]!) * j / k); t.push(times[i - 1]! + j * step); }
    }
    at[i] = v.length;
    v.push(values[i]!); t.push(times[i]!);
  }
  return { values: Float64Array.from(v), times: Float64Array.from(t), at };
}
const RES = process.env.RESAMPLE === '1';
const grids = RES ? corpus.map((c) => resample(c.values, c.times)) : null;
for (const seed of seeds) {
  if (grids) {
    const run = await scoreSeries(grids.map((g, i) => ({ name: corpus[i]!.name, values: g.values, times: g.times })), { seed, ...JSON.parse(process.env.OPTS ?? '{}') }, 2);
    const files = corpus.map((c, i) => ({ name: c.name, windows: c.windows, scores: Float32Array.from(grids[i]!.at, (j) => run.scores[i]![j]!) }));
    const nw = countWindows(files);
    console.log(`keep ${keep} seed ${seed} resampled: ${PROFILES.map((p) => normalise(optimizeThreshold(files, p).raw, nw, p).toFixed(2)).join(' / ')} (${nw} windows, ${grids.reduce((a, g) => a + g.values.length, 0)} grid points, ${(run.wallMs / 1000).toFixed(1)} s)`);
    continue;
  }
  const run = await scoreSeries(process.env.UNTIMED ? corpus.map((c) => ({ ...c, times: undefined as unknown as Float64Array })) : corpus, { seed, ...JSON.parse(process.env.OPTS ?? "{}") }, 2);
  const files = corpus.map((c, i) => ({ name: c.name, windows: c.windows, scores: run.scores[i]! }));
  const nw = countWindows(files);
  console.log(`keep ${keep} seed ${seed}: ${PROFILES.map((p) => normalise(optimizeThreshold(files, p).raw, nw, p).toFixed(2)).join(' / ')} (${nw} windows, ${(run.wallMs / 1000).toFixed(1)} s)`);
}
