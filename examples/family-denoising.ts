// family-denoising.ts: a denoising autoencoder (Vincent et al. 2008) on the bundled 8x8 digits:
// the same 64-32-16 model (relu, sigmoid output, bce) trained plain (clean -> clean) and denoising
// with each corruption fit() draws in wasm, fresh each epoch, the target being the clean image:
// gaussian 0.3 clipped to [0, 1], mask 0.3 (30% of the pixels set to 0), saltPepper 0.2.
// Prints each model's loss terms and, on the test images corrupted with gaussian noise of the same
// std (addNoise(), the wasm PRNG), the MSE of the corrupted input, of the plain autoencoder's output
// and of each denoiser's output against the clean images. Writes examples/out/family-denoising.png:
// rows corrupted / plain / gaussian denoiser / clean. Every number the models produce is from wasm.
// Usage: npm run example:denoising [-- --epochs 150 --seed 1 --out <png>]
import { Autoencoder, addNoise, type FitOptions } from 'autoencoder';
import { firstOfEachDigit, flags, lastTerms, loadDigits, mse, PIXELS, pngGrid, rows, runIfMain, writePng } from './lib/digits.js';

async function main(): Promise<void> {
  const f = flags('family-denoising', { epochs: 150, seed: 1, out: '' });
  const { train, test } = loadDigits();
  console.log(`denoising autoencoder on the 8x8 digits (examples/data/digits.csv.gz, CC BY 4.0): 64 -> 32 -> 16 -> 32 -> 64, relu, sigmoid output, bce, ${f.epochs} epochs`);
  const noisyTest = await addNoise(test.x, { std: 0.3, clip: [0, 1], seed: 1000 + f.seed });
  console.log(`test images corrupted with clip(x + 0.3 N(0, 1), 0, 1) (addNoise, seed ${1000 + f.seed}): MSE against the clean images ${mse(noisyTest, test.x).toFixed(4)}`);
  const runs: [string, FitOptions['noise'] | undefined][] = [
    ['plain (no noise)', undefined],
    ['gaussian 0.3, clip [0, 1]', { gaussian: 0.3, clip: [0, 1] }],
    ['mask 0.3', { mask: 0.3 }],
    ['saltPepper 0.2', { saltPepper: 0.2 }],
  ];
  console.log('| training | terms of the last epoch | test MSE of the output (corrupted input) | test MSE (clean input) |');
  console.log('|---|---|---|---|');
  const outputs: Float32Array[] = [];
  for (const [name, noise] of runs) {
    const ae = await Autoencoder.create({ inputDim: PIXELS, layers: [32, 16], activation: 'relu', loss: 'bce', seed: f.seed });
    const h = await ae.fit(train.x, { epochs: f.epochs, batchSize: 64, validationSplit: 0, earlyStopping: false, ...(noise ? { noise } : {}) });
    const out = ae.reconstruct(noisyTest);
    outputs.push(out);
    console.log(`| ${name} | ${lastTerms(h.terms)} | ${mse(out, test.x).toFixed(4)} | ${mse(ae.reconstruct(test.x), test.x).toFixed(4)} |`);
    ae.dispose();
  }
  const picks = firstOfEachDigit(test.labels);
  const path = writePng('family-denoising', pngGrid([rows(noisyTest, picks), rows(outputs[0]!, picks), rows(outputs[1]!, picks), rows(test.x, picks)], 10), f.out || undefined);
  console.log(`picture: ${path} (rows: corrupted test digit / plain autoencoder's output / gaussian denoiser's output / clean digit)`);
}

runIfMain(import.meta.url, 'family-denoising', main);
