// bound.test.ts: load()'s and setWeights()'s proof that a model stays finite on every row within
// +-8 in normalized units (assembly/bound.ts), which replaced five probe rows that could miss a huge
// weight behind a unit they leave inactive (the fuzz's 'overflow-probe-misses', seed 2026120328).
// Oracles: the maximum of an affine map over a box, |c| + 8 sum |a| with c and a measured through the
// model's own forward pass (exact for a first dense, conv or stride-1 transposed conv node); rows of the
// box through the forward pass (never above the bounds); the float64 reference network of tests/data.ts
// (refModel) for the edited file's rows; and trained models of the family, whose bounds must sit far
// under the limit (a false refusal would lose a user's model).
import { describe, expect, it } from 'vitest';
import { Autoencoder, type AutoencoderSpec } from 'autoencoder';
import { BOUND_BOX, layerSizes, nodeBounds } from '../bindings/wasm.js';
import { fixCrc, lowRank, parseFile, rand, refModel } from './data.js';
import { expectMessage, kernelOf, rejected } from './helpers.js';

const F32_MAX = 3.4028234663852886e38;

/** Weights N(0, 1) * scale, batchNorm moving variances |N(0, 1)| + 0.1 (getWeights() order: a batchNorm layer's gamma, beta, mean, variance). */
function randomize(ae: Autoencoder, seed: number, scale: number): void {
  const r = rand(seed);
  const variance = new Set<number>();
  let i = 0;
  for (const l of kernelOf(ae).plan!.layers) {
    const z = layerSizes(l);
    if (z.state) { variance.add(i + 3); i += 4; } else if (z.w) i += 2;
  }
  ae.setWeights(ae.getWeights().map((w, j) => w.map(() => (variance.has(j) ? Math.abs(r.n()) + 0.1 : r.n() * scale))));
}

/** The bounds of every node (after its activation), node by node, and the largest bound (bisected on the limit: the error's sum included). */
function bounds(ae: Autoencoder, members = 1): { nodes: Float32Array[]; largest: number } {
  const k = kernelOf(ae);
  const b = nodeBounds(k, members, F32_MAX);
  expect(b.r).toBe(-1);
  const nodes: Float32Array[] = [];
  let off = 0;
  for (const l of k.plan!.layers) { const n = l.oc ?? l.out; nodes.push(b.m.slice(off, off + n)); off += n; }
  let lo = 0, hi = Math.log(F32_MAX);
  for (let i = 0; i < 50; i++) { const mid = (lo + hi) / 2; if (nodeBounds(k, members, Math.exp(mid)).r < 0) hi = mid; else lo = mid; }
  return { nodes, largest: Math.exp(hi) };
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('the bound of a first affine node is the exact maximum over the box', () => {
  const cases: [string, AutoencoderSpec][] = [
    ['dense', { inputShape: [7], encoder: [{ type: 'dense', units: 5 }], decoder: [{ type: 'dense', units: 7 }] }],
    ['conv2d', { inputShape: [5, 5, 2], encoder: [{ type: 'conv2d', filters: 3, kernel: 3, padding: 'same' }], decoder: [{ type: 'conv2d', filters: 2, kernel: 3, padding: 'same' }] }],
    ['conv1d', { inputShape: [9, 2], encoder: [{ type: 'conv1d', filters: 3, kernel: 5, padding: 'valid' }], decoder: [{ type: 'conv1dTranspose', filters: 2, kernel: 5, padding: 'valid' }] }],
    ['conv2dTranspose stride 1', { inputShape: [5, 5, 2], encoder: [{ type: 'conv2dTranspose', filters: 3, kernel: 3, padding: 'same' }], decoder: [{ type: 'conv2d', filters: 2, kernel: 3, padding: 'same' }] }],
    // moving means 0 below: gamma (x / sqrt(var + eps)) + beta, whose maximum the bound then is
    ['batchNorm', { inputShape: [3, 3, 4], encoder: [{ type: 'batchNorm' }], decoder: [{ type: 'conv2d', filters: 4, kernel: 1 }] }],
  ];
  for (const [name, spec] of cases) {
    it(name, async () => {
      const ae = await Autoencoder.create({ ...spec, seed: 3 } as AutoencoderSpec);
      randomize(ae, 11, 1.5);
      if (name === 'batchNorm') ae.setWeights(ae.getWeights().map((w, i) => (i === 2 ? w.fill(0) : w)));
      const D = ae.inputDim, B = BOUND_BOX;
      // rows 0 and B e_i: the latent code is c + a x, so c = f(0) and a_i = (f(B e_i) - c) / B
      const x = new Float32Array((D + 1) * D);
      for (let i = 0; i < D; i++) x[(i + 1) * D + i] = B;
      const z = ae.encode(x), L = z.length / (D + 1);
      const exact = new Float64Array(L);
      for (let o = 0; o < L; o++) {
        let s = Math.abs(z[o]!);
        for (let i = 0; i < D; i++) s += Math.abs(z[(i + 1) * L + o]! - z[o]!);
        exact[o] = s;
      }
      // the bound is per channel: the largest over positions, which an inner position reaches
      const b = bounds(ae).nodes[0]!, C = b.length;
      for (let c = 0; c < C; c++) {
        let m = 0;
        for (let o = c; o < L; o += C) m = Math.max(m, exact[o]!);
        expect(Math.abs(b[c]! - m) / m, `${name} channel ${c}: bound ${b[c]} vs ${m}`).toBeLessThan(1e-4);
      }
      ae.dispose();
    });
  }
});

// assembly/bound.ts sums each output's terms row after row, four rows a pass over the outputs: the same float32
// sums as one row a pass. Oracle: those sums in TypeScript, Math.fround at every step, for dense layers whose
// row and output counts leave every remainder (13 -> 6 -> 9 -> 13: 1, 2 and 1 rows after the passes of four;
// 2, 1 and 1 outputs after the steps of four).
it('dense bounds are the float32 sums of |W| v row after row, bit for bit', async () => {
  const ae = await Autoencoder.create({ inputShape: [13], encoder: [{ type: 'dense', units: 6, activation: 'relu' }, { type: 'dense', units: 9, activation: 'relu' }],
    decoder: [{ type: 'dense', units: 13 }], seed: 5 });
  for (const seed of [31, 32, 33]) {
    randomize(ae, seed, 2.5);
    const w = ae.getWeights(), got = bounds(ae).nodes;
    let v: number[] = new Array(13).fill(BOUND_BOX);
    for (let l = 0; l < 3; l++) {
      const W = w[2 * l]!, b = w[2 * l + 1]!, O = b.length, R = v.length;
      expect(W.length).toBe(R * O);
      const y = Array.from(b, (x) => Math.abs(x));
      for (let r = 0; r < R; r++) for (let o = 0; o < O; o++) y[o] = Math.fround(y[o]! + Math.fround(Math.abs(W[r * O + o]!) * v[r]!));
      expect(Array.from(got[l]!), `seed ${seed}, node ${l}`).toEqual(y);
      v = y;   // relu, and the linear output: the bound as it is
    }
  }
  ae.dispose();
});

describe('no row of the box goes past the bounds', () => {
  const specs: [string, AutoencoderSpec][] = [
    ['dense relu', { inputDim: 9, layers: [7, 3], activation: 'relu' }],
    ['dense elu / leaky relu / tanh', { inputShape: [9], encoder: [{ type: 'dense', units: 6, activation: 'elu' }, { type: 'dense', units: 4, activation: 'leakyRelu' }], decoder: [{ type: 'dense', units: 6, activation: 'tanh' }, { type: 'dense', units: 9 }] }],
    ['conv2d, batchNorm, max pool, upsampling, stride-2 transposed conv', { inputShape: [6, 6, 1], encoder: [
      { type: 'conv2d', filters: 3, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'batchNorm' }, { type: 'maxPool2d', pool: 2 },
      { type: 'conv2d', filters: 2, kernel: 3, padding: 'same' }], decoder: [
      { type: 'upSampling2d', size: 2 }, { type: 'conv2dTranspose', filters: 3, kernel: 3, strides: 1, padding: 'same', activation: 'relu' },
      { type: 'maxPool2d', pool: 2 }, { type: 'conv2dTranspose', filters: 1, kernel: 3, strides: 2, padding: 'same' }] }],
    ['flatten, dense, reshape, dropout', { inputShape: [4, 4, 2], encoder: [{ type: 'conv2d', filters: 2, kernel: 3, padding: 'same', activation: 'relu' },
      { type: 'flatten' }, { type: 'dropout', rate: 0.2 }, { type: 'dense', units: 5 }], decoder: [{ type: 'dense', units: 32, activation: 'relu' },
      { type: 'reshape', shape: [4, 4, 2] }, { type: 'conv2d', filters: 2, kernel: 3, padding: 'same' }] }],
    ['VAE', { inputDim: 8, layers: [6, 3], variational: { beta: 1 } }],
  ];
  for (const [name, spec] of specs) {
    it(name, async () => {
      const ae = await Autoencoder.create({ ...spec, seed: 5 } as AutoencoderSpec);
      const D = ae.inputDim;
      await ae.fit(lowRank(64, D, 2), { epochs: 2, validationSplit: 0 }); // moving statistics of their own
      randomize(ae, 17, 1.2);
      const { nodes, largest } = bounds(ae);
      const k = kernelOf(ae), latent = k.plan!.latent, last = nodes.length - 1;
      // rows of the box: its corners (random signs), and rows inside it
      const r = rand(23), N = 400;
      const x = Float32Array.from({ length: N * D }, (_, i) => (i < (N / 2) * D ? (r.u() < 0.5 ? -BOUND_BOX : BOUND_BOX) : (2 * r.u() - 1) * BOUND_BOX));
      const z = ae.encode(x), y = ae.reconstruct(x), s = ae.score(x);
      expect(maxAbs(z)).toBeLessThanOrEqual(maxAbs(nodes[latent]!));
      expect(maxAbs(y)).toBeLessThanOrEqual(maxAbs(nodes[last]!));
      // the error's sum over a row, C * score, against the error bound sum (|y_j| + B)^2
      const C = y.length / N, yb = nodes[last]!;
      let e = 0;
      for (let j = 0; j < C; j++) e += (yb[j % yb.length]! + BOUND_BOX) ** 2;
      expect(maxAbs(s) * C).toBeLessThanOrEqual(e * (1 + 1e-6));
      expect(largest).toBeGreaterThanOrEqual(e * (1 - 1e-6));
      // and the box's rows come close: the bound is loose, but not by more than this
      expect(maxAbs(y), name).toBeGreaterThan(1e-6 * maxAbs(nodes[last]!));
      ae.dispose();
    });
  }
});

describe('a huge weight behind a unit the old probe rows left inactive', () => {
  it('load() refuses the file, naming the layer; the float64 reference overflows on a row of the box and not on the old fixed rows', async () => {
    const ae = await Autoencoder.create({ inputDim: 6, layers: [4, 2], seed: 2 });
    await ae.fit(lowRank(48, 6, 4), { epochs: 2, validationSplit: 0 });
    // W1 [6][4], b1, W2 [4][2], ...: hidden unit 0 fires only on rows like (+2.5, -2.5, ...), where its
    // sum reaches 15 - 12; rows of 0s, +2s or -2s (and normal draws, all but surely) leave it at 0
    const w = ae.getWeights();
    for (let i = 0; i < 6; i++) w[0]![i * 4] = i % 2 ? -1 : 1;
    w[1]![0] = -12;
    w[2]![0] = 0.8125; // W2[0][0], hidden unit 0 -> latent 0: a marker to find in the file
    ae.setWeights(w);
    const bytes = ae.save(), f = parseFile(bytes);
    const floats = Array.from(f.floats), i = floats.indexOf(0.8125);
    expect(floats.lastIndexOf(0.8125)).toBe(i);
    const bad = bytes.slice();
    new DataView(bad.buffer).setFloat32(bytes.length - 4 - 4 * (f.floats.length - i), -9.65e19, true);
    expectMessage(await rejected(() => Autoencoder.load(fixCrc(bad))),
      /^the model file is corrupted: its weights overflow float32: on rows within \+-8 in normalized units (layer 2's values|the reconstruction error's sum) could reach /);
    // the float64 reference network with the edited weight: finite on the old probe's fixed rows,
    // beyond float32 on a row of the box
    w[2]![0] = -9.65e19;
    const ref = refModel(ae.spec as never, w, { kind: 'none' });
    const error = (row: number[]) => ref.score(Float64Array.from(row))[0]!;
    for (const v of [0, 2, -2]) expect(error(new Array(6).fill(v))).toBeLessThan(1e3);
    expect(error([2.5, -2.5, 2.5, -2.5, 2.5, -2.5])).toBeGreaterThan(F32_MAX);
    ae.dispose();
  });
});

describe('an ensemble\'s statistics', () => {
  it('a member\'s column scale edited to 1.2e-38 is refused (session 27\'s five probe rows passed it, and a row with 8 in that column scored Infinity); 1e-3 loads', async () => {
    const D = 12;
    const ae = await Autoencoder.create({ inputDim: D, normalize: 'standard', ensemble: { members: 4, rows: 64, density: 64 }, seed: 3 });
    await ae.fit(lowRank(128, D, 5), { validationSplit: 0 });
    const k = kernelOf(ae) as unknown as { nPadded: number; nState: number };
    const bytes = ae.save(), f = parseFile(bytes);
    // the floats: the normalizer (2 D), the members' params (4 x nPadded), the state, then each member's statistics [D + 2]
    const at = 2 * D + 4 * k.nPadded + k.nState, base = bytes.length - 4 - 4 * f.floats.length;
    const v = f.floats.slice(at, at + D + 2);
    expect(v.subarray(0, D).every((x) => x > 1e-6 && x < 1e3)).toBe(true);  // the column scales (median / 0.455 + 1e-6)
    expect(v[D + 1]!).toBeGreaterThan(0);                                     // the IQR
    const edit = (i: number, value: number) => {
      const b = bytes.slice();
      new DataView(b.buffer).setFloat32(base + 4 * i, value, true);
      return fixCrc(b);
    };
    const refused = /^the model file is corrupted: its members' statistics or density codes overflow float32: on rows within \+-8 in normalized units the ensemble's score could reach /;
    expectMessage(await rejected(() => Autoencoder.load(edit(at + 5, 1.2e-38))), refused);
    const ok = await Autoencoder.load(edit(at + 5, 1e-3));
    expect(ok.score(lowRank(4, D, 6)).every(Number.isFinite)).toBe(true);
    ok.dispose();
    // the density block after the statistics: R, tMed, c, L, then the codes [L][R rounded up to 4]
    const dens = at + 4 * (D + 2);
    expect([f.floats[dens]!, f.floats[dens + 3]!]).toEqual([64, ae.latentDim]);
    // its scale c at 1e38: a row a few distances from the reference codes scores past float32
    expectMessage(await rejected(() => Autoencoder.load(edit(dens + 2, 1e38))), refused);
    // one reference code at 1e37 loads: its distance is +Infinity in float32, which the nearest-5 list drops
    // (so t stays under sqrt(3.4e38) whatever the codes; c (1e37 + tMed) would pass the limit)
    expect(Math.abs(f.floats[dens + 2]!)).toBeGreaterThan(0.1);
    const far = await Autoencoder.load(edit(dens + 4, 1e37));
    expect(far.score(lowRank(4, D, 6)).every(Number.isFinite)).toBe(true);
    far.dispose();
    ae.dispose();
  });
});

describe('trained models of the family are far inside the limit (no false refusal)', () => {
  const data = (n: number, D: number) => Float32Array.from(lowRank(n, D, 7, { offset: 0.5, scale: 0.3 }), (v) => Math.min(1, Math.max(0, v)));
  const specs: [string, AutoencoderSpec, number][] = [
    ['dense 64 [32, 8] relu, sigmoid out, bce', { inputDim: 64, layers: [32, 8], activation: 'relu', outputActivation: 'sigmoid', loss: 'bce' }, 64],
    ['the Keras conv denoiser on 8x8', { inputShape: [8, 8, 1], encoder: [{ type: 'conv2d', filters: 32, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'maxPool2d', pool: 2 },
      { type: 'conv2d', filters: 32, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'maxPool2d', pool: 2 }], decoder: [
      { type: 'conv2dTranspose', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
      { type: 'conv2dTranspose', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
      { type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' }], loss: 'bce' }, 64],
    ['conv + batchNorm, linear out', { inputShape: [8, 8, 1], encoder: [{ type: 'conv2d', filters: 8, kernel: 3, padding: 'same' }, { type: 'batchNorm' },
      { type: 'maxPool2d', pool: 2 }, { type: 'conv2d', filters: 8, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'batchNorm' }],
    decoder: [{ type: 'upSampling2d', size: 2 }, { type: 'conv2d', filters: 8, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'conv2d', filters: 1, kernel: 3, padding: 'same' }], normalize: 'standard' }, 64],
    ['VAE', { inputDim: 64, layers: [32, 4], variational: { beta: 1 }, normalize: 'standard' }, 64],
    ['the default ensemble (16 members, the density term)', { inputDim: 12, normalize: 'standard' }, 12],
  ];
  for (const [name, spec, D] of specs) {
    it(name, async () => {
      const ae = await Autoencoder.create({ ...spec, seed: 9 } as AutoencoderSpec);
      await ae.fit(data(256, D), { epochs: 6, validationSplit: 0 });
      const e = ae.spec.ensemble, members = e ? e.members ?? 1 : 1;
      const { largest } = bounds(ae, members);
      console.log(`[bound] ${name}: the largest bound over the box is ${largest.toExponential(2)} (limit 1e36)`);
      expect(largest).toBeLessThan(1e15);
      ae.dispose();
    });
  }
});
