// Proves the float64 conv/layer-graph reference (tests/ref/conv.ts, layers.ts, graph.ts) against
// the math: central finite differences for every input, weight and bias gradient; hand-computed
// values for Keras's 'same' alignment (extra pad row at the end; Conv2DTranspose k3 s2 'same'
// puts pad_total 1 after the output, unlike PyTorch's padding=1, output_padding=1); the
// transposed conv as the exact adjoint of conv2d; Keras parameter counts and output shapes of the
// MNIST and time-series autoencoders; and the shared convdae weights' Keras-aligned output.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { haveShared } from './data.js';
import {
  batchNormBackward, batchNormForward, conv1dBackward, conv1dForward, conv1dTransposeBackward,
  conv1dTransposeForward, conv2dBackward, conv2dBackwardFromDZ, conv2dForward, conv2dGeometry,
  conv2dTransposeBackward, conv2dTransposeBackwardFromDZ, conv2dTransposeForward, conv2dTransposeGeometry,
  convOutLength, convTransposeOutLength, denseForward, dropoutBackward, dropoutForward, dropoutMask,
  flattenBackward, flattenForward, graphForward, graphLossAndGrads, graphShapes, lossValue,
  maxPool1dBackward, maxPool1dForward, maxPool2dBackward, maxPool2dForward, maxPool2dGeometry, outSize,
  padBefore, reshapeShape, upSampling1dBackward, upSampling1dForward, upSampling2dBackward,
  upSampling2dForward, type Conv1dDims, type Conv2dDims, type Pool2dDims, type RefLayer,
} from './ref/index.js';
import { fdGrad as fdGradH, randArray, rng } from './ref/fd.js';

/** n distinct values (a shuffled grid 0.01 apart, plus a sub-grid jitter): max pooling without ties. */
function distinctArray(r: ReturnType<typeof rng>, n: number): Float64Array {
  const a = Float64Array.from({ length: n }, (_, i) => (i - n / 2) * 0.01 + r(0, 0.001));
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [a[i], a[j]] = [a[j]!, a[i]!]; }
  return a;
}

// ---- finite differences ------------------------------------------------------------------
// Central differences, h = 1e-6: truncation h^2 f'''/6 ~ 1e-12, rounding ~ 1e-16 |f| / h; the
// losses below are O(1)-O(10), so |fd - exact| <~ 1e-9 absolute: RTOL 1e-5 plus ATOL 1e-8.
const EPS = 1e-6;
const fdGrad = (f: () => number, x: Float64Array) => fdGradH(f, x, EPS);
const RTOL = 1e-5;
const ATOL = 1e-8;

/** Worst violation of |a-b| <= RTOL*max(|a|,|b|) + ATOL, as a ratio (<= 1 passes). */
function worst(analytic: ArrayLike<number>, numeric: ArrayLike<number>, rtol = RTOL, atol = ATOL): number {
  expect(analytic.length).toBe(numeric.length);
  let w = 0;
  for (let i = 0; i < analytic.length; i++) {
    const a = analytic[i]!, n = numeric[i]!;
    expect(Number.isFinite(a)).toBe(true);
    w = Math.max(w, Math.abs(a - n) / (rtol * Math.max(Math.abs(a), Math.abs(n)) + atol));
  }
  return w;
}
function expectGradOk(analytic: ArrayLike<number>, numeric: ArrayLike<number>, what: string): void {
  expect(worst(analytic, numeric), what).toBeLessThanOrEqual(1);
}
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what = ''): void {
  expect(a.length, what).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  expect(m, what).toBeLessThanOrEqual(tol);
}
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!; return s; };
const mag = (a: ArrayLike<number>): number => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!)); return m; };
const nonZero = (a: ArrayLike<number>): number => Array.from(a).filter((v) => Math.abs(v) > 1e-9).length;

// ---- conv cases ---------------------------------------------------------------------------
type C2 = [string, Conv2dDims];
const c2 = (H: number, W: number, C: number, F: number, KH: number, KW: number, SH: number, SW: number, padding: 'valid' | 'same'): Conv2dDims =>
  ({ H, W, C, F, KH, KW, SH, SW, padding });
const CONV2D_CASES: C2[] = [
  ['5x7x3 F2 k3 s1 valid', c2(5, 7, 3, 2, 3, 3, 1, 1, 'valid')],
  ['5x7x3 F2 k3 s1 same', c2(5, 7, 3, 2, 3, 3, 1, 1, 'same')],
  ['5x7x3 F2 k3 s2 valid', c2(5, 7, 3, 2, 3, 3, 2, 2, 'valid')],
  ['5x7x3 F2 k3 s2 same', c2(5, 7, 3, 2, 3, 3, 2, 2, 'same')],
  ['4x6x2 F3 k2 s1 same (pad_total 1)', c2(4, 6, 2, 3, 2, 2, 1, 1, 'same')],
  ['6x8x2 F3 k3 s2 same (even, pad_total 1)', c2(6, 8, 2, 3, 3, 3, 2, 2, 'same')],
  ['4x6x2 F3 k2x3 s1x2 same (asymmetric)', c2(4, 6, 2, 3, 2, 3, 1, 2, 'same')],
  ['7x8x2 F2 k2 s3 valid (stride > kernel)', c2(7, 8, 2, 2, 2, 2, 3, 3, 'valid')],
  ['5x7x2 F3 k5 s2 same (pad 2 in front)', c2(5, 7, 2, 3, 5, 5, 2, 2, 'same')],
  ['3x4x3 F2 k1 s1 valid', c2(3, 4, 3, 2, 1, 1, 1, 1, 'valid')],
];
type C1 = [string, Conv1dDims];
const c1 = (L: number, C: number, F: number, K: number, S: number, padding: 'valid' | 'same'): Conv1dDims => ({ L, C, F, K, S, padding });
const CONV1D_CASES: C1[] = [
  ['L9 C3 F2 k3 s1 valid', c1(9, 3, 2, 3, 1, 'valid')],
  ['L9 C3 F2 k3 s1 same', c1(9, 3, 2, 3, 1, 'same')],
  ['L9 C3 F2 k3 s2 valid', c1(9, 3, 2, 3, 2, 'valid')],
  ['L9 C3 F2 k3 s2 same', c1(9, 3, 2, 3, 2, 'same')],
  ['L8 C2 F3 k2 s1 same (pad_total 1)', c1(8, 2, 3, 2, 1, 'same')],
  ['L12 C2 F2 k7 s2 same', c1(12, 2, 2, 7, 2, 'same')],
  ['L7 C2 F2 k2 s3 valid (stride > kernel)', c1(7, 2, 2, 2, 3, 'valid')],
];
const ACTS = ['tanh', 'elu', 'sigmoid', 'linear'];

describe('conv geometry (Keras / TF conventions)', () => {
  it('forward conv: valid floor((n-k)/s)+1, same ceil(n/s) with floor(pad_total/2) in front', () => {
    expect(convOutLength(5, 3, 1, 'valid')).toBe(3);
    expect(convOutLength(7, 2, 3, 'valid')).toBe(2);
    expect(convOutLength(5, 3, 2, 'same')).toBe(3);
    expect(padBefore(5, 3, 2, 3, 'same')).toBe(1); // pad_total 2
    expect(padBefore(4, 2, 1, 4, 'same')).toBe(0); // pad_total 1: the extra row at the end
    expect(padBefore(6, 3, 2, 3, 'same')).toBe(0); // pad_total 1
    expect(padBefore(5, 5, 2, 3, 'same')).toBe(2); // pad_total 4
    expect(padBefore(5, 3, 1, 3, 'valid')).toBe(0);
    expect(() => convOutLength(2, 3, 1, 'valid')).toThrow(/shorter than kernel/);
    expect(conv2dGeometry(c2(28, 28, 1, 32, 3, 3, 1, 1, 'same'))).toEqual({ OH: 28, OW: 28, padTop: 1, padLeft: 1 });
  });
  it('transposed conv: Keras deconv_output_length; k3 s2 same has pad_total 1, none in front', () => {
    expect(convTransposeOutLength(7, 3, 2, 'same')).toBe(14);
    expect(convTransposeOutLength(5, 3, 2, 'valid')).toBe(11); // (n-1)s + k
    expect(convTransposeOutLength(4, 2, 3, 'valid')).toBe(12); // k < s: n*s + max(k-s, 0)
    expect(conv2dTransposeGeometry(c2(7, 14, 32, 32, 3, 3, 2, 2, 'same'))).toEqual({ OH: 14, OW: 28, padTop: 0, padLeft: 0 });
    expect(conv2dTransposeGeometry(c2(3, 3, 1, 1, 5, 4, 2, 2, 'same'))).toEqual({ OH: 6, OW: 6, padTop: 1, padLeft: 1 }); // pad_total 3, 2
    expect(conv2dTransposeGeometry(c2(3, 3, 1, 1, 3, 3, 1, 1, 'same'))).toEqual({ OH: 3, OW: 3, padTop: 1, padLeft: 1 });
  });
});

describe('conv: hand-computed values', () => {
  it('conv1d same k2: the pad goes after the input', () => {
    expect(Array.from(conv1dForward([1, 2, 3, 4], 1, c1(4, 1, 1, 2, 1, 'same'), [10, 1], [0]).z)).toEqual([12, 23, 34, 40]);
  });
  it('conv1d valid s2 and same s2 (pad_total 2: one zero each side)', () => {
    const K = [1, 10, 100];
    expect(Array.from(conv1dForward([1, 2, 3, 4, 5], 1, c1(5, 1, 1, 3, 2, 'valid'), K, [0]).z)).toEqual([321, 543]);
    expect(Array.from(conv1dForward([1, 2, 3, 4, 5], 1, c1(5, 1, 1, 3, 2, 'same'), K, [0]).z)).toEqual([210, 432, 54]);
  });
  it('conv1dTranspose k3 s2 same: Keras alignment (PyTorch padding=1, output_padding=1 gives [10, 102, 20, 200])', () => {
    expect(Array.from(conv1dTransposeForward([1, 2], 1, c1(2, 1, 1, 3, 2, 'same'), [1, 10, 100], [0]).z)).toEqual([1, 10, 102, 20]);
    // valid keeps every tap: length (n-1)s + k
    expect(Array.from(conv1dTransposeForward([1, 2], 1, c1(2, 1, 1, 3, 2, 'valid'), [1, 10, 100], [0]).z)).toEqual([1, 10, 102, 20, 200]);
  });
  it('kernel layouts: conv [..][C][F], transpose [..][F][C]; bias then activation', () => {
    // one pixel, C = 2, F = 2, 1x1 kernel [1, 2, 3, 4]
    const d = c2(1, 1, 2, 2, 1, 1, 1, 1, 'valid');
    expect(Array.from(conv2dForward([1, 2], 1, d, [1, 2, 3, 4], [0.5, -20], 'relu').z)).toEqual([7.5, -10]);
    expect(Array.from(conv2dForward([1, 2], 1, d, [1, 2, 3, 4], [0.5, -20], 'relu').a)).toEqual([7.5, 0]);
    expect(Array.from(conv2dTransposeForward([1, 2], 1, d, [1, 2, 3, 4], [0, 0]).z)).toEqual([5, 11]);
  });
  it('2-D same padding equals valid on an explicitly zero-padded input (floor half top/left)', () => {
    const r = rng(11);
    for (const [, d] of CONV2D_CASES.filter(([, d]) => d.padding === 'same')) {
      const B = 2, g = conv2dGeometry(d);
      const pH = Math.max((g.OH - 1) * d.SH + d.KH - d.H, 0), pW = Math.max((g.OW - 1) * d.SW + d.KW - d.W, 0);
      const PH = d.H + pH, PW = d.W + pW;
      const x = randArray(r, B * d.H * d.W * d.C, -1, 1), K = randArray(r, d.KH * d.KW * d.C * d.F, -1, 1), b = randArray(r, d.F, -1, 1);
      const xp = new Float64Array(B * PH * PW * d.C);
      for (let n = 0; n < B; n++) for (let h = 0; h < d.H; h++) for (let w = 0; w < d.W; w++) for (let c = 0; c < d.C; c++) {
        xp[((n * PH + h + Math.floor(pH / 2)) * PW + w + Math.floor(pW / 2)) * d.C + c] = x[((n * d.H + h) * d.W + w) * d.C + c]!;
      }
      const same = conv2dForward(x, B, d, K, b).z;
      const valid = conv2dForward(xp, B, { ...d, H: PH, W: PW, padding: 'valid' }, K, b).z;
      expectClose(same, valid, 1e-13);
    }
  });
  it('stride s = every s-th output of stride 1 (valid)', () => {
    const r = rng(12);
    const d = c2(7, 8, 2, 3, 3, 2, 2, 3, 'valid'), B = 2;
    const x = randArray(r, B * 7 * 8 * 2, -1, 1), K = randArray(r, 3 * 2 * 2 * 3, -1, 1), b = randArray(r, 3, -1, 1);
    const s = conv2dForward(x, B, d, K, b).z, g = conv2dGeometry(d);
    const full = conv2dForward(x, B, { ...d, SH: 1, SW: 1 }, K, b).z, fg = conv2dGeometry({ ...d, SH: 1, SW: 1 });
    for (let n = 0; n < B; n++) for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) for (let f = 0; f < 3; f++) {
      expect(s[((n * g.OH + oh) * g.OW + ow) * 3 + f]).toBe(full[((n * fg.OH + oh * 2) * fg.OW + ow * 3) * 3 + f]);
    }
  });
  it.each(CONV1D_CASES)('conv1d %s equals the direct 1-D sum', (_, d) => {
    const r = rng(13), B = 2;
    const x = randArray(r, B * d.L * d.C, -1, 1), K = randArray(r, d.K * d.C * d.F, -1, 1), b = randArray(r, d.F, -1, 1);
    const OL = convOutLength(d.L, d.K, d.S, d.padding), pad = padBefore(d.L, d.K, d.S, OL, d.padding);
    const want = new Float64Array(B * OL * d.F);
    for (let n = 0; n < B; n++) for (let o = 0; o < OL; o++) for (let f = 0; f < d.F; f++) {
      let s = b[f]!;
      for (let k = 0; k < d.K; k++) {
        const i = o * d.S + k - pad;
        if (i >= 0 && i < d.L) for (let c = 0; c < d.C; c++) s += x[(n * d.L + i) * d.C + c]! * K[(k * d.C + c) * d.F + f]!;
      }
      want[(n * OL + o) * d.F + f] = s;
    }
    expectClose(conv1dForward(x, B, d, K, b).z, want, 1e-13);
  });
});

describe('conv: gradients match central differences (B = 2, L = sum(a ⊙ R))', () => {
  const B = 2;
  function check(
    seed: number, xLen: number, kLen: number, F: number, act: string,
    fwd: (x: Float64Array, K: Float64Array, b: Float64Array) => { a: Float64Array },
    bwd: (x: Float64Array, K: Float64Array, a: Float64Array, R: Float64Array) => { dX: Float64Array; dW: Float64Array; db: Float64Array },
  ): void {
    const r = rng(seed);
    const x = randArray(r, xLen, -1, 1), K = randArray(r, kLen, -0.7, 0.7), b = randArray(r, F, -0.3, 0.3);
    const a = fwd(x, K, b).a, R = randArray(r, a.length, -1, 1);
    const L = (): number => dot(fwd(x, K, b).a, R);
    const g = bwd(x, K, a, R);
    expectGradOk(g.dX, fdGrad(L, x), 'dX');
    expectGradOk(g.dW, fdGrad(L, K), 'dW');
    expectGradOk(g.db, fdGrad(L, b), 'db');
    expect(nonZero(g.dX)).toBeGreaterThan(0);
  }
  it.each(CONV2D_CASES.map(([n, d], i) => [n, d, ACTS[i % ACTS.length]!] as const))('conv2d %s (%s)', (_, d, act) => {
    const { OH, OW } = conv2dGeometry(d);
    expect(conv2dForward(new Float64Array(B * d.H * d.W * d.C), B, d, new Float64Array(d.KH * d.KW * d.C * d.F), new Float64Array(d.F)).a.length).toBe(B * OH * OW * d.F);
    check(21 + d.H * d.W + d.KH, B * d.H * d.W * d.C, d.KH * d.KW * d.C * d.F, d.F, act,
      (x, K, b) => conv2dForward(x, B, d, K, b, act), (x, K, a, R) => conv2dBackward(x, B, d, K, a, R, act));
  });
  it.each(CONV2D_CASES.map(([n, d], i) => [n, d, ACTS[(i + 1) % ACTS.length]!] as const))('conv2dTranspose %s (%s)', (_, d, act) => {
    const { OH, OW } = conv2dTransposeGeometry(d);
    expect(conv2dTransposeForward(new Float64Array(B * d.H * d.W * d.C), B, d, new Float64Array(d.KH * d.KW * d.C * d.F), new Float64Array(d.F)).a.length).toBe(B * OH * OW * d.F);
    check(31 + d.H * d.W + d.KH, B * d.H * d.W * d.C, d.KH * d.KW * d.F * d.C, d.F, act,
      (x, K, b) => conv2dTransposeForward(x, B, d, K, b, act), (x, K, a, R) => conv2dTransposeBackward(x, B, d, K, a, R, act));
  });
  it.each(CONV1D_CASES.map(([n, d], i) => [n, d, ACTS[i % ACTS.length]!] as const))('conv1d %s (%s)', (_, d, act) => {
    check(41 + d.L + d.K, B * d.L * d.C, d.K * d.C * d.F, d.F, act,
      (x, K, b) => conv1dForward(x, B, d, K, b, act), (x, K, a, R) => conv1dBackward(x, B, d, K, a, R, act));
  });
  it.each(CONV1D_CASES.map(([n, d], i) => [n, d, ACTS[(i + 2) % ACTS.length]!] as const))('conv1dTranspose %s (%s)', (_, d, act) => {
    check(51 + d.L + d.K, B * d.L * d.C, d.K * d.F * d.C, d.F, act,
      (x, K, b) => conv1dTransposeForward(x, B, d, K, b, act), (x, K, a, R) => conv1dTransposeBackward(x, B, d, K, a, R, act));
  });
});

describe('conv2dTranspose is the adjoint of conv2d', () => {
  // transpose dims d: [H, W, C] -> [OH, OW, F] with K [KH][KW][F][C]; the same K is a conv2d kernel
  // [KH][KW][C'=F][F'=C] for the forward conv [OH, OW, F] -> [H, W, C] with the same strides/padding
  it.each(CONV2D_CASES)('%s: <conv2d(y), x> = <y, conv2dT(x)>, and each op is the other\'s input gradient', (_, d) => {
    const r = rng(61 + d.H * d.W), B = 2;
    const g = conv2dTransposeGeometry(d);
    const dc: Conv2dDims = { ...d, H: g.OH, W: g.OW, C: d.F, F: d.C };
    const gc = conv2dGeometry(dc);
    expect([gc.OH, gc.OW, gc.padTop, gc.padLeft]).toEqual([d.H, d.W, g.padTop, g.padLeft]);
    const K = randArray(r, d.KH * d.KW * d.F * d.C, -1, 1);
    const x = randArray(r, B * d.H * d.W * d.C, -1, 1), y = randArray(r, B * g.OH * g.OW * d.F, -1, 1);
    const convY = conv2dForward(y, B, dc, K, new Float64Array(d.C)).z;
    const transX = conv2dTransposeForward(x, B, d, K, new Float64Array(d.F)).z;
    const lhs = dot(convY, x), rhs = dot(y, transX);
    expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(lhs)) * 100);
    expectClose(conv2dBackwardFromDZ(y, B, dc, K, x).dX, transX, 1e-12);
    expectClose(conv2dTransposeBackwardFromDZ(x, B, d, K, y).dX, convY, 1e-12);
  });
});

// ---- pooling, upsampling, dropout, reshape ---------------------------------------------------
describe('maxPool', () => {
  it('hand-computed 1-D: valid and same (pad at the end), first max wins ties', () => {
    expect(Array.from(maxPool1dForward([1, 3, 2, 5, 4], 1, { L: 5, C: 1, P: 2, S: 2, padding: 'valid' }).y)).toEqual([3, 5]);
    expect(Array.from(maxPool1dForward([1, 3, 2, 5, 4], 1, { L: 5, C: 1, P: 2, S: 2, padding: 'same' }).y)).toEqual([3, 5, 4]);
    expect(Array.from(maxPool1dForward([-3, -1, -2], 1, { L: 3, C: 1, P: 2, S: 2, padding: 'same' }).y)).toEqual([-1, -2]); // -inf padding
    expect(Array.from(maxPool1dBackward([2, 2, 1, 7], 1, { L: 4, C: 1, P: 2, S: 2, padding: 'valid' }, [1, 1]).dX)).toEqual([1, 0, 0, 1]);
    // overlapping windows (pool 3, stride 1): the shared max collects both gradients
    expect(Array.from(maxPool1dBackward([0, 9, 1, 2], 1, { L: 4, C: 1, P: 3, S: 1, padding: 'valid' }, [1, 10]).dX)).toEqual([0, 11, 0, 0]);
  });
  it('hand-computed 2-D, channels kept apart', () => {
    // 2x2x2: channel 0 = [1, 4, 3, 2], channel 1 = [8, 5, 6, 7]
    const x = [1, 8, 4, 5, 3, 6, 2, 7];
    const d: Pool2dDims = { H: 2, W: 2, C: 2, PH: 2, PW: 2, SH: 2, SW: 2, padding: 'valid' };
    expect(Array.from(maxPool2dForward(x, 1, d).y)).toEqual([4, 8]);
    expect(Array.from(maxPool2dBackward(x, 1, d, [10, 20]).dX)).toEqual([0, 20, 10, 0, 0, 0, 0, 0]);
  });
  const cases: Array<[string, Pool2dDims]> = [
    ['5x7x3 pool 2 valid', { H: 5, W: 7, C: 3, PH: 2, PW: 2, SH: 2, SW: 2, padding: 'valid' }],
    ['5x7x3 pool 2 same', { H: 5, W: 7, C: 3, PH: 2, PW: 2, SH: 2, SW: 2, padding: 'same' }],
    ['5x7x2 pool 3 stride 2 same', { H: 5, W: 7, C: 2, PH: 3, PW: 3, SH: 2, SW: 2, padding: 'same' }],
    ['6x6x2 pool 3 stride 1 valid (overlapping)', { H: 6, W: 6, C: 2, PH: 3, PW: 3, SH: 1, SW: 1, padding: 'valid' }],
    ['1-D L9 C3 pool 2 valid', { H: 1, W: 9, C: 3, PH: 1, PW: 2, SH: 1, SW: 2, padding: 'valid' }],
    ['1-D L9 C3 pool 3 stride 2 same', { H: 1, W: 9, C: 3, PH: 1, PW: 3, SH: 1, SW: 2, padding: 'same' }],
  ];
  it.each(cases)('%s: dX matches central differences (no ties)', (_, d) => {
    const r = rng(71 + d.W * d.PH), B = 2;
    const x = distinctArray(r, B * d.H * d.W * d.C);
    const { OH, OW } = maxPool2dGeometry(d);
    const R = randArray(r, B * OH * OW * d.C, -1, 1);
    const is1d = d.H === 1;
    const p1 = { L: d.W, C: d.C, P: d.PW, S: d.SW, padding: d.padding };
    const fwd = (): Float64Array => (is1d ? maxPool1dForward(x, B, p1).y : maxPool2dForward(x, B, d).y);
    expect(fwd().length).toBe(R.length);
    const dX = is1d ? maxPool1dBackward(x, B, p1, R).dX : maxPool2dBackward(x, B, d, R).dX;
    expectGradOk(dX, fdGrad(() => dot(fwd(), R), x), 'dX');
  });
});

describe('upSampling', () => {
  it('hand-computed: nearest repeats; backward sums each block', () => {
    expect(Array.from(upSampling1dForward([1, 2], 1, { L: 2, C: 1, S: 3 }).y)).toEqual([1, 1, 1, 2, 2, 2]);
    expect(Array.from(upSampling1dBackward([1, 2, 3, 4, 5, 6], 1, { L: 2, C: 1, S: 3 }).dX)).toEqual([6, 15]);
    // 1x2x2 -> size [2, 1] -> 2x2x2
    expect(Array.from(upSampling2dForward([1, 2, 3, 4], 1, { H: 1, W: 2, C: 2, SH: 2, SW: 1 }).y)).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
  });
  it.each([[3, 4, 2, 2, 3], [1, 5, 3, 1, 2]])('H%i W%i C%i size [%i, %i]: dX matches central differences', (H, W, C, SH, SW) => {
    const r = rng(81 + H * W), B = 2, d = { H, W, C, SH, SW };
    const x = randArray(r, B * H * W * C, -1, 1), R = randArray(r, B * H * SH * W * SW * C, -1, 1);
    expectGradOk(upSampling2dBackward(R, B, d).dX, fdGrad(() => dot(upSampling2dForward(x, B, d).y, R), x), 'dX');
  });
});

describe('dropout, flatten, reshape', () => {
  it('dropout: Keras inverted mask, identity at inference, backward = mask ⊙ dY', () => {
    const m = dropoutMask(0.2, [0.1, 0.5, 0.19999, 0.2]);
    expect(Array.from(m)).toEqual([0, 1.25, 0, 1.25]);
    expect(Array.from(dropoutForward([1, 2, 3, 4], m, true).y)).toEqual([0, 2.5, 0, 5]);
    expect(Array.from(dropoutForward([1, 2, 3, 4], m, false).y)).toEqual([1, 2, 3, 4]);
    expect(Array.from(dropoutBackward([1, 1, 1, 1], m, true).dX)).toEqual([0, 1.25, 0, 1.25]);
    expect(() => dropoutForward([1], undefined, true)).toThrow(/mask/);
    const r = rng(91), x = randArray(r, 12, -1, 1), mask = dropoutMask(0.5, randArray(r, 12, 0, 1)), R = randArray(r, 12, -1, 1);
    expectGradOk(dropoutBackward(R, mask, true).dX, fdGrad(() => dot(dropoutForward(x, mask, true).y, R), x), 'dX');
  });
  it('flatten / reshape: identity on row-major memory; -1 resolved', () => {
    expect(Array.from(flattenForward([1, 2, 3]).y)).toEqual([1, 2, 3]);
    expect(Array.from(flattenBackward([4, 5]).dX)).toEqual([4, 5]);
    expect(reshapeShape([7, 7, 32], [-1])).toEqual([1568]);
    expect(reshapeShape([1568], [7, -1, 32])).toEqual([7, 7, 32]);
    expect(() => reshapeShape([10], [3, -1])).toThrow(/cannot reshape/);
    expect(() => reshapeShape([10], [-1, -1])).toThrow(/at most one/);
    expect(outSize({ type: 'flatten' }, [3, 4, 5])).toEqual([60]);
  });
});

// ---- batch normalization ---------------------------------------------------------------------
describe('batchNorm (axis -1)', () => {
  const R = 18, C = 4; // B 3 x [2, 3] positions x 4 channels
  function setup(seed: number) {
    const r = rng(seed);
    return {
      x: randArray(r, R * C, -2, 3), gamma: randArray(r, C, 0.5, 1.5), beta: randArray(r, C, -0.5, 0.5),
      movingMean: randArray(r, C, -0.2, 0.2), movingVar: randArray(r, C, 0.5, 1.5), Rw: randArray(r, R * C, -1, 1),
    };
  }
  it('training: per-channel batch statistics (biased var), moving averages with momentum', () => {
    const s = setup(101);
    const f = batchNormForward(s.x, R, C, s, true, 0.9, 1e-3);
    for (let c = 0; c < C; c++) {
      let m = 0, v = 0;
      for (let r = 0; r < R; r++) m += s.x[r * C + c]!;
      m /= R;
      for (let r = 0; r < R; r++) v += (s.x[r * C + c]! - m) ** 2;
      v /= R;
      expect(f.movingMean[c]).toBeCloseTo(s.movingMean[c]! * 0.9 + m * 0.1, 14);
      expect(f.movingVar[c]).toBeCloseTo(s.movingVar[c]! * 0.9 + v * 0.1, 14);
      // output: mean beta, variance gamma^2 var/(var+eps)
      let ym = 0, yv = 0;
      for (let r = 0; r < R; r++) ym += f.y[r * C + c]!;
      ym /= R;
      for (let r = 0; r < R; r++) yv += (f.y[r * C + c]! - ym) ** 2;
      expect(ym).toBeCloseTo(s.beta[c]!, 13);
      expect(yv / R).toBeCloseTo((s.gamma[c]! ** 2 * v) / (v + 1e-3), 12);
    }
  });
  it('inference: the moving statistics, unchanged', () => {
    const f = batchNormForward([1, 2], 1, 2, { gamma: [2, 1], beta: [0, 1], movingMean: [0, 1], movingVar: [0.999, 3.999] }, false);
    expect(Array.from(f.y)).toEqual([2, 1.5]);
    expect(Array.from(f.movingMean)).toEqual([0, 1]);
  });
  it.each([[true], [false]])('training=%s: dX, dGamma, dBeta match central differences', (training) => {
    const s = setup(training ? 102 : 103);
    const L = (): number => dot(batchNormForward(s.x, R, C, s, training).y, s.Rw);
    const f = batchNormForward(s.x, R, C, s, training);
    const g = batchNormBackward(s.Rw, R, C, s.gamma, f.cache, training);
    expectGradOk(g.dX, fdGrad(L, s.x), 'dX');
    expectGradOk(g.dGamma, fdGrad(L, s.gamma), 'dGamma');
    expectGradOk(g.dBeta, fdGrad(L, s.beta), 'dBeta');
  });
});

// ---- graphs -------------------------------------------------------------------------------------
/** Random weights for a layer list (batchNorm: gamma ~1, moving var > 0). */
function initParams(r: ReturnType<typeof rng>, layers: RefLayer[], inputShape: number[]): Float64Array[] {
  const out: Float64Array[] = [];
  let s = inputShape;
  for (const l of layers) {
    const shapes = graphShapes([l], s).params;
    if (l.type === 'batchNorm') out.push(randArray(r, shapes[0]![0]!, 0.7, 1.3), randArray(r, shapes[0]![0]!, -0.3, 0.3), randArray(r, shapes[0]![0]!, -0.3, 0.3), randArray(r, shapes[0]![0]!, 0.5, 1.5));
    else for (const sh of shapes) out.push(randArray(r, sh.reduce((p, v) => p * v, 1), -0.6, 0.6));
    s = outSize(l, s);
  }
  return out;
}
/** No relu/leakyRelu pre-activation within 1e-4 of its kink. */
function expectNoKinks(layers: RefLayer[], zs: Float64Array[]): void {
  layers.forEach((l, i) => {
    if ('activation' in l && (l.activation === 'relu' || l.activation === 'leakyRelu')) {
      for (const v of zs[i]!) expect(Math.abs(v)).toBeGreaterThan(1e-4);
    }
  });
}
function checkGraph(
  layers: RefLayer[], inputShape: number[], B: number, loss: string, training: boolean, seed: number,
  masks?: (Float64Array | undefined)[],
): void {
  const r = rng(seed);
  const params = initParams(r, layers, inputShape);
  const x = randArray(r, B * inputShape.reduce((p, v) => p * v, 1), -1, 1);
  const fwd = graphForward(layers, params, x, B, inputShape, training, masks);
  const out = fwd.outs[fwd.outs.length - 1]!;
  const target = randArray(r, out.length, loss === 'bce' ? 0 : -1, 1);
  expectNoKinks(layers, fwd.zs);
  const res = graphLossAndGrads(layers, params, x, target, B, inputShape, loss, training, masks);
  expect(res.loss).toBeCloseTo(lossValue(loss, out, target), 14);
  const f = (): number => lossValue(loss, graphForward(layers, params, x, B, inputShape, training, masks).outs[layers.length - 1]!, target);
  expect(res.grads.length).toBe(params.length);
  // batchNorm moving statistics are not trainable: gradient all zero (in inference mode the loss
  // does depend on them, so finite differences would not be zero there)
  const frozen = new Set<number>();
  let k0 = 0, s: number[] = inputShape;
  for (const l of layers) {
    if (l.type === 'batchNorm') frozen.add(k0 + 2).add(k0 + 3);
    k0 += graphShapes([l], s).params.length;
    s = outSize(l, s);
  }
  params.forEach((p, k) => {
    if (frozen.has(k)) expect(nonZero(res.grads[k]!), `params[${k}] (moving statistic)`).toBe(0);
    else expectGradOk(res.grads[k]!, fdGrad(f, p), `params[${k}]`);
  });
  expectGradOk(res.dX, fdGrad(f, x), 'dX');
  const trainable = res.grads.reduce((n, g) => n + nonZero(g), 0);
  expect(trainable).toBeGreaterThan(params.reduce((n, p) => n + p.length, 0) / 3);
}

describe('layer graphs: graphLossAndGrads matches central differences', () => {
  it('dense on a 2-axis input acts on the last axis (rows = B x 5)', () => {
    const layers: RefLayer[] = [{ type: 'dense', units: 4, activation: 'tanh' }];
    expect(outSize(layers[0]!, [5, 3])).toEqual([5, 4]);
    expect(graphShapes(layers, [5, 3]).params).toEqual([[3, 4], [4]]);
    const r = rng(111), B = 2;
    const x = randArray(r, B * 15, -1, 1), W = randArray(r, 12, -1, 1), b = randArray(r, 4, -1, 1);
    expectClose(graphForward(layers, [W, b], x, B, [5, 3], false).outs[0]!, denseForward(x, B * 5, 3, 4, W, b, 'tanh').a, 0);
    checkGraph(layers, [5, 3], B, 'mse', true, 112);
  });
  it('conv2d relu -> maxPool2d -> conv2dTranspose s2 same relu -> conv2d sigmoid, bce (fused)', () => {
    const layers: RefLayer[] = [
      { type: 'conv2d', filters: 3, kernel: 3, padding: 'same', activation: 'relu' },
      { type: 'maxPool2d', pool: 2 },
      { type: 'conv2dTranspose', filters: 3, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
      { type: 'conv2d', filters: 2, kernel: 3, padding: 'same', activation: 'sigmoid' },
    ];
    expect(graphShapes(layers, [6, 6, 2]).shapes).toEqual([[6, 6, 3], [3, 3, 3], [6, 6, 3], [6, 6, 2]]);
    checkGraph(layers, [6, 6, 2], 2, 'bce', true, 113);
  });
  it('1-D: conv1d -> batchNorm (training) -> dropout (mask) -> maxPool1d -> upSampling1d -> conv1dTranspose -> flatten -> dense -> reshape -> conv1d, mse', () => {
    const layers: RefLayer[] = [
      { type: 'conv1d', filters: 4, kernel: 3, padding: 'same', activation: 'elu' },
      { type: 'batchNorm' },
      { type: 'dropout', rate: 0.25 },
      { type: 'maxPool1d', pool: 2 },
      { type: 'upSampling1d', size: 2 },
      { type: 'conv1dTranspose', filters: 3, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' },
      { type: 'flatten' },
      { type: 'dense', units: 12, activation: 'tanh' },
      { type: 'reshape', shape: [6, -1] },
      { type: 'conv1d', filters: 2, kernel: 2, activation: 'linear' },
    ];
    const B = 3;
    expect(graphShapes(layers, [8, 2]).shapes).toEqual([[8, 4], [8, 4], [8, 4], [4, 4], [8, 4], [16, 3], [48], [12], [6, 2], [5, 2]]);
    const masks: (Float64Array | undefined)[] = [];
    masks[2] = dropoutMask(0.25, randArray(rng(114), B * 32, 0, 1));
    expect(nonZero(masks[2])).toBeLessThan(B * 32);
    checkGraph(layers, [8, 2], B, 'mse', true, 115, masks);
    // the same forward updates batchNorm's moving statistics as batchNormForward does
    const r = rng(116), params = initParams(r, layers, [8, 2]), x = randArray(r, B * 16, -1, 1);
    const fwd = graphForward(layers, params, x, B, [8, 2], true, masks);
    const bn = batchNormForward(fwd.outs[0]!, B * 8, 4, { gamma: params[2]!, beta: params[3]!, movingMean: params[4]!, movingVar: params[5]! }, true);
    expect(Array.from(fwd.paramsAfter[4]!)).toEqual(Array.from(bn.movingMean));
    expect(Array.from(fwd.paramsAfter[5]!)).toEqual(Array.from(bn.movingVar));
    expect(fwd.paramsAfter[0]).toBe(params[0]);
    expect(() => graphForward(layers, params, x, B, [8, 2], true)).toThrow(/mask/);
  });
  it('2-D inference mode: conv2d leakyRelu -> batchNorm -> dropout (identity) -> upSampling2d -> maxPool2d same -> conv2dTranspose valid, mae', () => {
    const layers: RefLayer[] = [
      { type: 'conv2d', filters: 3, kernel: [2, 3], strides: [1, 2], padding: 'same', activation: 'leakyRelu' },
      { type: 'batchNorm', momentum: 0.9, epsilon: 1e-2 },
      { type: 'dropout', rate: 0.5 },
      { type: 'upSampling2d', size: [2, 1] },
      { type: 'maxPool2d', pool: 2, strides: 1, padding: 'same' },
      { type: 'conv2dTranspose', filters: 2, kernel: [3, 2], strides: [1, 2], padding: 'valid' },
    ];
    expect(graphShapes(layers, [3, 6, 2]).shapes).toEqual([[3, 3, 3], [3, 3, 3], [3, 3, 3], [6, 3, 3], [6, 3, 3], [8, 6, 2]]);
    checkGraph(layers, [3, 6, 2], 2, 'mae', false, 117);
  });
});

// ---- Keras example models ------------------------------------------------------------------------
const MNIST_DAE: RefLayer[] = [
  { type: 'conv2d', filters: 32, kernel: 3, padding: 'same', activation: 'relu' },
  { type: 'maxPool2d', pool: 2, padding: 'same' },
  { type: 'conv2d', filters: 32, kernel: 3, padding: 'same', activation: 'relu' },
  { type: 'maxPool2d', pool: 2, padding: 'same' },
  { type: 'conv2dTranspose', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
  { type: 'conv2dTranspose', filters: 32, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
  { type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' },
];
const TIMESERIES_AE: RefLayer[] = [
  { type: 'conv1d', filters: 32, kernel: 7, strides: 2, padding: 'same', activation: 'relu' },
  { type: 'dropout', rate: 0.2 },
  { type: 'conv1d', filters: 16, kernel: 7, strides: 2, padding: 'same', activation: 'relu' },
  { type: 'conv1dTranspose', filters: 16, kernel: 7, strides: 2, padding: 'same', activation: 'relu' },
  { type: 'dropout', rate: 0.2 },
  { type: 'conv1dTranspose', filters: 32, kernel: 7, strides: 2, padding: 'same', activation: 'relu' },
  { type: 'conv1dTranspose', filters: 1, kernel: 7, padding: 'same' },
];

describe('Keras example models: shapes and parameter counts', () => {
  it('MNIST denoising autoencoder: 28,353 params, [28, 28, 1] out', () => {
    const { shapes, params, count } = graphShapes(MNIST_DAE, [28, 28, 1]);
    expect(shapes).toEqual([[28, 28, 32], [14, 14, 32], [14, 14, 32], [7, 7, 32], [14, 14, 32], [28, 28, 32], [28, 28, 1]]);
    expect(count).toBe(28353);
    expect(params).toEqual([[3, 3, 1, 32], [32], [3, 3, 32, 32], [32], [3, 3, 32, 32], [32], [3, 3, 32, 32], [32], [3, 3, 32, 1], [1]]);
  });
  it('time-series autoencoder: 9,505 params, [288, 1] out; forward runs in both modes', () => {
    const { shapes, params, count } = graphShapes(TIMESERIES_AE, [288, 1]);
    expect(shapes).toEqual([[144, 32], [144, 32], [72, 16], [144, 16], [144, 16], [288, 32], [288, 1]]);
    expect(count).toBe(9505);
    expect(params).toEqual([[7, 1, 32], [32], [7, 32, 16], [16], [7, 16, 16], [16], [7, 32, 16], [32], [7, 1, 32], [1]]);
    const r = rng(121), w = initParams(r, TIMESERIES_AE, [288, 1]), x = randArray(r, 288, 0, 1);
    expect(graphForward(TIMESERIES_AE, w, x, 1, [288, 1], false).outs[6]!.length).toBe(288);
    const masks: Float64Array[] = [];
    masks[1] = dropoutMask(0.2, randArray(r, 144 * 32, 0, 1));
    masks[4] = dropoutMask(0.2, randArray(r, 144 * 16, 0, 1));
    expect(graphForward(TIMESERIES_AE, w, x, 1, [288, 1], true, masks).outs[6]!.length).toBe(288);
  });
});

// ---- the shared convdae weights --------------------------------------------------------------------
const MODELS = new URL('../../shared/bench/models/', import.meta.url).pathname;
const HAVE_CONVDAE = haveShared('tests/ref-conv.test.ts, convdae in Keras layout', 'bench/models/convdae.weights.json', 'bench/models/convdae.weights.bin');

describe('convdae (../shared/bench/models) in Keras layout', () => {
  it.skipIf(!HAVE_CONVDAE)(`graphForward reproduces output_keras_alignment to 1e-5${HAVE_CONVDAE ? '' : ' [skipped: ../shared/bench/models/convdae.weights.* absent]'}`, () => {
    const meta = JSON.parse(readFileSync(`${MODELS}convdae.weights.json`, 'utf8')) as {
      params: Array<{ kind: string; shape: number[]; offset: number }>; n_floats: number;
      reference: { input_shape_nchw: number[]; input: number[]; output: number[]; output_keras_alignment: number[] };
    };
    const bin = readFileSync(`${MODELS}convdae.weights.bin`);
    expect(bin.length).toBe(meta.n_floats * 4);
    const dv = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
    const { params: shapes, count } = graphShapes(MNIST_DAE, [28, 28, 1]);
    expect(meta.n_floats).toBe(count);
    expect(meta.params.map((p) => p.shape)).toEqual(shapes);
    expect(meta.params.map((p) => p.kind)).toEqual(['conv_kernel', 'bias', 'conv_kernel', 'bias', 'convT_kernel', 'bias', 'convT_kernel', 'bias', 'conv_kernel', 'bias']);
    const params = meta.params.map((p) => Float64Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, (_, i) => dv.getFloat32((p.offset + i) * 4, true)));
    // NCHW with one channel is the same memory as NHWC
    const [B, C, H, W] = meta.reference.input_shape_nchw as [number, number, number, number];
    expect([C, H, W]).toEqual([1, 28, 28]);
    const out = graphForward(MNIST_DAE, params, meta.reference.input, B, [28, 28, 1], false).outs[MNIST_DAE.length - 1]!;
    const err = (ref: number[]): number => { let m = 0; for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(out[i]! - ref[i]!)); return m; };
    const keras = err(meta.reference.output_keras_alignment), torch = err(meta.reference.output);
    console.info(`convdae: max |float64 ref - output_keras_alignment| = ${keras.toExponential(3)}; vs PyTorch-aligned output = ${torch.toExponential(3)}`);
    expect(out.length).toBe(meta.reference.output_keras_alignment.length);
    expect(keras).toBeLessThanOrEqual(1e-5);
    expect(torch).toBeGreaterThan(1e-4); // the one-pixel alignment difference is visible
    expect(mag(out)).toBeLessThan(1);
  });
});
