// family-conv-vae.ts: a convolutional VAE on the bundled 8x8 digits, written with the
// inputShape/encoder/decoder spec plus `variational` (the encoder ends with a dense layer of the
// latent size L; in a VAE it outputs L means and L log-variances):
//   8x8x1 -> conv2d 8 3x3 relu -> maxPool 2 -> conv2d 16 3x3 relu -> flatten -> dense 8 (x 2)
//   z -> dense 256 relu -> reshape 4x4x16 -> conv2dTranspose 8 3x3 s2 relu -> conv2d 1 3x3 sigmoid
// bce, beta 1, Adam, batch 64. Prints the loss terms and the test negative ELBO beside the dense VAE
// of family-vae.ts trained for the same epochs, and writes examples/out/family-conv-vae-samples.png
// (sample(): decoded prior draws). Every number the models produce is computed in wasm.
// Usage: npm run example:conv-vae [-- --epochs 100 --seed 1 --out <png>]
import { Autoencoder, type AutoencoderSpec } from 'autoencoder';
import { flags, lastTerms, loadDigits, mean, PIXELS, pngGrid, runIfMain, SIDE, vaeSpec, writePng } from './lib/digits.js';

/** The conv VAE's spec (L = 8 latent units). */
export const convVaeSpec = (seed: number): AutoencoderSpec => ({
  inputShape: [SIDE, SIDE, 1],
  encoder: [
    { type: 'conv2d', filters: 8, kernel: 3, padding: 'same', activation: 'relu' },
    { type: 'maxPool2d', pool: 2 },
    { type: 'conv2d', filters: 16, kernel: 3, padding: 'same', activation: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 8 },
  ],
  decoder: [
    { type: 'dense', units: 4 * 4 * 16, activation: 'relu' },
    { type: 'reshape', shape: [4, 4, 16] },
    { type: 'conv2dTranspose', filters: 8, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' },
  ],
  loss: 'bce', variational: { beta: 1 }, seed,
});

async function main(): Promise<void> {
  const f = flags('family-conv-vae', { epochs: 100, seed: 1, out: '' });
  const { train, test } = loadDigits();
  console.log(`conv VAE on the 8x8 digits (examples/data/digits.csv.gz, CC BY 4.0): ${train.count} training, ${test.count} test images, ${f.epochs} epochs`);
  const fit = { epochs: f.epochs, batchSize: 64, validationSplit: 0, earlyStopping: false as const };
  const conv = await Autoencoder.create(convVaeSpec(f.seed));
  console.log(`model: conv2d 8 > maxPool > conv2d 16 > flatten > dense 2 x 8 | z > dense 256 > reshape 4x4x16 > conv2dT 8 s2 > conv2d 1 sigmoid; ${conv.paramCount.toLocaleString('en')} parameters`);
  let t0 = performance.now();
  const h = await conv.fit(train.x, { ...fit, onEpoch: (e) => { if (e.epoch === 1 || e.epoch % 25 === 0) console.log(`  epoch ${String(e.epoch).padStart(3)}  loss ${e.loss.toFixed(4)}  ${e.ms.toFixed(0)} ms`); } });
  const convMs = performance.now() - t0;
  console.log(`last epoch's terms (per pixel, as added to the loss): ${lastTerms(h.terms)}`);
  const dense = await Autoencoder.create(vaeSpec(f.seed));
  t0 = performance.now();
  await dense.fit(train.x, fit);
  const denseMs = performance.now() - t0;
  const report = (name: string, m: Autoencoder, ms: number) => console.log(`  ${name}: negative ELBO ${mean(m.score(test.x, { by: 'elbo', samples: 5, seed: 0 })).toFixed(2)} nats/image ` +
    `(KL ${mean(m.score(test.x, { by: 'kl' })).toFixed(2)}), reconstruction BCE ${mean(m.score(test.x)).toFixed(4)}/pixel; ${m.paramCount.toLocaleString('en')} parameters, trained in ${(ms / 1000).toFixed(1)} s`);
  console.log(`test images (5 draws of z per image), same epochs and optimizer:`);
  report('conv VAE ', conv, convMs);
  report('dense VAE', dense, denseMs);
  const samples = conv.sample(80, { seed: f.seed });
  const grid = Array.from({ length: 8 }, (_, r) => samples.subarray(r * 10 * PIXELS, (r + 1) * 10 * PIXELS));
  const path = writePng('family-conv-vae-samples', pngGrid(grid, 10), f.out || undefined);
  console.log(`picture: ${path} (80 sample() draws of the conv VAE)`);
  conv.dispose();
  dense.dispose();
}

runIfMain(import.meta.url, 'family-conv-vae', main);
