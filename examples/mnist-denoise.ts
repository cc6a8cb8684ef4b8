// mnist-denoise.ts: Keras's "Convolutional autoencoder for image denoising" (keras-io
// examples/vision/autoencoder, by Santiago L. Valdarrama) on the shared MNIST subset,
// trained and run in the wasm kernels.
//   pixels / 255 -> noisy = clip(x + 0.4 N(0, 1), 0, 1) (addNoise, the wasm PRNG)
//   conv 32 -> pool -> conv 32 -> pool -> convT 32 s2 -> convT 32 s2 -> conv 1 sigmoid, BCE, Adam
//   phase 1: clean -> clean; phase 2: noisy -> clean; batch 128; validation = the 500 test images
// Reports the test BCE of both phases beside Keras's published 0.0622 / 0.0839 (60,000 training
// images, 50 + 100 epochs), the PSNR of the denoised test images beside the noisy input itself and a
// PCA baseline (a linear autoencoder trained in wasm), timings, and writes a PNG grid
// (noisy / denoised / clean) to examples/out/mnist-denoise.png.
// The data stay in ../shared (MNIST's licence is unclear): nothing of MNIST is copied into this repo.
// Usage: node dist/examples/mnist-denoise.js [--data <dir>] [--epochs-clean 10] [--epochs-noisy 20]
//        [--seed 1] [--train 2000] [--batch 128] [--pca-k 32] [--pca-epochs 100] [--out <png>]
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Autoencoder, addNoise, type EpochInfo, type History } from 'autoencoder';
import { repoRoot } from './lib/digits.js';

// pngjs is CommonJS and needs Node's util/zlib/stream: load it at run time through Node's own require
// (a local `require`, which esbuild leaves alone) rather than bundling it into this ESM file, where
// its require('util') calls would throw "Dynamic require of "util" is not supported"
const { PNG } = createRequire(import.meta.url)('pngjs') as typeof import('pngjs');

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;
/** Keras's published validation losses (60,000 training images; 50 epochs clean, then 100 noisy). */
export const KERAS = { cleanValLoss: 0.0622, noisyValLoss: 0.0839, trainImages: 60_000, epochsClean: 50, epochsNoisy: 100 };

/** The model of the Keras example (28,353 parameters). */
export function denoiserSpec(seed: number) {
  return {
    inputShape: [SIDE, SIDE, 1],
    encoder: [
      { type: 'conv2d', filters: 32, kernel: 3, padding: 'same', activation: 'relu' },
      { type: 'maxPool2d', pool: 2 },
      { type: 'conv2d', filters: 32, kernel: 3, padding: 'same', activation: 'relu' },
      { type: 'maxPool2d', pool: 2 },
    ],
    decoder: [
      { type: 'conv2dTranspose', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
      { type: 'conv2dTranspose', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
      { type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' },
    ],
    loss: 'bce',
    seed,
  } as const;
}

// ---- data ----------------------------------------------------------------------------------

export { repoRoot };

/** ../shared/datasets/mnist beside the repository. */
export const defaultDataDir = () => resolve(repoRoot(), '../shared/datasets/mnist');

export interface MnistSplit { images: Uint8Array; labels: Uint8Array; count: number }
const FILES = ['mnist-subset-train-images.u8', 'mnist-subset-train-labels.u8', 'mnist-subset-test-images.u8', 'mnist-subset-test-labels.u8'];

/** Missing files of the subset in `dir` (empty when all are there). */
export function missingMnist(dir: string): string[] {
  return FILES.filter((f) => !existsSync(join(dir, f)));
}

/** Reads the raw uint8 MNIST subset (../shared/datasets/README.md §3); throws a clear error if absent. */
export function readMnist(dir: string): { train: MnistSplit; test: MnistSplit } {
  const missing = missingMnist(dir);
  if (missing.length) {
    throw new Error(`MNIST subset not found in ${dir}: missing ${missing.join(', ')}. ` +
      'It lives in the shared datasets checked out beside this repository (../shared/datasets/mnist); pass --data <dir> to point elsewhere. ' +
      'It is deliberately not copied into this repository (MNIST states no licence).');
  }
  const split = (name: string): MnistSplit => {
    const images = new Uint8Array(readFileSync(join(dir, `mnist-subset-${name}-images.u8`)));
    const labels = new Uint8Array(readFileSync(join(dir, `mnist-subset-${name}-labels.u8`)));
    if (images.length % PIXELS !== 0 || images.length / PIXELS !== labels.length) {
      throw new Error(`MNIST subset in ${dir} is malformed: ${name} has ${images.length} pixel bytes (${images.length / PIXELS} images) and ${labels.length} labels`);
    }
    return { images, labels, count: labels.length };
  };
  return { train: split('train'), test: split('test') };
}

/** Data preparation: the first `count` images as a Float32Array of count x 784 values in [0, 1]. */
export function toUnit(split: MnistSplit, count = split.count): Float32Array {
  const n = Math.min(count, split.count) * PIXELS;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = split.images[i]! / 255;
  return out;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * The validationSplit that holds out exactly the last `nVal` of `n` rows (fit() keeps
 * floor(n * (1 - split)) training rows), so that fit()'s validation loss, computed in wasm against
 * the targets, is the loss on the test images appended after the training images.
 */
export function splitFor(n: number, nVal: number): number {
  for (const s of [nVal / n, nVal / n - 1e-12, nVal / n + 1e-12]) {
    if (Math.floor(n * (1 - s)) === n - nVal) return s;
  }
  throw new Error(`no validationSplit holds out exactly ${nVal} of ${n} rows`);
}

// ---- metrics and pictures (reporting only; the model's numbers all come from wasm) ---------

/** Mean over images of 10 log10(1 / MSE(a_i, b_i)), pixels in [0, 1] (the peak is 1); optionally clipping a to [0, 1]. */
export function meanPsnr(a: Float32Array, b: Float32Array, clip = false): number {
  if (a.length !== b.length || a.length % PIXELS !== 0) throw new Error('meanPsnr: arrays of equal length, whole images');
  const n = a.length / PIXELS;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let se = 0;
    for (let j = i * PIXELS; j < (i + 1) * PIXELS; j++) {
      const v = clip ? Math.min(1, Math.max(0, a[j]!)) : a[j]!;
      const d = v - b[j]!;
      se += d * d;
    }
    sum += 10 * Math.log10(PIXELS / se);
  }
  return sum / n;
}

/**
 * A PNG (RGBA, via pngjs) of a grid of 28 x 28 images: one grid row per array in `rows`, the images
 * `picks` of each, every pixel drawn as a scale x scale block, `pad` grey pixels between tiles.
 * Values are clipped to [0, 1] and drawn as grey levels (ink white on black, as MNIST stores it).
 */
export function pngGrid(rows: Float32Array[], picks: number[], scale = 3, pad = 4): Buffer {
  const tile = SIDE * scale;
  const width = picks.length * tile + (picks.length + 1) * pad;
  const height = rows.length * tile + (rows.length + 1) * pad;
  const png = new PNG({ width, height });
  png.data.fill(0);
  for (let i = 0; i < width * height; i++) {
    png.data[4 * i] = png.data[4 * i + 1] = png.data[4 * i + 2] = 96;
    png.data[4 * i + 3] = 255;
  }
  rows.forEach((imgs, r) => {
    picks.forEach((k, c) => {
      const x0 = pad + c * (tile + pad), y0 = pad + r * (tile + pad);
      for (let y = 0; y < tile; y++) {
        for (let x = 0; x < tile; x++) {
          const v = imgs[k * PIXELS + Math.floor(y / scale) * SIDE + Math.floor(x / scale)]!;
          const g = Math.round(Math.min(1, Math.max(0, v)) * 255);
          const o = 4 * ((y0 + y) * width + x0 + x);
          png.data[o] = png.data[o + 1] = png.data[o + 2] = g;
        }
      }
    });
  });
  return PNG.sync.write(png);
}

/** The first test image of each digit 0-9 (fewer if a digit is absent). */
export function firstOfEachDigit(labels: Uint8Array, count: number): number[] {
  const picks: number[] = [];
  for (let d = 0; d < 10; d++) {
    const i = labels.subarray(0, count).indexOf(d);
    if (i >= 0) picks.push(i);
  }
  return picks;
}

// ---- the run -------------------------------------------------------------------------------

export interface DenoiseOptions {
  /** Folder with the raw uint8 MNIST subset. Default ../shared/datasets/mnist beside the repo. */
  dataDir?: string;
  epochsClean?: number;
  epochsNoisy?: number;
  seed?: number;
  /** Training images used (at most 2,000). */
  trainCount?: number;
  /** Test images used (at most 500). */
  testCount?: number;
  batchSize?: number;
  /** PCA baseline: components k and training epochs of the linear autoencoder (0 epochs skips it). */
  pcaK?: number;
  pcaEpochs?: number;
  /** Where to write the PNG grid; null writes none (the bytes are still returned). */
  pngPath?: string | null;
  /** Progress callback after every epoch. */
  onEpoch?: (phase: 'clean' | 'noisy' | 'pca', info: EpochInfo, epochs: number) => void;
}

export interface DenoiseResult {
  trainCount: number;
  testCount: number;
  paramCount: number;
  latentShape: number[];
  epochsClean: number;
  epochsNoisy: number;
  clean: History;
  noisy: History;
  /** Test BCE per pixel after phase 1, clean -> clean: the last validation loss of fit() (the mean of score() when phase 1 is skipped), and the mean of score() (wasm). */
  cleanTestBce: number;
  cleanTestBceScore: number;
  /** Test BCE per pixel after phase 2, noisy test -> clean test: the last validation loss of fit() with target (wasm). */
  noisyTestBce: number;
  /** Mean per-image PSNR (dB) against the clean test images. */
  psnr: { noisy: number; denoised: number; pca: number | null };
  pcaK: number;
  pcaFinalLoss: number | null;
  /** Timings in ms (per epoch: mean of fit()'s per-epoch times, which include the validation pass). */
  ms: { create: number; cleanPerEpoch: number; noisyPerEpoch: number; fitTotal: number; reconstruct: number; pcaFit: number };
  /** Inference throughput of reconstruct() on the noisy test images. */
  imagesPerSecond: number;
  /** Test images shown in the PNG grid and its bytes and size. */
  picks: number[];
  png: Buffer;
  pngSize: { width: number; height: number };
  pngPath: string | null;
  /** The arrays, for callers that want to look further. */
  noisyTest: Float32Array;
  denoisedTest: Float32Array;
  cleanTest: Float32Array;
}

const now = () => performance.now();
const mean = (xs: ArrayLike<number>) => { let s = 0; for (let i = 0; i < xs.length; i++) s += xs[i]!; return s / xs.length; };

/** The whole experiment, without printing: data, noise, both training phases, metrics, PCA, PNG. */
export async function runMnistDenoise(opts: DenoiseOptions = {}): Promise<DenoiseResult> {
  const seed = opts.seed ?? 1;
  const epochsClean = opts.epochsClean ?? 10;
  const epochsNoisy = opts.epochsNoisy ?? 20;
  const batchSize = opts.batchSize ?? 128;
  const pcaK = opts.pcaK ?? 32;
  const pcaEpochs = opts.pcaEpochs ?? 100;
  const { train, test } = readMnist(opts.dataDir ?? defaultDataDir());

  // data preparation: pixels / 255, then the noisy copies from the wasm PRNG (different seeds per split)
  const cleanTrain = toUnit(train, opts.trainCount), cleanTest = toUnit(test, opts.testCount);
  const nTrain = cleanTrain.length / PIXELS, nTest = cleanTest.length / PIXELS;
  const noisyTrain = await addNoise(cleanTrain, { std: 0.4, clip: [0, 1], seed });
  const noisyTest = await addNoise(cleanTest, { std: 0.4, clip: [0, 1], seed: seed + 1 });

  // Keras validates on the test images (validation_data); fit() takes its validation rows from the
  // end of x, so the test images go after the training ones and the split holds out exactly them
  const split = splitFor(nTrain + nTest, nTest);
  const cleanAll = concat(cleanTrain, cleanTest);
  const noisyAll = concat(noisyTrain, noisyTest);

  let t0 = now();
  const ae = await Autoencoder.create(denoiserSpec(seed));
  const msCreate = now() - t0;
  const fitOpts = (phase: 'clean' | 'noisy', epochs: number) => ({
    epochs, batchSize, validationSplit: split, earlyStopping: false as const,
    onEpoch: (info: EpochInfo) => { opts.onEpoch?.(phase, info, epochs); },
  });
  const perEpoch: Record<'clean' | 'noisy', number[]> = { clean: [], noisy: [] };
  const track = (phase: 'clean' | 'noisy', epochs: number) => {
    const o = fitOpts(phase, epochs);
    return { ...o, onEpoch: (info: EpochInfo) => { perEpoch[phase].push(info.ms); o.onEpoch(info); } };
  };

  t0 = now();
  // phase 1: x -> x (epochsClean 0 skips it)
  const clean: History = epochsClean > 0 ? await ae.fit(cleanAll, track('clean', epochsClean))
    : { loss: [], valLoss: [], epochs: 0, stoppedEarly: false, bestEpoch: 0, terms: {}, valTerms: {} };
  const cleanTestBceScore = mean(ae.score(cleanTest));                                         // per-row BCE (wasm), averaged
  // phase 2: noisy -> clean, from phase 1's weights (each fit() starts a fresh Adam state, where Keras's
  // second fit() keeps its optimizer's moments)
  const noisy = await ae.fit(noisyAll, { ...track('noisy', epochsNoisy), target: cleanAll });
  const fitTotal = now() - t0;

  t0 = now();
  const denoisedTest = ae.reconstruct(noisyTest);
  const msReconstruct = now() - t0;

  // PCA baseline: a linear autoencoder with biases trained (MSE) on the clean training images spans
  // the top-k principal subspace around the mean at its optimum. Alone that fixes the map only on the
  // span of the training images: encoder weights of pixels that are 0 in every clean image (the
  // borders) get no gradient and keep their random init, so noise there leaks into the code
  // (0.5 dB below exact PCA here). A tiny L2 penalty (weightDecay 1e-6; with Adam it drives those
  // weights to 0 whatever its size, and shrinks the rest by ~0.3%) picks the orthogonal projection,
  // which is PCA: 15.69 dB for k = 32 on the default run, as numpy's SVD projection gives on the same noisy images.
  let pca: number | null = null, pcaFinalLoss: number | null = null, pcaFit = 0;
  if (pcaEpochs > 0) {
    const lin = await Autoencoder.create({
      inputDim: PIXELS, layers: [pcaK], activation: 'linear', latentActivation: 'linear', outputActivation: 'linear', loss: 'mse', seed,
    });
    t0 = now();
    const h = await lin.fit(cleanTrain, {
      epochs: pcaEpochs, batchSize: 64, validationSplit: 0, earlyStopping: false, weightDecay: 1e-6,
      onEpoch: (info) => { opts.onEpoch?.('pca', info, pcaEpochs); },
    });
    pcaFit = now() - t0;
    pcaFinalLoss = h.loss.at(-1)!;
    pca = meanPsnr(lin.reconstruct(noisyTest), cleanTest, true);
    lin.dispose();
  }

  const picks = firstOfEachDigit(test.labels, nTest);
  const png = pngGrid([noisyTest, denoisedTest, cleanTest], picks);
  const decoded = PNG.sync.read(png);
  const pngPath = opts.pngPath === undefined ? join(repoRoot(), 'examples/out/mnist-denoise.png') : opts.pngPath;
  if (pngPath) {
    mkdirSync(dirname(pngPath), { recursive: true });
    writeFileSync(pngPath, png);
  }

  const result: DenoiseResult = {
    trainCount: nTrain, testCount: nTest, paramCount: ae.paramCount, latentShape: ae.latentShape,
    epochsClean, epochsNoisy, clean, noisy,
    cleanTestBce: clean.valLoss.at(-1) ?? cleanTestBceScore, cleanTestBceScore,
    noisyTestBce: noisy.valLoss.at(-1)!,
    psnr: { noisy: meanPsnr(noisyTest, cleanTest), denoised: meanPsnr(denoisedTest, cleanTest), pca },
    pcaK, pcaFinalLoss,
    ms: { create: msCreate, cleanPerEpoch: mean(perEpoch.clean), noisyPerEpoch: mean(perEpoch.noisy), fitTotal, reconstruct: msReconstruct, pcaFit },
    imagesPerSecond: nTest / (msReconstruct / 1000),
    picks, png, pngSize: { width: decoded.width, height: decoded.height }, pngPath,
    noisyTest, denoisedTest, cleanTest,
  };
  ae.dispose();
  return result;
}

// ---- CLI -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const known = ['data', 'epochs-clean', 'epochs-noisy', 'seed', 'train', 'batch', 'pca-k', 'pca-epochs', 'out'];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.replace(/^--/, '');
    if (!argv[i]!.startsWith('--') || !known.includes(name) || argv[i + 1] === undefined) {
      throw new Error(`usage: node dist/examples/mnist-denoise.js ${known.map((k) => `[--${k} <value>]`).join(' ')} (bad argument: ${argv[i]})`);
    }
    flags.set(name, argv[++i]!);
  }
  const num = (name: string, fallback: number) => {
    const v = flags.has(name) ? Number(flags.get(name)) : fallback;
    const min = name === 'pca-epochs' || name === 'epochs-clean' ? 0 : 1;
    if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min}, got ${flags.get(name)}`);
    return v;
  };
  const dataDir = flags.has('data') ? resolve(flags.get('data')!) : defaultDataDir();
  const opts: DenoiseOptions = {
    dataDir, epochsClean: num('epochs-clean', 10), epochsNoisy: num('epochs-noisy', 20), seed: num('seed', 1),
    trainCount: num('train', 2000), batchSize: num('batch', 128), pcaK: num('pca-k', 32), pcaEpochs: num('pca-epochs', 100),
    pngPath: flags.has('out') ? resolve(flags.get('out')!) : undefined,
  };
  const missing = missingMnist(dataDir);
  if (missing.length) {
    console.error(`mnist-denoise: the MNIST subset is not in ${dataDir} (missing ${missing.join(', ')}).\n` +
      'It is part of the shared datasets checked out beside this repository (../shared/datasets/mnist, see ../shared/datasets/README.md §3);\n' +
      'pass --data <dir> if it is elsewhere. It is not bundled here: MNIST states no licence.');
    process.exitCode = 1;
    return;
  }

  const wall = now();
  const ec = opts.epochsClean!, en = opts.epochsNoisy!;
  console.log(`Keras "Convolutional autoencoder for image denoising" on the MNIST subset in ${dataDir}`);
  console.log(`data: ${Math.min(opts.trainCount!, 2000).toLocaleString('en')} training + 500 test images, pixels / 255; noisy = clip(x + 0.4 N(0, 1), 0, 1) from the wasm PRNG (seeds ${opts.seed}, ${opts.seed! + 1})`);
  const reduced = ec < KERAS.epochsClean || en < KERAS.epochsNoisy;
  const nTrain = Math.min(opts.trainCount!, 2000), bs = opts.batchSize!;
  const steps = (epochs: number, n: number) => (epochs * Math.ceil(n / bs)).toLocaleString('en');
  const kerasSteps = (epochs: number) => (epochs * Math.ceil(KERAS.trainImages / 128)).toLocaleString('en');
  console.log(`budget: ${ec} epochs clean -> clean + ${en} epochs noisy -> clean, batch ${bs}, Adam 1e-3 (${steps(ec, nTrain)} + ${steps(en, nTrain)} optimizer steps)` +
    (reduced ? ` -- REDUCED from Keras's ${KERAS.epochsClean} + ${KERAS.epochsNoisy} epochs on 60,000 images (${kerasSteps(KERAS.epochsClean)} + ${kerasSteps(KERAS.epochsNoisy)} steps) to finish in minutes; ` +
      `--epochs-clean ${KERAS.epochsClean} --epochs-noisy ${KERAS.epochsNoisy} for Keras's epoch counts` : ` (Keras's epoch counts, but Keras trains on 60,000 images)`));
  let last = '';
  const r = await runMnistDenoise({
    ...opts,
    onEpoch: (phase, info, epochs) => {
      if (phase === 'pca') return;
      if (phase !== last) { last = phase; console.log(phase === 'clean' ? 'phase 1: clean -> clean' : 'phase 2: noisy -> clean'); }
      console.log(`  epoch ${String(info.epoch).padStart(3)}/${epochs}  loss ${info.loss.toFixed(4)}  val loss (test) ${info.valLoss.toFixed(4)}  ${(info.ms / 1000).toFixed(1)} s`);
    },
  });
  console.log(`model: conv2d 32 > maxPool > conv2d 32 > maxPool [latent ${r.latentShape.join('x')}] > conv2dT 32 s2 > conv2dT 32 s2 > conv2d 1 sigmoid, BCE; ` +
    `${r.paramCount.toLocaleString('en')} parameters (Keras: 28,353), created in ${r.ms.create.toFixed(0)} ms`);
  console.log(`test BCE per pixel on the ${r.testCount} test images (fit()'s validation loss against the targets, computed in wasm), beside Keras's val_loss (60,000 training images, 10,000 test):`);
  console.log(`  clean -> clean after phase 1 (${ec} epochs): ${r.cleanTestBce.toFixed(4)} (mean of score(): ${r.cleanTestBceScore.toFixed(4)})   Keras after 50 epochs: ${KERAS.cleanValLoss}`);
  console.log(`  noisy -> clean after phase 2 (${en} epochs): ${r.noisyTestBce.toFixed(4)}                             Keras after 100 more: ${KERAS.noisyValLoss}`);
  console.log(`PSNR against the clean test images (mean over images of 10 log10(1 / MSE)):`);
  console.log(`  noisy input (identity):     ${r.psnr.noisy.toFixed(2)} dB`);
  if (r.psnr.pca !== null) {
    console.log(`  PCA, k = ${r.pcaK}:                ${r.psnr.pca.toFixed(2)} dB  (projection of the noisy images; a linear autoencoder 784-${r.pcaK}-784 trained clean -> clean in wasm, ` +
      `${opts.pcaEpochs} epochs, weightDecay 1e-6, training MSE ${r.pcaFinalLoss!.toFixed(4)}; output clipped to [0, 1])`);
  }
  console.log(`  convolutional denoiser:     ${r.psnr.denoised.toFixed(2)} dB`);
  console.log(`timing: ${ec ? `${(r.ms.cleanPerEpoch / 1000).toFixed(2)} s/epoch clean, ` : ''}${(r.ms.noisyPerEpoch / 1000).toFixed(2)} s/epoch noisy ` +
    `(${r.trainCount.toLocaleString('en')} training images + a ${r.testCount}-image validation pass each); training ${(r.ms.fitTotal / 1000).toFixed(1)} s; ` +
    `reconstruct(): ${r.testCount} images in ${r.ms.reconstruct.toFixed(0)} ms (${r.imagesPerSecond.toFixed(0)} images/s)` +
    (r.psnr.pca !== null ? `; PCA fit ${(r.ms.pcaFit / 1000).toFixed(1)} s` : ''));
  console.log(`picture: ${r.pngPath} (${r.pngSize.width} x ${r.pngSize.height}): rows noisy / denoised / clean; test images ${r.picks.join(', ')} (the first of each digit 0-9)`);
  console.log(`wall time: ${((now() - wall) / 1000).toFixed(1)} s`);
}

const invoked = process.argv[1] !== undefined && (() => {
  try { return realpathSync(process.argv[1]!) === realpathSync(fileURLToPath(import.meta.url)); } catch { return false; }
})();
if (invoked) {
  main().catch((e: unknown) => {
    console.error(`mnist-denoise: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
