// Whole-network gradients of the wasm model: ae_grads (forward, loss, backward through every
// layer) against the float64 reference netLossAndGrads on the same float32 weights and inputs,
// for every activation in the hidden, latent and output slots, every loss, odd widths and row
// counts that hit the GEMM tails; then finite differences taken on the wasm model itself.
// Models are made through the public API; batches go into the model's own memory (k.alloc).

import { describe, expect, it } from 'vitest';
import { Autoencoder, type Activation, type Loss } from 'autoencoder';
import { netForwardFull, netLossAndGrads } from './ref/index.js';
import {
  Rng, actsOf, expectSameBits, expectWithin, getF32, kernelOf, maxAbs, putF32, refNet, widthsOf, withIO, wasmFiniteDifferences } from './helpers.js';

const ACTS: Activation[] = ['linear', 'relu', 'leakyRelu', 'elu', 'tanh', 'sigmoid'];
const KINKED = new Set(['relu', 'leakyRelu', 'elu']);

interface Case {
  inputDim: number; layers: number[]; activation: Activation; latentActivation: Activation;
  outputActivation: Activation; loss: Loss; rows: number; seed: number; separateTarget: boolean;
}

/** Loss and gradients from the wasm model (ae_grads), split per tensor like getWeights(). */
function wasmGrads(ae: Autoencoder, x: Float32Array, t: Float32Array | null, rows: number): { loss: number; grads: Float32Array[] } {
  const k = kernelOf(ae);
  return withIO(k, () => {
    const xp = putF32(k, x);
    const tp = t ? putF32(k, t) : xp;
    const loss = k.x.ae_grads(k.ctx, xp, tp, rows);
    const all = getF32(k, k.grads, k.nParams);
    const grads: Float32Array[] = [];
    let off = 0;
    for (const l of k.plan!.layers) {
      grads.push(all.slice(off, off + l.in * l.out)); off += l.in * l.out;
      grads.push(all.slice(off, off + l.out)); off += l.out;
    }
    return { loss, grads };
  });
}

/** Seeded data for a case: bce needs targets in [0, 1] (inputs there too, as an autoencoder's are). */
function caseData(c: Case): { x: Float32Array; t: Float32Array | null } {
  const r = new Rng(c.seed * 7919 + c.rows);
  const n = c.rows * c.inputDim;
  const bce = c.loss === 'bce';
  const x = r.f32(n, bce ? 0 : -1.5, bce ? 1 : 1.5);
  if (!c.separateTarget) return { x, t: null };
  const t = r.f32(n, bce ? 0 : -1.5, bce ? 1 : 1.5);
  if (bce) for (let i = 0; i < n; i += 4) t[i] = r.int(2); // hard labels as well as soft ones
  return { x, t };
}

/** A model with its Glorot weights and seeded nonzero biases (zero biases would hide bias bugs). */
async function makeModel(c: Case): Promise<Autoencoder> {
  const ae = await Autoencoder.create({
    inputDim: c.inputDim, layers: c.layers, activation: c.activation, latentActivation: c.latentActivation,
    outputActivation: c.outputActivation, loss: c.loss, seed: c.seed,
  });
  const r = new Rng(c.seed + 17);
  ae.setWeights(ae.getWeights().map((w, i) => (i % 2 === 1 ? r.f32(w.length, -0.3, 0.3) : w)));
  return ae;
}

// every activation appears as hidden, as latent (rotated) and, for mse/mae, as output (rotated);
// bce forces a sigmoid output (the fused sigmoid+bce gradient)
const CASES: Case[] = [];
ACTS.forEach((activation, i) => {
  (['mse', 'mae', 'bce'] as Loss[]).forEach((loss, j) => {
    const rows = [1, 5, 9][(i + j) % 3]!;
    CASES.push({
      inputDim: 7, layers: [5, 3], activation, latentActivation: ACTS[(i + j + 2) % 6]!,
      outputActivation: loss === 'bce' ? 'sigmoid' : ACTS[(i + 2 * j + 4) % 6]!, loss, rows,
      seed: 100 + 10 * i + j, separateTarget: (i + j) % 2 === 1,
    });
  });
});
// wider and deeper shapes: 4-row x 8/4/1-column tiles and their tails in all three GEMMs per layer
CASES.push(
  { inputDim: 17, layers: [13, 9, 4], activation: 'elu', latentActivation: 'linear', outputActivation: 'linear', loss: 'mse', rows: 31, seed: 7, separateTarget: false },
  { inputDim: 31, layers: [16, 8], activation: 'tanh', latentActivation: 'tanh', outputActivation: 'linear', loss: 'mae', rows: 13, seed: 8, separateTarget: true },
  { inputDim: 9, layers: [8, 1], activation: 'leakyRelu', latentActivation: 'sigmoid', outputActivation: 'sigmoid', loss: 'bce', rows: 17, seed: 9, separateTarget: true },
  { inputDim: 33, layers: [20, 5], activation: 'relu', latentActivation: 'relu', outputActivation: 'linear', loss: 'mse', rows: 256, seed: 10, separateTarget: false },
);

const label = (c: Case) => `${c.loss} ${c.inputDim}-${c.layers.join('-')} ${c.activation}/${c.latentActivation}/${c.outputActivation} rows=${c.rows}${c.separateTarget ? ' t!=x' : ''}`;

describe('ae_grads vs reference netLossAndGrads (float64 on the same float32 weights and inputs)', () => {
  it.each(CASES.map((c) => [label(c), c] as const))('%s', async (_, c) => {
    const ae = await makeModel(c);
    const { x, t } = caseData(c);
    const sizes = widthsOf(c.inputDim, c.layers);
    const acts = actsOf(c.layers, c.activation, c.latentActivation, c.outputActivation);
    const net = refNet(sizes, acts, ae.getWeights());
    const target = t ?? x;

    // the comparison is only meaningful away from kinks: a pre-activation within float32 noise of a
    // relu/leakyRelu/elu kink, or an mae residual within noise of 0, may take the other branch
    const { zs, as } = netForwardFull(net, x, c.rows);
    zs.forEach((z, l) => { if (KINKED.has(acts[l]!)) expect(Math.min(...Array.from(z, Math.abs)), `layer ${l} near a kink`).toBeGreaterThan(1e-5); });
    if (c.loss === 'mae') {
      const out = as[as.length - 1]!;
      expect(Math.min(...Array.from(out, (p, i) => Math.abs(p - target[i]!))), 'mae residual near 0').toBeGreaterThan(1e-5);
    }

    const ref = netLossAndGrads(net, x, target, c.rows, c.loss);
    const got = wasmGrads(ae, x, t, c.rows);

    // loss: a float32 forward through <= 4 layers (dot products of <= 33 terms, transcendental
    // activations <= 2 ulp) and float32 row sums; 2e-6 relative is ~30 float32 roundoffs
    expect(Math.abs(got.loss - ref.loss), `loss ${got.loss} vs ${ref.loss}`).toBeLessThanOrEqual(2e-6 * Math.abs(ref.loss));

    // gradients: the same float32 forward, then backward products and sums over rows. Relative
    // to each tensor's largest entry (elementwise relative error is meaningless for entries that
    // are sums cancelling to ~0), 2e-5 allows ~300 float32 roundoffs of growth: the measured
    // worst is 1.7e-6; a wrong derivative, stride or missing term is off by O(1)
    ref.grads.forEach((g, i) => {
      const scale = maxAbs(g);
      const name = `${i % 2 === 0 ? 'dW' : 'db'}${(i >> 1) + 1}`;
      expectWithin(got.grads[i]!, g, () => 2e-5 * scale + 1e-12, `${label(c)}: ${name}`);
    });
  });

  it('the grad block is overwritten, not accumulated: a second call gives the same bits', async () => {
    const c = CASES[4]!;
    const ae = await makeModel(c);
    const { x, t } = caseData(c);
    const first = wasmGrads(ae, x, t, c.rows);
    // a call on different rows in between, then the original again
    const other = caseData({ ...c, seed: c.seed + 1 });
    wasmGrads(ae, other.x, other.t, c.rows);
    const again = wasmGrads(ae, x, t, c.rows);
    first.grads.forEach((g, i) => expectSameBits(again.grads[i]!, g, `tensor ${i}`));
    expect(again.loss).toBe(first.loss);
  });
});

describe('finite differences on the wasm model itself', () => {

  const FD_CASES: Case[] = [
    { inputDim: 7, layers: [5, 3], activation: 'tanh', latentActivation: 'linear', outputActivation: 'linear', loss: 'mse', rows: 9, seed: 21, separateTarget: false },
    { inputDim: 7, layers: [5, 3], activation: 'sigmoid', latentActivation: 'tanh', outputActivation: 'sigmoid', loss: 'bce', rows: 5, seed: 22, separateTarget: true },
    { inputDim: 5, layers: [3], activation: 'elu', latentActivation: 'elu', outputActivation: 'tanh', loss: 'mse', rows: 3, seed: 23, separateTarget: true },
  ];

  it.each(FD_CASES.map((c) => [label(c), c] as const))('%s: central differences of the float32 loss match ae_grads', async (_, c) => {
    const ae = await makeModel(c);
    const { x, t } = caseData(c);
    const { grads } = wasmGrads(ae, x, t, c.rows);
    const w0 = ae.getWeights();
    const r = new Rng(c.seed);
    // h = 2^-7: the loss is float32 (relative noise ~1e-7, L < 1 here), so the rounding error of
    // a difference quotient is <~ 1e-7 * L / h ~ 1e-5, and the truncation error h^2 f'''/6 is
    // <~ 1e-5 for these smooth activations; h is a power of two so w +- h is exact for |w| < 1.
    // a few entries of every tensor: first, last, and seeded ones; h = 2^-7
    const { fd, an } = wasmFiniteDifferences(ae, w0, grads, x, t, c.rows, (len) => new Set([0, len - 1, r.int(len), r.int(len)]));
    // tolerance: the 2e-5 estimated above plus 1e-4 of the largest probed gradient (measured worst
    // error 4e-6): still ~1000x tighter than the O(|g|) error of a wrong gradient
    const scale = maxAbs(an);
    expectWithin(an, fd, () => 1e-4 * scale + 2e-5, `${label(c)}: finite differences`);
  });
});

describe('more rows than the batch capacity (chunks of k.cap = 256 rows)', () => {
  const c: Case = { inputDim: 13, layers: [7, 3], activation: 'sigmoid', latentActivation: 'linear', outputActivation: 'linear', loss: 'mse', rows: 301, seed: 31, separateTarget: true };
  const sizes = widthsOf(c.inputDim, c.layers);
  const acts = actsOf(c.layers, c.activation, c.latentActivation, c.outputActivation);

  it('ae_eval_loss over 301 rows (256 + 45) vs the reference mean loss', async () => {
    const ae = await makeModel(c);
    const k = kernelOf(ae);
    expect(k.cap).toBeLessThan(c.rows);
    const { x, t } = caseData(c);
    const ref = netLossAndGrads(refNet(sizes, acts, ae.getWeights()), x, t!, c.rows, c.loss).loss;
    const got = withIO(k, () => k.x.ae_eval_loss(k.ctx, putF32(k, x), putF32(k, t!), c.rows));
    // the same forward bound as ae_grads above (2e-6 relative): chunking must not drop or repeat rows
    expect(Math.abs(got - ref), `${got} vs ${ref}`).toBeLessThanOrEqual(2e-6 * ref);
  });

  it('reconstruct() and encode() over 301 rows vs the reference forward', async () => {
    const ae = await makeModel(c);
    const { x } = caseData(c);
    const outs = netForwardFull(refNet(sizes, acts, ae.getWeights()), x, c.rows).as;
    // outputs are O(1): 1e-5 absolute as for the PyTorch models (reference-models.test.ts); a row
    // taken from the wrong chunk would be off by O(1)
    expectWithin(ae.reconstruct(x), outs[outs.length - 1]!, () => 1e-5, 'reconstruct');
    expectWithin(ae.encode(x), outs[c.layers.length - 1]!, () => 1e-5, 'encode');
  });
});
