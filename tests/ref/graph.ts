// A sequence of Keras layers (a Sequential model) for the float64 reference: per-sample shape
// inference, parameter shapes in Keras getWeights order, forward, and the mean loss with its
// gradient wrt every parameter and the input. Layer math lives in dense.ts, conv.ts, layers.ts;
// this file only walks the list, forward then in reverse. Shapes are per sample, channels last:
// [L, C] for 1-D ops, [H, W, C] for 2-D ops, [D] (or any rank) for dense, which acts on the last
// axis. x is B samples back to back. Not here: branches, masking, regularizers, dilation.

import { actBackwardFromOutput } from './act.js';
import {
  conv2dBackwardFromDZ, conv2dForward, conv2dGeometry, conv2dTransposeBackwardFromDZ,
  conv2dTransposeForward, conv2dTransposeGeometry, type Conv2dDims, type Padding,
} from './conv.js';
import { denseBackwardFromDZ, denseForward } from './dense.js';
import {
  batchNormBackward, batchNormForward, dropoutBackward, dropoutForward, maxPool2dBackward, maxPool2dForward,
  maxPool2dGeometry, reshapeShape, upSampling2dBackward, upSampling2dForward, type BatchNormCache,
  type Pool2dDims, type UpSampling2dDims,
} from './layers.js';
import { bceSigmoidGradZ, lossGrad, lossValue } from './loss.js';

type Pair = number | number[];
export type ConvLayerType = 'conv1d' | 'conv2d' | 'conv1dTranspose' | 'conv2dTranspose';
/** One layer, Keras names and defaults: strides 1 (pooling: the pool), padding 'valid', activation 'linear', pool 2, size 2. */
export type RefLayer =
  | { type: 'dense'; units: number; activation?: string }
  | { type: ConvLayerType; filters: number; kernel: Pair; strides?: Pair; padding?: Padding; activation?: string }
  | { type: 'maxPool1d' | 'maxPool2d'; pool?: Pair; strides?: Pair; padding?: Padding }
  | { type: 'upSampling1d' | 'upSampling2d'; size?: Pair }
  | { type: 'dropout'; rate: number }
  | { type: 'flatten' }
  | { type: 'reshape'; shape: number[] }
  | { type: 'batchNorm'; momentum?: number; epsilon?: number };

const prod = (s: readonly number[]): number => s.reduce((p, v) => p * v, 1);

/** A number or [n] / [h, w] as [h, w]; 1-D ops get height 1. */
function hw(v: Pair | undefined, dflt: number, is1d: boolean, what: string): [number, number] {
  const arr = v === undefined ? [dflt] : Array.isArray(v) ? v : [v];
  if (is1d) {
    if (arr.length !== 1) throw new Error(`${what}: a 1-D layer takes one number, got ${JSON.stringify(v)}`);
    return [1, arr[0]!];
  }
  if (arr.length === 1) return [arr[0]!, arr[0]!];
  if (arr.length !== 2) throw new Error(`${what}: expected 1 or 2 numbers, got ${JSON.stringify(v)}`);
  return [arr[0]!, arr[1]!];
}

/** The 2-D view of a per-sample shape: [L, C] -> H 1, W L; [H, W, C] as is. */
function spatial(inShape: readonly number[], is1d: boolean, type: string): { H: number; W: number; C: number } {
  const rank = is1d ? 2 : 3;
  if (inShape.length !== rank) throw new Error(`${type} needs a rank-${rank} input per sample, got ${JSON.stringify(inShape)}`);
  return is1d ? { H: 1, W: inShape[0]!, C: inShape[1]! } : { H: inShape[0]!, W: inShape[1]!, C: inShape[2]! };
}

/** A layer resolved against its input shape: the 2-D dims its math uses and its output shape. */
type Resolved =
  | { op: 'dense'; rows: number; I: number; O: number; out: number[] }
  | { op: 'conv' | 'convT'; d: Conv2dDims; out: number[] }
  | { op: 'pool'; d: Pool2dDims; out: number[] }
  | { op: 'up'; d: UpSampling2dDims; out: number[] }
  | { op: 'dropout' | 'copy'; out: number[] }
  | { op: 'bn'; rows: number; C: number; out: number[] };

function resolve(layer: RefLayer, inShape: readonly number[]): Resolved {
  const is1d = layer.type.includes('1d');
  const shaped = (H: number, W: number, C: number): number[] => (is1d ? [W, C] : [H, W, C]);
  switch (layer.type) {
    case 'dense': {
      if (inShape.length < 1) throw new Error('dense needs an input with at least one axis');
      const I = inShape[inShape.length - 1]!;
      return { op: 'dense', rows: prod(inShape.slice(0, -1)), I, O: layer.units, out: [...inShape.slice(0, -1), layer.units] };
    }
    case 'conv1d': case 'conv2d': case 'conv1dTranspose': case 'conv2dTranspose': {
      const { H, W, C } = spatial(inShape, is1d, layer.type);
      const [KH, KW] = hw(layer.kernel, 1, is1d, `${layer.type} kernel`);
      const [SH, SW] = hw(layer.strides, 1, is1d, `${layer.type} strides`);
      const d: Conv2dDims = { H, W, C, F: layer.filters, KH, KW, SH, SW, padding: layer.padding ?? 'valid' };
      const transpose = layer.type.endsWith('Transpose');
      const g = transpose ? conv2dTransposeGeometry(d) : conv2dGeometry(d);
      return { op: transpose ? 'convT' : 'conv', d, out: shaped(g.OH, g.OW, layer.filters) };
    }
    case 'maxPool1d': case 'maxPool2d': {
      const { H, W, C } = spatial(inShape, is1d, layer.type);
      const [PH, PW] = hw(layer.pool, 2, is1d, `${layer.type} pool`);
      const [SH, SW] = layer.strides === undefined ? [PH, PW] : hw(layer.strides, 1, is1d, `${layer.type} strides`);
      const d: Pool2dDims = { H, W, C, PH, PW, SH, SW, padding: layer.padding ?? 'valid' };
      const g = maxPool2dGeometry(d);
      return { op: 'pool', d, out: shaped(g.OH, g.OW, C) };
    }
    case 'upSampling1d': case 'upSampling2d': {
      const { H, W, C } = spatial(inShape, is1d, layer.type);
      const [SH, SW] = hw(layer.size, 2, is1d, `${layer.type} size`);
      return { op: 'up', d: { H, W, C, SH, SW }, out: shaped(H * SH, W * SW, C) };
    }
    case 'dropout': return { op: 'dropout', out: [...inShape] };
    case 'flatten': return { op: 'copy', out: [prod(inShape)] };
    case 'reshape': return { op: 'copy', out: reshapeShape(inShape, layer.shape) };
    case 'batchNorm': return { op: 'bn', rows: prod(inShape.slice(0, -1)), C: inShape[inShape.length - 1]!, out: [...inShape] };
  }
}

/** Per-sample output shape of one layer (Keras compute_output_shape without the batch axis). */
export function outSize(layer: RefLayer, inShape: readonly number[]): number[] {
  return resolve(layer, inShape).out;
}

/** Shapes of the layer's weights in Keras getWeights order (batchNorm: gamma, beta, moving_mean, moving_variance). */
export function layerParamShapes(layer: RefLayer, inShape: readonly number[]): number[][] {
  const r = resolve(layer, inShape);
  switch (r.op) {
    case 'dense': return [[r.I, r.O], [r.O]];
    case 'conv': return [layer.type === 'conv1d' ? [r.d.KW, r.d.C, r.d.F] : [r.d.KH, r.d.KW, r.d.C, r.d.F], [r.d.F]];
    case 'convT': return [layer.type === 'conv1dTranspose' ? [r.d.KW, r.d.F, r.d.C] : [r.d.KH, r.d.KW, r.d.F, r.d.C], [r.d.F]];
    case 'bn': return [[r.C], [r.C], [r.C], [r.C]];
    default: return [];
  }
}

/** Every layer's per-sample output shape and the model's weight shapes, in order. */
export function graphShapes(layers: readonly RefLayer[], inputShape: readonly number[]): { shapes: number[][]; params: number[][]; count: number } {
  const shapes: number[][] = [], params: number[][] = [];
  let s: readonly number[] = inputShape;
  for (const l of layers) {
    params.push(...layerParamShapes(l, s));
    const o = outSize(l, s);
    shapes.push(o);
    s = o;
  }
  return { shapes, params, count: params.reduce((n, p) => n + prod(p), 0) };
}

const actOf = (l: RefLayer): string => ('activation' in l && l.activation !== undefined ? l.activation : 'linear');
const hasActivation = (r: Resolved): boolean => r.op === 'dense' || r.op === 'conv' || r.op === 'convT';

export interface GraphForward {
  /** Each layer's output [B][...shapes[l]] (after its activation); the last is the model output. */
  outs: Float64Array[];
  /** Pre-activations of dense/conv layers (for other layers the output itself). */
  zs: Float64Array[];
  /** Per-sample output shape of each layer. */
  shapes: number[][];
  /** params with batchNorm moving statistics updated (training mode); the other arrays are shared. */
  paramsAfter: ArrayLike<number>[];
  /** batchNorm caches by layer index. */
  bnCaches: (BatchNormCache | undefined)[];
}

function layerOffsets(layers: readonly RefLayer[], inputShape: readonly number[], params: readonly ArrayLike<number>[]): { res: Resolved[]; offs: number[] } {
  const { params: shapes } = graphShapes(layers, inputShape);
  if (params.length !== shapes.length) throw new Error(`params: expected ${shapes.length} arrays, got ${params.length}`);
  shapes.forEach((s, k) => { if (params[k]!.length !== prod(s)) throw new Error(`params[${k}]: expected ${prod(s)} values for shape ${JSON.stringify(s)}, got ${params[k]!.length}`); });
  const res: Resolved[] = [], offs: number[] = [];
  let s: readonly number[] = inputShape, off = 0;
  for (const l of layers) {
    offs.push(off);
    off += layerParamShapes(l, s).length;
    const r = resolve(l, s);
    res.push(r);
    s = r.out;
  }
  return { res, offs };
}

/**
 * Forward pass of a layer list on x [B][...inputShape]. params: all weights in order (Keras
 * getWeights order per layer). masks[l]: the dropout mask of layer l ([B][...its input shape]),
 * needed in training mode only.
 */
export function graphForward(
  layers: readonly RefLayer[], params: readonly ArrayLike<number>[], x: ArrayLike<number>, B: number,
  inputShape: readonly number[], training: boolean, masks?: readonly (ArrayLike<number> | undefined)[],
): GraphForward {
  const { res, offs } = layerOffsets(layers, inputShape, params);
  if (x.length !== B * prod(inputShape)) throw new Error(`x: expected ${B} x ${JSON.stringify(inputShape)} = ${B * prod(inputShape)} values, got ${x.length}`);
  const outs: Float64Array[] = [], zs: Float64Array[] = [], bnCaches: (BatchNormCache | undefined)[] = [];
  const paramsAfter = params.slice();
  let h: ArrayLike<number> = x;
  layers.forEach((layer, l) => {
    const r = res[l]!, P = (k: number): ArrayLike<number> => params[offs[l]! + k]!, act = actOf(layer);
    let z: Float64Array, a: Float64Array;
    switch (r.op) {
      case 'dense': ({ z, a } = denseForward(h, B * r.rows, r.I, r.O, P(0), P(1), act)); break;
      case 'conv': ({ z, a } = conv2dForward(h, B, r.d, P(0), P(1), act)); break;
      case 'convT': ({ z, a } = conv2dTransposeForward(h, B, r.d, P(0), P(1), act)); break;
      case 'pool': a = z = maxPool2dForward(h, B, r.d).y; break;
      case 'up': a = z = upSampling2dForward(h, B, r.d).y; break;
      case 'dropout': a = z = dropoutForward(h, masks?.[l], training && (layer as { rate: number }).rate > 0).y; break;
      case 'copy': a = z = Float64Array.from(h); break;
      case 'bn': {
        const bn = layer as { momentum?: number; epsilon?: number };
        const f = batchNormForward(h, B * r.rows, r.C, { gamma: P(0), beta: P(1), movingMean: P(2), movingVar: P(3) }, training, bn.momentum ?? 0.99, bn.epsilon ?? 1e-3);
        a = z = f.y;
        bnCaches[l] = f.cache;
        paramsAfter[offs[l]! + 2] = f.movingMean;
        paramsAfter[offs[l]! + 3] = f.movingVar;
        break;
      }
    }
    outs.push(a); zs.push(z); h = a;
  });
  return { outs, zs, shapes: res.map((r) => r.out), paramsAfter, bnCaches };
}

/**
 * Mean loss (tests/ref/loss.ts) of the model output against target, and its gradient wrt every
 * params entry (same order; all-zero for the non-trainable batchNorm moving statistics) and wrt x.
 * If the last layer's activation is 'sigmoid' and loss is 'bce', that layer uses the fused
 * dZ = (p - t)/N, as netLossAndGrads does.
 */
export function graphLossAndGrads(
  layers: readonly RefLayer[], params: readonly ArrayLike<number>[], x: ArrayLike<number>, target: ArrayLike<number>,
  B: number, inputShape: readonly number[], loss: string, training = true, masks?: readonly (ArrayLike<number> | undefined)[],
): { loss: number; grads: Float64Array[]; dX: Float64Array; out: Float64Array; paramsAfter: ArrayLike<number>[] } {
  const { res, offs } = layerOffsets(layers, inputShape, params);
  const fwd = graphForward(layers, params, x, B, inputShape, training, masks);
  const n = layers.length, out = fwd.outs[n - 1]!;
  const value = lossValue(loss, out, target);
  const grads: Float64Array[] = params.map((p) => new Float64Array(p.length));
  const last = layers[n - 1]!;
  const fused = hasActivation(res[n - 1]!) && actOf(last) === 'sigmoid' && loss === 'bce';
  // g is d loss / d (layer output); for the fused last layer it is already d loss / d z
  let g: Float64Array = fused ? bceSigmoidGradZ(out, target) : lossGrad(loss, out, target);
  for (let l = n - 1; l >= 0; l--) {
    const layer = layers[l]!, r = res[l]!, input: ArrayLike<number> = l === 0 ? x : fwd.outs[l - 1]!;
    const P = (k: number): ArrayLike<number> => params[offs[l]! + k]!;
    const setGrad = (k: number, v: Float64Array): void => { grads[offs[l]! + k] = v; };
    let dZ = g;
    if (hasActivation(r) && !(fused && l === n - 1)) {
      const a = fwd.outs[l]!, act = actOf(layer);
      dZ = new Float64Array(g.length);
      for (let k = 0; k < g.length; k++) dZ[k] = g[k]! * actBackwardFromOutput(act, a[k]!);
    }
    switch (r.op) {
      case 'dense': { const b = denseBackwardFromDZ(input, B * r.rows, r.I, r.O, P(0), dZ); setGrad(0, b.dW); setGrad(1, b.db); g = b.dX; break; }
      case 'conv': { const b = conv2dBackwardFromDZ(input, B, r.d, P(0), dZ); setGrad(0, b.dW); setGrad(1, b.db); g = b.dX; break; }
      case 'convT': { const b = conv2dTransposeBackwardFromDZ(input, B, r.d, P(0), dZ); setGrad(0, b.dW); setGrad(1, b.db); g = b.dX; break; }
      case 'pool': g = maxPool2dBackward(input, B, r.d, dZ).dX; break;
      case 'up': g = upSampling2dBackward(dZ, B, r.d).dX; break;
      case 'dropout': g = dropoutBackward(dZ, masks?.[l], training && (layer as { rate: number }).rate > 0).dX; break;
      case 'copy': g = Float64Array.from(dZ); break;
      case 'bn': { const b = batchNormBackward(dZ, B * r.rows, r.C, P(0), fwd.bnCaches[l]!, training); setGrad(0, b.dGamma); setGrad(1, b.dBeta); g = b.dX; break; }
    }
  }
  return { loss: value, grads, dX: g, out, paramsAfter: fwd.paramsAfter };
}
