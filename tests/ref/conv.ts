// Convolutions for the float64 reference: Keras Conv2D / Conv2DTranspose, channels last, with
// Conv1D / Conv1DTranspose as the 2-D ops with H = 1 (kernel height 1, stride 1, no padding).
// Written from the Keras docs and TF's conv semantics (tf.nn.conv2d 'SAME': out = ceil(n/s),
// pad_total = max((out-1)*s + k - n, 0), pad_before = floor(pad_total/2); Keras
// deconv_output_length: 'valid' n*s + max(k - s, 0), 'same' n*s), not from the wasm kernels.
// Dims: B batch, H/W input height/width, C input channels, F filters, KH/KW kernel, SH/SW strides,
// OH/OW output. Layouts: X [B][H][W][C]; conv K [KH][KW][C][F]; transpose K [KH][KW][F][C]
// (Keras: [.., out, in]); bias [F]. No dilation, no groups. Results are fresh Float64Arrays.

import { actBackwardFromOutput, actForward } from './act.js';

export type Padding = 'valid' | 'same';

export interface Conv2dDims { H: number; W: number; C: number; F: number; KH: number; KW: number; SH: number; SW: number; padding: Padding }
export interface Conv1dDims { L: number; C: number; F: number; K: number; S: number; padding: Padding }
/** Output size and the zero padding in front (top / left); the rest of pad_total goes at the end. */
export interface ConvGeometry { OH: number; OW: number; padTop: number; padLeft: number }

function need(arr: ArrayLike<number>, len: number, what: string): void {
  if (arr.length !== len) throw new Error(`${what}: expected length ${len}, got ${arr.length}`);
}
function checkDims(d: Conv2dDims): void {
  for (const k of ['H', 'W', 'C', 'F', 'KH', 'KW', 'SH', 'SW'] as const) {
    if (!Number.isInteger(d[k]) || d[k] < 1) throw new Error(`conv dims: ${k} must be a positive integer, got ${d[k]}`);
  }
  if (d.padding !== 'valid' && d.padding !== 'same') throw new Error(`conv padding must be 'valid' or 'same', got ${String(d.padding)}`);
}

/** Forward (strided) window count along one axis: valid floor((n-k)/s)+1, same ceil(n/s). */
export function convOutLength(n: number, k: number, s: number, padding: Padding): number {
  const out = padding === 'same' ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1;
  if (out < 1) throw new Error(`conv: input length ${n} is shorter than kernel ${k} with 'valid' padding`);
  return out;
}

/** Zero padding before the input along one axis for a forward conv n -> out: floor(pad_total/2). */
export function padBefore(n: number, k: number, s: number, out: number, padding: Padding): number {
  if (padding === 'valid') return 0;
  return Math.floor(Math.max((out - 1) * s + k - n, 0) / 2);
}

/** Transposed-conv output length (Keras deconv_output_length, output_padding None). */
export function convTransposeOutLength(n: number, k: number, s: number, padding: Padding): number {
  return padding === 'same' ? n * s : n * s + Math.max(k - s, 0);
}

/** Geometry of conv2d: [H, W, C] -> [OH, OW, F]. */
export function conv2dGeometry(d: Conv2dDims): ConvGeometry {
  checkDims(d);
  const OH = convOutLength(d.H, d.KH, d.SH, d.padding), OW = convOutLength(d.W, d.KW, d.SW, d.padding);
  return { OH, OW, padTop: padBefore(d.H, d.KH, d.SH, OH, d.padding), padLeft: padBefore(d.W, d.KW, d.SW, OW, d.padding) };
}

/**
 * Geometry of conv2dTranspose: [H, W, C] -> [OH, OW, F]. The padding is that of the forward conv
 * [OH, OW] -> [H, W] whose adjoint this is: pad_total = max((H-1)*S + K - OH, 0), floor half in front.
 */
export function conv2dTransposeGeometry(d: Conv2dDims): ConvGeometry {
  checkDims(d);
  const OH = convTransposeOutLength(d.H, d.KH, d.SH, d.padding), OW = convTransposeOutLength(d.W, d.KW, d.SW, d.padding);
  return {
    OH, OW,
    padTop: Math.floor(Math.max((d.H - 1) * d.SH + d.KH - OH, 0) / 2),
    padLeft: Math.floor(Math.max((d.W - 1) * d.SW + d.KW - OW, 0) / 2),
  };
}

/** The 1-D op as a 2-D op with H = 1: [L, C] is [1, L, C], K [K][C][F] is [1][K][C][F]. */
export function conv1dAs2d(d: Conv1dDims): Conv2dDims {
  return { H: 1, W: d.L, C: d.C, F: d.F, KH: 1, KW: d.K, SH: 1, SW: d.S, padding: d.padding };
}

/**
 * Visits every (input pixel, kernel tap) pair that lands inside the output-side grid of a conv with
 * this geometry: ih = oh*SH + kh - padTop (forward conv, input [H,W] read at output [OH,OW]).
 * fn(b, oh, ow, ih, iw, kh, kw). Shared by both ops: for the transpose the roles swap.
 */
function forEachTap(
  B: number, inH: number, inW: number, outH: number, outW: number, d: Conv2dDims, padTop: number, padLeft: number,
  fn: (b: number, oh: number, ow: number, ih: number, iw: number, kh: number, kw: number) => void,
): void {
  for (let b = 0; b < B; b++) for (let oh = 0; oh < outH; oh++) for (let ow = 0; ow < outW; ow++) {
    for (let kh = 0; kh < d.KH; kh++) {
      const ih = oh * d.SH + kh - padTop;
      if (ih < 0 || ih >= inH) continue; // zero padding
      for (let kw = 0; kw < d.KW; kw++) {
        const iw = ow * d.SW + kw - padLeft;
        if (iw < 0 || iw >= inW) continue;
        fn(b, oh, ow, ih, iw, kh, kw);
      }
    }
  }
}

function activate(z: Float64Array, act: string): Float64Array {
  const a = new Float64Array(z.length);
  for (let k = 0; k < z.length; k++) a[k] = actForward(act, z[k]!);
  return a;
}
function dzFromDa(a: ArrayLike<number>, dA: ArrayLike<number>, act: string): Float64Array {
  need(dA, a.length, 'dA');
  const dZ = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) dZ[k] = dA[k]! * actBackwardFromOutput(act, a[k]!);
  return dZ;
}

// ---- conv2d --------------------------------------------------------------------------------

/**
 * Keras Conv2D: Y[oh,ow,f] = b[f] + sum_{kh,kw,c} X[oh*SH+kh-padTop, ow*SW+kw-padLeft, c] K[kh,kw,c,f]
 * (zero outside X), then a = act(z). x [B][H][W][C], K [KH][KW][C][F], b [F]; z, a [B][OH][OW][F].
 */
export function conv2dForward(
  x: ArrayLike<number>, B: number, d: Conv2dDims, K: ArrayLike<number>, b: ArrayLike<number>, act = 'linear',
): { z: Float64Array; a: Float64Array } {
  const { OH, OW, padTop, padLeft } = conv2dGeometry(d);
  const { H, W, C, F, KW } = d;
  need(x, B * H * W * C, 'x'); need(K, d.KH * KW * C * F, 'K'); need(b, F, 'b');
  const z = new Float64Array(B * OH * OW * F);
  for (let i = 0; i < z.length; i++) z[i] = b[i % F]!;
  forEachTap(B, H, W, OH, OW, d, padTop, padLeft, (n, oh, ow, ih, iw, kh, kw) => {
    const xo = ((n * H + ih) * W + iw) * C, yo = ((n * OH + oh) * OW + ow) * F, ko = (kh * KW + kw) * C * F;
    for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) z[yo + f]! += x[xo + c]! * K[ko + c * F + f]!;
  });
  return { z, a: activate(z, act) };
}

/** Backward of conv2d given dZ [B][OH][OW][F]: dX [B][H][W][C], dW [KH][KW][C][F], db [F]. */
export function conv2dBackwardFromDZ(
  x: ArrayLike<number>, B: number, d: Conv2dDims, K: ArrayLike<number>, dZ: ArrayLike<number>,
): { dX: Float64Array; dW: Float64Array; db: Float64Array } {
  const { OH, OW, padTop, padLeft } = conv2dGeometry(d);
  const { H, W, C, F, KW } = d;
  need(x, B * H * W * C, 'x'); need(K, d.KH * KW * C * F, 'K'); need(dZ, B * OH * OW * F, 'dZ');
  const dX = new Float64Array(B * H * W * C), dW = new Float64Array(K.length), db = new Float64Array(F);
  for (let i = 0; i < dZ.length; i++) db[i % F]! += dZ[i]!;
  forEachTap(B, H, W, OH, OW, d, padTop, padLeft, (n, oh, ow, ih, iw, kh, kw) => {
    const xo = ((n * H + ih) * W + iw) * C, yo = ((n * OH + oh) * OW + ow) * F, ko = (kh * KW + kw) * C * F;
    for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) {
      const g = dZ[yo + f]!;
      dX[xo + c]! += g * K[ko + c * F + f]!;
      dW[ko + c * F + f]! += x[xo + c]! * g;
    }
  });
  return { dX, dW, db };
}

/** Backward of conv2d + activation given dA and the layer output a (as denseBackward). */
export function conv2dBackward(
  x: ArrayLike<number>, B: number, d: Conv2dDims, K: ArrayLike<number>, a: ArrayLike<number>, dA: ArrayLike<number>, act = 'linear',
): { dX: Float64Array; dW: Float64Array; db: Float64Array; dZ: Float64Array } {
  const dZ = dzFromDa(a, dA, act);
  return { ...conv2dBackwardFromDZ(x, B, d, K, dZ), dZ };
}

// ---- conv2dTranspose ------------------------------------------------------------------------

/**
 * Keras Conv2DTranspose (TF conv2d_transpose alignment): every input pixel scatters its kernel,
 * Y[h*SH+kh-padTop, w*SW+kw-padLeft, f] += X[h,w,c] K[kh,kw,f,c] (taps outside Y dropped), + b[f],
 * then a = act(z). x [B][H][W][C], K [KH][KW][F][C], b [F]; z, a [B][OH][OW][F].
 */
export function conv2dTransposeForward(
  x: ArrayLike<number>, B: number, d: Conv2dDims, K: ArrayLike<number>, b: ArrayLike<number>, act = 'linear',
): { z: Float64Array; a: Float64Array } {
  const { OH, OW, padTop, padLeft } = conv2dTransposeGeometry(d);
  const { H, W, C, F, KW } = d;
  need(x, B * H * W * C, 'x'); need(K, d.KH * KW * F * C, 'K'); need(b, F, 'b');
  const z = new Float64Array(B * OH * OW * F);
  for (let i = 0; i < z.length; i++) z[i] = b[i % F]!;
  // the output grid [OH, OW] plays the role of the forward conv's input, [H, W] of its output
  forEachTap(B, OH, OW, H, W, d, padTop, padLeft, (n, h, w, oh, ow, kh, kw) => {
    const xo = ((n * H + h) * W + w) * C, yo = ((n * OH + oh) * OW + ow) * F, ko = (kh * KW + kw) * F * C;
    for (let f = 0; f < F; f++) for (let c = 0; c < C; c++) z[yo + f]! += x[xo + c]! * K[ko + f * C + c]!;
  });
  return { z, a: activate(z, act) };
}

/** Backward of conv2dTranspose given dZ [B][OH][OW][F]: dX [B][H][W][C], dW [KH][KW][F][C], db [F]. */
export function conv2dTransposeBackwardFromDZ(
  x: ArrayLike<number>, B: number, d: Conv2dDims, K: ArrayLike<number>, dZ: ArrayLike<number>,
): { dX: Float64Array; dW: Float64Array; db: Float64Array } {
  const { OH, OW, padTop, padLeft } = conv2dTransposeGeometry(d);
  const { H, W, C, F, KW } = d;
  need(x, B * H * W * C, 'x'); need(K, d.KH * KW * F * C, 'K'); need(dZ, B * OH * OW * F, 'dZ');
  const dX = new Float64Array(B * H * W * C), dW = new Float64Array(K.length), db = new Float64Array(F);
  for (let i = 0; i < dZ.length; i++) db[i % F]! += dZ[i]!;
  forEachTap(B, OH, OW, H, W, d, padTop, padLeft, (n, h, w, oh, ow, kh, kw) => {
    const xo = ((n * H + h) * W + w) * C, yo = ((n * OH + oh) * OW + ow) * F, ko = (kh * KW + kw) * F * C;
    for (let f = 0; f < F; f++) {
      const g = dZ[yo + f]!;
      for (let c = 0; c < C; c++) {
        dX[xo + c]! += g * K[ko + f * C + c]!;
        dW[ko + f * C + c]! += x[xo + c]! * g;
      }
    }
  });
  return { dX, dW, db };
}

/** Backward of conv2dTranspose + activation given dA and the layer output a. */
export function conv2dTransposeBackward(
  x: ArrayLike<number>, B: number, d: Conv2dDims, K: ArrayLike<number>, a: ArrayLike<number>, dA: ArrayLike<number>, act = 'linear',
): { dX: Float64Array; dW: Float64Array; db: Float64Array; dZ: Float64Array } {
  const dZ = dzFromDa(a, dA, act);
  return { ...conv2dTransposeBackwardFromDZ(x, B, d, K, dZ), dZ };
}

// ---- 1-D: the 2-D ops with H = 1 ---------------------------------------------------------------

/** Keras Conv1D: x [B][L][C], K [K][C][F], b [F] -> [B][OL][F]. */
export function conv1dForward(x: ArrayLike<number>, B: number, d: Conv1dDims, K: ArrayLike<number>, b: ArrayLike<number>, act = 'linear') {
  return conv2dForward(x, B, conv1dAs2d(d), K, b, act);
}
export function conv1dBackwardFromDZ(x: ArrayLike<number>, B: number, d: Conv1dDims, K: ArrayLike<number>, dZ: ArrayLike<number>) {
  return conv2dBackwardFromDZ(x, B, conv1dAs2d(d), K, dZ);
}
export function conv1dBackward(x: ArrayLike<number>, B: number, d: Conv1dDims, K: ArrayLike<number>, a: ArrayLike<number>, dA: ArrayLike<number>, act = 'linear') {
  return conv2dBackward(x, B, conv1dAs2d(d), K, a, dA, act);
}
/** Keras Conv1DTranspose: x [B][L][C], K [K][F][C], b [F] -> [B][OL][F]. */
export function conv1dTransposeForward(x: ArrayLike<number>, B: number, d: Conv1dDims, K: ArrayLike<number>, b: ArrayLike<number>, act = 'linear') {
  return conv2dTransposeForward(x, B, conv1dAs2d(d), K, b, act);
}
export function conv1dTransposeBackwardFromDZ(x: ArrayLike<number>, B: number, d: Conv1dDims, K: ArrayLike<number>, dZ: ArrayLike<number>) {
  return conv2dTransposeBackwardFromDZ(x, B, conv1dAs2d(d), K, dZ);
}
export function conv1dTransposeBackward(x: ArrayLike<number>, B: number, d: Conv1dDims, K: ArrayLike<number>, a: ArrayLike<number>, dA: ArrayLike<number>, act = 'linear') {
  return conv2dTransposeBackward(x, B, conv1dAs2d(d), K, a, dA, act);
}
