// family-sparse.ts: sparse autoencoders on the bundled 8x8 digits, a 64 -> 32 -> 64 model (sigmoid
// output, bce) whose 32-unit code is pushed towards few active units by one of the two penalties:
//   L1 (Goodfellow et al., Deep Learning §14.2.1): sparsity: { l1: λ }, + λ Σ|z| / rows, relu code;
//   KL (Ng, CS294A notes): sparsity: { kl: { rho, weight } }, + weight Σ_j KL(ρ ‖ ρ̂_j), sigmoid code.
// Each beside the same model without the penalty. Prints the terms fit() reports (the sparsity term as
// added to the loss), the share of code values that are (near) zero, the mean activation of a unit,
// and the test reconstruction MSE; writes examples/out/family-sparse.png, the codes of the first test
// digit of each class (one row per model, 32 units as a 4x8 tile). Every model number is from wasm.
// Usage: npm run example:sparse [-- --epochs 150 --seed 1 --out <png>]
import { Autoencoder, type AutoencoderSpec } from 'autoencoder';
import { firstOfEachDigit, flags, lastTerms, loadDigits, mean, mse, PIXELS, pngGrid, rows, runIfMain, writePng } from './lib/digits.js';

const L = 32;

async function main(): Promise<void> {
  const f = flags('family-sparse', { epochs: 150, seed: 1, l1: 0.003, rho: 0.05, 'kl-weight': 0.1, out: '' });
  const { train, test } = loadDigits();
  console.log(`sparse autoencoders on the 8x8 digits (examples/data/digits.csv.gz, CC BY 4.0): 64 -> ${L} -> 64, sigmoid output, bce, ${f.epochs} epochs`);
  const models: [string, Partial<AutoencoderSpec>, number][] = [
    ['relu code, no penalty', { latentActivation: 'relu' }, 1e-6],
    [`relu code, l1 ${f.l1}`, { latentActivation: 'relu', sparsity: { l1: f.l1 } }, 1e-6],
    ['sigmoid code, no penalty', { latentActivation: 'sigmoid' }, 0.05],
    [`sigmoid code, kl rho ${f.rho} weight ${f['kl-weight']}`, { latentActivation: 'sigmoid', sparsity: { kl: { rho: f.rho, weight: f['kl-weight'] } } }, 0.05],
  ];
  console.log('| model | terms of the last epoch | code values ~0 | mean unit activation | test MSE |');
  console.log('|---|---|---|---|---|');
  const picks = firstOfEachDigit(test.labels);
  const codes: Float32Array[] = [];
  for (const [name, spec, zero] of models) {
    const ae = await Autoencoder.create({ inputDim: PIXELS, layers: [L], loss: 'bce', seed: f.seed, ...spec });
    const h = await ae.fit(train.x, { epochs: f.epochs, batchSize: 64, validationSplit: 0, earlyStopping: false });
    const z = ae.encode(test.x);
    const near = z.filter((v) => Math.abs(v) < zero).length / z.length;
    console.log(`| ${name} | ${lastTerms(h.terms)} | ${(100 * near).toFixed(1)}% (${zero < 1e-3 ? '= 0' : `< ${zero}`}) | ${mean(z).toFixed(3)} | ${mse(ae.reconstruct(test.x), test.x).toFixed(4)} |`);
    // the codes of the picked digits, each scaled by its model's largest code value (drawing only)
    const c = rows(z, picks, L);
    let top = 1e-9;
    for (const v of c) top = Math.max(top, v);
    codes.push(c.map((v) => v / top));
    ae.dispose();
  }
  const path = writePng('family-sparse', pngGridCodes(codes), f.out || undefined);
  console.log(`picture: ${path} (the 32-unit code of test digits 0-9 as 4x8 tiles; rows in the table's order; white = most active)`);
}

/** Codes of L = 32 units drawn as 4x8 tiles (pngGrid draws square tiles: pad each code to 8x8). */
function pngGridCodes(codes: Float32Array[]): Buffer {
  const square = codes.map((c) => {
    const out = new Float32Array((c.length / L) * 64);
    for (let i = 0; i < c.length / L; i++) out.set(c.subarray(i * L, (i + 1) * L), i * 64 + 16);
    return out;
  });
  return pngGrid(square, 10);
}

runIfMain(import.meta.url, 'family-sparse', main);
