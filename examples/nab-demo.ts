// nab-demo.ts: the main job of `npm start`. Edge anomaly scoring on NAB's artificial series:
// train a dense autoencoder on sliding windows of the normal series (art_daily_small_noise),
// calibrate the threshold on them (the max training-window error, as the Keras example does),
// score every window of the series with a jump (art_daily_jumpsup), and print the flagged time
// range beside NAB's labelled anomaly window, with timings. Data ship in ./data (NAB, MIT).
// Usage: node dist/examples/nab-demo.js [--window 288] [--epochs 50] [--seed 1]
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { Autoencoder } from 'autoencoder';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const W = arg('window', 288);          // one day of 5-minute points
const epochs = arg('epochs', 50);
const seed = arg('seed', 1);
const dataDir = new URL('./data/', import.meta.url);

function readSeries(file: string): { time: string[]; value: Float32Array } {
  const rows = parse(readFileSync(new URL(file, dataDir)), { columns: true }) as { timestamp: string; value: string }[];
  return { time: rows.map((r) => r.timestamp), value: Float32Array.from(rows, (r) => Number(r.value)) };
}

/** Every window of W consecutive values, stride 1, as rows (a copy per window, no arithmetic). */
function windows(v: Float32Array): Float32Array {
  const n = v.length - W + 1;
  const out = new Float32Array(n * W);
  for (let i = 0; i < n; i++) out.set(v.subarray(i, i + W), i * W);
  return out;
}

const ms = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`;
const train = readSeries('art_daily_small_noise.csv');
const test = readSeries('art_daily_jumpsup.csv');
const labels = JSON.parse(readFileSync(new URL('nab-labels.json', dataDir), 'utf8'))['art_daily_jumpsup.csv'];
const nabWindow = labels.anomaly_windows[0] as { start: string; end: string; start_row: number; end_row: number };
const nabPoint = labels.anomaly_points[0] as { timestamp: string; row: number };

console.log(`autoencoder demo: NAB art_daily_small_noise (normal, ${train.value.length} points) -> art_daily_jumpsup (${test.value.length} points)`);
let t0 = performance.now();
const ae = await Autoencoder.create({ inputDim: W, layers: [64, 16], activation: 'relu', normalize: 'standard', seed });
const tCreate = ms(t0);
const spec = ae.spec;
console.log(`model: dense ${[W, ...(spec.layers ?? []), ...(spec.layers ?? []).slice(0, -1).reverse(), W].join(' -> ')}, ${spec.activation}, ${ae.paramCount.toLocaleString('en')} parameters (created in ${tCreate})`);

const xTrain = windows(train.value);
const nTrain = xTrain.length / W;
t0 = performance.now();
const history = await ae.fit(xTrain, { epochs, batchSize: 64, learningRate: 1e-3, validationSplit: 0.1, earlyStopping: { patience: 5, restoreBest: true } });
const fitMs = performance.now() - t0;
console.log(`training: ${nTrain} windows of ${W} points, ${history.epochs} epochs${history.stoppedEarly ? ` (early stop, best epoch ${history.bestEpoch})` : ''}, ` +
  `loss ${history.loss.at(-1)!.toFixed(4)}, val loss ${history.valLoss.at(-1)!.toFixed(4)}, ${fitMs.toFixed(0)} ms (${(fitMs / history.epochs).toFixed(1)} ms/epoch)`);

t0 = performance.now();
const threshold = ae.calibrate(xTrain, { max: true });
console.log(`threshold: ${threshold.toFixed(4)} (the largest reconstruction error of a training window, ${ms(t0)})`);

const xTest = windows(test.value);
const nTest = xTest.length / W;
t0 = performance.now();
const flags = ae.detect(xTest);
const tScore = performance.now() - t0;
const flagged: number[] = [];
flags.forEach((f, i) => { if (f) flagged.push(i); });
console.log(`scoring: ${nTest} test windows in ${tScore.toFixed(1)} ms (${(tScore * 1000 / nTest).toFixed(1)} us/window); ${flagged.length} flagged` +
  (flagged.length ? ` (windows ${ranges(flagged)})` : ''));

// a point is anomalous when every window that covers it is flagged
const points: number[] = [];
for (let i = 0; i < test.value.length; i++) {
  const first = Math.max(0, i - W + 1), last = Math.min(i, nTest - 1);
  let all = true;
  for (let w = first; w <= last && all; w++) all = flags[w] === 1;
  if (all) points.push(i);
}
const inside = points.filter((p) => p >= nabWindow.start_row && p <= nabWindow.end_row).length;
console.log(`flagged points: ${points.length ? `rows ${ranges(points)} (${test.time[points[0]!]} -> ${test.time[points.at(-1)!]})` : 'none'}`);
console.log(`NAB anomaly window: rows ${nabWindow.start_row}-${nabWindow.end_row} (${nabWindow.start} -> ${nabWindow.end}), labelled anomaly at row ${nabPoint.row} (${nabPoint.timestamp})`);
console.log(`result: ${points.length === 0 ? 'MISSED: no point flagged' : inside === points.length ? `all ${points.length} flagged points lie inside NAB's window` : `${points.length - inside} of ${points.length} flagged points lie outside NAB's window`}; ` +
  `${points.includes(nabPoint.row) ? 'the labelled anomaly row is flagged' : 'the labelled anomaly row is not itself flagged'}`);
const bytes = ae.save();
t0 = performance.now();
const again = await Autoencoder.load(bytes);
const same = again.detect(xTest).every((f, i) => f === flags[i]);
console.log(`model file: ${bytes.length.toLocaleString('en')} bytes; reloaded in ${ms(t0)}, same flags: ${same}`);

function ranges(idx: number[]): string {
  const out: string[] = [];
  let start = idx[0]!, prev = idx[0]!;
  for (const i of [...idx.slice(1), -1]) {
    if (i !== prev + 1) { out.push(start === prev ? `${start}` : `${start}-${prev}`); start = i; }
    prev = i;
  }
  return out.length > 4 ? `${out.slice(0, 4).join(', ')}, ... (${out.length} runs)` : out.join(', ');
}
