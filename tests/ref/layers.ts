// Parameter-free and normalization layers for the float64 reference, channels last, following
// the Keras docs: MaxPooling1D/2D (TF max_pool: 'same' pads with -inf, pad_before =
// floor(pad_total/2)), UpSampling1D/2D (nearest), Dropout (inverted: kept inputs scaled by
// 1/(1-rate)), Flatten / Reshape (row-major, identity on memory), BatchNormalization(axis=-1)
// (Ioffe & Szegedy 2015; Keras defaults momentum 0.99, epsilon 1e-3, biased batch variance).
// Dims: B batch, H/W height/width, C channels, PH/PW pool, SH/SW strides, OH/OW output; 1-D ops
// are the 2-D ops with H = 1. Not here: average pooling, bilinear upsampling, renorm.
// Backward functions return fresh arrays (overwrite, no accumulation into the caller's).

import { convOutLength, padBefore, type ConvGeometry, type Padding } from './conv.js';

export interface Pool2dDims { H: number; W: number; C: number; PH: number; PW: number; SH: number; SW: number; padding: Padding }
export interface Pool1dDims { L: number; C: number; P: number; S: number; padding: Padding }
export interface UpSampling2dDims { H: number; W: number; C: number; SH: number; SW: number }
export interface UpSampling1dDims { L: number; C: number; S: number }

function need(arr: ArrayLike<number>, len: number, what: string): void {
  if (arr.length !== len) throw new Error(`${what}: expected length ${len}, got ${arr.length}`);
}

// ---- max pooling ------------------------------------------------------------------------------

/** Pool windows are conv windows: the same output size and 'same' padding rule as conv2d. */
export function maxPool2dGeometry(d: Pool2dDims): ConvGeometry {
  const OH = convOutLength(d.H, d.PH, d.SH, d.padding), OW = convOutLength(d.W, d.PW, d.SW, d.padding);
  return { OH, OW, padTop: padBefore(d.H, d.PH, d.SH, OH, d.padding), padLeft: padBefore(d.W, d.PW, d.SW, OW, d.padding) };
}

/**
 * Keras MaxPooling2D: y [B][OH][OW][C] = max over the window of x [B][H][W][C] (padding never
 * wins). argmax [B][OH][OW][C] holds the flat index into x of the first maximum in row-major
 * window order (kh, then kw); backward routes each output gradient there.
 */
export function maxPool2dForward(x: ArrayLike<number>, B: number, d: Pool2dDims): { y: Float64Array; argmax: Int32Array } {
  const { OH, OW, padTop, padLeft } = maxPool2dGeometry(d);
  const { H, W, C } = d;
  need(x, B * H * W * C, 'x');
  const y = new Float64Array(B * OH * OW * C), argmax = new Int32Array(B * OH * OW * C);
  for (let n = 0; n < B; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < C; c++) {
    let best = -Infinity, at = -1;
    for (let ph = 0; ph < d.PH; ph++) {
      const ih = oh * d.SH + ph - padTop;
      if (ih < 0 || ih >= H) continue;
      for (let pw = 0; pw < d.PW; pw++) {
        const iw = ow * d.SW + pw - padLeft;
        if (iw < 0 || iw >= W) continue;
        const k = ((n * H + ih) * W + iw) * C + c;
        if (at < 0 || x[k]! > best) { best = x[k]!; at = k; } // strict >: first max wins ties
      }
    }
    const o = ((n * OH + oh) * OW + ow) * C + c;
    y[o] = best; argmax[o] = at;
  }
  return { y, argmax };
}

/** dX [B][H][W][C]: each dY element added at its window's argmax (overlapping windows add up). */
export function maxPool2dBackward(x: ArrayLike<number>, B: number, d: Pool2dDims, dY: ArrayLike<number>): { dX: Float64Array } {
  const { argmax } = maxPool2dForward(x, B, d);
  need(dY, argmax.length, 'dY');
  const dX = new Float64Array(x.length);
  for (let o = 0; o < argmax.length; o++) dX[argmax[o]!]! += dY[o]!;
  return { dX };
}

export function pool1dAs2d(d: Pool1dDims): Pool2dDims {
  return { H: 1, W: d.L, C: d.C, PH: 1, PW: d.P, SH: 1, SW: d.S, padding: d.padding };
}
/** Keras MaxPooling1D: x [B][L][C] -> y [B][OL][C]. */
export function maxPool1dForward(x: ArrayLike<number>, B: number, d: Pool1dDims) { return maxPool2dForward(x, B, pool1dAs2d(d)); }
export function maxPool1dBackward(x: ArrayLike<number>, B: number, d: Pool1dDims, dY: ArrayLike<number>) { return maxPool2dBackward(x, B, pool1dAs2d(d), dY); }

// ---- nearest upsampling -------------------------------------------------------------------------

/** Keras UpSampling2D (nearest): y [B][H*SH][W*SW][C], y[h,w,c] = x[floor(h/SH), floor(w/SW), c]. */
export function upSampling2dForward(x: ArrayLike<number>, B: number, d: UpSampling2dDims): { y: Float64Array } {
  const { H, W, C, SH, SW } = d, OH = H * SH, OW = W * SW;
  need(x, B * H * W * C, 'x');
  const y = new Float64Array(B * OH * OW * C);
  for (let n = 0; n < B; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < C; c++) {
    y[((n * OH + oh) * OW + ow) * C + c] = x[((n * H + Math.floor(oh / SH)) * W + Math.floor(ow / SW)) * C + c]!;
  }
  return { y };
}

/** dX [B][H][W][C]: the sum of dY over each SH x SW block. */
export function upSampling2dBackward(dY: ArrayLike<number>, B: number, d: UpSampling2dDims): { dX: Float64Array } {
  const { H, W, C, SH, SW } = d, OH = H * SH, OW = W * SW;
  need(dY, B * OH * OW * C, 'dY');
  const dX = new Float64Array(B * H * W * C);
  for (let n = 0; n < B; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < C; c++) {
    dX[((n * H + Math.floor(oh / SH)) * W + Math.floor(ow / SW)) * C + c]! += dY[((n * OH + oh) * OW + ow) * C + c]!;
  }
  return { dX };
}

export function upSampling1dAs2d(d: UpSampling1dDims): UpSampling2dDims { return { H: 1, W: d.L, C: d.C, SH: 1, SW: d.S }; }
/** Keras UpSampling1D: each step repeated S times, x [B][L][C] -> y [B][L*S][C]. */
export function upSampling1dForward(x: ArrayLike<number>, B: number, d: UpSampling1dDims) { return upSampling2dForward(x, B, upSampling1dAs2d(d)); }
export function upSampling1dBackward(dY: ArrayLike<number>, B: number, d: UpSampling1dDims) { return upSampling2dBackward(dY, B, upSampling1dAs2d(d)); }

// ---- dropout ----------------------------------------------------------------------------------

/** A Keras dropout mask from uniforms u in [0, 1): 0 where u < rate, else 1/(1-rate). */
export function dropoutMask(rate: number, u: ArrayLike<number>): Float64Array {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${rate}`);
  const m = new Float64Array(u.length);
  for (let i = 0; i < u.length; i++) m[i] = u[i]! < rate ? 0 : 1 / (1 - rate);
  return m;
}

/** Training: y = x * mask (mask entries 0 or 1/(1-rate)); inference: y = x (mask ignored). */
export function dropoutForward(x: ArrayLike<number>, mask: ArrayLike<number> | undefined, training: boolean): { y: Float64Array } {
  if (!training) return { y: Float64Array.from(x) };
  if (!mask) throw new Error('dropout in training mode needs a mask');
  need(mask, x.length, 'mask');
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i]! * mask[i]!;
  return { y };
}
export function dropoutBackward(dY: ArrayLike<number>, mask: ArrayLike<number> | undefined, training: boolean): { dX: Float64Array } {
  return { dX: dropoutForward(dY, mask, training).y };
}

// ---- flatten / reshape ------------------------------------------------------------------------

/** Keras Reshape's target shape with at most one -1 resolved against inShape's element count. */
export function reshapeShape(inShape: readonly number[], shape: readonly number[]): number[] {
  const total = inShape.reduce((p, v) => p * v, 1);
  const free = shape.filter((v) => v === -1).length;
  if (free > 1) throw new Error(`reshape: at most one -1, got ${JSON.stringify(shape)}`);
  const known = shape.reduce((p, v) => (v === -1 ? p : p * v), 1);
  const out = shape.map((v) => (v === -1 ? total / known : v));
  if (!out.every((v) => Number.isInteger(v) && v >= 1) || out.reduce((p, v) => p * v, 1) !== total) {
    throw new Error(`reshape: cannot reshape ${JSON.stringify(inShape)} (${total} elements) to ${JSON.stringify(shape)}`);
  }
  return out;
}
/** Flatten and Reshape keep the row-major channels-last memory as it is: forward and backward copy. */
export function flattenForward(x: ArrayLike<number>): { y: Float64Array } { return { y: Float64Array.from(x) }; }
export function flattenBackward(dY: ArrayLike<number>): { dX: Float64Array } { return { dX: Float64Array.from(dY) }; }
export const reshapeForward = flattenForward;
export const reshapeBackward = flattenBackward;

// ---- batch normalization ---------------------------------------------------------------------

export interface BatchNormParams { gamma: ArrayLike<number>; beta: ArrayLike<number>; movingMean: ArrayLike<number>; movingVar: ArrayLike<number> }
/** What backward needs (xhat, invStd per channel) and the statistics forward used / updated. */
export interface BatchNormCache { xhat: Float64Array; invStd: Float64Array; mean: Float64Array; variance: Float64Array }

/**
 * Keras BatchNormalization(axis=-1) on x [R][C], R = B * spatial positions.
 * Training: mean and biased variance per channel over the R rows; y = gamma (x-mean)/sqrt(var+eps) + beta;
 * movingMean' = movingMean*momentum + mean*(1-momentum), movingVar' likewise with the biased var.
 * Inference: the moving statistics normalize, and they are returned unchanged.
 */
export function batchNormForward(
  x: ArrayLike<number>, R: number, C: number, p: BatchNormParams, training: boolean, momentum = 0.99, epsilon = 1e-3,
): { y: Float64Array; movingMean: Float64Array; movingVar: Float64Array; cache: BatchNormCache } {
  need(x, R * C, 'x'); need(p.gamma, C, 'gamma'); need(p.beta, C, 'beta'); need(p.movingMean, C, 'movingMean'); need(p.movingVar, C, 'movingVar');
  let mean: Float64Array, variance: Float64Array;
  const movingMean = Float64Array.from(p.movingMean), movingVar = Float64Array.from(p.movingVar);
  if (training) {
    // two passes: mean, then mean squared deviation (ddof = 0)
    mean = new Float64Array(C); variance = new Float64Array(C);
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) mean[c]! += x[r * C + c]!;
    for (let c = 0; c < C; c++) mean[c]! /= R;
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) { const dv = x[r * C + c]! - mean[c]!; variance[c]! += dv * dv; }
    for (let c = 0; c < C; c++) {
      variance[c]! /= R;
      movingMean[c] = movingMean[c]! * momentum + mean[c]! * (1 - momentum);
      movingVar[c] = movingVar[c]! * momentum + variance[c]! * (1 - momentum);
    }
  } else {
    mean = Float64Array.from(p.movingMean); variance = Float64Array.from(p.movingVar);
  }
  const invStd = new Float64Array(C);
  for (let c = 0; c < C; c++) invStd[c] = 1 / Math.sqrt(variance[c]! + epsilon);
  const xhat = new Float64Array(R * C), y = new Float64Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) {
    const k = r * C + c;
    xhat[k] = (x[k]! - mean[c]!) * invStd[c]!;
    y[k] = p.gamma[c]! * xhat[k]! + p.beta[c]!;
  }
  return { y, movingMean, movingVar, cache: { xhat, invStd, mean, variance } };
}

/**
 * Backward of batchNormForward, dY [R][C]. dGamma = sum dY*xhat, dBeta = sum dY. Training (gradient
 * through the batch mean and variance): dX = gamma*invStd/R * (R*dY - sum dY - xhat * sum dY*xhat).
 * Inference (constant statistics): dX = gamma*invStd*dY.
 */
export function batchNormBackward(
  dY: ArrayLike<number>, R: number, C: number, gamma: ArrayLike<number>, cache: BatchNormCache, training: boolean,
): { dX: Float64Array; dGamma: Float64Array; dBeta: Float64Array } {
  need(dY, R * C, 'dY'); need(gamma, C, 'gamma');
  const { xhat, invStd } = cache;
  const dGamma = new Float64Array(C), dBeta = new Float64Array(C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) {
    const k = r * C + c;
    dBeta[c]! += dY[k]!;
    dGamma[c]! += dY[k]! * xhat[k]!;
  }
  const dX = new Float64Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) {
    const k = r * C + c, s = gamma[c]! * invStd[c]!;
    dX[k] = training ? (s / R) * (R * dY[k]! - dBeta[c]! - xhat[k]! * dGamma[c]!) : s * dY[k]!;
  }
  return { dX, dGamma, dBeta };
}
