// mnist-codec.ts: the learned codec's rate-distortion table on the shared MNIST test images (500),
// beside classical codecs. Models trained on the 2,000 shared training images (pixels / 255):
//   dense  784-256-32-256-784, relu, sigmoid output, BCE, Adam, 50 epochs (issue 14's model)
//   conv   28x28x1 -> conv 16 3x3 s2 -> conv 32 3x3 s2 (7x7x32) -> dense 32 (the latent) and back through
//          dense 1568, convT 32 s2, convT 16 s2, conv 1 sigmoid; relu, BCE, Adam, 30 epochs (CONV_SPEC)
//   PCA    784-32-784 linear autoencoder, MSE (spans the top-32 principal subspace), same codec
// For each bits: one container for all 500 images (compress()), bytes / 500, and the PSNR of
// decompress() against the pixels (peak 1; MSE over all 392,000 pixels of the set). Beside it:
// gzip -9 and xz -9e of the raw uint8 pixels, PNG (pngjs, deflate 9, 8-bit grey) and JPEG (jpeg-js)
// at several qualities, each per image (mean bytes) and as one 560 x 700 mosaic of all 500.
// Also the other table option: quantiser and frequency tables fitted once on the training images and
// kept in the model (fitCodec()), so the container stores neither. And the rate term (spec `rate`, --rates):
// the same models trained with their code under noise of one unit and rate · bits / 784 added to the loss,
// their code then rounded to integers (compress() without bits), with their own tables and with fitCodec()'s.
// Reporting code only: every model number comes from the wasm kernels through the public API.
// Usage: node dist/examples/mnist-codec.js [--data <dir>] [--epochs 50] [--conv-epochs 30 (0: no conv model)]
//        [--seed 1] [--bits 2,3,4,5,6,8] [--rates 0.1,0.3,1 (none: 0 models)] [--conv-rates 0.1,0.3] [--no-pca] [--no-classical]
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Autoencoder, type AutoencoderSpec } from 'autoencoder';

// (mnist-denoise.ts has the same readers, but importing it would bundle and run its main as well)
const SIDE = 28, PIXELS = SIDE * SIDE;
interface MnistSplit { images: Uint8Array; count: number }

/** ../shared/datasets/mnist beside the repository (the nearest folder above with package.json "autoencoder"). */
function defaultDataDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(dir, 'package.json')) && (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'autoencoder')) {
    if (dirname(dir) === dir) throw new Error('cannot find the repository root (package.json "autoencoder") above this file');
    dir = dirname(dir);
  }
  return resolve(dir, '../shared/datasets/mnist');
}

/** The raw uint8 images of the shared MNIST subset (../shared/datasets/README.md). */
function readMnist(dir: string): { train: MnistSplit; test: MnistSplit } {
  const split = (name: string): MnistSplit => {
    const path = join(dir, `mnist-subset-${name}-images.u8`);
    if (!existsSync(path)) throw new Error(`MNIST subset not found: ${path} is absent (the shared datasets live beside this repository in ../shared/datasets/mnist; pass --data <dir> to point elsewhere)`);
    const images = new Uint8Array(readFileSync(path));
    return { images, count: images.length / PIXELS };
  };
  return { train: split('train'), test: split('test') };
}

const toUnit = (s: MnistSplit) => Float32Array.from(s.images, (v) => v / 255);

// CommonJS encoders loaded through Node's require at run time (see mnist-denoise.ts for why)
const require = createRequire(import.meta.url);
const { PNG } = require('pngjs') as typeof import('pngjs');
const jpeg = require('jpeg-js') as { encode(img: { data: Uint8Array; width: number; height: number }, q: number): { data: Uint8Array }; decode(b: Uint8Array, o: { useTArray: true }): { data: Uint8Array } };

const COLS = 20; // mosaic: 20 x 25 images

/** 10 log10(1 / MSE) over every pixel, values in [0, 1]. */
function psnr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return se === 0 ? Infinity : 10 * Math.log10(a.length / se);
}

/** n images (n x 784 uint8) as one mosaic of COLS columns, row-major grey. */
function mosaic(img: Uint8Array, n: number): { data: Uint8Array; width: number; height: number } {
  const width = COLS * SIDE, height = Math.ceil(n / COLS) * SIDE;
  const data = new Uint8Array(width * height);
  for (let i = 0; i < n; i++) {
    const ox = (i % COLS) * SIDE, oy = Math.floor(i / COLS) * SIDE;
    for (let y = 0; y < SIDE; y++) data.set(img.subarray(i * PIXELS + y * SIDE, i * PIXELS + (y + 1) * SIDE), (oy + y) * width + ox);
  }
  return { data, width, height };
}

function unmosaic(grey: Uint8Array, width: number, n: number): Uint8Array {
  const out = new Uint8Array(n * PIXELS);
  for (let i = 0; i < n; i++) {
    const ox = (i % COLS) * SIDE, oy = Math.floor(i / COLS) * SIDE;
    for (let y = 0; y < SIDE; y++) out.set(grey.subarray((oy + y) * width + ox, (oy + y) * width + ox + SIDE), i * PIXELS + y * SIDE);
  }
  return out;
}

const pngBytes = (g: { data: Uint8Array; width: number; height: number }) =>
  PNG.sync.write(Object.assign(new PNG({ width: g.width, height: g.height, colorType: 0, inputColorType: 0, inputHasAlpha: false }), { data: Buffer.from(g.data) }), { colorType: 0, inputColorType: 0, inputHasAlpha: false, deflateLevel: 9 }).length;

function jpegRound(g: { data: Uint8Array; width: number; height: number }, q: number): { bytes: number; grey: Uint8Array } {
  const rgba = new Uint8Array(g.data.length * 4);
  for (let i = 0; i < g.data.length; i++) { rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = g.data[i]!; rgba[4 * i + 3] = 255; }
  const enc = jpeg.encode({ data: rgba, width: g.width, height: g.height }, q).data;
  const dec = jpeg.decode(enc, { useTArray: true }).data;
  const grey = new Uint8Array(g.data.length);
  for (let i = 0; i < grey.length; i++) grey[i] = dec[4 * i]!;
  return { bytes: enc.length, grey };
}

interface Row { codec: string; setting: string; bytesPerImage: number; psnr: number; note?: string }

/** The conv model: strided convs down to 7 x 7 x 32, a dense latent of 32 (the dense model's width), mirrored back. */
export const CONV_SPEC = {
  inputShape: [SIDE, SIDE, 1],
  encoder: [
    { type: 'conv2d', filters: 16, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'conv2d', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 32 },
  ],
  decoder: [
    { type: 'dense', units: 7 * 7 * 32, activation: 'relu' },
    { type: 'reshape', shape: [7, 7, 32] },
    { type: 'conv2dTranspose', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'conv2dTranspose', filters: 16, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' },
  ],
  loss: 'bce',
} as const;

export interface CodecOptions {
  data?: string; epochs?: number; convEpochs?: number; seed?: number; bits?: number[]; rates?: number[]; convRates?: number[]; pca?: boolean; classical?: boolean; log?: (s: string) => void;
}

export async function runMnistCodec(opts: CodecOptions = {}): Promise<Row[]> {
  const log = opts.log ?? (() => {});
  const { train, test } = readMnist(opts.data ?? defaultDataDir());
  const xTrain = toUnit(train), xTest = toUnit(test);
  const n = test.count, seed = opts.seed ?? 1, epochs = opts.epochs ?? 50, convEpochs = opts.convEpochs ?? 30;
  const bitsList = opts.bits ?? [2, 3, 4, 5, 6, 8];
  const rows: Row[] = [];
  const t0 = Date.now();
  const fitOpts = { epochs, validationSplit: 0, earlyStopping: false } as const;

  // every model: how it is made and trained, and whether fitCodec() tables are measured for it
  const models: { name: string; make: () => Promise<Autoencoder>; fit: (ae: Autoencoder) => Promise<unknown>; tables: boolean; rate?: boolean }[] = [];
  const dense = (rate?: number) => Autoencoder.create({ inputDim: PIXELS, layers: [256, 32], activation: 'relu', outputActivation: 'sigmoid', loss: 'bce', seed, ...(rate === undefined ? {} : { rate }) });
  const conv = (rate?: number) => Autoencoder.create({ ...CONV_SPEC, seed, ...(rate === undefined ? {} : { rate }) } as unknown as AutoencoderSpec);
  models.push({ name: 'dense AE', make: () => dense(), fit: (ae) => ae.fit(xTrain, fitOpts), tables: true });
  for (const rate of opts.rates ?? [0.1, 0.3, 1]) {
    models.push({ name: `dense AE, rate ${rate}`, make: () => dense(rate), fit: (ae) => ae.fit(xTrain, fitOpts), tables: true, rate: true });
  }
  if (convEpochs > 0) {
    models.push({ name: 'conv AE', make: () => conv(), fit: (ae) => ae.fit(xTrain, { ...fitOpts, epochs: convEpochs }), tables: true });
    for (const rate of opts.convRates ?? [0.1, 0.3]) {
      models.push({ name: `conv AE, rate ${rate}`, make: () => conv(rate), fit: (ae) => ae.fit(xTrain, { ...fitOpts, epochs: convEpochs }), tables: true, rate: true });
    }
  }
  if (opts.pca !== false) {
    models.push({
      name: 'PCA', tables: false,
      make: () => Autoencoder.create({ inputDim: PIXELS, layers: [32], activation: 'linear', latentActivation: 'linear', outputActivation: 'linear', loss: 'mse', seed }),
      fit: (ae) => ae.fit(xTrain, { epochs: 100, batchSize: 64, validationSplit: 0, earlyStopping: false, weightDecay: 1e-6 }),
    });
  }

  for (const m of models) {
    const t1 = Date.now();
    const ae = await m.make();
    await m.fit(ae);
    log(`${m.name} trained (${ae.paramCount} parameters) in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    rows.push({ codec: m.name, setting: 'float32 latent (no codec)', bytesPerImage: ae.latentDim * 4, psnr: psnr(ae.reconstruct(xTest), xTest) });
    if (m.rate) {
      // a rate model's own quantiser: its code rounded to integers (compress() without bits), then with fitCodec()'s
      // integer tables, then each dimension's range at 3 and 4 bits with fitCodec()'s tables
      const own = ae.compress(xTest);
      rows.push({ codec: m.name, setting: `integers (${own[5]} bits)`, bytesPerImage: own.length / n, psnr: psnr(ae.decompress(own), xTest) });
      ae.fitCodec(xTrain);
      const fitted = ae.compress(xTest);
      rows.push({ codec: `${m.name} + fitCodec(training images)`, setting: `integers (${fitted[5]} bits)`, bytesPerImage: fitted.length / n, psnr: psnr(ae.decompress(fitted), xTest), note: fitted[7] === 1 ? 'model tables used' : 'own tables used' });
      for (const bits of [3, 4]) {
        ae.fitCodec(xTrain, { bits });
        const c = ae.compress(xTest, { bits });
        rows.push({ codec: `${m.name} + fitCodec(training images)`, setting: `bits ${bits}`, bytesPerImage: c.length / n, psnr: psnr(ae.decompress(c), xTest), note: c[7] === 1 ? 'model tables used' : 'own tables used' });
      }
      ae.dispose();
      continue;
    }
    for (const bits of bitsList) {
      const c = ae.compress(xTest, { bits });
      rows.push({ codec: m.name, setting: `bits ${bits}`, bytesPerImage: c.length / n, psnr: psnr(ae.decompress(c), xTest) });
    }
    // the other table option: quantiser and tables fitted once on the training images, kept in the model
    // (fitCodec); compress() uses them when that gives the smaller container (flag byte 7 says which)
    for (const bits of m.tables ? bitsList : []) {
      const alone = ae.compress(xTest.subarray(0, PIXELS), { bits }).length;
      ae.fitCodec(xTrain, { bits });
      const c = ae.compress(xTest, { bits });
      const used = c[7] === 1 ? 'model tables used' : 'own tables used';
      rows.push({ codec: `${m.name} + fitCodec(training images)`, setting: `bits ${bits}`, bytesPerImage: c.length / n, psnr: psnr(ae.decompress(c), xTest), note: used });
      log(`${m.name}, bits ${bits}: one test image alone in a container: ${alone} bytes with its own tables, ${ae.compress(xTest.subarray(0, PIXELS), { bits }).length} bytes with the fitCodec() tables`);
    }
    ae.dispose();
  }

  log(`codec rows done (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (opts.classical === false) return rows;
  const raw = test.images;
  const unit = (u: Uint8Array) => Float32Array.from(u, (v) => v / 255);
  rows.push({ codec: 'gzip -9', setting: 'raw uint8 pixels, all 500', bytesPerImage: gzipSync(raw, { level: 9 }).length / n, psnr: Infinity });
  try {
    rows.push({ codec: 'xz -9e', setting: 'raw uint8 pixels, all 500', bytesPerImage: execFileSync('xz', ['-9e', '-c', '-T1'], { input: raw, maxBuffer: 1 << 26 }).length / n, psnr: Infinity });
  } catch (e) {
    log(`xz: skipped (${(e as Error).message.split('\n')[0]})`);
  }
  let perPng = 0;
  for (let i = 0; i < n; i++) perPng += pngBytes({ data: raw.subarray(i * PIXELS, (i + 1) * PIXELS), width: SIDE, height: SIDE });
  rows.push({ codec: 'PNG', setting: 'per image', bytesPerImage: perPng / n, psnr: Infinity });
  const m = mosaic(raw, n);
  rows.push({ codec: 'PNG', setting: 'one mosaic', bytesPerImage: pngBytes(m) / n, psnr: Infinity });
  log(`gzip, xz, PNG done (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  const truth = unit(raw);
  for (const q of [1, 5, 10, 20, 50, 75, 90]) {
    let bytes = 0;
    const grey = new Uint8Array(n * PIXELS);
    for (let i = 0; i < n; i++) {
      const r = jpegRound({ data: raw.subarray(i * PIXELS, (i + 1) * PIXELS), width: SIDE, height: SIDE }, q);
      bytes += r.bytes;
      grey.set(r.grey, i * PIXELS);
    }
    rows.push({ codec: 'JPEG', setting: `per image, q ${q}`, bytesPerImage: bytes / n, psnr: psnr(unit(grey), truth) });
    const r = jpegRound(m, q);
    rows.push({ codec: 'JPEG', setting: `one mosaic, q ${q}`, bytesPerImage: r.bytes / n, psnr: psnr(unit(unmosaic(r.grey, m.width, n)), truth) });
  }
  return rows;
}

export function table(rows: Row[]): string {
  const lines = ['| codec | setting | bytes / image | PSNR (dB) |', '|---|---|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.codec} | ${r.setting}${r.note ? ` (${r.note})` : ''} | ${r.bytesPerImage.toFixed(2)} | ${Number.isFinite(r.psnr) ? r.psnr.toFixed(2) : 'lossless'} |`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const get = (flag: string) => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1] : undefined; };
  const list = (v: string | undefined) => (v === undefined ? undefined : v === 'none' ? [] : v.split(',').map(Number));
  const t0 = Date.now();
  const rows = await runMnistCodec({
    data: get('--data'), epochs: get('--epochs') ? Number(get('--epochs')) : undefined, seed: get('--seed') ? Number(get('--seed')) : undefined,
    convEpochs: get('--conv-epochs') ? Number(get('--conv-epochs')) : undefined,
    bits: get('--bits')?.split(',').map(Number), rates: list(get('--rates')), convRates: list(get('--conv-rates')), pca: !args.includes('--no-pca'), classical: !args.includes('--no-classical'), log: (s) => console.log(s),
  });
  console.log(`rate-distortion on the ${500} MNIST test images (PSNR over all pixels, peak 1):`);
  console.log(table(rows));
  console.log(`wall time: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const invoked = process.argv[1] !== undefined && (() => {
  try { return realpathSync(process.argv[1]!) === realpathSync(fileURLToPath(import.meta.url)); } catch { return false; }
})();
if (invoked) {
  main().catch((e: unknown) => {
    console.error(`mnist-codec: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
