// Optimizer steps through the real training loop: fit() with one batch of all rows, in order,
// is exactly one step per epoch, so after `epochs: s` the weights must equal s steps of the
// float64 reference optimizers (tests/ref/optim.ts, written from the torch.optim docs) applied
// from the same starting weights. Two oracles per optimizer:
//  - end to end: reference gradients (netLossAndGrads, float64) and reference steps; the
//    tolerance carries the gradient error bound proven in grad.test.ts through the update;
//  - the update arithmetic alone: reference steps fed the wasm's own gradients (ae_grads at the
//    weights fit() reached, which is the very call train_epoch makes), so only rounding is left.
// Multi-step runs (epochs 2, 3) check that state carries: momentum buffer, Adam moments, step
// count and the bias-correction powers beta^t.

import { describe, expect, it } from 'vitest';
import { Autoencoder, type Optimizer } from 'autoencoder';
import { adamStep, adamwStep, momentumStep, netLossAndGrads, sgdStep } from './ref/index.js';
import { Rng, U32, actsOf, expectWithin, getF32, kernelOf, maxAbs, putF32, refNet, ulp32, widthsOf, withIO } from './helpers.js';

// 9-[5,2] has 131 params: not a multiple of 4, so the padded tail of the flat update is live too
const SPEC = { inputDim: 9, layers: [5, 2], activation: 'tanh', latentActivation: 'tanh', outputActivation: 'linear', loss: 'mse' } as const;
const ROWS = 11;
const SIZES = widthsOf(SPEC.inputDim, SPEC.layers);
const ACTS = actsOf(SPEC.layers, SPEC.activation, SPEC.latentActivation, SPEC.outputActivation);
/** Gradient error bound proven in grad.test.ts: 2e-5 of the tensor's largest |entry|. */
const GRAD_RTOL = 2e-5;

interface OptCase {
  name: string; optimizer: Optimizer; learningRate: number; weightDecay?: number; momentum?: number;
  beta1?: number; beta2?: number; epsilon?: number; steps: number[];
}

const CASES: OptCase[] = [
  { name: 'sgd', optimizer: 'sgd', learningRate: 0.1, steps: [1, 2] },
  { name: 'sgd + L2 weight decay', optimizer: 'sgd', learningRate: 0.1, weightDecay: 0.05, steps: [1] },
  { name: 'momentum', optimizer: 'momentum', learningRate: 0.05, momentum: 0.9, steps: [1, 2, 3] },
  { name: 'momentum 0.5 + L2 weight decay', optimizer: 'momentum', learningRate: 0.05, momentum: 0.5, weightDecay: 0.05, steps: [1, 3] },
  { name: 'adam', optimizer: 'adam', learningRate: 0.01, steps: [1, 2, 3] },
  { name: 'adam, betas (0.8, 0.99), eps 1e-3', optimizer: 'adam', learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-3, steps: [1, 3] },
  { name: 'adam + L2 weight decay', optimizer: 'adam', learningRate: 0.01, weightDecay: 0.1, steps: [1, 3] },
  { name: 'adamw (decoupled decay 0.1)', optimizer: 'adamw', learningRate: 0.01, weightDecay: 0.1, steps: [1, 3] },
  { name: 'adamw (default decay 0.01)', optimizer: 'adamw', learningRate: 0.01, steps: [1, 2] },
];

// The hyperparameters as the user passed them (float64). The module keeps them as float32 (arena.ts)
// and derives beta^t from those float32 betas; the changes cancel (m and 1 - beta1^t use the same
// beta1, v and 1 - beta2^t the same beta2) to well inside the rounding bounds below.
const hp = (c: OptCase) => ({
  lr: c.learningRate, wd: c.weightDecay ?? (c.optimizer === 'adamw' ? 0.01 : 0), mu: c.momentum ?? 0.9,
  b1: c.beta1 ?? 0.9, b2: c.beta2 ?? 0.999, eps: c.epsilon ?? 1e-8,
});

/** Float64 optimizer state for one tensor. */
interface State { buf: Float64Array; m: Float64Array; v: Float64Array }

/**
 * Reference optimizer step t (1-based) on every tensor, in place on w and st. `g` are the gradients
 * of the loss; L2 weight decay (sgd, momentum, adam) adds wd*w to them, as torch.optim does.
 * Returns per element the divisor Adam applied (sqrt(v_hat) + eps), for error propagation.
 */
function refStep(c: OptCase, t: number, w: Float64Array[], g: ArrayLike<number>[], st: State[]): Float64Array[] {
  const { lr, wd, mu, b1, b2, eps } = hp(c);
  return w.map((wi, i) => {
    const gi = Float64Array.from(g[i]!);
    if (c.optimizer !== 'adamw' && wd !== 0) for (let j = 0; j < gi.length; j++) gi[j]! += wd * wi[j]!;
    const s = st[i]!;
    const denom = new Float64Array(wi.length).fill(1);
    if (c.optimizer === 'sgd') {
      wi.set(sgdStep(wi, gi, lr));
    } else if (c.optimizer === 'momentum') {
      const r = momentumStep(wi, gi, s.buf, lr, mu, t === 1);
      wi.set(r.w); s.buf.set(r.buf);
    } else {
      const r = c.optimizer === 'adam' ? adamStep(wi, gi, s.m, s.v, t, lr, b1, b2, eps) : adamwStep(wi, gi, s.m, s.v, t, lr, b1, b2, eps, wd);
      wi.set(r.w); s.m.set(r.m); s.v.set(r.v);
      for (let j = 0; j < wi.length; j++) denom[j] = Math.sqrt(r.v[j]! / (1 - b2 ** t)) + eps;
    }
    return denom;
  });
}

const newState = (w: ArrayLike<number>[]): State[] => w.map((a) => ({ buf: new Float64Array(a.length), m: new Float64Array(a.length), v: new Float64Array(a.length) }));

/** A model with Glorot weights and seeded nonzero biases, and its training rows. */
async function setup(seed: number): Promise<{ ae: Autoencoder; w0: Float32Array[]; x: Float32Array }> {
  const ae = await Autoencoder.create({ ...SPEC, seed });
  const r = new Rng(seed * 31 + 1);
  ae.setWeights(ae.getWeights().map((w, i) => (i % 2 === 1 ? r.f32(w.length, -0.3, 0.3) : w)));
  return { ae, w0: ae.getWeights(), x: r.f32(ROWS * SPEC.inputDim, -1.5, 1.5) };
}

/** s epochs of one full, unshuffled batch from w0: exactly s optimizer steps (a fresh optimizer state). */
async function fitSteps(ae: Autoencoder, w0: Float32Array[], x: Float32Array, c: OptCase, s: number) {
  ae.setWeights(w0);
  const history = await ae.fit(x, {
    epochs: s, batchSize: ROWS, shuffle: false, validationSplit: 0, earlyStopping: false,
    optimizer: c.optimizer, learningRate: c.learningRate, weightDecay: c.weightDecay, momentum: c.momentum,
    beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon,
  });
  expect(history.epochs).toBe(s);
  return { w: ae.getWeights(), history };
}

/** The wasm's own gradients at weights w, on the same rows (target = input, as fit() trains). */
function wasmGrads(ae: Autoencoder, w: Float32Array[], x: Float32Array): Float32Array[] {
  ae.setWeights(w);
  const k = kernelOf(ae);
  return withIO(k, () => {
    const xp = putF32(k, x);
    k.x.ae_grads(k.ctx, xp, xp, ROWS);
    const all = getF32(k, k.grads, k.nParams);
    let off = 0;
    return w.map((a) => all.slice(off, (off += a.length)));
  });
}

/**
 * Rounding bound of one float32 update step per element: the wasm's step is a handful of float32
 * operations (Adam: ~12, incl. sqrt and two divisions; momentum/sgd: ~4) on values of the size of
 * the step |dw|, plus the final rounding of w (1/2 ulp); AdamW also rounds w * (1 - lr wd) and the
 * factor itself (1 ulp more). 16 roundings of |dw| plus 1 (AdamW: 2) ulp of w covers all.
 */
const roundTol = (c: OptCase, dw: number, w: number): number => 16 * U32 * Math.abs(dw) + (c.optimizer === 'adamw' ? 2 : 1) * ulp32(w);

describe.each(CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
  for (const steps of c.steps) {
    it(`${steps} step(s) through fit() vs reference gradients + reference ${c.optimizer} steps`, async () => {
      const { ae, w0, x } = await setup(40 + steps);
      const { w: got, history } = await fitSteps(ae, w0, x, c, steps);
      const { lr, mu, wd } = hp(c);

      const w = w0.map((a) => Float64Array.from(a));
      const st = newState(w0);
      // per element: accumulated rounding bound, and the propagated gradient error bound
      const tol = w0.map((a) => new Float64Array(a.length));
      const bufTol = w0.map((a) => new Float64Array(a.length));
      for (let t = 1; t <= steps; t++) {
        const ref = netLossAndGrads(refNet(SIZES, ACTS, w), x, x, ROWS, 'mse');
        // epoch loss = the loss at the weights before the step (one batch per epoch); same bound as in grad.test.ts
        expect(Math.abs(history.loss[t - 1]! - ref.loss), `epoch ${t} loss`).toBeLessThanOrEqual(2e-6 * ref.loss);
        const before = w.map((a) => a.slice());
        const denom = refStep(c, t, w, ref.grads, st);
        w.forEach((wi, i) => {
          const dg = GRAD_RTOL * maxAbs(ref.grads[i]!); // bound on |wasm g - reference g| in this tensor
          for (let j = 0; j < wi.length; j++) {
            let prop: number;
            if (c.optimizer === 'sgd') prop = lr * dg;
            else if (c.optimizer === 'momentum') { bufTol[i]![j] = (t === 1 ? 0 : mu * bufTol[i]![j]!) + dg; prop = lr * bufTol[i]![j]!; }
            // Adam divides by sqrt(v_hat) + eps: a gradient error dg moves m_hat and sqrt(v_hat) by <= dg
            // each, so the update (lr/bc1-scaled ratio, ~lr at most) moves by <= ~3 lr dg / denom
            else prop = (3 * lr * dg) / denom[i]![j]!;
            if (wd !== 0 && c.optimizer !== 'adamw') prop += lr * wd * tol[i]![j]!; // L2 term sees the weight error
            tol[i]![j]! += prop + roundTol(c, wi[j]! - before[i]![j]!, wi[j]!);
          }
        });
      }
      got.forEach((g, i) => expectWithin(g, w[i]!, (j) => tol[i]![j]!, `${c.name}: tensor ${i} after ${steps} step(s)`));
      // and the step really moved the weights (a no-op update would pass a loose check)
      const moved = got.reduce((m, g, i) => Math.max(m, maxAbs(g.map((v, j) => v - w0[i]![j]!))), 0);
      expect(moved, 'largest weight change').toBeGreaterThan(0.1 * c.learningRate * (c.optimizer.startsWith('adam') ? 1 : 0.01));
    });

    it(`${steps} step(s): the update arithmetic alone, reference steps on the wasm's own gradients`, async () => {
      const { ae, w0, x } = await setup(60 + steps);
      // the wasm's weights after 1..steps steps, and its gradients at the weights each step started from
      const ws: Float32Array[][] = [w0];
      for (let s = 1; s <= steps; s++) ws.push((await fitSteps(ae, w0, x, c, s)).w);
      const gs = ws.slice(0, steps).map((wi) => wasmGrads(ae, wi, x));

      const w = w0.map((a) => Float64Array.from(a));
      const st = newState(w0);
      const tol = w0.map((a) => new Float64Array(a.length));
      const { lr, wd } = hp(c);
      for (let t = 1; t <= steps; t++) {
        const before = w.map((a) => a.slice());
        refStep(c, t, w, gs[t - 1]!, st);
        w.forEach((wi, i) => {
          for (let j = 0; j < wi.length; j++) {
            // rounding of this step, plus an earlier step's error carried through L2 decay
            tol[i]![j]! += roundTol(c, wi[j]! - before[i]![j]!, wi[j]!) + (wd !== 0 && c.optimizer !== 'adamw' ? lr * wd * tol[i]![j]! : 0);
          }
        });
        // state carries: compare after every step, not only the last
        ws[t]!.forEach((g, i) => expectWithin(g, w[i]!, (j) => tol[i]![j]!, `${c.name}: tensor ${i} after step ${t}`));
      }
    });
  }
});

describe('the epoch loop: several batches, a partial last one, and the validation rows', () => {
  it('11 rows, batchSize 4, no shuffle: steps on rows [0,4), [4,8), [8,11) in order; epoch loss weighted by rows', async () => {
    const c: OptCase = { name: 'momentum', optimizer: 'momentum', learningRate: 0.05, momentum: 0.9, steps: [] };
    const { ae, w0, x } = await setup(80);
    ae.setWeights(w0);
    const history = await ae.fit(x, {
      epochs: 2, batchSize: 4, shuffle: false, validationSplit: 0, earlyStopping: false, optimizer: 'momentum', learningRate: 0.05, momentum: 0.9,
    });
    const got = ae.getWeights();
    const D = SPEC.inputDim;
    const w = w0.map((a) => Float64Array.from(a));
    const st = newState(w0);
    const tol = w0.map((a) => new Float64Array(a.length));
    const bufTol = w0.map((a) => new Float64Array(a.length));
    let t = 0;
    for (let epoch = 0; epoch < 2; epoch++) {
      let sum = 0;
      for (const [r0, r1] of [[0, 4], [4, 8], [8, 11]] as const) {
        t++;
        const xb = x.subarray(r0 * D, r1 * D);
        const ref = netLossAndGrads(refNet(SIZES, ACTS, w), xb, xb, r1 - r0, 'mse');
        sum += ref.loss * (r1 - r0);
        const before = w.map((a) => a.slice());
        refStep(c, t, w, ref.grads, st);
        w.forEach((wi, i) => {
          const dg = GRAD_RTOL * maxAbs(ref.grads[i]!);
          for (let j = 0; j < wi.length; j++) {
            // as above: the gradient error bound carried through the momentum buffer, plus rounding
            bufTol[i]![j] = (t === 1 ? 0 : 0.9 * bufTol[i]![j]!) + dg;
            tol[i]![j]! += 0.05 * bufTol[i]![j]! + roundTol(c, wi[j]! - before[i]![j]!, wi[j]!);
          }
        });
      }
      // Keras's epoch loss: each batch's mean loss (at the weights before its step) weighted by its rows
      expect(Math.abs(history.loss[epoch]! - sum / ROWS), `epoch ${epoch + 1} loss`).toBeLessThanOrEqual(2e-6 * (sum / ROWS));
    }
    got.forEach((g, i) => expectWithin(g, w[i]!, (j) => tol[i]![j]!, `tensor ${i} after 6 steps`));
  });

  it('validationSplit 0.25 of 12 rows: trains on the first 9, reports the loss of the last 3 at the new weights', async () => {
    const { ae, w0 } = await setup(81);
    const x = new Rng(82).f32(12 * SPEC.inputDim, -1.5, 1.5);
    ae.setWeights(w0);
    const history = await ae.fit(x, {
      epochs: 1, batchSize: 9, shuffle: false, validationSplit: 0.25, earlyStopping: false, optimizer: 'sgd', learningRate: 0.1,
    });
    const D = SPEC.inputDim;
    const train = x.subarray(0, 9 * D), val = x.subarray(9 * D);
    const ref0 = netLossAndGrads(refNet(SIZES, ACTS, w0), train, train, 9, 'mse');
    expect(Math.abs(history.loss[0]! - ref0.loss), 'training loss').toBeLessThanOrEqual(2e-6 * ref0.loss);
    // the validation loss is taken at the model's weights after the step (the ones it holds now);
    // the float64 loss on those exact float32 weights, within the forward bound of grad.test.ts
    const refVal = netLossAndGrads(refNet(SIZES, ACTS, ae.getWeights()), val, val, 3, 'mse').loss;
    expect(Math.abs(history.valLoss[0]! - refVal), `val loss ${history.valLoss[0]} vs ${refVal}`).toBeLessThanOrEqual(2e-6 * refVal);
    // and it is not the loss at the starting weights
    const refVal0 = netLossAndGrads(refNet(SIZES, ACTS, w0), val, val, 3, 'mse').loss;
    expect(Math.abs(refVal0 - refVal)).toBeGreaterThan(1e-4 * refVal);
  });

  it('batchSize 300 > the default capacity (256): the buffers grow and one step uses all 300 rows', async () => {
    const c: OptCase = { name: 'sgd', optimizer: 'sgd', learningRate: 0.1, steps: [] };
    const { ae, w0 } = await setup(83);
    const n = 300;
    expect(kernelOf(ae).cap).toBeLessThan(n);
    const x = new Rng(84).f32(n * SPEC.inputDim, -1.5, 1.5);
    // trim: 0, the untrimmed step the reference takes (the default trim 0.05 leaves 15 of 300 rows out)
    const history = await ae.fit(x, { epochs: 1, batchSize: n, shuffle: false, validationSplit: 0, earlyStopping: false, optimizer: 'sgd', learningRate: 0.1, trim: 0 });
    expect(kernelOf(ae).cap).toBeGreaterThanOrEqual(n);
    const ref = netLossAndGrads(refNet(SIZES, ACTS, w0), x, x, n, 'mse');
    expect(Math.abs(history.loss[0]! - ref.loss), 'epoch loss').toBeLessThanOrEqual(2e-6 * ref.loss);
    const w = w0.map((a) => Float64Array.from(a));
    refStep(c, 1, w, ref.grads, newState(w0));
    // one sgd step: the gradient bound of grad.test.ts times lr, plus the step's rounding
    ae.getWeights().forEach((g, i) => {
      const dg = GRAD_RTOL * maxAbs(ref.grads[i]!);
      expectWithin(g, w[i]!, (j) => 0.1 * dg + roundTol(c, w[i]![j]! - w0[i]![j]!, w[i]![j]!), `tensor ${i}`);
    });
  });
});
