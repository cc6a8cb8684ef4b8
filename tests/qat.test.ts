// qat.test.ts: quantisation-aware training (fit(x, { quantize: { bits } }), assembly/qat.ts).
// Oracles: the sampling stream written again in BigInt (tests/ref/rng.ts) and a float64 forward of
// the dense net (tests/ref/dense.ts) with the latent noise added, whose gradient is taken by central
// finite differences; the range rule (previous epoch's range, the batches so far in the first)
// recomputed in the test from the rows, on an identity model where the loss is the noise's square.
import { describe, expect, it } from 'vitest';
import { Autoencoder } from 'autoencoder';
import { fdGrad } from './ref/fd.js';
import { denseForward } from './ref/dense.js';
import { lossValue } from './ref/loss.js';
import { PURPOSE, Stream } from './ref/rng.js';
import { Rng, getF32, kernelOf, putF32, withIO } from './helpers.js';

describe('quantisation-aware training: uniform noise of one quantisation step on the latent', () => {
  it('ae_grads with the noise on: loss and every gradient vs a float64 forward with the same noise and finite differences', async () => {
    const D = 7, H = 5, W = 3, R = 6, bits = 3, seed = 13;
    const ae = await Autoencoder.create({ inputDim: D, layers: [H, W], activation: 'tanh', seed });
    const r = new Rng(99);
    ae.setWeights(ae.getWeights().map((w, i) => (i % 2 === 1 ? r.f32(w.length, -0.3, 0.3) : w)));
    const x = r.f32(R * D, -1.5, 1.5);
    // a range in use per dimension (lo, hi): step_j = (hi - lo) / 7
    const lo = [-1, -0.5, 0.25], hi = [1.5, 2, 0.5];
    const k = kernelOf(ae);
    const { loss, grads, measured } = withIO(k, () => {
      const xp = putF32(k, x);
      const qr = putF32(k, [...lo, ...hi, Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity], W);
      k.setQuantize(bits, qr);
      const l = k.x.ae_grads(k.ctx, xp, xp, R);
      k.setQuantize(0, 0);
      return { loss: l, grads: getF32(k, k.grads, k.nParams), measured: getF32(k, qr + 8 * W, 2 * W) };
    });
    const s = new Stream(seed, PURPOSE.sample);
    const noise = Array.from({ length: R * W }, (_, i) => Math.fround(Math.fround((hi[i % W]! - lo[i % W]!) / 7) * (s.uniform() - 0.5)));
    const w64 = ae.getWeights().map((w) => Float64Array.from(w));
    const acts = ['tanh', 'linear', 'tanh', 'linear'], sizes = [D, H, W, H, D];
    const latent = () => {
      let h: ArrayLike<number> = x;
      for (let l = 0; l < 2; l++) h = denseForward(h, R, sizes[l]!, sizes[l + 1]!, w64[2 * l]!, w64[2 * l + 1]!, acts[l]!).a;
      return h;
    };
    const objective = () => {
      let h: ArrayLike<number> = Float64Array.from(latent(), (v, i) => v + noise[i]!);
      for (let l = 2; l < 4; l++) h = denseForward(h, R, sizes[l]!, sizes[l + 1]!, w64[2 * l]!, w64[2 * l + 1]!, acts[l]!).a;
      return lossValue('mse', h, x);
    };
    expect(Math.abs(loss - objective())).toBeLessThanOrEqual(2e-5 * objective());
    // the batch's clean latent went into the measured range
    const z = latent();
    for (let j = 0; j < W; j++) {
      const col = Array.from({ length: R }, (_, i) => z[i * W + j]!);
      expect(Math.abs(measured[j]! - Math.min(...col))).toBeLessThanOrEqual(1e-5);
      expect(Math.abs(measured[W + j]! - Math.max(...col))).toBeLessThanOrEqual(1e-5);
    }
    let off = 0, worst = 0, scale = 0;
    for (const w of w64) {
      const g = fdGrad(objective, w, 1e-5);
      for (let i = 0; i < g.length; i++) {
        worst = Math.max(worst, Math.abs(grads[off + i]! - g[i]!));
        scale = Math.max(scale, Math.abs(g[i]!));
      }
      off += w.length;
    }
    expect(scale).toBeGreaterThan(1e-3);
    expect(worst, `max |wasm - fd| ${worst} vs max |fd| ${scale}`).toBeLessThanOrEqual(2e-4 * scale + 1e-6);
  });

  it('the step: the range so far in the first epoch, the previous epoch\'s range after; inference has no noise', async () => {
    // identity model (dense D -> D -> D, W = I): the epoch loss is the mean square of the noise
    const D = 4, n = 30, half = 15, bits = 2, seed = 8;
    const ae = await Autoencoder.create({ inputShape: [D], encoder: [{ type: 'dense', units: D }], decoder: [{ type: 'dense', units: D }], seed });
    const eye = Float32Array.from({ length: D * D }, (_, i) => (i % (D + 1) === 0 ? 1 : 0));
    ae.setWeights([eye, new Float32Array(D), eye, new Float32Array(D)]);
    const x = new Rng(3).f32(n * D, -2, 3);
    // the second half reaches wider than the first in every column
    for (let j = 0; j < D; j++) { x[half * D + j] = -3 - j; x[(half + 1) * D + j] = 4 + j; }
    const h = await ae.fit(x, { epochs: 2, learningRate: 0, shuffle: false, batchSize: half, validationSplit: 0, earlyStopping: false, quantize: { bits } });
    const range = (r0: number, r1: number) => Array.from({ length: D }, (_, j) => {
      const col = Array.from({ length: r1 - r0 }, (_, r) => x[(r0 + r) * D + j]!);
      return Math.max(...col) - Math.min(...col);
    });
    const first = range(0, half), all = range(0, n);
    const s = new Stream(seed, PURPOSE.sample);
    const epoch = (steps: number[][]) => {
      let sum = 0;
      for (let i = 0; i < n * D; i++) sum += (Math.fround(steps[Math.floor(i / (half * D))]![i % D]! / 3) * (s.uniform() - 0.5)) ** 2;
      return sum / (n * D);
    };
    const want = [epoch([first, all]), epoch([all, all])];
    for (let e = 0; e < 2; e++) expect(Math.abs(h.loss[e]! - want[e]!)).toBeLessThanOrEqual(1e-5 * want[e]!);
    expect(want[0]).toBeLessThan(want[1]!);   // the two rules differ here, so the test tells them apart
    // inference is not noisy: the identity reconstructs exactly, and the option leaves nothing behind
    expect(ae.reconstruct(x)).toEqual(x);
    const h2 = await ae.fit(x, { epochs: 1, learningRate: 0, shuffle: false, batchSize: half, validationSplit: 0, earlyStopping: false });
    expect(h2.loss[0]).toBe(0);
  });

  it('options and refusals: bits 2..16, a linear latent, no VAE; the model is unchanged after a refused fit', async () => {
    const x = new Rng(4).f32(40 * 6, 0, 1);
    const ae = await Autoencoder.create({ inputDim: 6, layers: [4, 2], seed: 2 });
    const before = ae.getWeights();
    await expect(ae.fit(x, { epochs: 1, quantize: { bits: 1 } })).rejects.toThrow(/quantize.bits/);
    await expect(ae.fit(x, { epochs: 1, quantize: { bits: 4.5 } })).rejects.toThrow(/quantize.bits/);
    await expect(ae.fit(x, { epochs: 1, quantize: 4 as never })).rejects.toThrow(/quantize must be an object such as \{ bits: 4 \}/);
    await expect(ae.fit(x, { epochs: 1, quantize: { bits: 4, rate: 1 } as never })).rejects.toThrow(/rate/);
    expect(ae.getWeights()).toEqual(before);
    const sig = await Autoencoder.create({ inputDim: 6, layers: [4, 2], latentActivation: 'sigmoid', seed: 2 });
    await expect(sig.fit(x, { epochs: 1, quantize: { bits: 4 } })).rejects.toThrow(/needs a linear latent.*sigmoid.*latentActivation 'linear'/);
    const vae = await Autoencoder.create({ inputDim: 6, layers: [4, 2], variational: {}, seed: 2 });
    const vw = vae.getWeights();
    await expect(vae.fit(x, { epochs: 1, quantize: { bits: 4 } })).rejects.toThrow(/VAE already trains on a noisy latent/);
    expect(vae.getWeights()).toEqual(vw);
    // usable after the refusals
    const h = await ae.fit(x, { epochs: 2, quantize: { bits: 4 }, validationSplit: 0 });
    expect(h.loss.every(Number.isFinite)).toBe(true);
  });
});
