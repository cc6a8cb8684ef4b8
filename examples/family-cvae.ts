// family-cvae.ts: a conditional VAE (Sohn, Lee & Yan 2015) on the bundled 8x8 digits: the one-hot
// label c is appended to the encoder's input ([x, c]) and to z before the decoder ([z, c]);
// 64+10 -> 64 relu -> 2 x 8 -> [z, c] -> 64 relu -> 64 sigmoid, bce, beta 1, Adam, batch 64.
// Prints the loss terms and the test negative ELBO with the true labels and with wrong ones (each test
// image scored under the label of the next digit), and writes examples/out/family-cvae-generate.png:
// generate(c) for c = one-hot(0) ... one-hot(9), one grid row per digit, 10 prior draws each.
// Every number the model produces is computed in wasm.
// Usage: npm run example:cvae [-- --epochs 300 --seed 1 --out <png>]
import { Autoencoder } from 'autoencoder';
import { flags, lastTerms, loadDigits, mean, oneHot, PIXELS, pngGrid, runIfMain, writePng } from './lib/digits.js';

async function main(): Promise<void> {
  const f = flags('family-cvae', { epochs: 300, seed: 1, out: '' });
  const { train, test } = loadDigits();
  console.log(`conditional VAE on the 8x8 digits (examples/data/digits.csv.gz, CC BY 4.0): ${train.count} training, ${test.count} test images, condition = one-hot label`);
  const cvae = await Autoencoder.create({ inputDim: PIXELS, layers: [64, 8], activation: 'relu', loss: 'bce', variational: { beta: 1 }, conditionDim: 10, seed: f.seed });
  console.log(`model: [x, c] 74 -> 64 relu -> 2 x 8 (mean, log-variance) -> [z, c] 18 -> 64 relu -> 64 sigmoid, bce; ${cvae.paramCount.toLocaleString('en')} parameters`);
  const h = await cvae.fit(train.x, {
    condition: oneHot(train.labels), epochs: f.epochs, batchSize: 64, validationSplit: 0, earlyStopping: false,
    onEpoch: (e) => { if (e.epoch === 1 || e.epoch % 50 === 0) console.log(`  epoch ${String(e.epoch).padStart(3)}  loss ${e.loss.toFixed(4)}`); },
  });
  console.log(`last epoch's terms (per pixel, as added to the loss): ${lastTerms(h.terms)}`);
  const elbo = (labels: ArrayLike<number>) => mean(cvae.score(test.x, { by: 'elbo', samples: 5, seed: 0, condition: oneHot(labels) }));
  const wrong = Uint8Array.from(test.labels, (d) => (d + 1) % 10);
  const right = elbo(test.labels), other = elbo(wrong);
  console.log(`test negative ELBO (nats/image, 5 draws): ${right.toFixed(2)} with the true labels, ${other.toFixed(2)} with the wrong label (digit + 1): ` +
    `the model uses the condition (${(other - right).toFixed(2)} nats worse without it)`);
  // a conditional classifier for free: the label whose condition gives the lowest negative ELBO
  const perLabel = Array.from({ length: 10 }, (_, d) => cvae.score(test.x, { by: 'elbo', samples: 5, seed: 0, condition: oneHot(new Uint8Array(test.count).fill(d)) }));
  let hits = 0;
  for (let i = 0; i < test.count; i++) {
    let best = 0;
    for (let d = 1; d < 10; d++) if (perLabel[d]![i]! < perLabel[best]![i]!) best = d;
    if (best === test.labels[i]) hits++;
  }
  console.log(`argmin over the 10 labels of the negative ELBO labels ${hits} of ${test.count} test images correctly (${(100 * hits / test.count).toFixed(1)}%)`);
  // generate(): one grid row per digit, 10 prior draws each
  const grid = Array.from({ length: 10 }, (_, d) => cvae.generate(oneHot(new Uint8Array(10).fill(d)), { seed: f.seed + d }));
  const path = writePng('family-cvae-generate', pngGrid(grid, 10), f.out || undefined);
  console.log(`picture: ${path} (generate(): row d holds 10 draws for the one-hot condition of digit d, d = 0..9 top to bottom)`);
  cvae.dispose();
}

runIfMain(import.meta.url, 'family-cvae', main);
