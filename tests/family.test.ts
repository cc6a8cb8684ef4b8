// family.test.ts: the autoencoder family of issue 11 against independent oracles.
// - The random streams: randomMatrix and the VAE's draws against tests/ref/rng.ts (squares32 and
//   Box-Muller written again in BigInt/float64): a draw depends on (seed, purpose, index) only.
// - Loss terms and their gradients: ae_grads (forward, every term, backward through the graph:
//   concat, the sample step, fan-in of penalties) against tests/ref/family.ts, a float64 forward
//   from the conventions, whose gradients are central finite differences.
// - Denoising corruption: on an identity model with learningRate 0, the epoch's reconstruction loss
//   is exactly the corruption's mean square, recomputed from the noise stream.
// - The VAE's scores (kl, elbo) against the float64 reference; save/load of every variant.
import { describe, expect, it } from 'vitest';
import { Autoencoder, randomMatrix, type AutoencoderSpec } from 'autoencoder';
import { fdGrad } from './ref/fd.js';
import { familyTerms, type FamilySpec } from './ref/family.js';
import { PURPOSE, Stream } from './ref/rng.js';
import { Rng, getF32, kernelOf, loadKernel, putF32, withIO } from './helpers.js';
import { ACT_IDS, C, OP, SRC, planGradients, planTraining, termValues } from '../bindings/wasm.js';
import { actForward } from './ref/act.js';

describe('random streams: one per purpose, a draw is a function of (seed, purpose, index)', () => {
  it('randomMatrix draws the sampling stream: uniform and normal bits as squares32 + Box-Muller give them', async () => {
    for (const seed of [0, 1, 7, 0xffffffff]) {
      const u = await randomMatrix(5, 7, { seed });
      const s = new Stream(seed, PURPOSE.sample);
      expect(Array.from(u)).toEqual(Array.from({ length: 35 }, () => s.uniform()));
      const n = await randomMatrix(3, 11, { seed, distribution: 'normal' });
      const t = new Stream(seed, PURPOSE.sample);
      const want = Array.from({ length: 33 }, () => t.normal());
      // Box-Muller's log and cos: the module's own (a musl log port, a cos polynomial good to 1e-9)
      // vs V8's: after rounding to float32 they may differ by one ulp
      n.forEach((v, i) => expect(Math.abs(v - want[i]!), `normal ${i}`).toBeLessThanOrEqual(Math.abs(want[i]!) * 2 ** -23 + 1e-30));
    }
  });

  it('sample(n, { seed }) decodes the prior draws of the sampling stream', async () => {
    const v = await Autoencoder.create({ inputDim: 5, layers: [4, 3], variational: { beta: 1 }, seed: 4 });
    const s = new Stream(9, PURPOSE.sample);
    const z = Float32Array.from({ length: 6 }, () => s.normal());
    const got = v.sample(2, { seed: 9 }), want = v.decode(z);
    got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(want[i]!) + 1e-6));
    expect(Array.from(v.sample(2, { seed: 9 }))).toEqual(Array.from(v.sample(2, { seed: 9 })));
  });

  it('a new consumer does not shift another purpose: dropout draws leave the init and shuffle streams as they were', async () => {
    const plain = { inputShape: [6], encoder: [{ type: 'dense' as const, units: 3, activation: 'tanh' as const }], decoder: [{ type: 'dense' as const, units: 6 }], seed: 3 };
    const withDrop = { ...plain, encoder: [{ type: 'dropout' as const, rate: 0.5 }, ...plain.encoder] };
    const a = await Autoencoder.create(plain), b = await Autoencoder.create(withDrop);
    // the same Glorot draws (dropout has no weights): the init stream is untouched by the new node
    expect(a.getWeights().map((w) => Array.from(w))).toEqual(b.getWeights().map((w) => Array.from(w)));
  });
});

interface GradCase { name: string; spec: FamilySpec; rows: number; seed: number }

const base = { activation: 'tanh', latentActivation: 'linear', outputActivation: 'linear', loss: 'mse' };
const GRAD_CASES: GradCase[] = [
  { name: 'sparse L1, linear latent', spec: { ...base, inputDim: 7, layers: [5, 3], sparsity: { l1: 0.3 } }, rows: 6, seed: 1 },
  { name: 'sparse L1, tanh latent, 3 encoder layers', spec: { ...base, inputDim: 9, layers: [6, 5, 4], latentActivation: 'tanh', activation: 'elu', sparsity: { l1: 0.05 } }, rows: 5, seed: 2 },
  { name: 'sparse KL, sigmoid latent', spec: { ...base, inputDim: 6, layers: [5, 3], latentActivation: 'sigmoid', sparsity: { kl: { rho: 0.1, weight: 0.7 } } }, rows: 7, seed: 3 },
  { name: 'sparse KL + bce, one encoder layer', spec: { ...base, inputDim: 5, layers: [4], latentActivation: 'sigmoid', outputActivation: 'sigmoid', loss: 'bce', sparsity: { kl: { rho: 0.3, weight: 2 } } }, rows: 9, seed: 4 },
  { name: 'VAE, mse (1/2 sum of squares), beta 1', spec: { ...base, inputDim: 6, layers: [5, 2], variational: { beta: 1 } }, rows: 5, seed: 5 },
  { name: 'beta-VAE, bce, beta 4', spec: { ...base, inputDim: 7, layers: [6, 3], activation: 'elu', outputActivation: 'sigmoid', loss: 'bce', variational: { beta: 4 } }, rows: 6, seed: 6 },
  { name: 'contractive, 1 dense encoder layer, sigmoid', spec: { ...base, inputDim: 6, layers: [3], latentActivation: 'sigmoid', contractive: 0.4 }, rows: 5, seed: 8 },
  { name: 'contractive, 2 layers, tanh then elu', spec: { ...base, inputDim: 7, layers: [5, 3], activation: 'tanh', latentActivation: 'elu', contractive: 0.2 }, rows: 6, seed: 9 },
  { name: 'contractive, 3 layers, sigmoid, elu, tanh + sparse L1', spec: { ...base, inputDim: 5, layers: [6, 4, 3], activation: 'sigmoid', latentActivation: 'tanh', contractive: 0.3, sparsity: { l1: 0.1 } }, rows: 4, seed: 10 },
  { name: 'contractive, linear layers', spec: { ...base, inputDim: 4, layers: [5, 2], activation: 'linear', contractive: 1 }, rows: 3, seed: 11 },
  { name: 'rate term: code noise of one unit, the code\'s bits (linear latent, mse)', spec: { ...base, inputDim: 7, layers: [5, 3], rate: 0.4 }, rows: 6, seed: 12 },
  { name: 'rate term, bce, 3 encoder layers, a latent of 6 (a tail after the four-wide draws)', spec: { ...base, inputDim: 9, layers: [7, 8, 6], activation: 'elu', outputActivation: 'sigmoid', loss: 'bce', rate: 2 }, rows: 5, seed: 13 },
  { name: 'conditional VAE: concat [x, c] and [z, c]', spec: { ...base, inputDim: 5, layers: [4, 2], variational: { beta: 0.5 }, conditionDim: 3 }, rows: 4, seed: 7 },
];

describe('loss terms and gradients through the graph vs a float64 reference with finite differences', () => {
  for (const c of GRAD_CASES) {
    it(c.name, async () => {
      const s = c.spec;
      const ae = await Autoencoder.create({ ...(s as AutoencoderSpec), seed: c.seed });
      const r = new Rng(c.seed * 31 + 5);
      // nonzero biases, modest weights (a VAE's logVar stays near 0)
      ae.setWeights(ae.getWeights().map((w, i) => (i % 2 === 1 ? r.f32(w.length, -0.3, 0.3) : w)));
      const D = s.inputDim, K = s.conditionDim ?? 0, L = s.layers.at(-1)!;
      const x = r.f32(c.rows * D, s.loss === 'bce' ? 0.05 : -1.5, s.loss === 'bce' ? 0.95 : 1.5);
      const cond = K ? Float32Array.from({ length: c.rows * K }, (_, i) => (i % K === (Math.floor(i / K) % K) ? 1 : 0)) : undefined;
      // ae_grads on a fresh model draws eps as normals 0.. of the sampling stream, row by row
      const st = new Stream(c.seed, PURPOSE.sample);
      const eps = s.variational ? Array.from({ length: c.rows * L }, () => st.normal()) : undefined;
      // and a rate model's code noise as uniforms 0.. of the dropout stream, row by row (the noise node's draws)
      const su = new Stream(c.seed, PURPOSE.dropout);
      const u = s.rate !== undefined ? Array.from({ length: c.rows * L }, () => su.uniform()) : undefined;
      const k = kernelOf(ae);
      const { loss, grads } = withIO(k, () => {
        const xp = putF32(k, x);
        if (cond) k.setCondition(putF32(k, cond));
        const l = k.x.ae_grads(k.ctx, xp, xp, c.rows);
        k.setCondition(0);
        return { loss: l, grads: getF32(k, k.grads, k.nParams), terms: termValues(k) };
      });
      const w64 = ae.getWeights().map((w) => Float64Array.from(w));
      const objective = () => Object.values(familyTerms(s, w64, x, c.rows, { eps, cond, u })).reduce((a, b) => a + b, 0);
      const terms = familyTerms(s, w64, x, c.rows, { eps, cond, u });
      expect(Object.keys(terms).sort()).toEqual(['reconstruction', ...(s.variational ? ['kl'] : []), ...(s.sparsity ? ['sparsity'] : []), ...(s.contractive ? ['contractive'] : []), ...(s.rate !== undefined ? ['rate'] : [])].sort());
      expect(Math.abs(loss - objective())).toBeLessThanOrEqual(2e-5 * Math.abs(objective()) + 1e-6);
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
      // float32 forward and backward against float64 differences: a few float32 ulps of the largest gradient
      expect(worst, `max |wasm - fd| ${worst} vs max |fd| ${scale}`).toBeLessThanOrEqual(2e-4 * scale + 1e-6);
    });
  }
});

describe("the test build checks the contractive penalty's scratch against its capacity (C_CSCRATCHCAP)", () => {
  // build/kernels-test.wasm asserts, at each use of a thread's work block, that the block the bindings sized (wasm.ts
  // layoutActivations) holds the kernel's own count up to its end (contractive.ts work_at: the first layer's W
  // transposed, the penalties, chunk_rows blocks of row_floats, the work blocks, and the 16 floats a last sixteen-wide
  // block reads past what it keeps). One byte short of the bindings' figure traps, so the two counts are the same; with
  // the figure restored the same loss
  const cases: { name: string; spec: AutoencoderSpec & { inputDim: number }; rows: number }[] = [
    { name: '37-24-17: partial sixteen-wide blocks of d and of o, rows in a chunk of 16 and one of 7', spec: { inputDim: 37, layers: [24, 17], activation: 'tanh', contractive: 0.05 }, rows: 23 },
    { name: '784-256-64: chunks of 9 rows (2^21 floats), a 3.6 MB work block', spec: { inputDim: 784, layers: [256, 64], contractive: 1e-3 }, rows: 5 },
    { name: '5-6-4-3: an encoder wider than its input, three layers', spec: { inputDim: 5, layers: [6, 4, 3], activation: 'sigmoid', contractive: 0.3 }, rows: 3 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const ae = await Autoencoder.create({ ...c.spec, seed: 4 });
      const k = kernelOf(ae), x = new Rng(5).f32(c.rows * c.spec.inputDim, -1, 1);
      const grads = () => withIO(k, () => { const p = putF32(k, x); return k.x.ae_grads(k.ctx, p, p, c.rows); });
      const cap = k.getI32(k.ctx + C.CSCRATCHCAP);
      expect(cap).toBeGreaterThan(0);
      const ok = grads();
      expect(Number.isFinite(ok)).toBe(true);
      k.setI32(k.ctx + C.CSCRATCHCAP, cap - 1);
      expect(grads).toThrow(/unreachable/);
      k.setI32(k.ctx + C.CSCRATCHCAP, cap);
      expect(grads()).toBe(ok);
      ae.dispose();
    });
  }
});

describe('contractive: 0 is the plain model', () => {
  // λ = 0 adds 0 times the penalty: the oracle is the same model without the term, trained alike. Its penalty is not
  // computed (contractive.ts) and it gets no scratch, so on the asserting kernels a build that computed it would trap
  // (work_at's assert against a capacity of 0) rather than pass by adding zeros
  const specs: { name: string; spec: AutoencoderSpec & { inputDim: number } }[] = [
    { name: '20-8-3 tanh, a sigmoid latent', spec: { inputDim: 20, layers: [8, 3], activation: 'tanh', latentActivation: 'sigmoid' } },
    { name: '12-6-4-2 elu, sparse L1 beside it', spec: { inputDim: 12, layers: [6, 4, 2], activation: 'elu', sparsity: { l1: 0.01 } } },
  ];
  for (const c of specs) {
    it(`${c.name}: the plain model's weights, losses and validation losses; the term's history all 0; no scratch`, async () => {
      const x = await randomMatrix(150, c.spec.inputDim, { seed: 12 });
      const fit = { epochs: 3, batchSize: 16, learningRate: 0.01, validationSplit: 0.2, shuffle: true } as const;
      const plain = await Autoencoder.create({ ...c.spec, seed: 21, ensemble: false });
      const zero = await Autoencoder.create({ ...c.spec, seed: 21, ensemble: false, contractive: 0 });
      const hp = await plain.fit(x, fit), hz = await zero.fit(x, fit);
      const k = kernelOf(zero);
      expect(k.getI32(k.ctx + C.CSCRATCHCAP)).toBe(0);
      expect(k.getI32(k.ctx + C.CSCRATCH)).toBe(0);
      expect(zero.getWeights().map((w) => Array.from(w))).toEqual(plain.getWeights().map((w) => Array.from(w)));
      expect(hz.loss).toEqual(hp.loss);
      expect(hz.valLoss).toEqual(hp.valLoss);
      expect(hz.terms.contractive).toEqual(hp.loss.map(() => 0));
      expect(hz.terms.reconstruction).toEqual(hp.terms.reconstruction);
      expect(Array.from(zero.score(x))).toEqual(Array.from(plain.score(x)));
      plain.dispose();
      zero.dispose();
    });
  }
});

describe('fan-out: a tensor read by two nodes gets the sum of both gradients', () => {
  it('planGradients: a chain ping-pongs between two slots; a fan-out adds (acc) where the second consumer comes first in backward', () => {
    const chain = planGradients([{ in: 4, out: 3, act: 0 }, { in: 3, out: 2, act: 0 }, { in: 2, out: 4, act: 0 }]);
    expect(chain.slots).toBe(2);
    expect(chain.acc.flat().every((a) => a === 0)).toBe(true);
    const fan = planGradients([
      { in: 4, out: 3, act: 0 }, { in: 3, out: 2, act: 0 }, { op: OP.concat, in: 5, out: 5, ic: 2, act: 0, src0: 1, src1: 0 }, { in: 5, out: 4, act: 0 },
    ]);
    expect(fan.acc[2]).toEqual([0, 0]);   // node 2 (first in backward) writes both of its inputs' gradients
    expect(fan.acc[1]).toEqual([1, 0]);   // node 1 then adds into node 0's gradient
    expect(() => planGradients([{ in: 4, out: 3, act: 0 }, { in: 4, out: 4, act: 0, src0: SRC.input }])).toThrow(/read by no node/);
  });

  it('ae_grads through x -> h0 -> h1 -> [h1, h0] -> y (h0 read twice) vs finite differences of a float64 forward', async () => {
    const D = 5, H0 = 3, H1 = 2;
    const k = await loadKernel();
    const layers = [
      { in: D, out: H0, act: ACT_IDS.tanh },
      { in: H0, out: H1, act: ACT_IDS.elu },
      { op: OP.concat, in: H1 + H0, out: H1 + H0, ic: H1, act: ACT_IDS.linear, src0: 1, src1: 0 },
      { in: H1 + H0, out: D, act: ACT_IDS.linear },
    ];
    k.planModel({ layers, latent: 1, loss: 0, norm: 0 });
    planTraining(k);
    const r = new Rng(77);
    const params = r.f32(k.nParams, -0.6, 0.6);
    k.paramsView().set(params);
    const R = 6, x = r.f32(R * D, -1, 1);
    const { loss, grads } = withIO(k, () => {
      const xp = putF32(k, x);
      return { loss: k.x.ae_grads(k.ctx, xp, xp, R), grads: getF32(k, k.grads, k.nParams) };
    });
    const p64 = Float64Array.from(params);
    const forward = () => {
      // the same graph in float64: weights [W0, b0, W1, b1, W3, b3] in the param block's order
      let off = 0;
      const take = (n: number) => { const a = p64.subarray(off, off + n); off += n; return a; };
      const W0 = take(D * H0), b0 = take(H0), W1 = take(H0 * H1), b1 = take(H1), W3 = take((H1 + H0) * D), b3 = take(D);
      let sum = 0;
      for (let row = 0; row < R; row++) {
        const h0 = Array.from({ length: H0 }, (_, o) => actForward('tanh', b0[o]! + Array.from({ length: D }, (_, i) => x[row * D + i]! * W0[i * H0 + o]!).reduce((a, b) => a + b, 0)));
        const h1 = Array.from({ length: H1 }, (_, o) => actForward('elu', b1[o]! + h0.reduce((a, v, i) => a + v * W1[i * H1 + o]!, 0)));
        const cat = [...h1, ...h0];
        for (let o = 0; o < D; o++) {
          const y = b3[o]! + cat.reduce((a, v, i) => a + v * W3[i * D + o]!, 0);
          sum += (y - x[row * D + o]!) ** 2;
        }
      }
      return sum / (R * D);
    };
    expect(Math.abs(loss - forward())).toBeLessThan(1e-5 * forward());
    const g = fdGrad(forward, p64, 1e-5);
    const scale = Math.max(...g.map(Math.abs));
    // W0 (the first D*H0 values) gets gradient from both consumers of h0
    for (let i = 0; i < g.length; i++) expect(Math.abs(grads[i]! - g[i]!), `param ${i}`).toBeLessThanOrEqual(2e-4 * scale + 1e-6);
  });
});

describe('denoising corruption, drawn from the noise stream in the units of the data passed', () => {
  /** An identity model (dense D -> D -> D, linear, W = I, b = 0): its output is its (corrupted) input. */
  async function identity(D: number, normalize: 'none' | 'minmax' = 'none'): Promise<Autoencoder> {
    const ae = await Autoencoder.create({
      inputShape: [D], encoder: [{ type: 'dense', units: D }], decoder: [{ type: 'dense', units: D }], normalize, seed: 21,
    });
    const eye = Float32Array.from({ length: D * D }, (_, i) => (i % (D + 1) === 0 ? 1 : 0));
    ae.setWeights([eye, new Float32Array(D), eye, new Float32Array(D)]);
    return ae;
  }
  const D = 6, n = 40;
  const x = new Rng(5).f32(n * D, -2, 3);
  const fit = { epochs: 1, learningRate: 0, shuffle: false, batchSize: n, validationSplit: 0, earlyStopping: false as const };
  const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-5 * want + 1e-9);

  it('gaussian with clip: loss = mean (clip(x + σε) - x)^2, ε the noise stream\'s normals in order', async () => {
    const ae = await identity(D);
    const h = await ae.fit(x, { ...fit, noise: { gaussian: 0.7, clip: [-1.5, 2] } });
    const s = new Stream(21, PURPOSE.noise);
    let sum = 0;
    for (let i = 0; i < n * D; i++) {
      const v = Math.min(Math.max(x[i]! + 0.7 * s.normal(), -1.5), 2);
      sum += (v - x[i]!) ** 2;
    }
    close(h.loss[0]!, sum / (n * D));
  });

  it('gaussian in data units with a minmax normalizer: the model sees σε / range_j', async () => {
    const ae = await identity(D, 'minmax');
    const h = await ae.fit(x, { ...fit, noise: 0.5 });   // the number is short for { gaussian: 0.5 }
    const range = Array.from({ length: D }, (_, j) => {
      const col = Array.from({ length: n }, (_, r) => x[r * D + j]!);
      return Math.max(...col) - Math.min(...col);
    });
    const s = new Stream(21, PURPOSE.noise);
    let sum = 0;
    for (let i = 0; i < n * D; i++) sum += (0.5 * s.normal() / range[i % D]!) ** 2;
    close(h.loss[0]!, sum / (n * D));
  });

  it('mask: a fraction p of the inputs set to 0; salt-and-pepper: to the feature\'s training min or max, half each', async () => {
    const a = await identity(D);
    const ha = await a.fit(x, { ...fit, noise: { mask: 0.3 } });
    let s = new Stream(21, PURPOSE.noise), sum = 0, hits = 0;
    for (let i = 0; i < n * D; i++) if (s.uniform() < 0.3) { sum += x[i]! ** 2; hits++; }
    expect(hits).toBeGreaterThan(40);
    close(ha.loss[0]!, sum / (n * D));
    const b = await identity(D);
    const hb = await b.fit(x, { ...fit, noise: { saltPepper: 0.25 } });
    const lo = Array.from({ length: D }, (_, j) => Math.min(...Array.from({ length: n }, (_, r) => x[r * D + j]!)));
    const hi = Array.from({ length: D }, (_, j) => Math.max(...Array.from({ length: n }, (_, r) => x[r * D + j]!)));
    s = new Stream(21, PURPOSE.noise); sum = 0;
    for (let i = 0; i < n * D; i++) if (s.uniform() < 0.25) sum += ((s.uniform() < 0.5 ? lo : hi)[i % D]! - x[i]!) ** 2;
    close(hb.loss[0]!, sum / (n * D));
  });

  it('options: one kind per fit, clip with gaussian only, numbers in range; errors name the valid ones', async () => {
    const ae = await identity(D);
    await expect(ae.fit(x, { ...fit, noise: { mask: 0.1, saltPepper: 0.1 } as never })).rejects.toThrow(/one kind per fit: exactly one of gaussian, mask or saltPepper, got mask and saltPepper/);
    await expect(ae.fit(x, { ...fit, noise: { mask: 0.1, clip: [0, 1] } as never })).rejects.toThrow(/noise.clip applies to gaussian noise only, not mask/);
    await expect(ae.fit(x, { ...fit, noise: { mask: 1.5 } })).rejects.toThrow(/noise.mask/);
    await expect(ae.fit(x, { ...fit, noise: { blur: 1 } as never })).rejects.toThrow(/blur/);
  });
});

describe('VAE scores, API and files', () => {
  const D = 8, n = 30;
  const x = new Rng(8).f32(n * D, 0.05, 0.95);
  async function vae(extra: Partial<AutoencoderSpec> = {}) {
    const v = await Autoencoder.create({ inputDim: D, layers: [6, 3], loss: 'bce', variational: { beta: 1 }, seed: 12, ...extra });
    await v.fit(x, { epochs: 3, validationSplit: 0.2, earlyStopping: false });
    return v;
  }

  it("score by 'kl' and 'elbo' vs the float64 reference on getWeights(); history terms sum to the loss", async () => {
    const v = await vae();
    const spec = { inputDim: D, layers: [6, 3], activation: 'relu', latentActivation: 'linear', outputActivation: 'sigmoid', loss: 'bce', variational: { beta: 1 } };
    const w = v.getWeights().map((a) => Float64Array.from(a));
    const { mean, logVar } = v.posterior(x);
    const kl = v.score(x, { by: 'kl' });
    const elbo = v.score(x, { by: 'elbo', samples: 4, seed: 9 });
    expect(Array.from(v.score(x, { by: 'elbo', samples: 4, seed: 9 }))).toEqual(Array.from(elbo)); // same call, same numbers
    expect(Array.from(v.encode(x))).toEqual(Array.from(mean));
    const s = new Stream(9, PURPOSE.sample);
    // draws: sample k's eps is the stream's normals 3k .. 3k + 2, the same for every row (common random numbers)
    const eps = Array.from({ length: 4 }, () => Array.from({ length: 3 }, () => s.normal()));
    for (let r = 0; r < n; r++) {
      const row = x.subarray(r * D, (r + 1) * D);
      let k = 0;
      for (let j = 0; j < 3; j++) k += -0.5 * (1 + logVar[r * 3 + j]! - mean[r * 3 + j]! ** 2 - Math.exp(logVar[r * 3 + j]!));
      expect(Math.abs(kl[r]! - k)).toBeLessThanOrEqual(1e-5 * Math.abs(k) + 1e-6);
      // negative ELBO = sum BCE + KL: the reference's terms per element mean * D, KL term * D / beta
      let nll = 0;
      for (const e of eps) {
        const t = familyTerms(spec, w, row, 1, { eps: e });
        nll += t.reconstruction! * D;
      }
      const want = nll / 4 + k;
      expect(Math.abs(elbo[r]! - want)).toBeLessThanOrEqual(1e-4 * Math.abs(want));
    }
    const h = await v.fit(x, { epochs: 2, validationSplit: 0.2, earlyStopping: false });
    expect(Object.keys(h.terms).sort()).toEqual(['kl', 'reconstruction']);
    h.loss.forEach((l, i) => expect(Math.abs(l - h.terms.reconstruction![i]! - h.terms.kl![i]!)).toBeLessThan(1e-12 + 1e-12 * l));
    h.valLoss.forEach((l, i) => expect(Math.abs(l - h.valTerms.reconstruction![i]! - h.valTerms.kl![i]!)).toBeLessThan(1e-12 + 1e-12 * l));
  });

  it("a row's ELBO score and its shares do not depend on the other rows of the call, their order or the blocks the kernel takes them in", async () => {
    const v = await vae();
    const N = 1100;   // past the kernel's blocks of rows (the context's capacity, 256 here)
    const big = new Rng(31).f32(N * D, 0.05, 0.95);
    const rev = new Float32Array(N * D);
    for (let r = 0; r < N; r++) rev.set(big.subarray((N - 1 - r) * D, (N - r) * D), r * D);
    for (const [fn, w] of [[(m: Float32Array) => v.score(m, { by: 'elbo', samples: 3, seed: 5 }), 1], [(m: Float32Array) => v.explain(m, { by: 'elbo', samples: 3, seed: 5 }), D]] as const) {
      const all = fn(big), back = fn(rev);
      for (let r = 0; r < N; r++) expect(Array.from(back.subarray((N - 1 - r) * w, (N - r) * w)), `row ${r} reversed`).toEqual(Array.from(all.subarray(r * w, (r + 1) * w)));
      for (const r of [0, 1, 255, 256, 700, N - 1]) expect(Array.from(fn(big.slice(r * D, (r + 1) * D))), `row ${r} alone`).toEqual(Array.from(all.subarray(r * w, (r + 1) * w)));
    }
    // a conditional VAE: the same with each row's condition
    const K = 2, cv = await Autoencoder.create({ inputDim: D, layers: [5, 3], variational: { beta: 1 }, conditionDim: K, seed: 3 });
    const cond = Float32Array.from({ length: N * K }, (_, i) => ((i >> 1) % 3 === i % 2 ? 1 : 0));
    const cs = cv.score(big, { condition: cond, by: 'elbo', samples: 2, seed: 1 });
    for (const r of [0, 300, N - 1]) {
      expect(cv.score(big.slice(r * D, (r + 1) * D), { condition: cond.slice(r * K, (r + 1) * K), by: 'elbo', samples: 2, seed: 1 })[0], `conditional row ${r}`).toBe(cs[r]);
    }
    // and another seed draws other numbers
    expect(v.score(big.slice(0, D), { by: 'elbo', samples: 3, seed: 6 })[0]).not.toBe(v.score(big.slice(0, D), { by: 'elbo', samples: 3, seed: 5 })[0]);
  });

  it('encode(x, { sample: true, seed }) = mean + exp(logVar / 2) ε with ε the sampling stream\'s normals of that seed', async () => {
    const v = await vae();
    const { mean, logVar } = v.posterior(x);
    const z = v.encode(x, { sample: true, seed: 33 });
    const s = new Stream(33, PURPOSE.sample);
    z.forEach((zi, i) => {
      const want = mean[i]! + Math.exp(logVar[i]! / 2) * s.normal();
      expect(Math.abs(zi - want)).toBeLessThanOrEqual(1e-5 * Math.abs(want) + 1e-6);
    });
    expect(Array.from(v.encode(x, { sample: true, seed: 33 }))).toEqual(Array.from(z));
    expect(() => v.encode(x, { seed: 1 })).toThrow(/seed goes with sample: true/);
  });

  it('calibrate by elbo stores by with the threshold, in the file too; detect uses it', async () => {
    const v = await vae();
    const t = v.calibrate(x, { quantile: 0.8, by: 'elbo', samples: 2, seed: 4 });
    expect(v.thresholdBy).toEqual({ by: 'elbo', samples: 2, seed: 4 });
    const flags = v.detect(x);
    expect(Array.from(flags)).toEqual(Array.from(v.score(x, { by: 'elbo', samples: 2, seed: 4 }), (s) => (s > t ? 1 : 0)));
    const back = await Autoencoder.load(v.save());
    expect(back.thresholdBy).toEqual({ by: 'elbo', samples: 2, seed: 4 });
    expect(Array.from(back.detect(x))).toEqual(Array.from(flags));
    expect(back.spec.variational).toEqual({ beta: 1 });
  });

  it("thresholdBy is score()'s options: score(x, ae.thresholdBy) gives the scores detect() compares, by 'reconstruction', 'kl' or 'elbo'", async () => {
    const v = await vae();
    expect(v.thresholdBy).toEqual({ by: 'reconstruction' });   // (before any calibrate)
    for (const o of [{ by: 'reconstruction' as const }, { by: 'kl' as const }, { by: 'elbo' as const, samples: 3, seed: 5 }]) {
      const t = v.calibrate(x, { quantile: 0.7, ...o });
      expect(v.thresholdBy).toEqual(o);
      const s = v.score(x, v.thresholdBy);
      expect(Array.from(s)).toEqual(Array.from(v.score(x, o)));
      expect(Array.from(v.detect(x))).toEqual(Array.from(s, (a) => (a > t ? 1 : 0)));
    }
    const plain = await Autoencoder.create({ inputDim: D, layers: [4, 2], seed: 2 });
    expect(Array.from(plain.score(x, plain.thresholdBy))).toEqual(Array.from(plain.score(x)));
  });

  it('save/load of each variant gives the same outputs', async () => {
    const cond = Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 === Math.floor(i / 2) % 2 ? 1 : 0));
    const models: [Autoencoder, { condition?: Float32Array }][] = [
      [await vae(), {}],
      [await Autoencoder.create({ inputDim: D, layers: [5, 3], sparsity: { l1: 0.01 } }), {}],
      [await Autoencoder.create({ inputDim: D, layers: [5, 3], latentActivation: 'sigmoid', sparsity: { kl: { rho: 0.1, weight: 1 } } }), {}],
      [await Autoencoder.create({ inputShape: [D], encoder: [{ type: 'dense', units: 5, activation: 'tanh' }, { type: 'dense', units: 2 }], decoder: [{ type: 'dense', units: D }], contractive: 0.1 }), {}],
      [await Autoencoder.create({ inputDim: D, layers: [5, 2], variational: { beta: 0.5 }, conditionDim: 2 }), { condition: cond }],
      [await Autoencoder.create({ inputShape: [4, 2, 1], encoder: [{ type: 'conv2d', filters: 2, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 2 }],
        decoder: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'reshape', shape: [4, 2, 1] }, { type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' }],
        loss: 'bce', variational: { beta: 1 } }), {}],
    ];
    for (const [m, co] of models) {
      await m.fit(x, { epochs: 2, ...co });
      const back = await Autoencoder.load(m.save());
      expect(back.spec).toEqual(m.spec);
      expect(Array.from(back.score(x, co))).toEqual(Array.from(m.score(x, co)));
      expect(Array.from(back.encode(x, co))).toEqual(Array.from(m.encode(x, co)));
    }
    const cv = models[4]![0];
    expect(cv.generate(cond.subarray(0, 4), { seed: 1 }).length).toBe(2 * D);
    expect(() => cv.sample(2)).toThrow(/sample\(\) on a conditional VAE is refused: use generate/);
    expect(() => cv.encode(x)).toThrow(/needs encode\(\.\.\., \{ condition \}\)/);
    // the codec takes no condition rows (its encoder read them from address 0 of the memory before
    // 2026-12-07): each of its calls is refused, and the model is as it was
    const bytes = cv.save(), codes = cv.encode(x, { condition: cond });
    const calls: [string, () => unknown][] = [['compress()', () => cv.compress(x)], ['decompress()', () => cv.decompress(models[0]![0].compress(x))],
      ['fitCodec()', () => cv.fitCodec(x)], ['compressStream()', () => cv.compressStream()], ['decompressStream()', () => cv.decompressStream()]];
    for (const [call, f] of calls) expect(f, call).toThrow(`${call} is not available on a conditional VAE: the codec codes rows without the condition rows its encoder and decoder need; use encode(x, { condition }) and decode(z, { condition })`);
    expect(cv.save()).toEqual(bytes);
    expect(cv.encode(x, { condition: cond })).toEqual(codes);
  });

  it("each row's scores and codes are its own: a batch gives every row the bits it gets alone (dense and conv VAEs, a conv model)", async () => {
    // a VAE whose last dense layer kept a multi-axis shape once read rows into one another (now refused above)
    const conv = { inputShape: [6, 6, 1], encoder: [{ type: 'conv2d', filters: 3, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'maxPool2d' }, { type: 'flatten' }, { type: 'dense', units: 4 }],
      decoder: [{ type: 'dense', units: 36, activation: 'sigmoid' }, { type: 'reshape', shape: [6, 6, 1] }], loss: 'mse', seed: 5 } as AutoencoderSpec;
    const specs: AutoencoderSpec[] = [{ inputDim: 36, layers: [8, 3], loss: 'bce', variational: { beta: 1 }, seed: 5 }, { ...conv, variational: { beta: 1 } }, conv];
    const rows = new Rng(21).f32(7 * 36, 0.05, 0.95);
    for (const spec of specs) {
      const m = await Autoencoder.create(spec);
      await m.fit(rows, { epochs: 2, batchSize: 3 });
      const all = m.score(rows), codes = m.encode(rows), L = codes.length / 7;
      for (let r = 0; r < 7; r++) {
        const one = rows.subarray(r * 36, (r + 1) * 36);
        expect(Array.from(m.score(one)), `row ${r} of ${JSON.stringify(spec).slice(0, 60)}`).toEqual([all[r]]);
        expect(Array.from(m.encode(one))).toEqual(Array.from(codes.subarray(r * L, (r + 1) * L)));
      }
      m.dispose();
    }
  });

  it('spec errors: mae, a non-linear latent, conv end, a latent that is not flat, sparse KL without sigmoid, conditionDim without variational', async () => {
    await expect(Autoencoder.create({ inputDim: 4, loss: 'mae', variational: {} })).rejects.toThrow(/loss 'mae' is refused for a VAE/);
    await expect(Autoencoder.create({ inputDim: 4, latentActivation: 'tanh', variational: {} })).rejects.toThrow(/must be linear/);
    await expect(Autoencoder.create({ inputDim: 4, sparsity: { kl: { rho: 0.1, weight: 1 } } })).rejects.toThrow(/needs a sigmoid latent/);
    await expect(Autoencoder.create({ inputDim: 4, conditionDim: 2 })).rejects.toThrow(/add variational/);
    await expect(Autoencoder.create({ inputDim: 4, sparsity: { l2: 1 } as never })).rejects.toThrow(/l1, kl/);
    await expect(Autoencoder.create({ inputShape: [4, 1], encoder: [{ type: 'conv1d', filters: 1, kernel: 1 }], decoder: [{ type: 'conv1d', filters: 1, kernel: 1 }], variational: {} }))
      .rejects.toThrow(/must end with a dense layer/);
    await expect(Autoencoder.create({ inputShape: [5, 7, 1], encoder: [{ type: 'dense', units: 1 }], decoder: [{ type: 'flatten' }, { type: 'dense', units: 35 }, { type: 'reshape', shape: [5, 7, 1] }], variational: {} }))
      .rejects.toThrow(/a VAE's latent must be a flat vector, but its encoder's last dense layer gets a 3-axis input and keeps its shape \(\[5, 7, 1\]; .*put \{ type: 'flatten' \} before it/);
    await expect(Autoencoder.create({ inputShape: [4, 4, 1], encoder: [{ type: 'conv2d', filters: 2, kernel: 3, padding: 'same' }, { type: 'dense', units: 2 }], decoder: [{ type: 'flatten' }, { type: 'dense', units: 16 }, { type: 'reshape', shape: [4, 4, 1] }], variational: {} }))
      .rejects.toThrow(/a VAE's latent must be a flat vector/);
    await expect(Autoencoder.create({ inputShape: [4, 1], encoder: [{ type: 'conv1d', filters: 1, kernel: 1 }, { type: 'flatten' }], decoder: [{ type: 'dense', units: 4 }, { type: 'reshape', shape: [4, 1] }], contractive: 0.1 }))
      .rejects.toThrow(/contractive needs a dense encoder .* has a 'conv1d' layer/);
    await expect(Autoencoder.create({ inputDim: 4, contractive: -1 })).rejects.toThrow(/contractive/);
    const plain = await Autoencoder.create({ inputDim: 4 });
    expect(() => plain.score(new Float32Array(4), { by: 'kl' })).toThrow(/needs a variational autoencoder/);
    expect(() => plain.posterior(new Float32Array(4))).toThrow(/needs a variational autoencoder/);
  });
});
