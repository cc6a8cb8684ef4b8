// nab-codec.ts: the learned codec on a time series. NAB's art_daily_small_noise (4,032 points, the
// repository's examples/data) cut into non-overlapping windows of 48 points (4 hours) trains a dense
// 1-D model (48-32-8-32-48, relu, standard normalizer); art_daily_jumpsup, cut the same way, is
// compressed: bytes per point and RMSE (value units) for each bits, with the container's own tables
// and with fitCodec() tables from the training windows, beside gzip -9 and xz -9e of the float32
// values and of the value column as CSV text (lossless). Reporting code only: the model numbers
// come from the wasm kernels through the public API.
// Usage: node dist/examples/nab-codec.js [--window 48] [--epochs 200]
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Autoencoder } from 'autoencoder';

const here = dirname(fileURLToPath(import.meta.url));

function column(file: string): { values: Float32Array; text: string } {
  const lines = readFileSync(join(here, 'data', file), 'utf8').trim().split('\n').slice(1);
  const cells = lines.map((l) => l.split(',')[1]!);
  return { values: Float32Array.from(cells, Number), text: `${cells.join('\n')}\n` };
}

const xz = (b: Uint8Array) => { try { return execFileSync('xz', ['-9e', '-c', '-T1'], { input: b }).length; } catch { return NaN; } };

export async function runNabCodec(opts: { window?: number; epochs?: number } = {}) {
  const win = opts.window ?? 48, epochs = opts.epochs ?? 200;
  const train = column('art_daily_small_noise.csv'), test = column('art_daily_jumpsup.csv');
  const cut = (v: Float32Array) => v.slice(0, Math.floor(v.length / win) * win);
  const xTrain = cut(train.values), xTest = cut(test.values);
  const points = xTest.length;
  const ae = await Autoencoder.create({ inputDim: win, layers: [32, 8], normalize: 'standard', seed: 1 });
  await ae.fit(xTrain, { epochs, batchSize: 16, validationSplit: 0, earlyStopping: false });
  const rmse = (y: Float32Array) => { let s = 0; for (let i = 0; i < points; i++) s += (y[i]! - xTest[i]!) ** 2; return Math.sqrt(s / points); };
  const rows: { codec: string; setting: string; bytesPerPoint: number; rmse: number }[] = [];
  rows.push({ codec: 'dense AE', setting: 'float32 latent, no codec', bytesPerPoint: (8 * 4) / win, rmse: rmse(ae.reconstruct(xTest)) });
  for (const bits of [2, 3, 4, 6, 8]) {
    const c = ae.compress(xTest, { bits });
    rows.push({ codec: 'dense AE', setting: `bits ${bits}`, bytesPerPoint: c.length / points, rmse: rmse(ae.decompress(c)) });
  }
  for (const bits of [2, 3, 4, 6, 8]) {
    ae.fitCodec(xTrain, { bits });
    const c = ae.compress(xTest, { bits });
    rows.push({ codec: 'dense AE + fitCodec', setting: `bits ${bits}${c[7] === 1 ? '' : ' (own tables used: latents outside the fitted range)'}`, bytesPerPoint: c.length / points, rmse: rmse(ae.decompress(c)) });
  }
  const f32 = new Uint8Array(xTest.buffer.slice(0));
  const csvText = new TextEncoder().encode(test.text.split('\n').slice(0, points).join('\n') + '\n');
  rows.push({ codec: 'gzip -9', setting: 'float32 values', bytesPerPoint: gzipSync(f32, { level: 9 }).length / points, rmse: 0 });
  rows.push({ codec: 'xz -9e', setting: 'float32 values', bytesPerPoint: xz(f32) / points, rmse: 0 });
  rows.push({ codec: 'gzip -9', setting: 'value column as CSV text', bytesPerPoint: gzipSync(csvText, { level: 9 }).length / points, rmse: 0 });
  rows.push({ codec: 'xz -9e', setting: 'value column as CSV text', bytesPerPoint: xz(csvText) / points, rmse: 0 });
  ae.dispose();
  return { rows, points, win, epochs };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const get = (flag: string) => { const i = args.indexOf(flag); return i >= 0 ? Number(args[i + 1]) : undefined; };
  const r = await runNabCodec({ window: get('--window'), epochs: get('--epochs') });
  console.log(`NAB art_daily_jumpsup, ${r.points} points in windows of ${r.win} (model trained ${r.epochs} epochs on art_daily_small_noise; values about 20 to 160):`);
  console.log('| codec | setting | bytes / point | RMSE |\n|---|---|---:|---:|');
  for (const row of r.rows) console.log(`| ${row.codec} | ${row.setting} | ${row.bytesPerPoint.toFixed(3)} | ${row.rmse === 0 ? 'lossless' : row.rmse.toFixed(2)} |`);
}

const invoked = process.argv[1] !== undefined && (() => {
  try { return realpathSync(process.argv[1]!) === realpathSync(fileURLToPath(import.meta.url)); } catch { return false; }
})();
if (invoked) {
  main().catch((e: unknown) => {
    console.error(`nab-codec: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
