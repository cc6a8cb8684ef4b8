// timeseries-conv1d.ts: Keras's "Timeseries anomaly detection using an Autoencoder" (keras-io
// examples/timeseries/timeseries_anomaly_detection, pavithrasv) on the same two NAB series, trained
// and run in the wasm kernels. The recipe (../shared/datasets/README.md §1):
//   z-normalise art_daily_small_noise with its own mean and std (ddof 1, as pandas), the test series
//   art_daily_jumpsup with the same two numbers; every window of 288 points, stride 1, as [288, 1]
//   conv1d 32 k7 s2 relu > dropout 0.2 > conv1d 16 k7 s2 relu > conv1dT 16 k7 s2 relu > dropout 0.2 >
//   conv1dT 32 k7 s2 relu > conv1dT 1 k7 (all 'same'), 9,505 parameters, MSE, Adam 1e-3, batch 128,
//   at most 50 epochs, validation_split 0.1, EarlyStopping(val_loss, patience 5) -- Keras's example
//   keeps restore_best_weights=False, so by default the model ends with the last epoch's weights
//   threshold = max over the training windows of the per-window MAE; a test window is anomalous
//   above it; a point is anomalous when every window covering it is.
// The per-window MAE comes from wasm too: a second model with the same layers and loss 'mae' gets the
// trained weights (getWeights/setWeights), and its score() is the per-row MAE.
// Published run: stopped at epoch 19, loss 0.0207, val loss 0.0250, threshold 0.1233, 394 windows
// flagged (1654 and 2702-3094), points 2989-3095 by the code's rule. Data ship in ./data (NAB, MIT).
// Usage: node dist/examples/timeseries-conv1d.js [--epochs 50] [--seed 1] [--restore-best]
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { Autoencoder, type EpochInfo, type History } from 'autoencoder';

export const TIME_STEPS = 288;           // one day of 5-minute points
/** What the Keras example reports (keras-io commit 3548075). */
export const KERAS = {
  paramCount: 9505, epochs: 19, loss: 0.0207, valLoss: 0.025, threshold: 0.1232659916089631,
  windows: 394, windowRanges: '1654, 2702-3094', points: '2989-3095',
};

/** The model of the Keras example, [288, 1] in and out. */
export function conv1dSpec(seed: number, loss: 'mse' | 'mae' = 'mse') {
  return {
    inputShape: [TIME_STEPS, 1],
    encoder: [
      { type: 'conv1d', filters: 32, kernel: 7, strides: 2, padding: 'same', activation: 'relu' },
      { type: 'dropout', rate: 0.2 },
      { type: 'conv1d', filters: 16, kernel: 7, strides: 2, padding: 'same', activation: 'relu' },
    ],
    decoder: [
      { type: 'conv1dTranspose', filters: 16, kernel: 7, strides: 2, padding: 'same', activation: 'relu' },
      { type: 'dropout', rate: 0.2 },
      { type: 'conv1dTranspose', filters: 32, kernel: 7, strides: 2, padding: 'same', activation: 'relu' },
      { type: 'conv1dTranspose', filters: 1, kernel: 7, padding: 'same' },
    ],
    loss,
    seed,
  } as const;
}

// ---- data ----------------------------------------------------------------------------------

const dataDir = new URL('./data/', import.meta.url);

export interface Series { time: string[]; value: Float64Array }

export function readSeries(file: string): Series {
  const rows = parse(readFileSync(new URL(file, dataDir)), { columns: true }) as { timestamp: string; value: string }[];
  return { time: rows.map((r) => r.timestamp), value: Float64Array.from(rows, (r) => Number(r.value)) };
}

/** Data preparation: mean and sample std (ddof 1, as pandas' DataFrame.std()). */
export function meanStd(v: Float64Array): { mean: number; std: number } {
  let s = 0;
  for (const x of v) s += x;
  const mean = s / v.length;
  let ss = 0;
  for (const x of v) ss += (x - mean) * (x - mean);
  return { mean, std: Math.sqrt(ss / (v.length - 1)) };
}

/** Every window of TIME_STEPS consecutive z-normalised values, stride 1, as rows of [288, 1]. */
export function windows(v: Float64Array, mean: number, std: number): Float32Array {
  const n = v.length - TIME_STEPS + 1;
  const z = Float32Array.from(v, (x) => (x - mean) / std);
  const out = new Float32Array(n * TIME_STEPS);
  for (let i = 0; i < n; i++) out.set(z.subarray(i, i + TIME_STEPS), i * TIME_STEPS);
  return out;
}

/**
 * Points whose covering windows are all flagged. 'all': windows max(0, i-287)..min(i, nWindows-1),
 * every point of the series. 'keras': the example's loop as written, i in 287..nWindows-1 and windows
 * i-287..i-1 (its slice leaves out window i itself).
 */
export function anomalousPoints(flags: Uint8Array, nPoints: number, rule: 'all' | 'keras'): number[] {
  const W = TIME_STEPS, n = flags.length;
  const points: number[] = [];
  const [from, to] = rule === 'all' ? [0, nPoints - 1] : [W - 1, n - 1];
  for (let i = from; i <= to; i++) {
    const first = Math.max(0, i - W + 1), last = rule === 'all' ? Math.min(i, n - 1) : i - 1;
    let all = true;
    for (let w = first; w <= last && all; w++) all = flags[w] === 1;
    if (all) points.push(i);
  }
  return points;
}

/** Consecutive runs of sorted indices as [start, end] pairs. */
export function runs(idx: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const i of idx) {
    const last = out.at(-1);
    if (last && i === last[1] + 1) last[1] = i;
    else out.push([i, i]);
  }
  return out;
}

export const fmtRuns = (idx: number[]) => runs(idx).map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ') || 'none';

// ---- the run -------------------------------------------------------------------------------

export interface TimeseriesOptions {
  seed?: number;
  /** At most this many epochs (Keras: 50); early stopping (patience 5 on val loss) may end sooner. */
  epochs?: number;
  /** Restore the best val-loss weights at the end (Keras's example: false). */
  restoreBest?: boolean;
  onEpoch?: (info: EpochInfo) => void;
}

export interface TimeseriesResult {
  seed: number;
  maxEpochs: number;
  restoreBest: boolean;
  normalization: { mean: number; std: number };
  nPoints: number;
  nTrainWindows: number;
  nTestWindows: number;
  paramCount: number;
  history: History;
  /** max over the training windows of the per-window MAE (wasm, the 'mae' twin's score()). */
  threshold: number;
  /** Per-window MAE of the test windows, and the flags (MAE > threshold). */
  testScores: Float32Array;
  flags: Uint8Array;
  flaggedWindows: number[];
  /** Points whose covering windows (all existing i-287..i) are flagged. */
  points: number[];
  /** The Keras code's variant: i in 287..3744, windows i-287..i-1. */
  pointsKeras: number[];
  time: string[];
  nab: { start: string; end: string; startRow: number; endRow: number; point: { timestamp: string; row: number } };
  /** Timings in ms. */
  ms: { create: number; fit: number; perEpoch: number; calibrate: number; score: number };
}

const now = () => performance.now();

/** The whole experiment, without printing. */
export async function runTimeseries(opts: TimeseriesOptions = {}): Promise<TimeseriesResult> {
  const seed = opts.seed ?? 1;
  const maxEpochs = opts.epochs ?? 50;
  const restoreBest = opts.restoreBest ?? false;
  const train = readSeries('art_daily_small_noise.csv');
  const test = readSeries('art_daily_jumpsup.csv');
  const labels = JSON.parse(readFileSync(new URL('nab-labels.json', dataDir), 'utf8'))['art_daily_jumpsup.csv'];
  const w = labels.anomaly_windows[0] as { start: string; end: string; start_row: number; end_row: number };
  const p = labels.anomaly_points[0] as { timestamp: string; row: number };

  const norm = meanStd(train.value);
  const xTrain = windows(train.value, norm.mean, norm.std);
  const xTest = windows(test.value, norm.mean, norm.std);

  let t0 = now();
  const ae = await Autoencoder.create(conv1dSpec(seed));
  const msCreate = now() - t0;
  const perEpoch: number[] = [];
  t0 = now();
  const history = await ae.fit(xTrain, {
    epochs: maxEpochs, batchSize: 128, learningRate: 1e-3, optimizer: 'adam', validationSplit: 0.1, shuffle: true,
    earlyStopping: { patience: 5, restoreBest },
    onEpoch: (info) => { perEpoch.push(info.ms); opts.onEpoch?.(info); },
  });
  const msFit = now() - t0;

  // the same network with loss 'mae': its score() is the per-window mean absolute error, in wasm
  const mae = await Autoencoder.create(conv1dSpec(seed, 'mae'));
  mae.setWeights(ae.getWeights());
  t0 = now();
  const threshold = mae.calibrate(xTrain, { max: true });
  const msCalibrate = now() - t0;
  t0 = now();
  const testScores = mae.score(xTest);
  const msScore = now() - t0;
  const flags = Uint8Array.from(testScores, (s) => (s > threshold ? 1 : 0));
  if (!mae.detect(xTest).every((f, i) => f === flags[i])) throw new Error('detect() disagrees with score() > threshold');

  const flaggedWindows: number[] = [];
  flags.forEach((f, i) => { if (f) flaggedWindows.push(i); });
  const result: TimeseriesResult = {
    seed, maxEpochs, restoreBest, normalization: norm, nPoints: test.value.length,
    nTrainWindows: xTrain.length / TIME_STEPS, nTestWindows: xTest.length / TIME_STEPS,
    paramCount: ae.paramCount, history, threshold, testScores, flags, flaggedWindows,
    points: anomalousPoints(flags, test.value.length, 'all'),
    pointsKeras: anomalousPoints(flags, test.value.length, 'keras'),
    time: test.time,
    nab: { start: w.start, end: w.end, startRow: w.start_row, endRow: w.end_row, point: p },
    ms: { create: msCreate, fit: msFit, perEpoch: perEpoch.reduce((a, b) => a + b, 0) / perEpoch.length, calibrate: msCalibrate, score: msScore },
  };
  ae.dispose();
  mae.dispose();
  return result;
}

// ---- CLI -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const usage = 'usage: node dist/examples/timeseries-conv1d.js [--epochs <n>] [--seed <n>] [--restore-best]';
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--restore-best') { flags.set('restore-best', '1'); continue; }
    if ((a !== '--epochs' && a !== '--seed') || argv[i + 1] === undefined) throw new Error(`${usage} (bad argument: ${a})`);
    flags.set(a.slice(2), argv[++i]!);
  }
  const num = (name: string, fallback: number, lo: number) => {
    const v = flags.has(name) ? Number(flags.get(name)) : fallback;
    if (!Number.isInteger(v) || v < lo) throw new Error(`--${name} must be an integer >= ${lo}, got ${flags.get(name)}`);
    return v;
  };
  const epochs = num('epochs', 50, 1), seed = num('seed', 1, 0);
  const restoreBest = flags.has('restore-best');

  const wall = now();
  console.log('Keras "Timeseries anomaly detection using an Autoencoder": NAB art_daily_small_noise (train) -> art_daily_jumpsup (test)');
  const r = await runTimeseries({
    seed, epochs, restoreBest,
    onEpoch: (e) => console.log(`  epoch ${String(e.epoch).padStart(2)}/${epochs}  loss ${e.loss.toFixed(4)}  val loss ${e.valLoss.toFixed(4)}  ${(e.ms / 1000).toFixed(2)} s`),
  });
  const h = r.history;
  const k = KERAS;
  console.log(`data: ${r.nPoints} points per file, z-normalised with the training series' mean ${r.normalization.mean.toFixed(4)} and std ${r.normalization.std.toFixed(4)} (ddof 1); ` +
    `${r.nTrainWindows} training and ${r.nTestWindows} test windows of [${TIME_STEPS}, 1]`);
  console.log(`model: conv1d 32 k7 s2 > dropout 0.2 > conv1d 16 k7 s2 > conv1dT 16 k7 s2 > dropout 0.2 > conv1dT 32 k7 s2 > conv1dT 1 k7, MSE; ` +
    `${r.paramCount.toLocaleString('en')} parameters (Keras: ${k.paramCount.toLocaleString('en')}) (created in ${r.ms.create.toFixed(0)} ms)`);
  const bestVal = h.valLoss.reduce((a, b) => Math.min(a, b), Infinity);
  const bestAt = h.valLoss.indexOf(bestVal) + 1;
  console.log(`training: Adam 1e-3, batch 128, validation split 0.1, early stopping on val loss (patience 5, restoreBest ${r.restoreBest}${r.restoreBest ? '' : ', as Keras'}): ` +
    `${h.epochs} of ${r.maxEpochs} epochs, ${h.stoppedEarly ? 'stopped early' : 'ran to the end'}; ` +
    `final loss ${h.loss.at(-1)!.toFixed(4)}, val loss ${h.valLoss.at(-1)!.toFixed(4)} (best val loss ${bestVal.toFixed(4)} at epoch ${bestAt}; model holds epoch ${h.bestEpoch}'s weights)`);
  console.log(`  Keras published: stopped after epoch ${k.epochs}, loss ${k.loss}, val loss ${k.valLoss}`);
  console.log(`threshold: ${r.threshold.toFixed(4)} (max per-window MAE over the training windows; Keras: ${k.threshold.toFixed(4)})`);
  console.log(`flagged windows: ${r.flaggedWindows.length} (${fmtRuns(r.flaggedWindows)}); Keras: ${k.windows} (${k.windowRanges})`);
  const nab = r.nab;
  const report = (pts: number[], what: string) => {
    const inside = pts.filter((i) => i >= nab.startRow && i <= nab.endRow).length;
    console.log(`flagged points, ${what}: ${pts.length ? `${pts.length}, rows ${fmtRuns(pts)} (${r.time[pts[0]!]} -> ${r.time[pts.at(-1)!]})` : 'none'}; ` +
      (pts.length === 0 ? 'MISSED' : inside === pts.length ? "all inside NAB's window" : `${pts.length - inside} outside NAB's window`) +
      `; labelled row ${nab.point.row} ${pts.includes(nab.point.row) ? 'flagged' : 'not flagged'}`);
  };
  report(r.points, 'every window covering the point (i-287..i)');
  const sameRule = r.points.length === r.pointsKeras.length && r.points.every((p, i) => p === r.pointsKeras[i]);
  if (sameRule) console.log('  (the Keras code\'s rule, windows i-287..i-1, gives the same points)');
  else report(r.pointsKeras, `the Keras code's rule (i-287..i-1; Keras's windows give ${k.points})`);
  console.log(`NAB anomaly window: rows ${nab.startRow}-${nab.endRow} (${nab.start} -> ${nab.end}), labelled anomaly at row ${nab.point.row} (${nab.point.timestamp})`);
  console.log(`timing: fit ${(r.ms.fit / 1000).toFixed(1)} s (${(r.ms.perEpoch / 1000).toFixed(2)} s/epoch, ${r.nTrainWindows - Math.floor(r.nTrainWindows * 0.9)} validation windows included); ` +
    `threshold over ${r.nTrainWindows} training windows ${r.ms.calibrate.toFixed(0)} ms; scoring ${r.nTestWindows} test windows ${r.ms.score.toFixed(0)} ms ` +
    `(${(r.ms.score * 1000 / r.nTestWindows).toFixed(0)} us/window); wall ${((now() - wall) / 1000).toFixed(1)} s`);
}

const invoked = process.argv[1] !== undefined && (() => {
  try { return realpathSync(process.argv[1]!) === realpathSync(fileURLToPath(import.meta.url)); } catch { return false; }
})();
if (invoked) {
  main().catch((e: unknown) => {
    console.error(`timeseries-conv1d: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
