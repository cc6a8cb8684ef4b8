// family-vae.ts: a variational autoencoder (Kingma & Welling 2014) on the bundled 8x8 digits:
// 64-64-8 relu, sigmoid output, binary cross-entropy, variational: { beta: 1 }, Adam, batch 64.
// Prints the loss terms (reconstruction and KL, as fit() adds them), the negative ELBO and KL per test
// image in nats (score(x, { by: 'elbo' | 'kl' })), and writes two PNG grids to examples/out/:
// family-vae-samples.png (sample(): decoded prior draws) and family-vae-reconstructions.png (test
// images over their decode(mean)). Every number the model produces is computed in wasm.
// Usage: npm run example:vae [-- --epochs 300 --seed 1 --out <png>] (with --out, the reconstructions go beside it:
// <png minus .png>-reconstructions.png)
import { Autoencoder } from 'autoencoder';
import { flags, firstOfEachDigit, lastTerms, loadDigits, mean, PIXELS, pngGrid, rows, runIfMain, vaeSpec, writePng } from './lib/digits.js';

async function main(): Promise<void> {
  const f = flags('family-vae', { epochs: 300, seed: 1, out: '' });
  const { train, test } = loadDigits();
  console.log(`VAE on the 8x8 digits (examples/data/digits.csv.gz, CC BY 4.0): ${train.count} training, ${test.count} test images, pixels / 16`);
  const vae = await Autoencoder.create(vaeSpec(f.seed));
  console.log(`model: dense 64 -> 64 relu -> 2 x 8 (mean, log-variance) -> z -> 64 relu -> 64 sigmoid, bce, beta 1; ${vae.paramCount.toLocaleString('en')} parameters`);
  const h = await vae.fit(train.x, {
    epochs: f.epochs, batchSize: 64, validationSplit: 0, earlyStopping: false,
    onEpoch: (e) => { if (e.epoch === 1 || e.epoch % 50 === 0) console.log(`  epoch ${String(e.epoch).padStart(3)}  loss ${e.loss.toFixed(4)}`); },
  });
  // the terms as fit() adds them: reconstruction = mean BCE per pixel, kl = KL_row / 64 averaged over rows
  console.log(`last epoch's terms (per pixel, as added to the loss): ${lastTerms(h.terms)}`);
  const elbo = mean(vae.score(test.x, { by: 'elbo', samples: 5, seed: 0 })), kl = mean(vae.score(test.x, { by: 'kl' }));
  console.log(`test images: negative ELBO ${elbo.toFixed(2)} nats/image (5 draws of z), of which KL ${kl.toFixed(2)} nats; ` +
    `reconstruction BCE ${mean(vae.score(test.x)).toFixed(4)} per pixel (decode(mean))`);
  // sample(): 8 rows of 10 decoded prior draws; reconstructions: the first test image of each digit over its decode(mean)
  const samples = vae.sample(80, { seed: f.seed });
  const grid = Array.from({ length: 8 }, (_, r) => samples.subarray(r * 10 * PIXELS, (r + 1) * 10 * PIXELS));
  const pathS = writePng('family-vae-samples', pngGrid(grid, 10), f.out || undefined);
  const picks = rows(test.x, firstOfEachDigit(test.labels));
  // (with --out, beside it: <out>-reconstructions.png, so that nothing is written to examples/out/)
  const pathR = writePng('family-vae-reconstructions', pngGrid([picks, vae.reconstruct(picks)], 10), f.out ? f.out.replace(/(\.png)?$/i, '-reconstructions.png') : undefined);
  console.log(`pictures: ${pathS} (80 sample() draws), ${pathR} (test digits 0-9 over their reconstructions)`);
  vae.dispose();
}

runIfMain(import.meta.url, 'family-vae', main);
