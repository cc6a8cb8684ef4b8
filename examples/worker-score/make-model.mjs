// make-model.mjs: trains the model the worker-score example serves, in Node, and writes model.ae.
// Data: NAB's art_daily_small_noise (a normal daily cycle of 5-minute points, ../data), cut into
// every window of 24 consecutive points (2 hours). A dense 24 -> 16 -> 4 -> 16 -> 24 autoencoder
// learns them; the threshold is the largest reconstruction error of a training window, so a
// window scoring above it looks like nothing seen in training. Deterministic: the same data,
// seed and package version give the same model.ae, byte for byte.
// Usage: node examples/worker-score/make-model.mjs [--out path/to/model.ae]   (needs `npm run build`)
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Autoencoder } from 'autoencoder';

export const WINDOW = 24;
const here = new URL('.', import.meta.url).pathname;
const dataDir = new URL('../data/', import.meta.url);

/** The `value` column of a NAB csv (timestamp,value) as float32. */
export function readSeries(file) {
  const lines = readFileSync(new URL(file, dataDir), 'utf8').trim().split('\n').slice(1);
  return Float32Array.from(lines, (l) => Number(l.split(',')[1]));
}

/** Every window of WINDOW consecutive values (stride 1), row-major. */
export function windows(v) {
  const n = v.length - WINDOW + 1;
  const out = new Float32Array(n * WINDOW);
  for (let i = 0; i < n; i++) out.set(v.subarray(i, i + WINDOW), i * WINDOW);
  return out;
}

/** Trains, calibrates and writes the model to `out` atomically (temp file, then rename). */
export async function makeModel(out = `${here}model.ae`) {
  const t0 = performance.now();
  const x = windows(readSeries('art_daily_small_noise.csv'));
  const ae = await Autoencoder.create({ inputDim: WINDOW, layers: [16, 4], activation: 'relu', normalize: 'standard', seed: 1 });
  const h = await ae.fit(x, { epochs: 40, batchSize: 64, learningRate: 2e-3, validationSplit: 0.1, earlyStopping: { patience: 5, restoreBest: true } });
  const threshold = ae.calibrate(x, { max: true });
  // a sanity check on the series with a jump: which windows does the threshold flag?
  const flags = ae.detect(windows(readSeries('art_daily_jumpsup.csv')));
  const flagged = [];
  flags.forEach((f, i) => { if (f) flagged.push(i); });
  const bytes = ae.save();
  ae.dispose();
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, out);
  const info = {
    out, bytes: bytes.length, windows: x.length / WINDOW, epochs: h.epochs, loss: h.loss.at(-1), valLoss: h.valLoss.at(-1), threshold,
    jumpsupFlagged: flagged.length ? `${flagged.length} windows, ${flagged[0]}-${flagged.at(-1)}` : 'none',
    ms: Math.round(performance.now() - t0),
  };
  console.error(`make-model: ${info.windows} windows of ${WINDOW} points, ${info.epochs} epochs, loss ${info.loss.toFixed(4)}, ` +
    `threshold ${threshold.toFixed(4)}; art_daily_jumpsup: ${info.jumpsupFlagged} flagged (NAB's anomaly window is rows 2787-3189); ` +
    `wrote ${out} (${info.bytes} bytes) in ${info.ms} ms`);
  return info;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--out');
  await makeModel(i > 0 ? process.argv[i + 1] : undefined);
}
