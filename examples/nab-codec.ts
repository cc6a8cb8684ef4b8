// nab-codec.ts: the learned codec on a time series. NAB's art_daily_small_noise (4,032 points, the
// repository's examples/data) cut into non-overlapping windows of 48 points (4 hours) trains a dense
// 1-D model (48-32-8-32-48, relu, standard normalizer) and a conv one with the same 8 latents
// (CONV_SPEC: two strided conv1d layers down to 12 x 16, a dense latent of 8, mirrored back);
// art_daily_jumpsup, cut the same way, is compressed: bytes per point and RMSE (value units) for each
// bits, with the container's own tables and with fitCodec() tables from the training windows, beside
// gzip -9 and xz -9e of the float32 values and of the value column as CSV text (lossless). And each model trained
// with the rate term (spec `rate`, --rates: the code under noise of one unit, rate · bits / 48 in the loss), its code
// rounded to integers (compress() without bits), with its own tables and with fitCodec()'s. Reporting
// code only: the model numbers come from the wasm kernels through the public API.
// Usage: node dist/examples/nab-codec.js [--window 48] [--epochs 200] [--conv-epochs 200 (0: no conv model)] [--seed 1]
//        [--rates 0.1,0.3,1 (none: no rate models)]
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Autoencoder, type AutoencoderSpec } from 'autoencoder';

const here = dirname(fileURLToPath(import.meta.url));

function column(file: string): { values: Float32Array; text: string } {
  const lines = readFileSync(join(here, 'data', file), 'utf8').trim().split('\n').slice(1);
  const cells = lines.map((l) => l.split(',')[1]!);
  return { values: Float32Array.from(cells, Number), text: `${cells.join('\n')}\n` };
}

const xz = (b: Uint8Array) => { try { return execFileSync('xz', ['-9e', '-c', '-T1'], { input: b }).length; } catch { return NaN; } };

/** The conv model for windows of `win` points (a multiple of 4): two strided conv1d layers down to win/4 x 16, a dense latent of 8 (the dense model's width), mirrored back. */
export function convSpec(win: number, seed: number) {
  return {
    inputShape: [win, 1],
    encoder: [
      { type: 'conv1d', filters: 16, kernel: 5, strides: 2, padding: 'same', activation: 'relu' },
      { type: 'conv1d', filters: 16, kernel: 5, strides: 2, padding: 'same', activation: 'relu' },
      { type: 'flatten' },
      { type: 'dense', units: 8 },
    ],
    decoder: [
      { type: 'dense', units: (win / 4) * 16, activation: 'relu' },
      { type: 'reshape', shape: [win / 4, 16] },
      { type: 'conv1dTranspose', filters: 16, kernel: 5, strides: 2, padding: 'same', activation: 'relu' },
      { type: 'conv1dTranspose', filters: 16, kernel: 5, strides: 2, padding: 'same', activation: 'relu' },
      { type: 'conv1d', filters: 1, kernel: 5, padding: 'same' },
    ],
    normalize: 'standard',
    seed,
  } as const;
}

export async function runNabCodec(opts: { window?: number; epochs?: number; convEpochs?: number; seed?: number; rates?: number[] } = {}) {
  const win = opts.window ?? 48, epochs = opts.epochs ?? 200, convEpochs = opts.convEpochs ?? 200, seed = opts.seed ?? 1;
  const train = column('art_daily_small_noise.csv'), test = column('art_daily_jumpsup.csv');
  const cut = (v: Float32Array) => v.slice(0, Math.floor(v.length / win) * win);
  const xTrain = cut(train.values), xTest = cut(test.values);
  const points = xTest.length;
  const rmse = (y: Float32Array) => { let s = 0; for (let i = 0; i < points; i++) s += (y[i]! - xTest[i]!) ** 2; return Math.sqrt(s / points); };
  const rows: { codec: string; setting: string; bytesPerPoint: number; rmse: number }[] = [];
  const rates = opts.rates ?? [0.1, 0.3, 1];
  const dense = (rate?: number) => Autoencoder.create({ inputDim: win, layers: [32, 8], normalize: 'standard', seed, ...(rate === undefined ? {} : { rate }) });
  const conv = (rate?: number) => Autoencoder.create({ ...convSpec(win, seed), ...(rate === undefined ? {} : { rate }) } as unknown as AutoencoderSpec);
  const models: { name: string; make: () => Promise<Autoencoder>; epochs: number; rate?: boolean }[] = [
    { name: 'dense AE', make: () => dense(), epochs },
    ...rates.map((r) => ({ name: `dense AE, rate ${r}`, make: () => dense(r), epochs, rate: true })),
  ];
  if (convEpochs > 0) {
    if (win % 4 !== 0) throw new Error(`the conv model needs a window that is a multiple of 4, got ${win} (or pass --conv-epochs 0)`);
    models.push({ name: 'conv AE', make: () => conv(), epochs: convEpochs });
    for (const r of rates) models.push({ name: `conv AE, rate ${r}`, make: () => conv(r), epochs: convEpochs, rate: true });
  }
  for (const m of models) {
    const ae = await m.make();
    await ae.fit(xTrain, { epochs: m.epochs, batchSize: 16, validationSplit: 0, earlyStopping: false });
    rows.push({ codec: m.name, setting: `float32 latent, no codec (${ae.paramCount.toLocaleString('en-US')} parameters)`, bytesPerPoint: (ae.latentDim * 4) / win, rmse: rmse(ae.reconstruct(xTest)) });
    if (m.rate) {
      // its code rounded to integers (compress() without bits), with the container's own tables and with fitCodec()'s
      const c = ae.compress(xTest);
      rows.push({ codec: m.name, setting: `integers (${c[5]} bits)`, bytesPerPoint: c.length / points, rmse: rmse(ae.decompress(c)) });
      ae.fitCodec(xTrain);
      const f = ae.compress(xTest);
      rows.push({ codec: `${m.name} + fitCodec`, setting: `integers (${f[5]} bits)${f[7] === 1 ? '' : ' (own tables used: latents outside the fitted range)'}`, bytesPerPoint: f.length / points, rmse: rmse(ae.decompress(f)) });
      ae.dispose();
      continue;
    }
    for (const bits of [2, 3, 4, 6, 8]) {
      const c = ae.compress(xTest, { bits });
      rows.push({ codec: m.name, setting: `bits ${bits}`, bytesPerPoint: c.length / points, rmse: rmse(ae.decompress(c)) });
    }
    for (const bits of [2, 3, 4, 6, 8]) {
      ae.fitCodec(xTrain, { bits });
      const c = ae.compress(xTest, { bits });
      rows.push({ codec: `${m.name} + fitCodec`, setting: `bits ${bits}${c[7] === 1 ? '' : ' (own tables used: latents outside the fitted range)'}`, bytesPerPoint: c.length / points, rmse: rmse(ae.decompress(c)) });
    }
    ae.dispose();
  }
  const f32 = new Uint8Array(xTest.buffer.slice(0));
  const csvText = new TextEncoder().encode(test.text.split('\n').slice(0, points).join('\n') + '\n');
  rows.push({ codec: 'gzip -9', setting: 'float32 values', bytesPerPoint: gzipSync(f32, { level: 9 }).length / points, rmse: 0 });
  rows.push({ codec: 'xz -9e', setting: 'float32 values', bytesPerPoint: xz(f32) / points, rmse: 0 });
  rows.push({ codec: 'gzip -9', setting: 'value column as CSV text', bytesPerPoint: gzipSync(csvText, { level: 9 }).length / points, rmse: 0 });
  rows.push({ codec: 'xz -9e', setting: 'value column as CSV text', bytesPerPoint: xz(csvText) / points, rmse: 0 });
  return { rows, points, win, epochs, convEpochs, seed };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const get = (flag: string) => { const i = args.indexOf(flag); return i >= 0 ? Number(args[i + 1]) : undefined; };
  const ri = args.indexOf('--rates');
  const rates = ri >= 0 ? (args[ri + 1] === 'none' ? [] : args[ri + 1]!.split(',').map(Number)) : undefined;
  const r = await runNabCodec({ window: get('--window'), epochs: get('--epochs'), convEpochs: get('--conv-epochs'), seed: get('--seed'), rates });
  console.log(`NAB art_daily_jumpsup, ${r.points} points in windows of ${r.win} (models trained on art_daily_small_noise, dense ${r.epochs} epochs${r.convEpochs > 0 ? `, conv ${r.convEpochs}` : ''}, seed ${r.seed}; values about 20 to 160):`);
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
