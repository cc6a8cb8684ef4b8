// The MNIST denoising example (examples/mnist-denoise.ts, Keras's convolutional denoiser) on a small,
// fast budget: 300 training images, 100 held-out test images, 1 epoch clean -> clean and 3 epochs
// noisy -> clean at batch 8 (small batches: enough optimizer steps to learn in a few seconds), plus
// the PCA baseline. Checks true properties, not the published losses (60,000 images, 150 epochs):
// the Keras parameter count, that denoising clearly beats the noisy input on held-out images, that the
// reported noisy -> clean BCE is the BCE of reconstruct()'s output against the clean images, and that
// the PNG grid decodes back (pngjs) to the expected size with the images in it.
// Skipped when ../shared/datasets/mnist is absent (the data are not in this repository).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Autoencoder } from 'autoencoder';
import {
  PIXELS, SIDE, defaultDataDir, denoiserSpec, missingMnist, pngGrid, readMnist, runMnistDenoise, splitFor, type DenoiseResult,
} from '../examples/mnist-denoise.js';

const { PNG } = createRequire(import.meta.url)('pngjs') as typeof import('pngjs');
const DATA = defaultDataDir();
const HAVE = missingMnist(DATA).length === 0;
if (!HAVE) console.warn(`[skip] tests/mnist.test.ts, mnist-denoise on the MNIST subset: ${missingMnist(DATA).join(', ')} absent from ${DATA} (the shared data are not checked out beside this repository)`);
const MISSING = `skipped: ${DATA} is missing (the shared datasets are not checked out beside this repo)`;

describe('mnist-denoise helpers (no data needed)', () => {
  it('splitFor() holds out exactly the appended test rows', () => {
    for (const [n, v] of [[2500, 500], [400, 100], [1000, 1], [2001, 500], [7, 3], [60_000 + 10_000, 10_000]] as const) {
      const s = splitFor(n, v);
      expect(Math.floor(n * (1 - s))).toBe(n - v);
    }
  });

  it('readMnist() on a folder without the subset says where the data belong and how to point elsewhere', () => {
    expect(() => readMnist('/nonexistent/mnist')).toThrow(/MNIST subset not found in \/nonexistent\/mnist.*--data <dir>/);
  });

  it('pngGrid() draws every image pixel as a scale x scale block', () => {
    const imgs = new Float32Array(3 * PIXELS).map((_, i) => (i % 7) / 6);
    const png = PNG.sync.read(pngGrid([imgs, imgs], [0, 2], 2, 3));
    expect([png.width, png.height]).toEqual([2 * 56 + 3 * 3, 2 * 56 + 3 * 3]);
    const at = (x: number, y: number) => png.data[4 * (y * png.width + x)];
    // row 1, column 1 shows image 2: pixel (r, c) at (3 + 59 + 2c, 3 + 59 + 2r) and its block
    for (const [r, c] of [[0, 0], [5, 9], [27, 27], [13, 4]] as const) {
      const want = Math.round(imgs[2 * PIXELS + r * SIDE + c]! * 255);
      expect(at(62 + 2 * c, 62 + 2 * r)).toBe(want);
      expect(at(63 + 2 * c, 63 + 2 * r)).toBe(want);
    }
    expect(at(0, 0)).toBe(96); // separator
  });
});

describe.skipIf(!HAVE)(HAVE ? 'mnist-denoise on the shared MNIST subset (small budget)' : `mnist-denoise (${MISSING})`, () => {
  let r: DenoiseResult;
  let dir: string;
  let seconds = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mnist-denoise-'));
    const t0 = performance.now();
    r = await runMnistDenoise({
      dataDir: DATA, trainCount: 300, testCount: 100, epochsClean: 1, epochsNoisy: 3, batchSize: 8, seed: 1,
      pcaK: 32, pcaEpochs: 50, pngPath: join(dir, 'grid.png'),
    });
    seconds = (performance.now() - t0) / 1000;
    console.log(`mnist (300 train, 100 test, 1 + 3 epochs at batch 8): PSNR noisy ${r.psnr.noisy.toFixed(2)} dB, ` +
      `PCA-32 ${r.psnr.pca!.toFixed(2)} dB, denoised ${r.psnr.denoised.toFixed(2)} dB; test BCE clean ${r.cleanTestBce.toFixed(4)}, noisy ${r.noisyTestBce.toFixed(4)}; ${seconds.toFixed(1)} s`);
  }, 120_000);
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('the model is Keras\'s: 28,353 parameters, latent 7 x 7 x 32', async () => {
    const ae = await Autoencoder.create(denoiserSpec(1));
    expect(ae.paramCount).toBe(28353);
    expect(ae.latentShape).toEqual([7, 7, 32]);
    expect(r.paramCount).toBe(28353);
  });

  it('uses the requested images and budget', () => {
    expect([r.trainCount, r.testCount]).toEqual([300, 100]);
    expect([r.clean.epochs, r.noisy.epochs]).toEqual([1, 3]);
    expect(r.noisy.valLoss).toHaveLength(3);
    expect(seconds).toBeLessThan(60);
  });

  it('the noisy inputs are clip(x + 0.4 N(0, 1), 0, 1): about 11 dB, in [0, 1]', () => {
    expect(r.psnr.noisy).toBeGreaterThan(10);
    expect(r.psnr.noisy).toBeLessThan(12);
    expect(r.noisyTest.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('denoised held-out images beat the noisy input by more than 3 dB of PSNR, and PCA by more than 1 dB', () => {
    expect(r.psnr.denoised).toBeGreaterThan(r.psnr.noisy + 3);
    expect(r.psnr.pca!).toBeGreaterThan(r.psnr.noisy + 2);
    expect(r.psnr.denoised).toBeGreaterThan(r.psnr.pca! + 1);
  });

  it('the reported noisy -> clean test BCE is the BCE of reconstruct(noisy test) against the clean test images', () => {
    let sum = 0;
    const p = r.denoisedTest, t = r.cleanTest;
    for (let i = 0; i < p.length; i++) {
      const lp = Math.max(Math.log(p[i]!), -100), lq = Math.max(Math.log(1 - p[i]!), -100);
      sum -= t[i]! * lp + (1 - t[i]!) * lq;
    }
    const bce = sum / p.length;
    expect(Math.abs(r.noisyTestBce - bce)).toBeLessThan(1e-4 * bce + 1e-6);
    expect(r.denoisedTest.every((v) => v >= 0 && v <= 1)).toBe(true);
    // and the clean -> clean figure after phase 1 is the same in fit()'s validation pass and in score()
    expect(Math.abs(r.cleanTestBce - r.cleanTestBceScore)).toBeLessThan(1e-5);
  });

  it('writes a valid PNG grid (noisy / denoised / clean, the first of each digit) that decodes to the expected size and pixels', () => {
    const { test } = readMnist(DATA);
    expect(r.picks.map((i) => test.labels[i])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const bytes = readFileSync(r.pngPath!);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const png = PNG.sync.read(bytes);
    const scale = 3, pad = 4, tile = SIDE * scale;
    expect([png.width, png.height]).toEqual([10 * tile + 11 * pad, 3 * tile + 4 * pad]);
    expect([r.pngSize.width, r.pngSize.height]).toEqual([png.width, png.height]);
    // grid row g, column c shows image picks[c] of [noisy, denoised, clean]: check one pixel per block centre
    [r.noisyTest, r.denoisedTest, r.cleanTest].forEach((imgs, g) => {
      r.picks.forEach((k, c) => {
        for (const [y, x] of [[14, 14], [7, 20], [20, 9]] as const) {
          const px = pad + c * (tile + pad) + x * scale + 1, py = pad + g * (tile + pad) + y * scale + 1;
          expect(png.data[4 * (py * png.width + px)]).toBe(Math.round(imgs[k * PIXELS + y * SIDE + x]! * 255));
        }
      });
    });
  });
});
