// family-beta-vae.ts: the β-VAE (Higgins et al. 2017) trade-off on the bundled 8x8 digits: the VAE of
// family-vae.ts trained with β = 0.25, 1, 2 and 4 (loss = reconstruction + β · KL / 64 per pixel).
// Prints, per β, the terms fit() reports, the test reconstruction BCE, the KL in nats per image and
// how many of the 8 latent units carry information (mean KL of the unit over the test images above
// 0.01 nats, from posterior()), and writes examples/out/family-beta-vae.png: one grid row of sample()
// draws per β (top to bottom 0.25, 1, 2, 4). Every number the models produce is computed in wasm.
// Usage: npm run example:beta-vae [-- --epochs 200 --seed 1 --out <png>]
import { Autoencoder } from 'autoencoder';
import { flags, lastTerms, loadDigits, mean, PIXELS, pngGrid, runIfMain, writePng } from './lib/digits.js';

const BETAS = [0.25, 1, 2, 4];
const L = 8;

async function main(): Promise<void> {
  const f = flags('family-beta-vae', { epochs: 200, seed: 1, out: '' });
  const { train, test } = loadDigits();
  console.log(`beta-VAE on the 8x8 digits (examples/data/digits.csv.gz, CC BY 4.0): 64 -> 64 relu -> 2 x ${L} -> 64 relu -> 64 sigmoid, bce, ${f.epochs} epochs per beta`);
  console.log('| beta | terms of the last epoch (per pixel) | test BCE/pixel | test KL nats/image | active units |');
  console.log('|---|---|---|---|---|');
  const grid: Float32Array[] = [];
  for (const beta of BETAS) {
    const vae = await Autoencoder.create({ inputDim: PIXELS, layers: [64, L], activation: 'relu', loss: 'bce', variational: { beta }, seed: f.seed });
    const h = await vae.fit(train.x, { epochs: f.epochs, batchSize: 64, validationSplit: 0, earlyStopping: false });
    // KL of each latent unit, averaged over the test images (metric only): -1/2 (1 + lv - mu^2 - e^lv)
    const { mean: mu, logVar } = vae.posterior(test.x);
    const klUnit = new Float64Array(L);
    for (let i = 0; i < mu.length; i++) klUnit[i % L] = klUnit[i % L]! - 0.5 * (1 + logVar[i]! - mu[i]! ** 2 - Math.exp(logVar[i]!)) / test.count;
    const active = klUnit.filter((k) => k > 0.01).length;
    console.log(`| ${beta} | ${lastTerms(h.terms)} | ${mean(vae.score(test.x)).toFixed(4)} | ${mean(vae.score(test.x, { by: 'kl' })).toFixed(2)} | ${active} of ${L} |`);
    grid.push(vae.sample(10, { seed: f.seed }));
    vae.dispose();
  }
  const path = writePng('family-beta-vae', pngGrid(grid, 10), f.out || undefined);
  console.log(`picture: ${path} (10 sample() draws per beta, rows beta = ${BETAS.join(', ')})`);
  console.log('a larger beta buys a smaller KL (fewer informative units) with a worse reconstruction; at beta 4 every unit collapses to the prior (KL ~ 0) and sample() draws one blurred mean digit');
}

runIfMain(import.meta.url, 'family-beta-vae', main);
