// The training loop's trade of the param and gradient blocks (assembly/train.ts train_epoch): each step's
// update writes the new weights over the gradients and the two blocks change places, an odd step count
// ends with the weights copied home, and a fit cut off mid-epoch (a trap) points the context home again
// (bindings/wasm.ts homeBlocks). Checked on 1 thread and on 2 (every product and update through the pool).
// Oracles:
//  - SGD keeps no state between fits, so an epoch of k batches must give the bytes of k fits of one batch
//    each, on those batches in turn: one step per call, the path tests/optim.test.ts checks against the
//    float64 reference optimizers;
//  - a model re-loaded from save() (the blocks as the bindings see them) must score as the live model
//    (the blocks as the kernels see them);
//  - after a failed fit, the model must save and score as it did before that fit.
import { describe, expect, it } from 'vitest';
import { Autoencoder, randomMatrix } from '../dist/bindings/node.js';
import { C } from '../bindings/wasm.js';
import { kernelOf } from './helpers.js';
import { hex, make, type Spec } from './threads-pool.js';

const D = 24, B = 8;
const spec: Spec = { inputDim: D, layers: [16, 4], normalize: 'none', ensemble: false, seed: 11 };
const once = { epochs: 1, batchSize: B, shuffle: false, validationSplit: 0, earlyStopping: false } as const;

describe.each([1, 2])('the update\'s output block, %i thread(s)', (threads) => {
  for (const k of [1, 2, 3, 4]) {
    it(`SGD: one epoch of ${k} batch(es) gives the bytes of ${k} one-batch fits in turn`, async () => {
      const x = await randomMatrix(k * B, D, { seed: 3 + k });
      const whole = await make(spec, threads);
      const steps = await make(spec, threads);
      expect(hex(whole.save()), 'the same start').toBe(hex(steps.save()));
      const start = whole.getWeights().map(hex);
      await whole.fit(x, { ...once, optimizer: 'sgd', learningRate: 0.05 });
      for (let b = 0; b < k; b++) await steps.fit(x.subarray(b * B * D, (b + 1) * B * D), { ...once, optimizer: 'sgd', learningRate: 0.05 });
      const w = whole.getWeights();
      steps.getWeights().forEach((a, i) => expect(hex(w[i]!), `array ${i}`).toBe(hex(a)));
      expect(w.map(hex), 'the weights moved').not.toEqual(start);
      whole.dispose();
      steps.dispose();
    });
  }

  for (const [optimizer, k] of [['adam', 3], ['adam', 4], ['momentum', 3], ['adamw', 5]] as const) {
    it(`${optimizer}, ${k} batches an epoch: the live model scores as its save() re-loaded`, async () => {
      const x = await randomMatrix(k * B, D, { seed: 20 + k });
      const ae = await make(spec, threads);
      const start = hex(ae.score(x));
      await ae.fit(x, { ...once, epochs: 3, optimizer, learningRate: 0.01 });
      const live = hex(ae.score(x));
      expect(live, 'the weights moved').not.toBe(start);
      const back = await Autoencoder.load(ae.save());
      expect(hex(back.score(x))).toBe(live);
      back.dispose();
      ae.dispose();
    });
  }

  it('a fit cut off with the blocks traded (as a trap mid-epoch leaves them) puts the model back as it was', async () => {
    const x = await randomMatrix(5 * B, D, { seed: 31 });
    const ae = await make(spec, threads);
    await ae.fit(x, { ...once, learningRate: 0.01 });
    const saved = hex(ae.save()), scores = hex(ae.score(x));
    const kern = kernelOf(ae as unknown as Parameters<typeof kernelOf>[0]);
    const fit = ae.fit(x, {
      ...once, epochs: 3, learningRate: 0.01,
      onEpoch: () => {
        // the weights' block and the gradients' block as an odd step count leaves them inside an epoch
        kern.setI32(kern.ctx + C.PARAMS, kern.grads);
        kern.setI32(kern.ctx + C.GRADS, kern.params);
        throw new Error('cut off');
      },
    });
    await expect(fit).rejects.toThrow(/cut off/);
    expect(kern.getI32(kern.ctx + C.PARAMS)).toBe(kern.params);
    expect(kern.getI32(kern.ctx + C.GRADS)).toBe(kern.grads);
    expect(hex(ae.save())).toBe(saved);
    expect(hex(ae.score(x))).toBe(scores);
    ae.dispose();
  });
});
