// series.mjs: S1, SeriesDetector streaming cost, one process (run.mjs runs it as `S1 series ours`).
// Data: NAB's art_daily_jumpsup and art_daily_small_noise (examples/data, 4032 five-minute points
// each), default options, times given. Through the public API of the built package ('autoencoder'
// by self-reference, node condition: dist/bindings/node.js):
//   push()      one point per call over each whole series, every call timed; the figure is the
//               median over the points that are scored (past the warm-up and the long context's
//               fill) and trigger no training ("between retrains": a training runs every
//               retrainEvery points, on the points at which the stream's count reaches it, known
//               from `count` and the options); the trainings' own times are reported beside it.
//   pushMany()  each whole series in one call, `rounds` fresh detectors each: points per second
//               including every training (the median round).
//   a request   what a Worker that keeps the state between requests pays (the worker-score example's
//               series route): load() the state of a detector that has seen the first series, push()
//               one point, save(), dispose(), 200 times in turn (a retraining falls in about 2 of them).
//   node tools/bench/series.mjs [--quick]   prints `@@RESULT <json>` (common.mjs)
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { ROOT, main, maxRss, median, probe, quickOnly, rss, summary } from './common.mjs';

const QUICK = quickOnly('node tools/bench/series.mjs', 'S1: SeriesDetector push() per point between retrains, and pushMany() throughput; prints `@@RESULT <json>`');
const FILES = ['art_daily_jumpsup.csv', 'art_daily_small_noise.csv'];
const ROUNDS = QUICK ? 1 : 5;

/** values and times (NAB's zone-less dates read as UTC, as the CLI does) of an examples/data csv. */
function load(file) {
  const rows = parse(readFileSync(`${ROOT}examples/data/${file}`, 'utf8'), { columns: true, skip_empty_lines: true });
  const n = QUICK ? Math.min(rows.length, 1200) : rows.length;
  const v = new Float64Array(n), t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = Date.parse(`${rows[i].timestamp.replace(' ', 'T')}Z`);
    v[i] = Number(rows[i].value);
  }
  return { v, t };
}

main(async () => {
  const { SeriesDetector } = await import('autoencoder');
  const series = FILES.map(load);
  const base = rss();
  // push(): every point timed; which points trained is read from the detector's count and options
  const between = [], trainings = [];
  let first = null;
  const end = probe();
  for (const { v, t } of series) {
    const d = await SeriesDetector.create();
    const o = d.options;
    first ??= o;
    const ms = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const t0 = performance.now();
      d.push(v[i], t[i]);
      ms[i] = performance.now() - t0;
    }
    // the points that trained, replayed from the rule of assembly/series.ts series_push: the first at
    // the warm-up's end, then every retrainEvery points, and one when the long context first fills
    const full = d.contextPoints, train = new Set();
    for (let i = 0, next = o.warmup; i < v.length; i++) {
      if (i + 1 < o.warmup || i + 1 < next) continue;
      train.add(i);
      next = i + 1 < full ? Math.min(full, i + 1 + o.retrainEvery) : i + 1 + o.retrainEvery;
    }
    for (let i = Math.max(o.warmup, full); i < v.length; i++) (train.has(i) ? trainings : between).push(ms[i]);
    d.dispose();
  }
  const pushContention = end();
  // pushMany(): whole series per call, fresh detectors
  const rates = [];
  const end2 = probe();
  for (let r = 0; r < ROUNDS; r++) {
    let points = 0, ms = 0;
    for (const { v, t } of series) {
      const d = await SeriesDetector.create();
      const t0 = performance.now();
      d.pushMany(v, t);
      ms += performance.now() - t0;
      points += v.length;
      d.dispose();
    }
    rates.push(points / (ms / 1000));
  }
  const manyContention = end2();
  // a request of a Worker that keeps the state between requests (examples/worker-score's series route):
  // load() the bytes save() wrote after the whole first series, push() the next point, save(), dispose()
  const warm = await SeriesDetector.create();
  const { v: v0, t: t0s } = series[0];
  warm.pushMany(v0, t0s);
  let state = warm.save();
  warm.dispose();
  const requests = [];
  const end3 = probe();
  for (let i = 0; i < (QUICK ? 20 : 200); i++) {
    const t0 = performance.now();
    const d = await SeriesDetector.load(state);
    d.push(v0[i % v0.length], t0s[t0s.length - 1] + (i + 1) * 300_000);
    state = d.save();
    d.dispose();
    requests.push(performance.now() - t0);
  }
  const requestContention = end3();
  return {
    options: first,
    series: FILES.map((f, i) => ({ file: f, points: series[i].v.length })),
    push: { ...summary(between), median_us: median(between) * 1000, p90_us: percentile(between, 0.9) * 1000, contention: pushContention },
    trainings: { ...summary(trainings), median_ms: median(trainings) },
    pushMany: { rounds: rates, points_per_s: median(rates), us_per_point: 1e6 / median(rates), contention: manyContention },
    request: { ...summary(requests), median_ms: median(requests), p90_ms: percentile(requests, 0.9), state_bytes: state.length, contention: requestContention },
    memory: { rss_delta_bytes: maxRss() - base },
    versions: { autoencoder: JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).version, kernelsWasmBytes: readFileSync(`${ROOT}dist/build/kernels.wasm`).length, node: process.version },
  };
});

function percentile(a, q) {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
