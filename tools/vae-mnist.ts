// vae-mnist.ts: the dense VAE of issue 11 on the shared MNIST subset, for the comparison with
// tools/vae-mnist-torch.py (the same recipe in PyTorch): 784-256-16, relu, sigmoid output, bce,
// Adam 1e-3, batch 64, 100 epochs on the 2,000 training images (pixels / 255), no validation
// split, no early stopping. Prints the negative ELBO per image (nats) on the 500 test images,
// averaged over 5 draws of z (score(x, { by: 'elbo', samples: 5 })), and writes PNG grids of
// sample() draws and of a conditional VAE's generate() per digit class (one row per digit).
// Not part of the test run (needs ../shared; a few minutes).
// Measured 2026-11-30 (seed 1, 100 epochs): 118.51 nats/image here, 118.52 for tools/vae-mnist-torch.py
// (PyTorch 1.13, seed 1): 0.01% apart (the issue asks within 1%); KL 22.30 vs 22.77 nats/image. Since
// 2026-12-07 every image takes the same draws of z (common random numbers, README "The family"), so
// the mean over the 500 images carries the error of 5 draws, not of 2,500: the same model reads 117.80
// (0.6% from PyTorch's), and 118.78 with --samples 100 (0.2%).
// The conditional VAE has a 2-value latent (--cvae-latent): with 16, z carried the class and the
// condition was ignored (rows of mixed digits); with 2 the condition must, and every row of
// cvae-generate.png reads as its digit (looked at, 2026-11-30, seed 1, 100 epochs).
// Usage: npx tsx tools/vae-mnist.ts [--epochs 100] [--out /tmp/vae-mnist] [--cvae-latent 2]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { intArg } from './args.js';
import { Autoencoder } from '../bindings/node.js';

// pngjs is CommonJS: loaded through Node's require (as examples/mnist-denoise.ts does)
const { PNG } = createRequire(import.meta.url)('pngjs') as typeof import('pngjs');

const args = new Command('npx tsx tools/vae-mnist.ts')
  .description("issue 11's dense VAE (and a conditional VAE) on the shared MNIST subset: test negative ELBO per image, PNG grids")
  .option('--epochs <n>', 'training epochs', intArg('--epochs', 1), 100)
  .option('--out <dir>', 'where the PNGs go', '/tmp/vae-mnist')
  .option('--cvae-latent <n>', "the conditional VAE's latent size", intArg('--cvae-latent', 1), 2)
  .option('--samples <n>', 'draws of z per image for the negative ELBO (shared by every image)', intArg('--samples', 1, 10000), 5)
  .parse()
  .opts<{ epochs: number; out: string; cvaeLatent: number; samples: number }>();
const EPOCHS = args.epochs;
const OUT = args.out;
const DIR = new URL('../../shared/datasets/mnist/', import.meta.url).pathname;
const images = (f: string) => Float32Array.from(readFileSync(DIR + f), (b) => b / 255);
const xTrain = images('mnist-subset-train-images.u8'), xTest = images('mnist-subset-test-images.u8');
const yTrain = readFileSync(DIR + 'mnist-subset-train-labels.u8');
const oneHot = (labels: Uint8Array) => Float32Array.from({ length: labels.length * 10 }, (_, i) => (labels[Math.floor(i / 10)] === i % 10 ? 1 : 0));

/** A PNG (pngjs, RGBA) of a grid of 28x28 images (values in [0, 1]), `cols` per row. */
function png(imgs: Float32Array, n: number, cols: number): Uint8Array {
  const rows = Math.ceil(n / cols);
  const p = new PNG({ width: cols * 28, height: rows * 28 });
  p.data.fill(255);
  for (let k = 0; k < n; k++) {
    const gx = (k % cols) * 28, gy = Math.floor(k / cols) * 28;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const at = ((gy + y) * cols * 28 + gx + x) * 4, v = Math.round(255 * (1 - imgs[k * 784 + y * 28 + x]!)); // ink dark
        p.data[at] = p.data[at + 1] = p.data[at + 2] = v;
      }
    }
  }
  return PNG.sync.write(p);
}

mkdirSync(OUT, { recursive: true });
const fit = { epochs: EPOCHS, batchSize: 64, learningRate: 1e-3, validationSplit: 0, earlyStopping: false as const };
const t0 = performance.now();
const vae = await Autoencoder.create({ inputDim: 784, layers: [256, 16], activation: 'relu', loss: 'bce', variational: { beta: 1 }, seed: 1 });
const h = await vae.fit(xTrain, fit);
const ms = performance.now() - t0;
const elbo = vae.score(xTest, { by: 'elbo', samples: args.samples, seed: 0 });
const kl = vae.score(xTest, { by: 'kl' });
const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
writeFileSync(`${OUT}/vae-samples.png`, png(vae.sample(64, { seed: 1 }), 64, 8));
writeFileSync(`${OUT}/vae-reconstructions.png`, png(new Float32Array([...xTest.subarray(0, 16 * 784), ...vae.reconstruct(xTest.subarray(0, 16 * 784))]), 32, 16));
// a conditional VAE: one row of 8 generate() draws per digit
const cvae = await Autoencoder.create({ inputDim: 784, layers: [256, args.cvaeLatent], activation: 'relu', loss: 'bce', variational: { beta: 1 }, conditionDim: 10, seed: 1 });
await cvae.fit(xTrain, { ...fit, condition: oneHot(yTrain) });
const digits = oneHot(Uint8Array.from({ length: 80 }, (_, i) => Math.floor(i / 8)));
writeFileSync(`${OUT}/cvae-generate.png`, png(cvae.generate(digits, { seed: 1 }), 80, 8));
console.log(JSON.stringify({
  recipe: '784-256-16 relu, sigmoid out, bce, Adam 1e-3, batch 64', epochs: EPOCHS, samples: args.samples, trainMs: Math.round(ms),
  finalLoss: h.loss.at(-1), finalTerms: Object.fromEntries(Object.entries(h.terms).map(([k, v]) => [k, v.at(-1)])),
  testNegElboPerImage: mean(elbo), testKlPerImage: mean(kl), pngs: [`${OUT}/vae-samples.png`, `${OUT}/vae-reconstructions.png`, `${OUT}/cvae-generate.png`],
}, null, 1));
