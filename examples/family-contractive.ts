// family-contractive.ts: a contractive autoencoder (Rifai et al. 2011) on the bundled 8x8 digits:
// 64 -> 32 tanh -> 8 sigmoid -> 32 tanh -> 64 sigmoid, bce, trained plain and with contractive: λ
// (+ λ (1/rows) Σ ‖∂z/∂x‖²_F, exact through both encoder layers, computed with its gradient in wasm).
// Prints the terms fit() reports (contractive / λ is the training images' mean ‖J‖²_F), the test
// images' mean ‖J‖²_F measured outside the model by central differences of encode() (h = 1e-3), how far
// the code moves under small input noise (addNoise, std 0.05), and the test reconstruction MSE.
// Writes examples/out/family-contractive.png: test digits, then each model's reconstruction.
// Every number the models produce is computed in wasm; the differences here are metrics only.
// Usage: npm run example:contractive [-- --epochs 80 --seed 1 --lambda 0.01 --out <png>]
import { Autoencoder, addNoise } from 'autoencoder';
import { firstOfEachDigit, flags, lastTerms, loadDigits, mse, PIXELS, pngGrid, rows, runIfMain, writePng } from './lib/digits.js';

const L = 8;

/** Mean over rows of ‖∂z/∂x‖²_F by central differences of encode() (h in input units). */
function jacobianNorm2(ae: Autoencoder, x: Float32Array, h = 1e-3): number {
  const n = x.length / PIXELS;
  let sum = 0;
  for (let j = 0; j < PIXELS; j++) {
    const plus = x.slice(), minus = x.slice();
    for (let r = 0; r < n; r++) { plus[r * PIXELS + j] = x[r * PIXELS + j]! + h; minus[r * PIXELS + j] = x[r * PIXELS + j]! - h; }
    const zp = ae.encode(plus), zm = ae.encode(minus);
    for (let i = 0; i < zp.length; i++) sum += ((zp[i]! - zm[i]!) / (2 * h)) ** 2;
  }
  return sum / n;
}

async function main(): Promise<void> {
  const f = flags('family-contractive', { epochs: 80, seed: 1, lambda: 0.01, out: '' });
  const { train, test } = loadDigits();
  console.log(`contractive autoencoder on the 8x8 digits (examples/data/digits.csv.gz, CC BY 4.0): 64 -> 32 tanh -> ${L} sigmoid -> 32 tanh -> 64 sigmoid, bce, ${f.epochs} epochs`);
  const noisy = await addNoise(test.x, { std: 0.05, seed: 1000 + f.seed });
  console.log('| model | terms of the last epoch | train mean ‖J‖²_F (term / λ) | test mean ‖J‖²_F (differences) | code shift under noise 0.05 | test MSE |');
  console.log('|---|---|---|---|---|---|');
  const picks = firstOfEachDigit(test.labels);
  const grid = [rows(test.x, picks)];
  for (const lambda of [0, f.lambda]) {
    const ae = await Autoencoder.create({ inputDim: PIXELS, layers: [32, L], activation: 'tanh', latentActivation: 'sigmoid', loss: 'bce', seed: f.seed, ...(lambda ? { contractive: lambda } : {}) });
    const h = await ae.fit(train.x, { epochs: f.epochs, batchSize: 64, validationSplit: 0, earlyStopping: false });
    const z = ae.encode(test.x), zn = ae.encode(noisy);
    const shift = Math.sqrt(mse(z, zn) * L); // RMS over rows of ‖z(x + δ) − z(x)‖
    const term = h.terms.contractive?.at(-1);
    console.log(`| ${lambda ? `contractive ${lambda}` : 'plain'} | ${lastTerms(h.terms)} | ${term === undefined ? '–' : (term / lambda).toFixed(3)} | ${jacobianNorm2(ae, test.x).toFixed(3)} | ${shift.toFixed(4)} | ${mse(ae.reconstruct(test.x), test.x).toFixed(4)} |`);
    grid.push(rows(ae.reconstruct(test.x), picks));
    ae.dispose();
  }
  const path = writePng('family-contractive', pngGrid(grid, 10), f.out || undefined);
  console.log(`picture: ${path} (rows: test digits / plain reconstruction / contractive reconstruction)`);
}

runIfMain(import.meta.url, 'family-contractive', main);
