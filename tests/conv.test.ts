// The convolutional layer graph of the wasm model (conv1d/2d, their transposes, max pooling,
// upsampling, flatten/dense/reshape, batchNorm, dropout) against the independent float64
// reference in tests/ref/graph.ts (graphForward / graphLossAndGrads) on the same float32 weights
// and inputs: the inference forward (reconstruct/encode/decode), the training loss and every
// gradient (ae_grads, in the param layout = getWeights() order of the trainable arrays), and the
// batchNorm moving statistics a training forward updates; then finite differences on the wasm
// model itself, the PyTorch/Keras convdae reference weights, the Keras weight layouts read
// through setWeights, and the model-level promises (determinism, save/load, denoising fit,
// restoreBest and failure restore) with the batchNorm state included.
// Models are made through the public API; batches go into the model's own memory (k.alloc).

import { describe, expect, it } from 'vitest';
import { Autoencoder, addNoise, type LayerSpec, type Loss } from 'autoencoder';
import { graphForward, graphLossAndGrads, graphShapes, outSize, type RefLayer } from './ref/index.js';
import {
  Rng, expectSameBits, expectWithin, getF32, kernelOf, loadBenchModel, loadKernel, maxAbs, putF32, withIO, wasmFiniteDifferences } from './helpers.js';
import { haveShared } from './data.js';
import { C, L, RNG, SH } from '../bindings/wasm.js';

type Spec = { inputShape: number[]; encoder: LayerSpec[]; decoder: LayerSpec[]; loss?: Loss };
type Kind = 'W' | 'b' | 'gamma' | 'beta' | 'mean' | 'var';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** What each getWeights() array is, layer by layer (Keras order). */
function kindsOf(spec: Spec): Kind[] {
  return [...spec.encoder, ...spec.decoder].flatMap((l): Kind[] =>
    l.type === 'batchNorm' ? ['gamma', 'beta', 'mean', 'var'] : l.type === 'dense' || l.type.startsWith('conv') ? ['W', 'b'] : []);
}
const TRAINABLE = new Set<Kind>(['W', 'b', 'gamma', 'beta']);

/** The layer list as the reference takes it (the resolved spec uses the same names and defaults). */
function refLayers(ae: Autoencoder): RefLayer[] {
  const s = ae.spec;
  return [...s.encoder!, ...s.decoder!] as unknown as RefLayer[];
}

/**
 * A model with its Glorot kernels and seeded nonzero biases (zero biases would hide bias bugs),
 * batchNorm gamma/beta away from 1/0 and moving statistics away from 0/1 (so inference really
 * uses them).
 */
async function makeModel(spec: Spec, seed: number, opts?: { shards?: number }): Promise<Autoencoder> {
  const ae = await Autoencoder.create({ ...spec, seed }, opts);
  const r = new Rng(seed + 17);
  const kinds = kindsOf(spec);
  const w = ae.getWeights();
  expect(w.length, 'getWeights() count').toBe(kinds.length);
  ae.setWeights(w.map((a, i) => {
    switch (kinds[i]) {
      case 'b': case 'beta': return r.f32(a.length, -0.3, 0.3);
      case 'gamma': return r.f32(a.length, 0.5, 1.5);
      case 'mean': return r.f32(a.length, -0.5, 0.5);
      case 'var': return r.f32(a.length, 0.5, 2);
      default: return a;
    }
  }));
  return ae;
}

/**
 * Reads layer l's per-element cache (dropout mask) of `rows` rows of `per` floats from the layer table: ABI of
 * assembly/arena.ts. A model in shards keeps each shard's rows in its own context's rows of the buffer.
 */
function layerAux(ae: Autoencoder, l: number, rows: number, per: number): Float32Array {
  const k = kernelOf(ae);
  const aux = (ctx: number, n: number) => getF32(k, k.getI32(k.getI32(ctx + C.LAYERS) + l * L.BYTES + L.AUX), n);
  const sh = k.getI32(k.ctx + SH.FIELD);
  if (!sh) return aux(k.ctx, rows * per);
  const S = k.getI32(sh + SH.N), out = new Float32Array(rows * per);
  for (let s = 0, r0 = 0; s < S; s++) {
    const r1 = Math.ceil((rows * (s + 1)) / S);   // (assembly/train.ts shard_row)
    out.set(aux(k.getI32(sh + SH.CTX + 4 * s), (r1 - r0) * per), r0 * per);
    r0 = r1;
  }
  return out;
}

/**
 * Loss and gradients from the wasm model (ae_grads: training forward, loss, backward), split into
 * getWeights() order (null for the non-trainable moving statistics), plus the weights afterwards
 * (the training forward updates the moving statistics) and the dropout masks it drew.
 */
function wasmGrads(ae: Autoencoder, spec: Spec, x: Float32Array, t: Float32Array | null, rows: number) {
  const k = kernelOf(ae);
  const kinds = kindsOf(spec);
  const sizes = ae.getWeights().map((w) => w.length);
  const { loss, all } = withIO(k, () => {
    const xp = putF32(k, x);
    const tp = t ? putF32(k, t) : xp;
    const loss = k.x.ae_grads(k.ctx, xp, tp, rows);
    return { loss, all: getF32(k, k.grads, k.nParams) };
  });
  let off = 0;
  const grads = sizes.map((n, i) => {
    if (!TRAINABLE.has(kinds[i]!)) return null;
    const g = all.slice(off, off + n);
    off += n;
    return g;
  });
  expect(off, 'trainable floats = paramCount').toBe(ae.paramCount);
  const layers = refLayers(ae);
  const { shapes } = graphShapes(layers, spec.inputShape);
  const masks = layers.map((l, i) => (l.type === 'dropout' ? layerAux(ae, i, rows, prod(i === 0 ? spec.inputShape : shapes[i - 1]!)) : undefined));
  return { loss, grads, after: ae.getWeights(), masks };
}

const ADD_BACK = (inputShape: number[]): LayerSpec[] => [
  { type: 'flatten' }, { type: 'dense', units: prod(inputShape) }, { type: 'reshape', shape: inputShape },
];

interface Case { name: string; spec: Spec; rows: number; seed: number; separateTarget?: boolean }

/** The layers under test as the encoder, then flatten + dense + reshape back to the input's shape. */
function withTail(name: string, inputShape: number[], encoder: LayerSpec[], rows = 3, extra: Partial<Case> = {}): Case {
  return { name, spec: { inputShape, encoder, decoder: ADD_BACK(inputShape) }, rows, seed: 11 + name.length, ...extra };
}

const S2 = [5, 7, 3], S1 = [9, 2];
const CASES: Case[] = [
  // conv2d: strides 1 and 2, 'valid' and 'same', odd sizes, kernels 3 and 2 and non-square
  withTail('conv2d k3 s1 valid tanh', S2, [{ type: 'conv2d', filters: 4, kernel: 3, activation: 'tanh' }]),
  withTail('conv2d k3 s1 same', S2, [{ type: 'conv2d', filters: 4, kernel: 3, padding: 'same' }]),
  withTail('conv2d k3 s2 same sigmoid', S2, [{ type: 'conv2d', filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'sigmoid' }]),
  withTail('conv2d k2 s2 valid', S2, [{ type: 'conv2d', filters: 5, kernel: 2, strides: 2 }]),
  withTail('conv2d k2 s1 same (pad at the end)', S2, [{ type: 'conv2d', filters: 3, kernel: 2, padding: 'same', activation: 'elu' }]),
  withTail('conv2d k[3,2] s[2,1] valid', S2, [{ type: 'conv2d', filters: 4, kernel: [3, 2], strides: [2, 1] }]),
  withTail('conv2d k[2,3] s[1,2] same', S2, [{ type: 'conv2d', filters: 4, kernel: [2, 3], strides: [1, 2], padding: 'same', activation: 'tanh' }]),
  withTail('conv2d k1 (pointwise)', S2, [{ type: 'conv2d', filters: 2, kernel: 1 }]),
  withTail('conv2d k4 s3 same', S2, [{ type: 'conv2d', filters: 3, kernel: 4, strides: 3, padding: 'same' }]),
  // conv2dTranspose
  withTail('conv2dTranspose k3 s1 valid', S2, [{ type: 'conv2dTranspose', filters: 2, kernel: 3, activation: 'tanh' }]),
  withTail('conv2dTranspose k3 s1 same', S2, [{ type: 'conv2dTranspose', filters: 3, kernel: 3, padding: 'same' }]),
  withTail('conv2dTranspose k3 s2 same', S2, [{ type: 'conv2dTranspose', filters: 2, kernel: 3, strides: 2, padding: 'same' }]),
  withTail('conv2dTranspose k2 s2 valid', S2, [{ type: 'conv2dTranspose', filters: 2, kernel: 2, strides: 2, activation: 'sigmoid' }]),
  withTail('conv2dTranspose k3 s2 valid', S2, [{ type: 'conv2dTranspose', filters: 2, kernel: 3, strides: 2 }]),
  withTail('conv2dTranspose k2 s1 same', S2, [{ type: 'conv2dTranspose', filters: 3, kernel: 2, padding: 'same' }]),
  withTail('conv2dTranspose k[3,2] s[2,1] same', S2, [{ type: 'conv2dTranspose', filters: 2, kernel: [3, 2], strides: [2, 1], padding: 'same', activation: 'tanh' }]),
  withTail('conv2dTranspose k4 s2 same', [3, 4, 2], [{ type: 'conv2dTranspose', filters: 3, kernel: 4, strides: 2, padding: 'same' }]),
  // conv1d and conv1dTranspose
  withTail('conv1d k3 s1 valid', S1, [{ type: 'conv1d', filters: 4, kernel: 3, activation: 'tanh' }], 4),
  withTail('conv1d k3 s2 same', S1, [{ type: 'conv1d', filters: 4, kernel: 3, strides: 2, padding: 'same' }], 4),
  withTail('conv1d k2 s2 valid', S1, [{ type: 'conv1d', filters: 3, kernel: 2, strides: 2 }], 4),
  withTail('conv1d k2 s1 same', S1, [{ type: 'conv1d', filters: 3, kernel: 2, padding: 'same', activation: 'sigmoid' }], 4),
  withTail('conv1dTranspose k3 s1 valid', S1, [{ type: 'conv1dTranspose', filters: 3, kernel: 3 }], 4),
  withTail('conv1dTranspose k3 s2 same', S1, [{ type: 'conv1dTranspose', filters: 3, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' }], 4),
  withTail('conv1dTranspose k2 s2 valid', S1, [{ type: 'conv1dTranspose', filters: 2, kernel: 2, strides: 2 }], 4),
  withTail('conv1dTranspose k3 s2 valid', S1, [{ type: 'conv1dTranspose', filters: 2, kernel: 3, strides: 2 }], 4),
  // pooling and upsampling behind a conv (so their backward feeds a weight gradient)
  withTail('conv2d + maxPool2d 2', S2, [{ type: 'conv2d', filters: 4, kernel: 3, padding: 'same', activation: 'tanh' }, { type: 'maxPool2d' }]),
  withTail('conv2d + maxPool2d 2 same', S2, [{ type: 'conv2d', filters: 4, kernel: 3, padding: 'same', activation: 'tanh' }, { type: 'maxPool2d', padding: 'same' }]),
  withTail('conv2d + maxPool2d 3 s2 (overlapping)', S2, [{ type: 'conv2d', filters: 3, kernel: 2, padding: 'same' }, { type: 'maxPool2d', pool: 3, strides: 2 }]),
  withTail('conv2d + maxPool2d [2,3] same', S2, [{ type: 'conv2d', filters: 3, kernel: 3, padding: 'same' }, { type: 'maxPool2d', pool: [2, 3], padding: 'same' }]),
  withTail('maxPool2d on the input', S2, [{ type: 'maxPool2d', pool: 2, strides: 1 }]),
  withTail('conv1d + maxPool1d 2', S1, [{ type: 'conv1d', filters: 4, kernel: 3, padding: 'same', activation: 'tanh' }, { type: 'maxPool1d' }], 4),
  withTail('conv1d + maxPool1d 3 s2 same', S1, [{ type: 'conv1d', filters: 4, kernel: 2, padding: 'same' }, { type: 'maxPool1d', pool: 3, strides: 2, padding: 'same' }], 4),
  withTail('conv2d + upSampling2d 2', S2, [{ type: 'conv2d', filters: 3, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' }, { type: 'upSampling2d' }]),
  withTail('conv2d + upSampling2d [3,2]', S2, [{ type: 'conv2d', filters: 2, kernel: 3 }, { type: 'upSampling2d', size: [3, 2] }]),
  withTail('conv1d + upSampling1d 3', S1, [{ type: 'conv1d', filters: 3, kernel: 3, strides: 2, padding: 'same' }, { type: 'upSampling1d', size: 3 }], 4),
  // dense on the last axis of a sequence, reshape with -1
  {
    name: 'dense on the last axis [9,2] -> [9,5] -> [9,2], reshape -1', rows: 4, seed: 5,
    spec: {
      inputShape: S1,
      encoder: [{ type: 'dense', units: 5, activation: 'tanh' }, { type: 'flatten' }, { type: 'dense', units: 6, activation: 'sigmoid' }],
      decoder: [{ type: 'dense', units: 18 }, { type: 'reshape', shape: [-1, 2] }],
    },
  },
  // batchNorm (training mode in ae_grads: batch statistics; moving statistics updated)
  withTail('conv2d + batchNorm', S2, [{ type: 'conv2d', filters: 4, kernel: 3, padding: 'same' }, { type: 'batchNorm' }], 3),
  withTail('batchNorm on the input (momentum 0.9, epsilon 1e-2)', S2, [{ type: 'batchNorm', momentum: 0.9, epsilon: 1e-2 }], 4),
  {
    name: 'batchNorm on a dense layer [D] + conv1d after', rows: 5, seed: 6,
    spec: {
      inputShape: S1,
      encoder: [{ type: 'flatten' }, { type: 'dense', units: 8, activation: 'tanh' }, { type: 'batchNorm' }],
      decoder: [{ type: 'dense', units: 18 }, { type: 'reshape', shape: S1 }, { type: 'conv1d', filters: 2, kernel: 3, padding: 'same' }],
    },
  },
  // dropout
  withTail('conv2d + dropout 0', S2, [{ type: 'conv2d', filters: 3, kernel: 3, activation: 'tanh' }, { type: 'dropout', rate: 0 }]),
  withTail('conv2d + dropout 0.4 (the mask the wasm drew)', S2, [{ type: 'conv2d', filters: 3, kernel: 3, activation: 'tanh' }, { type: 'dropout', rate: 0.4 }]),
  // Winograd F(2x2, 3x3) (3x3 stride 1, C and F multiples of 4, >= 8): odd sizes (partial tiles),
  // 'same' and 'valid', dx through the mirrored transform, dK through its adjoint. Not bit-equal to
  // direct convolution, yet held to the same tolerances below: its transforms have entries 0, +-1,
  // +-1/2 (exact scalings) and sum at most 4 (input), 9 (kernel, output) terms, and each of its 16
  // GEMMs sums C products where im2col sums 9C, so its rounding error is of the direct one's order
  // (measured relative to the output's scale, 14x14x32 -> 32 -> 32 and 9x11x64 -> 64 -> 64: forward
  // 2.9e-7 / 4.3e-7 against im2col's 5.3e-7 / 1.0e-6; gradients <= 1.2e-6 against <= 1.2e-6)
  {
    name: 'Winograd conv2d k3 same [7,5,8] -> 12 -> 8', rows: 3, seed: 21,
    spec: { inputShape: [7, 5, 8], encoder: [{ type: 'conv2d', filters: 12, kernel: 3, padding: 'same', activation: 'tanh' }], decoder: [{ type: 'conv2d', filters: 8, kernel: 3, padding: 'same' }] },
  },
  {
    name: 'Winograd conv2d k3 same then valid (dx of a valid layer) [6,9,12] -> 8 -> 16 -> transpose 12', rows: 2, seed: 22,
    spec: {
      inputShape: [6, 9, 12],
      encoder: [{ type: 'conv2d', filters: 8, kernel: 3, padding: 'same', activation: 'tanh' }, { type: 'conv2d', filters: 16, kernel: 3, activation: 'sigmoid' }],
      decoder: [{ type: 'conv2dTranspose', filters: 12, kernel: 3 }],
    },
  },
  // transposed 3x3 stride 2 with channels >= 8 (convdae's shape), dx of a transposed conv after a conv.
  // Its forward and backward (dK through the adjoint transforms, dx through dM V and the input
  // transform's adjoint) go through assembly/subpixel.ts (4 sub-pixel phases, Winograd F(2, 2) along each
  // 2-tap axis): not bit-equal to the direct form, held to the same tolerances: the transforms have
  // entries 0 and +-1 (input: differences of 2 values; kernel: sums of at most 4 taps; output: sums
  // of at most 4 products) and each of its GEMMs sums C products where the direct form sums C per tap
  // and then up to 4 taps, so its rounding error is of the direct one's order (the cases below, and
  // the convdae reference outputs at 1e-5 further down)
  {
    name: 'conv2dTranspose k3 s2 same after a conv (its dx) [5,3,8] -> 8 -> 12 -> conv2d 8 s2', rows: 3, seed: 24,
    spec: {
      inputShape: [5, 3, 8],
      encoder: [{ type: 'conv2d', filters: 8, kernel: 3, padding: 'same', activation: 'tanh' }, { type: 'conv2dTranspose', filters: 12, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' }],
      decoder: [{ type: 'conv2d', filters: 8, kernel: 3, strides: 2, padding: 'same' }],
    },
  },
  {
    name: 'conv2dTranspose k3 s2 valid [3,4,12] -> [7,9,8] -> conv2d 12 s2 valid', rows: 2, seed: 25,
    spec: {
      inputShape: [3, 4, 12],
      encoder: [{ type: 'conv2dTranspose', filters: 8, kernel: 3, strides: 2, activation: 'sigmoid' }],
      decoder: [{ type: 'conv2d', filters: 12, kernel: 3, strides: 2 }],
    },
  },
  // H and W odd, so that a 2-tap tile's last input row and column lie outside x while both its outputs exist; 9 rows:
  // shards of 3, 2, 2, 2, so that a tile's write past a sample's edge would land in the next sample
  {
    name: 'sub-pixel conv2dTranspose k3 s2 valid after a conv (its dx, odd tiles) [3,5,8] -> 8 -> [7,11,12] -> conv2d 8 s2 valid', rows: 9, seed: 28,
    spec: {
      inputShape: [3, 5, 8],
      encoder: [{ type: 'conv2d', filters: 8, kernel: 3, padding: 'same', activation: 'tanh' }, { type: 'conv2dTranspose', filters: 12, kernel: 3, strides: 2, activation: 'tanh' }],
      decoder: [{ type: 'conv2d', filters: 8, kernel: 3, strides: 2 }],
    },
  },
  {
    name: 'sub-pixel conv2dTranspose k3 s2 same [7,7,32] -> [14,14,32] (convdae\'s decoder shape) -> conv2d 32 s2', rows: 2, seed: 26,
    spec: {
      inputShape: [7, 7, 32],
      encoder: [{ type: 'conv2dTranspose', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' }],
      decoder: [{ type: 'conv2d', filters: 32, kernel: 3, strides: 2, padding: 'same' }],
    },
  },
  {
    name: 'sub-pixel conv2dTranspose k3 s2 valid, odd tiles [4,5,16] -> [9,11,12] -> conv2d 16 s2 valid', rows: 3, seed: 27,
    spec: {
      inputShape: [4, 5, 16],
      encoder: [{ type: 'conv2dTranspose', filters: 12, kernel: 3, strides: 2, activation: 'tanh' }],
      decoder: [{ type: 'conv2d', filters: 16, kernel: 3, strides: 2 }],
    },
  },
  // one channel on a side, no patch matrix (conv_dk_1ch, conv_dx_f1): 36 = one 32-lane pass + a 4-lane tail
  {
    name: 'one-channel convs [5,7,1] -> 36 -> 1 (dK and dx without patches)', rows: 3, seed: 23,
    spec: { inputShape: [5, 7, 1], encoder: [{ type: 'conv2d', filters: 36, kernel: 3, padding: 'same', activation: 'tanh' }], decoder: [{ type: 'conv2d', filters: 1, kernel: 3, padding: 'same' }] },
  },
  // the one-channel kernels' two-pixel paths (conv_direct_c1 forward, 32 filters; conv_dx_f1, 1 filter
  // on 16 or 32 channels; stride 1): odd widths (a pixel left after the pairs), 'valid' and 'same',
  // kernels [2, 3] and [3, 2] (padding before 1 or 0), so interior pairs, edge pixels and both meet
  withTail('one-channel pairs: conv2d 32 k[2,3] same -> 1 filter k[3,2] same [6,9,1]', [6, 9, 1], [
    { type: 'conv2d', filters: 32, kernel: [2, 3], padding: 'same', activation: 'tanh' }, { type: 'conv2d', filters: 1, kernel: [3, 2], padding: 'same', activation: 'tanh' }]),
  withTail('one-channel pairs: conv2d 32 k3 valid -> 16 -> 1 filter k[2,3] valid [7,11,1]', [7, 11, 1], [
    { type: 'conv2d', filters: 32, kernel: 3, activation: 'tanh' }, { type: 'conv2d', filters: 16, kernel: 1, activation: 'tanh' },
    { type: 'conv2d', filters: 1, kernel: [2, 3] }]),
  withTail('conv2d 1 filter k3 s2 same after a conv (dx with stride 2)', [6, 5, 8], [
    { type: 'conv2d', filters: 8, kernel: 3, padding: 'same', activation: 'tanh' }, { type: 'conv2d', filters: 1, kernel: [3, 2], strides: 2, padding: 'same' }]),
  // whole autoencoders
  {
    name: 'convdae-like [6,6,1] bce, relu, pool, transpose s2', rows: 3, seed: 7, separateTarget: true,
    spec: {
      inputShape: [6, 6, 1], loss: 'bce',
      encoder: [{ type: 'conv2d', filters: 4, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'maxPool2d' }],
      decoder: [
        { type: 'conv2dTranspose', filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'leakyRelu' },
        { type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' },
      ],
    },
  },
  {
    name: '1-D conv AE mae, batchNorm, dropout 0, upsampling', rows: 6, seed: 8, separateTarget: true,
    spec: {
      inputShape: [12, 2], loss: 'mae',
      encoder: [
        { type: 'conv1d', filters: 4, kernel: 3, padding: 'same', activation: 'elu' }, { type: 'batchNorm' },
        { type: 'maxPool1d' }, { type: 'conv1d', filters: 3, kernel: 2, strides: 2, activation: 'tanh' },
      ],
      decoder: [
        { type: 'conv1dTranspose', filters: 4, kernel: 2, strides: 2, activation: 'elu' }, { type: 'dropout', rate: 0 },
        { type: 'upSampling1d' }, { type: 'conv1d', filters: 2, kernel: 3, padding: 'same' },
      ],
    },
  },
];

function caseData(c: Case): { x: Float32Array; t: Float32Array | null } {
  const r = new Rng(c.seed * 7919 + c.rows);
  const n = c.rows * prod(c.spec.inputShape);
  const bce = c.spec.loss === 'bce';
  const x = r.f32(n, bce ? 0 : -1.5, bce ? 1 : 1.5);
  if (!c.separateTarget) return { x, t: null };
  return { x, t: r.f32(n, bce ? 0 : -1.5, bce ? 1 : 1.5) };
}

const KINKED = new Set(['relu', 'leakyRelu', 'elu']);

describe('shape inference matches the reference (Keras compute_output_shape)', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const ae = await makeModel(c.spec, c.seed);
    const layers = refLayers(ae);
    const { shapes, params } = graphShapes(layers, c.spec.inputShape);
    expect(shapes.at(-1)).toEqual(c.spec.inputShape);
    expect(ae.latentShape).toEqual(shapes[c.spec.encoder.length - 1]);
    expect(ae.getWeights().map((w) => w.length)).toEqual(params.map(prod));
    expect(ae.paramCount).toBe(params.filter((_, i) => TRAINABLE.has(kindsOf(c.spec)[i]!)).reduce((a, p) => a + prod(p), 0));
  });
});

describe('inference forward (reconstruct, encode, decode) vs reference graphForward(training = false)', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const ae = await makeModel(c.spec, c.seed);
    const { x } = caseData(c);
    const layers = refLayers(ae);
    const f = graphForward(layers, ae.getWeights(), x, c.rows, c.spec.inputShape, false);
    const out = f.outs.at(-1)!, latent = f.outs[c.spec.encoder.length - 1]!;
    // a float32 forward through <= 8 layers whose longest dot products have ~100-500 terms (the
    // dense tail over a flattened conv output): relative to the output's scale, 2e-6 is ~30 float32
    // roundoffs (measured worst 5.8e-7); a wrong tap, stride or pad is off by O(1)
    const tol = (ref: Float64Array) => { const s = maxAbs(ref); return () => 2e-6 * s + 1e-7; };
    expectWithin(ae.reconstruct(x), out, tol(out), `${c.name}: reconstruct`);
    expectWithin(ae.encode(x), latent, tol(latent), `${c.name}: encode`);
    const z = Float32Array.from(latent);
    const g = graphForward(layers.slice(c.spec.encoder.length), ae.getWeights().slice(kindsOf({ ...c.spec, decoder: [] }).length), z, c.rows, ae.latentShape, false);
    expectWithin(ae.decode(z), g.outs.at(-1)!, tol(g.outs.at(-1)!), `${c.name}: decode`);
  });
});

describe('ae_grads vs reference graphLossAndGrads (training mode, float64 on the same float32 weights and inputs)', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const ae = await makeModel(c.spec, c.seed);
    const { x, t } = caseData(c);
    const layers = refLayers(ae);
    const before = ae.getWeights();
    const got = wasmGrads(ae, c.spec, x, t, c.rows);
    const target = t ?? x;
    const ref = graphLossAndGrads(layers, before, x, target, c.rows, c.spec.inputShape, c.spec.loss ?? 'mse', true, got.masks);

    // the comparison means something only away from kinks: a pre-activation within float32 noise
    // of a relu/leakyRelu/elu kink, or an mae residual near 0, may take the other branch
    const fwd = graphForward(layers, before, x, c.rows, c.spec.inputShape, true, got.masks);
    layers.forEach((l, i) => {
      const act = (l as { activation?: string }).activation;
      if (act && KINKED.has(act)) expect(Math.min(...Array.from(fwd.zs[i]!, Math.abs)), `layer ${i} near a kink`).toBeGreaterThan(1e-5);
    });
    if (c.spec.loss === 'mae') {
      expect(Math.min(...Array.from(ref.out, (p, i) => Math.abs(p - target[i]!))), 'mae residual near 0').toBeGreaterThan(1e-5);
    }

    // loss: float32 forward (dots of up to ~500 terms) and float32 element losses summed in
    // float64: 2e-6 relative is ~30 float32 roundoffs; measured worst 7.4e-8
    expect(Math.abs(got.loss - ref.loss), `loss ${got.loss} vs ${ref.loss}`).toBeLessThanOrEqual(2e-6 * Math.abs(ref.loss));

    // gradients, relative to each tensor's largest entry (entries are sums over rows and positions
    // that cancel to ~0, so elementwise relative error means nothing): backward products summed
    // over R*OH*OW positions (up to ~500 terms) after the float32 forward; batchNorm's dx subtracts
    // two sums of that size. 3e-5 of the scale is ~500 roundoffs (measured worst 4e-6): a wrong
    // tap, flipped kernel, missing term or wrong stride is off by O(|g|)
    // A bias right before a batchNorm has an exact gradient of 0 (the batch mean removes it), which
    // float32 reaches only up to the cancellation of its terms: hence also 1e-6 of the largest
    // gradient of the whole model (measured: 3e-8 against a global scale of ~0.1)
    const kinds = kindsOf(c.spec);
    const global = Math.max(...ref.grads.map(maxAbs));
    got.grads.forEach((g, i) => {
      if (g === null) {
        expect(maxAbs(ref.grads[i]!), 'no gradient for moving statistics').toBe(0);
        return;
      }
      const scale = maxAbs(ref.grads[i]!);
      expectWithin(g, ref.grads[i]!, () => 3e-5 * scale + 1e-6 * global, `${c.name}: d${kinds[i]} (array ${i})`);
    });

    // batchNorm moving statistics after one training forward: m' = m*momentum + batch*(1 - momentum)
    // (float32 arithmetic on values of O(1): 1e-6 absolute)
    kinds.forEach((kd, i) => {
      if (kd === 'mean' || kd === 'var') expectWithin(got.after[i]!, ref.paramsAfter[i]!, () => 1e-6 * Math.max(1, maxAbs(ref.paramsAfter[i]!)), `${c.name}: moving ${kd}`);
      else expectSameBits(got.after[i]!, before[i]!, `${c.name}: ae_grads leaves ${kd} (array ${i}) alone`);
    });
  });

  it('batchNorm in data-parallel shards (the batch statistics added over shards between phases) vs the reference: 1, 3, 4, 8 and 16 shards', async () => {
    // Two batchNorm nodes (one on a transposed conv's output, with momentum 0.8), a dropout node between them and one
    // after, and a batchNorm on the network's input in a second model. In shards each node's mean, variance and gradient
    // sums are the whole batch's (assembly/train.ts bn_phase, bn_reduce): a shard that normalized by its own rows'
    // statistics would be off by tens of percent of each gradient's scale, and so would a batch sum missing a shard's
    // rows (16 shards of 7 rows leave nine shards empty)
    const deep: Spec = {
      inputShape: [8, 8, 2], loss: 'mse',
      encoder: [
        { type: 'conv2d', filters: 6, kernel: 3, padding: 'same', activation: 'tanh' }, { type: 'batchNorm' },
        { type: 'dropout', rate: 0.25 }, { type: 'conv2d', filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' },
      ],
      decoder: [
        { type: 'conv2dTranspose', filters: 4, kernel: 3, strides: 2, padding: 'same' }, { type: 'batchNorm', momentum: 0.8 },
        { type: 'dropout', rate: 0.1 }, { type: 'conv2d', filters: 2, kernel: 3, padding: 'same' },
      ],
    };
    const onInput: Spec = {
      inputShape: [10, 3], loss: 'mse',
      encoder: [{ type: 'batchNorm', momentum: 0.9, epsilon: 1e-2 }, { type: 'conv1d', filters: 5, kernel: 3, padding: 'same', activation: 'tanh' }],
      decoder: [{ type: 'conv1d', filters: 3, kernel: 3, padding: 'same' }],
    };
    for (const [spec, rows, shards] of [[deep, 13, 1], [deep, 13, 3], [deep, 13, 4], [deep, 13, 8], [deep, 7, 16], [onInput, 9, 4]] as const) {
      const ae = await makeModel(spec, 21, { shards });
      expect(ae.shards, 'trains in shards').toBe(shards);
      const x = new Rng(rows + shards).f32(rows * prod(spec.inputShape), -1, 1);
      const before = ae.getWeights();
      const got = wasmGrads(ae, spec, x, null, rows);
      const ref = graphLossAndGrads(refLayers(ae), before, x, x, rows, spec.inputShape, 'mse', true, got.masks);
      const what = `${spec === deep ? 'two batchNorms' : 'batchNorm on the input'}, ${rows} rows in ${shards} shards`;
      expect(Math.abs(got.loss - ref.loss), `${what}: loss ${got.loss} vs ${ref.loss}`).toBeLessThanOrEqual(2e-6 * Math.abs(ref.loss));
      const kinds = kindsOf(spec), global = Math.max(...ref.grads.map(maxAbs));
      got.grads.forEach((g, i) => {
        if (g === null) return;
        expectWithin(g, ref.grads[i]!, () => 3e-5 * maxAbs(ref.grads[i]!) + 1e-6 * global, `${what}: d${kinds[i]} (array ${i})`);
      });
      kinds.forEach((kd, i) => {
        if (kd === 'mean' || kd === 'var') expectWithin(got.after[i]!, ref.paramsAfter[i]!, () => 1e-6 * Math.max(1, maxAbs(ref.paramsAfter[i]!)), `${what}: moving ${kd}`);
      });
      ae.dispose();
    }
  });

  it('the grad block is overwritten, not accumulated (conv, pool, batchNorm): a second call gives the same bits', async () => {
    const c = CASES.find((k) => k.name === '1-D conv AE mae, batchNorm, dropout 0, upsampling')!;
    const ae = await makeModel(c.spec, c.seed);
    const { x, t } = caseData(c);
    const w0 = ae.getWeights();
    const first = wasmGrads(ae, c.spec, x, t, c.rows);
    ae.setWeights(w0); // moving statistics back (they don't enter the training forward anyway)
    const other = caseData({ ...c, seed: c.seed + 1 });
    wasmGrads(ae, c.spec, other.x, other.t, c.rows);
    ae.setWeights(w0);
    const again = wasmGrads(ae, c.spec, x, t, c.rows);
    first.grads.forEach((g, i) => { if (g) expectSameBits(again.grads[i]!, g, `array ${i}`); });
    expect(again.loss).toBe(first.loss);
  });
});

describe('dropout', () => {
  const spec: Spec = {
    inputShape: [16, 8], encoder: [{ type: 'dropout', rate: 0.3 }, { type: 'conv1d', filters: 8, kernel: 1 }],
    decoder: [{ type: 'conv1d', filters: 8, kernel: 1 }],
  };

  it('training masks are 0 or exactly 1/(1 - rate) (float32), zero a fraction ~ rate, and differ per call', async () => {
    const ae = await makeModel(spec, 3);
    const rows = 64, n = rows * 128;
    const x = new Rng(9).f32(n, 0.5, 1.5);
    const a = wasmGrads(ae, spec, x, null, rows).masks[0]!;
    const b = wasmGrads(ae, spec, x, null, rows).masks[0]!;
    const keep = Math.fround(1 / Math.fround(1 - Math.fround(0.3)));
    const zeros = (m: Float32Array) => m.filter((v) => v === 0).length;
    for (const m of [a, b]) {
      expect(m.every((v) => v === 0 || v === keep)).toBe(true);
      // binomial(8192, 0.3): sd ~ 41 zeros; 6 sd either side
      expect(Math.abs(zeros(m) - 0.3 * n)).toBeLessThan(6 * Math.sqrt(n * 0.3 * 0.7));
    }
    expect(a).not.toEqual(b); // the model's rng moves on
    // inverted dropout keeps the expectation: mean of the mask ~ 1 (sd sqrt(0.3/0.7/n) ~ 0.007)
    expect(Math.abs(a.reduce((s, v) => s + v, 0) / n - 1)).toBeLessThan(0.05);
  });

  it('inference (reconstruct, score, eval loss) is the identity: same as the model without the dropout layer', async () => {
    const ae = await makeModel(spec, 3);
    const plain = await Autoencoder.create({ ...spec, encoder: spec.encoder.slice(1), seed: 3 });
    plain.setWeights(ae.getWeights());
    const x = new Rng(10).f32(5 * 128);
    expectSameBits(ae.reconstruct(x), plain.reconstruct(x), 'reconstruct');
    expectSameBits(ae.score(x), plain.score(x), 'score');
    expectSameBits(ae.encode(x), plain.encode(x), 'encode');
  });

  it('rate 0 trains exactly like no dropout layer (same weights after a fit without shuffling)', async () => {
    // the rate-0 layer still draws its uniforms from the model's rng, which would move the
    // shuffles apart: train without shuffling (and no noise), where nothing else reads the rng
    const x = new Rng(11).f32(40 * 128);
    const a = await Autoencoder.create({ ...spec, encoder: [{ type: 'dropout', rate: 0 }, ...spec.encoder.slice(1)], seed: 4 });
    const b = await Autoencoder.create({ ...spec, encoder: spec.encoder.slice(1), seed: 4 });
    await a.fit(x, { epochs: 2, batchSize: 8, shuffle: false });
    await b.fit(x, { epochs: 2, batchSize: 8, shuffle: false });
    const wb = b.getWeights();
    a.getWeights().forEach((w, i) => expectSameBits(w, wb[i]!, `array ${i}`));
  });
});

describe('finite differences on the wasm model itself (central differences of ae_eval_loss)', () => {
  // layers whose inference forward equals their training forward (no batchNorm, no dropout) and
  // that are smooth in the weights: no max pooling, whose argmax flips for a step h = 2^-7 where two
  // window values are within ~h|x| (it does for these seeds); pooling is checked against the
  // reference above instead
  const FD = ['conv2d k3 s2 same sigmoid', 'conv2d k[2,3] s[1,2] same', 'conv2dTranspose k3 s2 same', 'conv2dTranspose k[3,2] s[2,1] same',
    'conv1dTranspose k3 s2 same', 'conv1d k3 s2 same', 'conv2d + upSampling2d [3,2]', 'conv1d + upSampling1d 3'];

  it.each(FD.map((n) => [n, CASES.find((c) => c.name === n)!] as const))('%s', async (_, c) => {
    const ae = await makeModel(c.spec, c.seed);
    const { x, t } = caseData(c);
    const { grads } = wasmGrads(ae, c.spec, x, t, c.rows);
    const w0 = ae.getWeights();
    const r = new Rng(c.seed);
    // h = 2^-7 (exact w +- h for |w| < 1): loss is float32 (relative noise ~1e-7, L ~ 1), so the
    // rounding error of a quotient is ~1e-7 L / h ~ 1e-5; truncation h^2 f'''/6 ~ 1e-5 for these
    // smooth activations
    // a few entries of every tensor: first, last, and seeded ones; h = 2^-7
    const { fd, an } = wasmFiniteDifferences(ae, w0, grads, x, t, c.rows, (len) => new Set([0, len - 1, r.int(len), r.int(len), r.int(len)]));
    // the 2e-5 estimated above plus 1e-3 of the largest probed gradient (measured worst 1.6e-4 of
    // it): still ~1000x tighter than the O(|g|) error of a wrong gradient
    const scale = maxAbs(an);
    expectWithin(an, fd, () => 1e-3 * scale + 2e-5, `${c.name}: finite differences`);
  });

  // a conv code of 10 x 12 = 120 values from an input of 10 x 2, with a sparse KL penalty: wider than twice the input and
  // every channel count (the next two tests)
  const WIDE_KL = {
    inputShape: [10, 2], loss: 'mse' as const, seed: 19, sparsity: { kl: { rho: 0.3, weight: 0.6 } },
    encoder: [{ type: 'conv1d' as const, filters: 12, kernel: 3, padding: 'same' as const, activation: 'sigmoid' as const }],
    decoder: [{ type: 'conv1d' as const, filters: 2, kernel: 3, padding: 'same' as const }],
  };

  it('a sparse KL penalty on a conv code wider than twice the input and every channel count (its column means in the model\'s scratch), one pass', async () => {
    // The code is 10 x 12 = 120 values against an input of 20 and at most 12 channels: the model's scratch must hold
    // 120 f64 column means (bindings/wasm.ts layoutModel; it held 2 x 20 until 2026-12-06, and the means ran over the
    // blocks after it). The gradient of the whole objective (reconstruction + w sum_j KL(rho || mean_j)) by central
    // differences of ae_eval_loss, with the shard block's field cleared: the one pass (train.ts term_backward) that
    // the sharded runs above are checked against
    const spec = WIDE_KL;
    const ae = await Autoencoder.create(spec);
    const k = kernelOf(ae), rows = 5;
    k.setI32(k.ctx + SH.FIELD, 0);
    const r = new Rng(19);
    ae.setWeights(ae.getWeights().map((w, i) => (i % 2 === 1 ? r.f32(w.length, -0.3, 0.3) : w)));
    const x = r.f32(rows * 20, -1, 1);
    const { loss, grads } = withIO(k, () => {
      const loss = k.x.ae_grads(k.ctx, putF32(k, x), putF32(k, x), rows);
      return { loss, grads: getF32(k, k.grads, k.nParams) };
    });
    expect(Number.isFinite(loss), `loss ${loss}`).toBe(true);
    const w0 = ae.getWeights(), sizes = w0.map((w) => w.length);
    let off = 0;
    const split = sizes.map((n) => grads.slice(off, (off += n)));
    const { fd, an } = wasmFiniteDifferences(ae, w0, split, x, null, rows, (len) => new Set([0, len - 1, r.int(len), r.int(len), r.int(len), r.int(len)]));
    const scale = maxAbs(an);
    expect(scale).toBeGreaterThan(1e-3);
    expectWithin(an, fd, () => 1e-3 * scale + 2e-5, 'sparse KL on a wide conv code: finite differences');
    // and without the KL term's gradient the encoder's would be off by more than that: the term counts
    const plain = await Autoencoder.create({ ...spec, sparsity: undefined });
    plain.setWeights(w0);
    const kp = kernelOf(plain);
    const g0 = withIO(kp, () => { kp.x.ae_grads(kp.ctx, putF32(kp, x), putF32(kp, x), rows); return getF32(kp, kp.grads, sizes[0]!); });
    expect(maxAbs(g0.map((g, i) => g - grads[i]!)), 'the KL term moves the encoder\'s kernel gradient').toBeGreaterThan(1e-2 * scale);
  });

  it("the test build checks each use of a scratch against its capacity (C_SCRATCHCAP): the KL overflow above now traps", async () => {
    // The same wide code. build/kernels-test.wasm (these tests' kernels) asserts, at each use of a context's scratch,
    // that the block holds what that use writes (arena.ts scratch()); the bindings write the capacity where they size
    // the block. With the model's capacity cut to the old layout's 2 x 20 f64s, or one f64 short of the 120 column
    // means, the one pass traps instead of writing past the block; and the same for a shard's own sums
    const spec = WIDE_KL;
    const ae = await Autoencoder.create(spec);
    const k = kernelOf(ae), rows = 8, x = new Rng(3).f32(rows * 20, -1, 1);
    const grads = () => withIO(k, () => k.x.ae_grads(k.ctx, putF32(k, x), putF32(k, x), rows));
    const cap = k.getI32(k.ctx + C.SCRATCHCAP), sh = k.getI32(k.ctx + SH.FIELD);
    expect(cap).toBeGreaterThanOrEqual(120 * 8);
    expect(sh).not.toBe(0);
    // sharded (the default 4 shards): each shard's sums, 120 f64s in its own block
    const shard1 = k.getI32(sh + SH.CTX + 4), own = k.getI32(shard1 + C.SCRATCHCAP);
    expect(own).toBeGreaterThanOrEqual(120 * 8);
    const ok = grads();
    expect(Number.isFinite(ok)).toBe(true);
    k.setI32(shard1 + C.SCRATCHCAP, 119 * 8);
    expect(grads).toThrow(/unreachable/);
    k.setI32(shard1 + C.SCRATCHCAP, own);
    expect(grads()).toBe(ok);
    // one pass: the model's scratch
    k.setI32(k.ctx + SH.FIELD, 0);
    const one = grads();
    for (const short of [40 * 8, 119 * 8]) {
      k.setI32(k.ctx + C.SCRATCHCAP, short);
      expect(grads).toThrow(/unreachable/);
    }
    k.setI32(k.ctx + C.SCRATCHCAP, cap);
    expect(grads()).toBe(one);
  });
});

describe('more rows than the batch capacity (chunks of k.cap = 256 rows)', () => {
  const c = CASES.find((k) => k.name === '1-D conv AE mae, batchNorm, dropout 0, upsampling')!;

  it('reconstruct, encode and score over 301 rows equal the same calls row block by row block, and the reference', async () => {
    const ae = await makeModel(c.spec, c.seed);
    expect(kernelOf(ae).cap).toBeLessThan(301);
    const D = prod(c.spec.inputShape), L = ae.latentDim;
    const x = new Rng(77).f32(301 * D, -1.5, 1.5);
    const y = ae.reconstruct(x), z = ae.encode(x), s = ae.score(x);
    // inference has no batch statistics: a row's output can't depend on which chunk it is in
    for (const [a, b] of [[0, 100], [100, 256], [256, 301]] as const) {
      expectSameBits(y.subarray(a * D, b * D), ae.reconstruct(x.subarray(a * D, b * D)), `reconstruct rows ${a}..${b}`);
      expectSameBits(z.subarray(a * L, b * L), ae.encode(x.subarray(a * D, b * D)), `encode rows ${a}..${b}`);
      expectSameBits(s.subarray(a, b), ae.score(x.subarray(a * D, b * D)), `score rows ${a}..${b}`);
    }
    const f = graphForward(refLayers(ae), ae.getWeights(), x, 301, c.spec.inputShape, false);
    const out = f.outs.at(-1)!, scale = maxAbs(out);
    expectWithin(y, out, () => 2e-6 * scale + 1e-7, 'reconstruct vs reference');
  });

  it('fit with batchSize 300 (capacity grows past 256) trains and matches ae_grads at that size', async () => {
    const ae = await makeModel(c.spec, c.seed);
    const D = prod(c.spec.inputShape);
    const x = new Rng(78).f32(300 * D, -1.5, 1.5);
    const h = await ae.fit(x, { epochs: 3, batchSize: 300, validationSplit: 0, earlyStopping: false, learningRate: 1e-2 });
    expect(kernelOf(ae).cap).toBeGreaterThanOrEqual(300);
    expect(h.loss.every(Number.isFinite)).toBe(true);
    expect(h.loss[2]!).toBeLessThan(h.loss[0]!);
    const before = ae.getWeights();
    const got = wasmGrads(ae, c.spec, x, null, 300);
    const ref = graphLossAndGrads(refLayers(ae), before, x, x, 300, c.spec.inputShape, 'mae', true, got.masks);
    expect(Math.abs(got.loss - ref.loss)).toBeLessThanOrEqual(2e-6 * ref.loss);
    const global = Math.max(...ref.grads.map(maxAbs));
    got.grads.forEach((g, i) => { if (g) expectWithin(g, ref.grads[i]!, () => 3e-5 * maxAbs(ref.grads[i]!) + 1e-6 * global, `array ${i}`); });
  });
});

describe('batchNorm inference uses the moving statistics', () => {
  it('reconstruct = gamma (x - moving mean) / sqrt(moving var + eps) + beta, independent of the batch', async () => {
    const spec: Spec = { inputShape: [4, 3], encoder: [{ type: 'batchNorm', epsilon: 0.01 }], decoder: [{ type: 'conv1d', filters: 3, kernel: 1 }] };
    const ae = await makeModel(spec, 2);
    const [g, b, m, v] = ae.getWeights();
    // the conv1d after it is the identity, so reconstruct shows the batchNorm output
    ae.setWeights([g!, b!, m!, v!, Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]), new Float32Array(3)]);
    const x = new Rng(4).f32(2 * 12, -2, 2);
    const y = ae.reconstruct(x);
    const want = Array.from(x, (xi, i) => { const c = i % 3; return g![c]! * (xi - m![c]!) / Math.sqrt(v![c]! + 0.01) + b![c]!; });
    // five float32 operations (sqrt, divide, ...) on values below ~6: a few ulps of 4.8e-7
    expectWithin(y, want, () => 2e-6, 'batchNorm inference');
    // one row at a time gives the same bits: no batch statistics in inference
    const one = ae.reconstruct(x.subarray(0, 12));
    expectSameBits(one, y.subarray(0, 12), 'row 0 alone');
  });
});

describe('inference runs a batch in chunks of rows', () => {
  it('a model whose widest activation is 64 K floats (4 rows per 1 MiB chunk): reconstruct and score of 9 rows equal each row alone', async () => {
    // assembly/train.ts infer_rows: 2^18 floats / 65,536 per row = 4 rows a pass, so 9 rows run as 4 + 4 + 1
    const spec: Spec = {
      inputShape: [64, 64, 1],
      encoder: [{ type: 'conv2d', filters: 16, kernel: 3, padding: 'same', activation: 'relu' }],
      decoder: [{ type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' }],
      loss: 'bce',
    };
    const ae = await makeModel(spec, 5);
    const x = new Rng(9).f32(9 * 4096, 0, 1);
    const y = ae.reconstruct(x), s = ae.score(x);
    for (const r of [0, 3, 4, 7, 8]) {
      const row = x.subarray(r * 4096, (r + 1) * 4096);
      expectSameBits(ae.reconstruct(row), y.subarray(r * 4096, (r + 1) * 4096), `reconstruct row ${r}`);
      expectSameBits(ae.score(row), s.subarray(r, r + 1), `score row ${r}`);
    }
  });
});

describe('the few-filter direct conv (1-3 filters, channels a multiple of 4: assembly/conv.ts conv_direct_fewf)', () => {
  // Oracle: its one-pixel sum order, in float32 here: four lanes sum channel c mod 4 over the in-bounds
  // taps (kh, kw in order, then c), then (l0 + l1) + (l2 + l3), then the bias. The kernel takes interior
  // pixels six at a time (with constant pixel offsets when a pixel is 128 bytes after the one before),
  // the others (edges, and what the sixes leave) four at a time with their outside taps masked: every
  // pixel must get the bits of this order.
  const f = Math.fround;
  const oracle = (x: Float32Array, K: Float32Array, b: Float32Array, H: number, W: number, C: number, F: number, k: number, S: number, same: boolean) => {
    const OH = same ? Math.ceil(H / S) : Math.floor((H - k) / S) + 1, OW = same ? Math.ceil(W / S) : Math.floor((W - k) / S) + 1;
    const PT = same ? Math.floor(Math.max((OH - 1) * S + k - H, 0) / 2) : 0, PL = same ? Math.floor(Math.max((OW - 1) * S + k - W, 0) / 2) : 0;
    const y = new Float32Array(OH * OW * F);
    for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let fo = 0; fo < F; fo++) {
      const acc = [0, 0, 0, 0];
      for (let kh = 0; kh < k; kh++) {
        const ih = oh * S + kh - PT;
        if (ih < 0 || ih >= H) continue;
        for (let kw = 0; kw < k; kw++) {
          const iw = ow * S + kw - PL;
          if (iw < 0 || iw >= W) continue;
          for (let c = 0; c < C; c++) acc[c & 3] = f(acc[c & 3]! + f(x[(ih * W + iw) * C + c]! * K[((kh * k + kw) * C + c) * F + fo]!));
        }
      }
      y[(oh * OW + ow) * F + fo] = f(f(f(acc[0]! + acc[1]!) + f(acc[2]! + acc[3]!)) + b[fo]!);
    }
    return { y, OH, OW };
  };
  // [H, W, C, F, kernel, stride, padding]: 128-byte pixels (32 channels at stride 1, 16 at stride 2), 32- and
  // 16-byte ones; widths that leave 0-5 interior pixels after the blocks of six, and 1-7 others (so masked
  // passes of 1-4 pixels, from the left edge, the right, or both); rows narrower than the kernel's reach
  // (no interior pixel); 'valid' padding (no edge); 5-wide kernels (two columns of edge on each side)
  const shapes = [[4, 28, 32, 1, 3, 1, 'same'], [3, 11, 32, 2, 3, 1, 'same'], [6, 16, 16, 3, 3, 2, 'same'], [4, 17, 8, 2, 3, 1, 'same'],
    [3, 9, 4, 1, 3, 1, 'same'], [2, 7, 4, 3, 3, 1, 'same'], [4, 30, 8, 1, 3, 2, 'same'], [3, 2, 8, 1, 3, 1, 'same'], [2, 3, 4, 2, 3, 1, 'same'],
    [3, 19, 8, 1, 5, 1, 'same'], [6, 14, 32, 1, 5, 2, 'same'], [4, 15, 8, 2, 3, 1, 'valid'], [6, 24, 32, 1, 5, 1, 'valid']] as const;
  for (const [H, W, C, F, k, S, padding] of shapes) {
    it(`${H}x${W}x${C} -> ${F} filter(s), ${k}x${k}, stride ${S}, ${padding}: the bits of the one-pixel order`, async () => {
      const spec: Spec = {
        inputShape: [H, W, C],
        encoder: [{ type: 'conv2d', filters: F, kernel: k, strides: S, padding }],
        decoder: [{ type: 'conv2dTranspose', filters: C, kernel: k, strides: S, padding }],
      };
      const ae = await Autoencoder.create({ ...spec, seed: 3 });
      const r = new Rng(H * 1000 + W * 10 + C + k);
      const K = r.f32(k * k * C * F, -0.5, 0.5), b = r.f32(F, -0.3, 0.3), w0 = ae.getWeights();
      ae.setWeights([K, b, w0[2]!, w0[3]!]);
      const rows = 3, x = r.f32(rows * H * W * C, -1, 1);
      const { OH, OW } = oracle(x.subarray(0, H * W * C), K, b, H, W, C, F, k, S, padding === 'same');
      const L = OH * OW * F;
      expect(ae.latentShape).toEqual([OH, OW, F]);
      const z = ae.encode(x);
      for (let i = 0; i < rows; i++) {
        expectSameBits(z.subarray(i * L, (i + 1) * L), oracle(x.subarray(i * H * W * C, (i + 1) * H * W * C), K, b, H, W, C, F, k, S, padding === 'same').y, `row ${i}`);
      }
    });
  }
});

describe('the weight gradient with one channel on a side (C = 1 or F = 1: assembly/conv.ts conv_dk_1ch)', () => {
  // Oracle: its sum order, in float32 here: each dK[kh][kw][c][f] from 0 (or from the values given, acc), then
  // over the samples, the output rows and the output columns in order, the in-bounds taps' products x d. The
  // kernel takes one input channel's taps kw and kw + 1 in pairs over 16 filters a pass (dk_pair), one filter's
  // three taps of a row at once over 8 channels a pass (dk_row3, 3-wide kernels at stride 1), and the rest tap
  // by tap: every element must get the bits of this order.
  const f = Math.fround;
  const oracle = (init: Float32Array, x: Float32Array, d: Float32Array, R: number, H: number, W: number, C: number, F: number,
    OH: number, OW: number, KH: number, KW: number, SH: number, SW: number, PT: number, PL: number) => {
    const dK = Float32Array.from(init);
    for (let s = 0; s < R; s++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) for (let c = 0; c < C; c++) for (let fo = 0; fo < F; fo++) {
      const at = ((kh * KW + kw) * C + c) * F + fo;
      let acc = dK[at]!;
      for (let oh = 0; oh < OH; oh++) {
        const ih = oh * SH + kh - PT;
        if (ih < 0 || ih >= H) continue;
        for (let ow = 0; ow < OW; ow++) {
          const iw = ow * SW + kw - PL;
          if (iw < 0 || iw >= W) continue;
          acc = f(acc + f(x[((s * H + ih) * W + iw) * C + c]! * d[((s * OH + oh) * OW + ow) * F + fo]!));
        }
      }
      dK[at] = acc;
    }
    return dK;
  };
  // [H, W, C, F, KH, KW, SH, SW, padding]: one channel with 16-64 filters (pairs over whole 64-byte blocks, a
  // 16-48-byte rest tap by tap, an odd third tap), one filter on 8-40 channels (three-tap rows over 32-byte
  // blocks, a 16-byte rest); 'same' and 'valid', strides 1 and 2, kernels 2-5 wide, rows narrower than the kernel;
  // one row (a conv1d's layout)
  const shapes = [[7, 9, 1, 32, 3, 3, 1, 1, 'same'], [5, 8, 1, 20, 3, 3, 1, 1, 'same'], [6, 7, 1, 48, 2, 5, 1, 1, 'same'],
    [6, 11, 1, 16, 3, 4, 2, 2, 'same'], [5, 6, 1, 64, 3, 3, 1, 1, 'valid'], [4, 2, 1, 32, 3, 3, 1, 1, 'same'],
    [7, 9, 32, 1, 3, 3, 1, 1, 'same'], [6, 5, 40, 1, 3, 3, 1, 1, 'same'], [5, 10, 8, 1, 3, 3, 1, 1, 'valid'], [4, 2, 12, 1, 3, 3, 1, 1, 'same'],
    [6, 9, 16, 1, 3, 3, 2, 2, 'same'], [5, 7, 8, 1, 2, 5, 1, 1, 'same'], [3, 1, 8, 1, 3, 3, 1, 1, 'same'],
    [1, 20, 1, 32, 1, 3, 1, 1, 'same'], [1, 17, 32, 1, 1, 3, 1, 1, 'valid']] as const;
  for (const [H, W, C, F, KH, KW, SH, SW, padding] of shapes) {
    it(`${H}x${W}x${C} -> ${F}, kernel ${KH}x${KW}, stride ${SH}x${SW}, ${padding}: the bits of the sum order, set and added to`, async () => {
      const k = await loadKernel();
      const same = padding === 'same';
      const OH = same ? Math.ceil(H / SH) : Math.floor((H - KH) / SH) + 1, OW = same ? Math.ceil(W / SW) : Math.floor((W - KW) / SW) + 1;
      const PT = same ? Math.floor(Math.max((OH - 1) * SH + KH - H, 0) / 2) : 0, PL = same ? Math.floor(Math.max((OW - 1) * SW + KW - W, 0) / 2) : 0;
      const R = 3, r = new Rng(H * 100 + W * 10 + C + F + KW);
      const x = r.f32(R * H * W * C, -1, 1), d = r.f32(R * OH * OW * F, -1, 1), init = r.f32(KH * KW * C * F, -0.5, 0.5);
      for (const acc of [0, 1]) {
        const start = acc ? init : new Float32Array(init.length);
        const got = withIO(k, () => {
          const pK = putF32(k, acc ? init : new Float32Array(init.length).fill(7)), pb = putF32(k, new Float32Array(F));
          k.x.ae_conv_dk(pK, pb, putF32(k, d), putF32(k, x), R, H, W, C, OH, OW, F, KH, KW, SH, SW, PT, PL, acc);
          return getF32(k, pK, init.length);
        });
        expectSameBits(got, oracle(start, x, d, R, H, W, C, F, OH, OW, KH, KW, SH, SW, PT, PL), acc ? 'added to' : 'set');
      }
    });
  }
});

describe('the Keras weight layouts through setWeights', () => {
  it('conv2d kernel [kh][kw][in][out]: one nonzero entry moves exactly the output Keras says', async () => {
    // encoder = the conv alone, so encode() is its (linear) output
    const H = 5, W = 7, C = 3, F = 4, KH = 3, KW = 2, SH = 2, SW = 1;
    const spec: Spec = {
      inputShape: [H, W, C],
      encoder: [{ type: 'conv2d', filters: F, kernel: [KH, KW], strides: [SH, SW] }],
      decoder: [{ type: 'conv2dTranspose', filters: C, kernel: [KH, KW], strides: [SH, SW] }],
    };
    const ae = await Autoencoder.create({ ...spec, seed: 1 });
    const OH = Math.floor((H - KH) / SH) + 1, OW = Math.floor((W - KW) / SW) + 1;
    expect(ae.latentShape).toEqual([OH, OW, F]);
    const x = new Rng(1).f32(H * W * C);
    const w0 = ae.getWeights();
    for (const [kh, kw, ci, fo] of [[0, 0, 0, 0], [2, 1, 1, 3], [1, 0, 2, 1], [2, 0, 0, 2]] as const) {
      const K = new Float32Array(KH * KW * C * F);
      K[((kh * KW + kw) * C + ci) * F + fo] = 1;
      ae.setWeights([K, new Float32Array(F), w0[2]!, w0[3]!]);
      const y = ae.encode(x);
      const want = new Float32Array(OH * OW * F);
      for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
        want[(oh * OW + ow) * F + fo] = x[((oh * SH + kh) * W + (ow * SW + kw)) * C + ci]!;
      }
      expectSameBits(y, want, `K[${kh}][${kw}][${ci}][${fo}] = 1`);
    }
  });

  it('conv2dTranspose kernel [kh][kw][out][in]: one nonzero entry scatters input channel in to output channel out', async () => {
    const H = 3, W = 4, C = 2, F = 3, KH = 3, KW = 2, SH = 2, SW = 2;
    const spec: Spec = {
      inputShape: [H, W, C],
      encoder: [{ type: 'conv2dTranspose', filters: F, kernel: [KH, KW], strides: [SH, SW] }],
      decoder: [{ type: 'conv2d', filters: C, kernel: [KH, KW], strides: [SH, SW] }],
    };
    const ae = await Autoencoder.create({ ...spec, seed: 1 });
    // Keras 'valid': out = in * s + max(k - s, 0)
    const OH = H * SH + Math.max(KH - SH, 0), OW = W * SW + Math.max(KW - SW, 0);
    expect(ae.latentShape).toEqual([OH, OW, F]);
    const x = new Rng(2).f32(H * W * C);
    const w0 = ae.getWeights();
    for (const [kh, kw, fo, ci] of [[0, 0, 0, 0], [2, 1, 2, 1], [1, 0, 1, 0], [2, 0, 0, 1]] as const) {
      const K = new Float32Array(KH * KW * F * C);
      K[((kh * KW + kw) * F + fo) * C + ci] = 1;
      ae.setWeights([K, new Float32Array(F), w0[2]!, w0[3]!]);
      const y = ae.encode(x);
      const want = new Float32Array(OH * OW * F);
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) {
        want[((h * SH + kh) * OW + (w * SW + kw)) * F + fo] = x[(h * W + w) * C + ci]!;
      }
      expectSameBits(y, want, `K[${kh}][${kw}][${fo}][${ci}] = 1`);
    }
  });

  it('conv2dTranspose [kh][kw][out][in] through decode(), strides 2 same (Keras/TF padding alignment)', async () => {
    const H = 3, W = 3, C = 2, F = 2, K = 3, S = 2;
    const spec: Spec = {
      inputShape: [H * S, W * S, F],
      encoder: [{ type: 'conv2d', filters: C, kernel: K, strides: S, padding: 'same' }],
      decoder: [{ type: 'conv2dTranspose', filters: F, kernel: K, strides: S, padding: 'same' }],
    };
    const ae = await Autoencoder.create({ ...spec, seed: 1 });
    expect(ae.latentShape).toEqual([H, W, C]);
    const OH = H * S, OW = W * S;
    // TF: the forward conv OH -> H with 'same' pads max((H-1)*S + K - OH, 0) = 1 in total, 0 before
    const pt = Math.floor(Math.max((H - 1) * S + K - OH, 0) / 2);
    expect(pt).toBe(0);
    const z = new Rng(3).f32(H * W * C);
    const w0 = ae.getWeights();
    for (const [kh, kw, fo, ci] of [[0, 0, 0, 0], [2, 2, 1, 1], [1, 2, 0, 1]] as const) {
      const Kt = new Float32Array(K * K * F * C);
      Kt[((kh * K + kw) * F + fo) * C + ci] = 1;
      ae.setWeights([w0[0]!, w0[1]!, Kt, new Float32Array(F)]);
      const y = ae.decode(z);
      const want = new Float32Array(OH * OW * F);
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) {
        const oh = h * S + kh - pt, ow = w * S + kw - pt;
        if (oh >= 0 && oh < OH && ow >= 0 && ow < OW) want[(oh * OW + ow) * F + fo] = z[(h * W + w) * C + ci]!;
      }
      expectSameBits(y, want, `K[${kh}][${kw}][${fo}][${ci}] = 1`);
    }
  });

  it('conv1d kernel [k][in][out] and conv1dTranspose [k][out][in]', async () => {
    const L = 7, C = 2, F = 3, K = 3;
    const spec: Spec = {
      inputShape: [L, C],
      encoder: [{ type: 'conv1d', filters: F, kernel: K }],
      decoder: [{ type: 'conv1dTranspose', filters: C, kernel: K }],
    };
    const ae = await Autoencoder.create({ ...spec, seed: 1 });
    const OL = L - K + 1;
    const x = new Rng(5).f32(L * C);
    const w0 = ae.getWeights();
    const K1 = new Float32Array(K * C * F);
    K1[(2 * C + 1) * F + 0] = 1; // [k=2][in=1][out=0]
    ae.setWeights([K1, new Float32Array(F), w0[2]!, w0[3]!]);
    const want = new Float32Array(OL * F);
    for (let o = 0; o < OL; o++) want[o * F] = x[(o + 2) * C + 1]!;
    expectSameBits(ae.encode(x), want, 'conv1d K[2][1][0]');
    // conv1dTranspose: [k][out][in], z [OL][F] -> [L][C]
    const K2 = new Float32Array(K * C * F);
    K2[(1 * C + 0) * F + 2] = 1; // [k=1][out=0][in=2]
    ae.setWeights([w0[0]!, w0[1]!, K2, new Float32Array(C)]);
    const z = new Rng(6).f32(OL * F);
    const want2 = new Float32Array(L * C);
    for (let o = 0; o < OL; o++) want2[(o + 1) * C + 0] = z[o * F + 2]!;
    expectSameBits(ae.decode(z), want2, 'conv1dTranspose K[1][0][2]');
  });

  it('batchNorm arrays are gamma, beta, moving mean, moving variance', async () => {
    const spec: Spec = { inputShape: [2, 2], encoder: [{ type: 'batchNorm' }], decoder: [{ type: 'conv1d', filters: 2, kernel: 1 }] };
    const ae = await Autoencoder.create({ ...spec, seed: 1 });
    const w = ae.getWeights();
    expect(w.map((a) => Array.from(a))).toEqual([[1, 1], [0, 0], [0, 0], [1, 1], Array.from(w[4]!), [0, 0]]);
    expect(ae.paramCount).toBe(2 + 2 + 4 + 2); // the moving statistics are not trainable
    ae.setWeights([[2, 3], [0.5, -1], [1, -1], [4, 0.25], [1, 0, 0, 1], [0, 0]]);
    // y = gamma (x - mean) / sqrt(var + 1e-3) + beta; |y| <= 12, where 2e-6 is two float32 ulps
    const y = ae.reconstruct([[3, 1, 3, 1]]);
    expectWithin(y, [2 * 2 / Math.sqrt(4.001) + 0.5, 3 * 2 / Math.sqrt(0.251) - 1, 2 * 2 / Math.sqrt(4.001) + 0.5, 3 * 2 / Math.sqrt(0.251) - 1], () => 2e-6, 'bn');
  });
});

describe('Keras shape rules the reference states', () => {
  it('conv1dTranspose valid with kernel < strides: out = in * strides (Keras deconv_output_length), so [6,1] -> conv1d k2 s3 -> [2,1] -> conv1dTranspose k2 s3 -> [6,1]', async () => {
    const layers: RefLayer[] = [{ type: 'conv1d', filters: 1, kernel: 2, strides: 3 }, { type: 'conv1dTranspose', filters: 1, kernel: 2, strides: 3 }];
    expect(outSize(layers[1]!, [2, 1])).toEqual([6, 1]);
    const spec: Spec = { inputShape: [6, 1], encoder: [layers[0] as LayerSpec], decoder: [layers[1] as LayerSpec] };
    // bindings/graph.ts convtAxis uses (n - 1) * s + k = 5 for 'valid', which Keras gives only when k >= s
    const ae = await Autoencoder.create({ ...spec, seed: 1 });
    expect(ae.latentShape).toEqual([2, 1]);
    const x = new Rng(1).f32(6);
    const f = graphForward(refLayers(ae), ae.getWeights(), x, 1, [6, 1], false);
    // two-term sums of O(1) float32 values: a few ulps
    expectWithin(ae.reconstruct(x), f.outs.at(-1)!, () => 1e-6, 'k < s transpose');
  });
});

const HAVE_SHARED = haveShared('tests/conv.test.ts, the convdae reference model', 'bench/models/convdae.weights.json', 'bench/models/convdae.weights.bin');

describe('the convdae reference model (../shared/bench/models, Keras alignment)', () => {
  const skipMsg = HAVE_SHARED ? '' : ' [skipped: ../shared/bench/models is absent]';
  const spec: Spec = {
    inputShape: [28, 28, 1], loss: 'bce',
    encoder: [
      { type: 'conv2d', filters: 32, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'maxPool2d', pool: 2 },
      { type: 'conv2d', filters: 32, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'maxPool2d', pool: 2 },
    ],
    decoder: [
      { type: 'conv2dTranspose', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
      { type: 'conv2dTranspose', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
      { type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' },
    ],
  };

  it.skipIf(!HAVE_SHARED)(`reconstruct matches output_keras_alignment to 1e-5, and the float64 reference${skipMsg}`, async () => {
    const bench = loadBenchModel('convdae');
    const ae = await Autoencoder.create({ ...spec, seed: 1 });
    expect(bench.params.map((p) => p.shape)).toEqual(ae.getWeights().map((_, i) => bench.params[i]!.shape));
    expect(bench.tensors.map((t) => t.length)).toEqual(ae.getWeights().map((w) => w.length));
    expect(bench.params.map((p) => p.kind)).toEqual(['conv_kernel', 'bias', 'conv_kernel', 'bias', 'convT_kernel', 'bias', 'convT_kernel', 'bias', 'conv_kernel', 'bias']);
    ae.setWeights(bench.tensors);
    const ref = bench.reference as typeof bench.reference & { output_keras_alignment: number[] };
    const [rows, ch, h, w] = ref.input_shape_nchw as [number, number, number, number];
    expect([ch, h, w]).toEqual([1, 28, 28]); // one channel: NCHW and NHWC are the same memory
    const input = Float32Array.from(ref.input);
    const got = ae.reconstruct(input);
    // 1e-5 absolute: the bar ../shared/bench/README.md sets; outputs are sigmoids in (0, 1)
    expectWithin(got, ref.output_keras_alignment, () => 1e-5, 'convdae vs Keras-aligned output');
    const f = graphForward(refLayers(ae), bench.tensors, input, rows, spec.inputShape, false);
    expectWithin(got, f.outs.at(-1)!, () => 1e-5, 'convdae vs float64 reference');
    expectWithin(ref.output_keras_alignment, f.outs.at(-1)!, () => 1e-5, 'stored Keras-aligned output vs float64 reference');
    // and PyTorch's own output is offset by a pixel in the transposes: it must NOT match (the test can tell)
    expect(maxAbs(Array.from(got, (v, i) => v - ref.output[i]!))).toBeGreaterThan(1e-3);
  });
});

describe('convdae-sized layers (28x28x1, 32 filters, 3x3 kernels, bce)', () => {
  /** 28x28x1 -> 32 -> 8 channels (3x3, stride 1: the second conv takes the Winograd path) -> 1, bce. */
  const WINOGRAD_SPEC: Spec = {
    inputShape: [28, 28, 1], loss: 'bce',
    encoder: [
      { type: 'conv2d', filters: 32, kernel: 3, padding: 'same', activation: 'tanh' },
      { type: 'conv2d', filters: 8, kernel: 3, padding: 'same', activation: 'tanh' },
    ],
    decoder: [{ type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' }],
  };
  /** ae_grads on `rows` random rows (seed) against the float64 reference: the loss to 2e-6 of itself, every gradient to 3e-5 of its tensor's scale. */
  const gradsMatch = (ae: Autoencoder, spec: Spec, rows: number, seed: number) => {
    const x = new Rng(seed).f32(rows * prod(spec.inputShape), 0, 1);
    const before = ae.getWeights();
    const got = wasmGrads(ae, spec, x, null, rows);
    const ref = graphLossAndGrads(refLayers(ae), before, x, x, rows, spec.inputShape, 'bce');
    expect(Math.abs(got.loss - ref.loss), `loss ${got.loss} vs ${ref.loss}`).toBeLessThanOrEqual(2e-6 * ref.loss);
    got.grads.forEach((g, i) => expectWithin(g!, ref.grads[i]!, () => 3e-5 * maxAbs(ref.grads[i]!), `d(array ${i})`));
  };

  it('ae_grads on 6 rows vs the reference: loss and every gradient', async () => {
    // convdae's sizes with tanh and strided convs in place of relu and max pooling: with ~10^5
    // pre-activations and pooling windows at this size, some relu inputs and some window maxima lie
    // within float32 noise of a kink or a tie, where the float32 and float64 passes may take
    // different branches (measured: 1% of a tensor's scale); the small cases above cover relu and
    // pooling away from kinks, the convdae reference test their full-size forward
    const spec: Spec = {
      inputShape: [28, 28, 1], loss: 'bce',
      encoder: [
        { type: 'conv2d', filters: 32, kernel: 3, padding: 'same', activation: 'tanh' },
        { type: 'conv2d', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' },
      ],
      decoder: [
        { type: 'conv2dTranspose', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' },
        { type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' },
      ],
    };
    const ae = await makeModel(spec, 12);
    // 6 rows: 4 data-parallel shards of 2, 1, 2 and 1 rows (assembly/train.ts shard_row), each shard's
    // gradient block its own and the four added in shard order, every weight gradient a sum over them
    // dot products of 288 terms, weight gradients summed over up to 2 x 784 positions: the same
    // 3e-5 of each tensor's scale as above (measured worst 1.2e-6)
    gradsMatch(ae, spec, 6, 12);
  });

  it('ae_grads in chunks of 5 rows through a Winograd layer (its dV summed over the chunks, then dK) vs the reference', async () => {
    const spec = WINOGRAD_SPEC;
    const ae = await makeModel(spec, 14);
    // 25 rows: 4 shards of 7, 6, 6 and 6 rows, each in a chunk of 5 rows and one of 2 or 1 (assembly/train.ts
    // TRAIN_FLOATS: 131072 / 25088 floats of the widest activation; shards of 5 rows or fewer would each be one chunk)
    // as above: a gradient missing a chunk's rows would be off by ~40% of its scale
    gradsMatch(ae, spec, 25, 14);
  });

  it('ae_grads in 1, 8 and 16 shards (the create option) vs the reference: a shard per row, shards with no row, shards of chunks', async () => {
    const spec = WINOGRAD_SPEC;
    // shards: 1 takes 25 rows as one shard of five chunks of 5; 8 shards of 25 rows are 4, 3, 3, 3, 3, 3, 3, 3 rows;
    // 16 shards of 6 rows leave ten shards empty, of 25 rows hold 1 or 2 each. A shard whose rows were missed or
    // counted twice would move the gradients by its rows' share (4% of them or more), far past the tolerance
    for (const [shards, rows] of [[1, 25], [8, 25], [16, 6], [16, 25]] as const) {
      const ae = await makeModel(spec, 14, { shards });
      gradsMatch(ae, spec, rows, 14 + rows);
      // (and the batch went through that many: the shard block's count, assembly/arena.ts SH_N)
      const k = kernelOf(ae);
      expect(k.getI32(k.getI32(k.ctx + SH.FIELD) + SH.N), 'shard count').toBe(shards);
      ae.dispose();
    }
  });

  it('a conv VAE with dropout, conv models with an L1 or a sparse KL penalty, in 1, 3, 4 and 8 shards: the one-pass gradients, draws and terms', async () => {
    // The one pass (the shard block's field cleared: train.ts grads_rows on the model's context, in chunks of rows) is
    // the path the float64 reference and finite differences check for each layer and term. In shards, each shard's
    // dropout masks and sampling draws must be the ones its rows get in one pass (draws_at: a shard that drew
    // from the model's stream position instead would give its rows other masks and eps, and move every gradient by
    // tens of percent), and the KL and L1 terms must count each row once in the batch's mean (a term scaled by a
    // shard's rows instead of the batch's would be 3-8x too large). The streams then go on after the batch in both.
    const vae = {
      inputShape: [10, 10, 2], loss: 'mse' as const, variational: { beta: 0.5 },
      encoder: [
        { type: 'conv2d' as const, filters: 8, kernel: 3, padding: 'same' as const, activation: 'tanh' as const }, { type: 'dropout' as const, rate: 0.3 },
        { type: 'conv2d' as const, filters: 8, kernel: 3, strides: 2, padding: 'same' as const, activation: 'tanh' as const },
        { type: 'flatten' as const }, { type: 'dense' as const, units: 4 },
      ],
      decoder: [
        { type: 'dense' as const, units: 200, activation: 'tanh' as const }, { type: 'reshape' as const, shape: [5, 5, 8] },
        { type: 'conv2dTranspose' as const, filters: 8, kernel: 3, strides: 2, padding: 'same' as const, activation: 'tanh' as const },
        { type: 'dropout' as const, rate: 0.1 }, { type: 'conv2d' as const, filters: 2, kernel: 3, padding: 'same' as const },
      ],
    };
    const l1 = {
      inputShape: [16, 3], loss: 'bce' as const, sparsity: { l1: 0.05 },
      encoder: [{ type: 'conv1d' as const, filters: 6, kernel: 3, padding: 'same' as const, activation: 'relu' as const }, { type: 'maxPool1d' as const }],
      decoder: [{ type: 'upSampling1d' as const }, { type: 'conv1d' as const, filters: 3, kernel: 3, padding: 'same' as const, activation: 'sigmoid' as const }],
    };
    // Sparse KL's column means are the whole batch's (train.ts kl_reduce adds the shards' column sums between phases): a
    // shard that took its own rows' means would move the code's gradients by tens of percent. The wide one: a 1-D conv
    // code of 12 x 8 = 96 values, more than twice the input's 24 or any node's channels (the model's scratch holds its
    // column means), with dropout after it; the other a 2-D conv code with batchNorm on both sides of it.
    const klWide = {
      inputShape: [12, 2], loss: 'mse' as const, sparsity: { kl: { rho: 0.2, weight: 0.7 } },
      encoder: [{ type: 'conv1d' as const, filters: 8, kernel: 3, padding: 'same' as const, activation: 'sigmoid' as const }, { type: 'dropout' as const, rate: 0.2 }],
      decoder: [{ type: 'conv1d' as const, filters: 2, kernel: 3, padding: 'same' as const }],
    };
    const klBn = {
      inputShape: [6, 6, 2], loss: 'mse' as const, sparsity: { kl: { rho: 0.1, weight: 0.5 } },
      encoder: [
        { type: 'conv2d' as const, filters: 4, kernel: 3, padding: 'same' as const, activation: 'tanh' as const }, { type: 'batchNorm' as const },
        { type: 'conv2d' as const, filters: 3, kernel: 3, strides: 2, padding: 'same' as const, activation: 'sigmoid' as const },
      ],
      decoder: [
        { type: 'conv2dTranspose' as const, filters: 4, kernel: 3, strides: 2, padding: 'same' as const, activation: 'tanh' as const },
        { type: 'batchNorm' as const, momentum: 0.8 }, { type: 'conv2d' as const, filters: 2, kernel: 3, padding: 'same' as const },
      ],
    };
    for (const [spec, rows] of [[vae, 11], [vae, 25], [l1, 13], [klWide, 13], [klBn, 9]] as const) {
      for (const shards of [1, 3, 4, 8]) {
        const ae = await Autoencoder.create({ ...spec, seed: 5 }, { shards });
        expect(ae.shards, 'the model trains in shards').toBe(shards);
        const k = kernelOf(ae);
        const x = new Rng(rows + shards).f32(rows * prod(spec.inputShape), 0, 1);
        const streams = k.u8(k.ctx + C.RNG, RNG.streams * 16).slice();
        const run = (sharded: boolean) => {
          const sh = k.getI32(k.ctx + SH.FIELD);
          k.u8(k.ctx + C.RNG, RNG.streams * 16).set(streams);
          if (!sharded) k.setI32(k.ctx + SH.FIELD, 0);
          try {
            return withIO(k, () => {
              const loss = k.x.ae_grads(k.ctx, putF32(k, x), putF32(k, x), rows);
              return { loss, grads: getF32(k, k.grads, k.nParams), streams: k.u8(k.ctx + C.RNG, RNG.streams * 16).slice() };
            });
          } finally {
            k.setI32(k.ctx + SH.FIELD, sh);
          }
        };
        const one = run(false), got = run(true);
        const what = `${'variational' in spec ? 'VAE' : spec === l1 ? 'L1' : spec === klWide ? 'sparse KL on a wide code' : 'sparse KL with batchNorm'}, ${rows} rows in ${shards} shards`;
        expect(Math.abs(got.loss - one.loss), `${what}: loss ${got.loss} vs ${one.loss}`).toBeLessThanOrEqual(2e-6 * one.loss);
        expectWithin(got.grads, one.grads, () => 3e-5 * maxAbs(one.grads), `${what}: gradients`);
        expect(got.streams, `${what}: the streams after the batch`).toEqual(one.streams);
        if ('variational' in spec) expect(one.streams, `${what}: the batch drew`).not.toEqual(streams);
        ae.dispose();
      }
    }
  });

  it('ae_grads in chunks of 5 rows through a sub-pixel transposed conv (its dV summed over the chunks, then dK; dx too) vs the reference', async () => {
    const spec: Spec = {
      inputShape: [14, 14, 4], loss: 'bce',
      encoder: [{ type: 'conv2d', filters: 8, kernel: 3, padding: 'same', activation: 'tanh' }],
      decoder: [
        { type: 'conv2dTranspose', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' },
        { type: 'conv2d', filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'sigmoid' },
      ],
    };
    const ae = await makeModel(spec, 16);
    // 25 rows: 4 shards of 7, 6, 6 and 6 rows, each in a chunk of 5 rows and one of 2 or 1: the transposed conv's
    // output is 28 x 28 x 32
    gradsMatch(ae, spec, 25, 16);
  });

  it('training in chunks of rows gives the bits of one pass over the batch (weights and loss after a fit)', async () => {
    // the same model and data, once plain in one shard (trained in chunks of 5 and 4 rows) and once with a sparse KL
    // penalty of weight 0 on the code, which adds 0 to the loss and its gradient but keeps a shard's rows in one pass
    // (its column means take them all before the backward): the same weights and losses, bit for bit
    const layers = {
      inputShape: [28, 28, 1], loss: 'bce' as const, seed: 15,
      encoder: [
        { type: 'conv2d' as const, filters: 32, kernel: 3, padding: 'same' as const, activation: 'relu' as const }, { type: 'maxPool2d' as const },
        { type: 'conv2d' as const, filters: 8, kernel: 3, padding: 'same' as const, activation: 'sigmoid' as const },
      ],
      decoder: [
        { type: 'conv2dTranspose' as const, filters: 8, kernel: 3, strides: 2, padding: 'same' as const, activation: 'relu' as const },
        { type: 'dropout' as const, rate: 0.1 },
        { type: 'conv2d' as const, filters: 1, kernel: 3, padding: 'same' as const, activation: 'sigmoid' as const },
      ],
    };
    const x = new Rng(15).f32(22 * 784, 0, 1);
    const fit = { epochs: 2, batchSize: 9, validationSplit: 0, earlyStopping: false as const, learningRate: 1e-2 };
    const chunked = await Autoencoder.create(layers, { shards: 1 });
    const onePass = await Autoencoder.create({ ...layers, sparsity: { kl: { rho: 0.5, weight: 0 } } }, { shards: 1 });
    expect([chunked.shards, onePass.shards]).toEqual([1, 1]);
    const h1 = await chunked.fit(x, fit), h2 = await onePass.fit(x, fit);
    expect(h1.loss).toEqual(h2.loss);
    const w1 = chunked.getWeights(), w2 = onePass.getWeights();
    w1.forEach((w, i) => expectSameBits(w, w2[i]!, `array ${i}`));
    expect(h1.loss[1]!).toBeLessThan(h1.loss[0]!);
  });

  it('inference in groups of samples gives each row the bits it gets alone (13 rows: groups of 4 + 4 + 4 + 1)', async () => {
    const spec: Spec = {
      inputShape: [28, 28, 1],
      encoder: [{ type: 'conv2d', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' }],
      decoder: [
        { type: 'conv2dTranspose', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' },
        { type: 'conv2d', filters: 1, kernel: 3, padding: 'same' },
      ],
    };
    const ae = await makeModel(spec, 13);
    const x = new Rng(13).f32(13 * 784, 0, 1);
    const all = ae.reconstruct(x), z = ae.encode(x);
    for (let r = 0; r < 13; r++) {
      expectSameBits(all.subarray(r * 784, (r + 1) * 784), ae.reconstruct(x.subarray(r * 784, (r + 1) * 784)), `reconstruct row ${r}`);
      expectSameBits(z.subarray(r * 6272, (r + 1) * 6272), ae.encode(x.subarray(r * 784, (r + 1) * 784)), `encode row ${r}`);
    }
    const f = graphForward(refLayers(ae), ae.getWeights(), x.subarray(11 * 784), 2, spec.inputShape, false);
    const out = f.outs.at(-1)!;
    expectWithin(all.subarray(11 * 784), out, () => 2e-6 * maxAbs(out) + 1e-7, 'rows 11, 12 vs reference');
  });
});

describe('a graph model\'s spec', () => {
  it('re-creates the model: Autoencoder.create(ae.spec) gives the same save() bytes (as it does for a dense model)', async () => {
    // the spec getter must leave out the dense shorthand's fields (layers, activation, ...) for a
    // graph model, which resolveSpec refuses beside inputShape/encoder/decoder
    const dense = await Autoencoder.create({ inputDim: 6, layers: [4, 2], seed: 3 });
    expect((await Autoencoder.create(dense.spec)).save()).toEqual(dense.save());
    const ae = await Autoencoder.create({ ...MODEL, seed: 3 });
    const again = await Autoencoder.create(ae.spec);
    expect(again.save()).toEqual(ae.save());
  });
});

// ---- model-level promises, with batchNorm state and dropout --------------------------------------

const MODEL: Spec = {
  inputShape: [8, 8, 1],
  encoder: [
    { type: 'conv2d', filters: 4, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'batchNorm' },
    { type: 'maxPool2d' }, { type: 'dropout', rate: 0.25 }, { type: 'conv2d', filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' },
  ],
  decoder: [
    { type: 'conv2dTranspose', filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'relu' }, { type: 'batchNorm', momentum: 0.8 },
    { type: 'upSampling2d' }, { type: 'conv2d', filters: 1, kernel: 3, padding: 'same' },
  ],
};
const MODEL_KINDS = kindsOf(MODEL);
const isState = (i: number) => MODEL_KINDS[i] === 'mean' || MODEL_KINDS[i] === 'var';

/** Smooth 8x8 images (sums of two random sinusoids): learnable structure. */
function images(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  const out = new Float32Array(n * 64);
  for (let s = 0; s < n; s++) {
    const a = r.uniform(0.2, 0.8), p = r.uniform(0, 6), q = r.uniform(0, 6);
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) out[s * 64 + i * 8 + j] = 0.5 + 0.3 * Math.sin(a * i + p) * Math.cos(a * j + q);
  }
  return out;
}

describe('a conv model with dropout and batchNorm: determinism, save/load, denoising fit, restores', () => {
  const x = images(48, 1);

  it('the same seed gives the same save() bytes after a short fit; another seed does not', async () => {
    const run = async (seed: number) => {
      const ae = await Autoencoder.create({ ...MODEL, seed, normalize: 'standard' });
      await ae.fit(x, { epochs: 3, batchSize: 8 });
      return ae.save();
    };
    const a = await run(5), b = await run(5), c = await run(6);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('save -> load gives identical weights, moving statistics and outputs', async () => {
    const ae = await Autoencoder.create({ ...MODEL, seed: 2 });
    await ae.fit(x, { epochs: 3, batchSize: 8 });
    const w = ae.getWeights();
    // the moving statistics have moved off their initial 0 / 1
    MODEL_KINDS.forEach((k, i) => {
      if (k === 'mean') expect(w[i]!.some((v) => v !== 0), `moving mean ${i} trained`).toBe(true);
      if (k === 'var') expect(w[i]!.some((v) => v !== 1), `moving var ${i} trained`).toBe(true);
    });
    const bytes = ae.save();
    const back = await Autoencoder.load(bytes);
    back.getWeights().forEach((a, i) => expectSameBits(a, w[i]!, `array ${i} (${MODEL_KINDS[i]})`));
    expect(back.spec).toEqual(ae.spec);
    expect(back.latentShape).toEqual(ae.latentShape);
    expectSameBits(back.reconstruct(x), ae.reconstruct(x), 'reconstruct');
    expectSameBits(back.encode(x), ae.encode(x), 'encode');
    expectSameBits(back.score(x), ae.score(x), 'score');
    expect(back.save()).toEqual(bytes);
  });

  it('fit with target (denoising pairs) reduces the loss against the clean images', async () => {
    const clean = images(96, 2);
    const noisy = await addNoise(clean, { std: 0.2, clip: [0, 1], seed: 3 });
    const ae = await Autoencoder.create({ ...MODEL, seed: 3 });
    const cleanMse = (): number => {
      const y = ae.reconstruct(noisy);
      let s = 0;
      for (let i = 0; i < y.length; i++) s += (y[i]! - clean[i]!) ** 2;
      return s / y.length;
    };
    const before = cleanMse();
    const h = await ae.fit(noisy, { target: clean, epochs: 20, batchSize: 16, learningRate: 3e-3, validationSplit: 0, earlyStopping: false });
    expect(h.loss.at(-1)!).toBeLessThan(0.5 * h.loss[0]!);
    expect(cleanMse()).toBeLessThan(0.5 * before);
  });

  it('onEpoch throwing puts back every weight array, moving statistics included', async () => {
    const ae = await Autoencoder.create({ ...MODEL, seed: 4 });
    await ae.fit(x, { epochs: 2, batchSize: 8 }); // moving statistics away from their initial values
    const before = ae.getWeights();
    const bytes = ae.save();
    let seen = 0;
    await expect(ae.fit(x, {
      epochs: 5, batchSize: 8,
      onEpoch: () => { seen++; if (seen === 3) throw new Error('stop'); },
    })).rejects.toThrow('stop');
    ae.getWeights().forEach((a, i) => expectSameBits(a, before[i]!, `array ${i} (${MODEL_KINDS[i]})`));
    expect(ae.save()).toEqual(bytes);
  });

  it('restoreBest puts back the best epoch\'s weights, moving statistics included', async () => {
    const ae = await Autoencoder.create({ ...MODEL, seed: 5 });
    const perEpoch: Float32Array[][] = [];
    // minDelta huge: epoch 1 is the best and nothing after it counts as an improvement
    const h = await ae.fit(x, {
      epochs: 6, batchSize: 8, earlyStopping: { patience: 2, restoreBest: true, minDelta: 1e9 },
      onEpoch: () => { perEpoch.push(ae.getWeights()); },
    });
    expect(h.bestEpoch).toBe(1);
    expect(h.epochs).toBe(3);
    // the later epochs really changed the moving statistics, so restoring them is visible
    expect(MODEL_KINDS.some((k, i) => isState(i) && perEpoch[2]![i]!.some((v, j) => v !== perEpoch[0]![i]![j]))).toBe(true);
    ae.getWeights().forEach((a, i) => expectSameBits(a, perEpoch[0]![i]!, `array ${i} (${MODEL_KINDS[i]}) = epoch 1's`));
  });

  it('a diverging fit puts back every weight array, moving statistics included', async () => {
    const ae = await Autoencoder.create({ ...MODEL, seed: 6 });
    await ae.fit(x, { epochs: 1, batchSize: 8 });
    const before = ae.getWeights();
    await expect(ae.fit(x, { epochs: 30, batchSize: 8, optimizer: 'sgd', learningRate: 1000 })).rejects.toThrow(/diverged/);
    ae.getWeights().forEach((a, i) => expectSameBits(a, before[i]!, `array ${i} (${MODEL_KINDS[i]})`));
  });
});
