// The wasm kernels one by one, through their raw exports, against independent oracles:
// the float64 reference in tests/ref (activations, losses, quantile, normalizers), a float64
// matrix product, node:zlib's CRC-32 and the CRC-32 check value, and plain JS comparisons.
// Where the module promises identical bits (SIMD tiles vs the scalar GEMM, SIMD lanes vs the
// scalar tail of an elementwise kernel) bits are compared; elsewhere every tolerance is stated
// with its reason. Sizes hit every tail: f32x4 lanes and the GEMM's 4-row x 8/4/1-column tiles.

import { crc32 as zlibCrc32 } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { Autoencoder } from 'autoencoder';
import { PURPOSE, Stream } from './ref/rng.js';
import type { TestKernel as Kernel } from './helpers.js';
import { ACT_IDS, LOSS_IDS, NORM_IDS } from '../bindings/wasm.js';
import {
  actBackwardFromOutput, actForward, applyMinMax, applyStandard, bceSigmoidGradZ, fitMinMax, fitStandard,
  invertMinMax, invertStandard, lossGrad, netForward, quantile, rowScores,
} from './ref/index.js';
import {
  MIN_NORMAL32, Rng, TAIL_SIZES, U32, actsOf, bits32, expectSameBits, expectWithin, gamma, getF32, kernelOf, loadKernel,
  putF32, refNet, ulp32, widthsOf, withIO,
} from './helpers.js';

const ACTS = Object.keys(ACT_IDS) as (keyof typeof ACT_IDS)[];
const LOSSES = Object.keys(LOSS_IDS) as (keyof typeof LOSS_IDS)[];

let k: Kernel;
beforeAll(async () => { k = await loadKernel(); });

// ---- GEMM ------------------------------------------------------------------------------------
describe('ae_gemm (packed 6x8 and 4x8 tiles, 4x4, 1x16 / 1x8 / 1x4 / 1x1 row and column tails)', () => {
  const MODES = [[0, 'zero-init'], [1, 'bias-init'], [2, 'accumulate into C']] as const;
  const KS = [1, 3, 4, 8, 17, 31];
  const SENTINEL = -1234.5; // written into C's row padding; no kernel may touch it

  /** Runs one product through ae_gemm and ae_gemm_scalar and checks both. */
  function checkGemm(M: number, N: number, K: number, mode: number, transposedA: boolean, r: Rng, colStride = 1): void {
    withIO(k, () => {
      // A(m,k): normal layout A[M][lda] (row stride lda > K: strided rows), or transposed as X^T for
      // dW = X^T.dY: X stored [K][M] and read with sam = 1, sak = M, exactly as net_backward does.
      // colStride > 1 (normal layout only): A(m,k) at m * lda + k * colStride, neither stride 1.
      const lda = K * colStride + 3;
      const aData = r.f32(transposedA ? K * M : M * lda, -1, 1);
      const sam = transposedA ? 1 : lda, sak = transposedA ? M : colStride;
      const ldb = N + 5, ldc = N + 2;
      const bData = r.f32(K * ldb, -1, 1);
      const bias = r.f32(N, -1, 1);
      const c0 = r.f32(M * ldc, -1, 1);
      for (let m = 0; m < M; m++) for (let j = N; j < ldc; j++) c0[m * ldc + j] = SENTINEL;
      const pa = putF32(k, aData), pb = putF32(k, bData), pbias = putF32(k, bias);
      const pc = putF32(k, c0), pcs = putF32(k, c0);
      k.x.ae_gemm(M, N, K, pa, sam, sak, pb, ldb, pc, ldc, pbias, mode, 0);
      k.x.ae_gemm_scalar(M, N, K, pa, sam, sak, pb, ldb, pcs, ldc, pbias, mode, 0);
      const simd = getF32(k, pc, M * ldc), scalar = getF32(k, pcs, M * ldc);
      const what = `M=${M} N=${N} K=${K} mode=${mode}${transposedA ? ' A^T' : ''}`;
      // same init, then k = 0..K-1 in order, separate mul and add in both: the bits must match
      expectSameBits(simd, scalar, `${what}: SIMD vs scalar`);
      // float64 oracle; recursive summation of K products onto the init value has relative
      // error at most gamma_{K+1} (Higham, Thm 3.1, no FMA) of the sum of |terms|
      const ref = new Float64Array(M * ldc), mag = new Float64Array(M * ldc);
      for (let m = 0; m < M; m++) {
        for (let j = 0; j < ldc; j++) {
          const i = m * ldc + j;
          if (j >= N) { ref[i] = SENTINEL; continue; }
          let s = mode === 1 ? bias[j]! : mode === 2 ? c0[i]! : 0;
          let a = Math.abs(s);
          for (let kk = 0; kk < K; kk++) {
            const t = aData[m * sam + kk * sak]! * bData[kk * ldb + j]!;
            s += t; a += Math.abs(t);
          }
          ref[i] = s; mag[i] = a;
        }
      }
      expectWithin(simd, ref, (i) => gamma(K + 1) * mag[i]!, `${what}: vs float64 product`);
    });
  }

  it.each(MODES)('mode %i (%s): every M, N in the tail sizes, K in [1..31], normal and transposed A', (mode) => {
    const r = new Rng(1000 + mode);
    for (const M of TAIL_SIZES) for (const N of TAIL_SIZES) for (const K of KS) {
      checkGemm(M, N, K, mode, false, r);
      checkGemm(M, N, K, mode, true, r);
    }
  });

  it('larger shapes: many full tiles plus every tail at once (67 x 100 x 300, 256 x 64 x 33)', () => {
    const r = new Rng(77);
    for (const mode of [0, 1, 2]) {
      checkGemm(67, 100, 300, mode, false, r);
      checkGemm(67, 100, 300, mode, true, r);
      checkGemm(256, 64, 33, mode, true, r);
    }
  });

  it('A read by fours side by side (given transposed, in place): K past one 256-deep block (259), every K remainder, the 6- and 1-row tails after the 4-row tiles; row-major A with strides neither 1 beside it', () => {
    const r = new Rng(79);
    for (const mode of [0, 1, 2]) {
      for (const [M, N, K] of [[300, 40, 259], [263, 40, 5], [129, 48, 33], [10, 100, 7], [9, 40, 1], [300, 32, 259], [132, 8, 20], [256, 12, 64]] as const) {
        checkGemm(M, N, K, mode, false, r);
        checkGemm(M, N, K, mode, true, r);
      }
      checkGemm(140, 40, 37, mode, false, r, 2);
    }
  });

  it('single and few rows over wide C (the 1x8 strips; one-row dense inference has its own packed path, tested in api.test.ts)', () => {
    const r = new Rng(78);
    for (const mode of [0, 1, 2]) {
      for (const [M, N] of [[1, 64], [1, 100], [1, 784], [1, 66], [2, 100], [3, 784]] as const) {
        for (const K of [1, 7, 8, 9, 17, 300]) checkGemm(M, N, K, mode, K === 17, r);
      }
    }
  });

  it('B given transposed (ae_gemm_bt, dX = dY . W^T): the bits of the scalar product on B written out, every tail, K across blocks', () => {
    const r = new Rng(79);
    for (const mode of [0, 1, 2]) {
      for (const [M, N, K] of [[1, 1, 1], [3, 7, 5], [6, 8, 4], [7, 9, 3], [13, 17, 31], [64, 100, 33], [9, 16, 300], [2, 784, 9], [9, 12, 17], [64, 4, 33], [7, 4, 300]] as const) {
        withIO(k, () => {
          const ldbt = K + 3, ldc = N + 2;
          const a = r.f32(M * K, -1, 1), bt = r.f32(N * ldbt, -1, 1), bias = r.f32(N, -1, 1), c0 = r.f32(M * ldc, -1, 1);
          // the oracle's B[k][n] = bt[n][k], written out by this test
          const b = new Float32Array(K * N);
          for (let kk = 0; kk < K; kk++) for (let n = 0; n < N; n++) b[kk * N + n] = bt[n * ldbt + kk]!;
          const pa = putF32(k, a), pbt = putF32(k, bt), pb = putF32(k, b), pbias = putF32(k, bias);
          const pc = putF32(k, c0), pcs = putF32(k, c0);
          k.x.ae_gemm_bt(M, N, K, pa, K, 1, pbt, ldbt, pc, ldc, pbias, mode, 0);
          k.x.ae_gemm_scalar(M, N, K, pa, K, 1, pb, N, pcs, ldc, pbias, mode, 0);
          expectSameBits(getF32(k, pc, M * ldc), getF32(k, pcs, M * ldc), `bt M=${M} N=${N} K=${K} mode=${mode}`);
        });
      }
    }
  });

  it('the fused activation equals the product followed by ae_act_forward, bit for bit, for every activation', () => {
    // the oracle is the unfused path: linear GEMM, then the separate activation kernel on C
    const r = new Rng(31);
    for (const [M, N, K] of [[9, 13, 5], [4, 8, 3], [1, 3, 7], [17, 31, 16], [9, 12, 5], [6, 4, 3], [7, 20, 9]] as const) {
      withIO(k, () => {
        const pa = putF32(k, r.f32(M * K, -3, 3)), pb = putF32(k, r.f32(K * N, -3, 3)), pbias = putF32(k, r.f32(N, -1, 1));
        for (let act = 0; act < 6; act++) {
          const fused = putF32(k, new Float32Array(M * N)), fusedScalar = putF32(k, new Float32Array(M * N));
          const plain = putF32(k, new Float32Array(M * N));
          k.x.ae_gemm(M, N, K, pa, K, 1, pb, N, fused, N, pbias, 1, act);
          k.x.ae_gemm_scalar(M, N, K, pa, K, 1, pb, N, fusedScalar, N, pbias, 1, act);
          k.x.ae_gemm(M, N, K, pa, K, 1, pb, N, plain, N, pbias, 1, 0);
          k.x.ae_act_forward(act, plain, M * N);
          expectSameBits(getF32(k, fused, M * N), getF32(k, plain, M * N), `act ${act} ${M}x${N}x${K}: fused vs separate`);
          expectSameBits(getF32(k, fusedScalar, M * N), getF32(k, plain, M * N), `act ${act} ${M}x${N}x${K}: scalar fused vs separate`);
        }
      });
    }
  });

  it('bias-init and zero-init never read C (NaN-filled C gives finite results)', () => {
    withIO(k, () => {
      const r = new Rng(9);
      const M = 9, N = 13, K = 5;
      const pa = putF32(k, r.f32(M * K)), pb = putF32(k, r.f32(K * N)), pbias = putF32(k, r.f32(N));
      for (const mode of [0, 1]) {
        for (const fn of [k.x.ae_gemm, k.x.ae_gemm_scalar]) {
          const pc = putF32(k, new Float32Array(M * N).fill(NaN));
          fn(M, N, K, pa, K, 1, pb, N, pc, N, pbias, mode, 0);
          expect(getF32(k, pc, M * N).every(Number.isFinite), `mode ${mode}`).toBe(true);
        }
      }
    });
  });
});

// ---- activations -------------------------------------------------------------------------------
/** Inputs: special values (both signs), where tanh leaves x, its largest error and its clamp, the exp clamp, plus seeded sweeps. */
function activationInputs(seed: number): Float32Array {
  const special = [0, 1e-8, 1e-3, 0.00035695164, 0.00035695162, 0.0004, 0.5, 0.625, 1, 5, 6.293407, 8.003122, 8.0031214, 9, 20, 44.2, 87.33654, 88, 88.37626, 100, 1e-40];
  const xs: number[] = [];
  for (const v of special) xs.push(v, -v);
  const r = new Rng(seed);
  for (let i = 0; i < 4000; i++) xs.push(r.uniform(-12, 12));
  for (let i = 0; i < 2000; i++) xs.push(r.uniform(-1, 1) * 2 ** r.uniform(-30, 7)); // wide magnitudes
  xs.push(0.25, -3); // total length 6038: not a multiple of 4, so the tail runs too
  return Float32Array.from(xs);
}

/**
 * Error bound of act_forward against the float64 oracle, per activation, from how math.ts computes it:
 * linear/relu are exact; leakyRelu is one rounded product with 0.01f (<= 1 ulp); sigmoid is a Cephes exp
 * with a few roundings (<= 2 ulp); tanh is a 9/8 rational approximation (assembly/math.ts) whose error
 * peaks near |x| = 6.29 at 6.35 ulp (every positive float below 16 against float64 tanh, numpy's
 * float32 arithmetic in the order math.ts computes): 7 ulp; sigmoid's exp input is clamped to [-87.3, 88.4],
 * so below ~2^-126 the output is the clamped value (absolute error < 2^-126). elu computes exp(x) - 1,
 * not expm1, so near 0 its RELATIVE error is large, but its absolute error stays below half an ulp of 1.
 */
function forwardTol(act: string, ref: number): number {
  switch (act) {
    case 'linear': case 'relu': return 0;
    case 'leakyRelu': return ulp32(ref);
    case 'tanh': return 7 * ulp32(ref);
    case 'sigmoid': return 2 * ulp32(ref) + MIN_NORMAL32;
    case 'elu': return ref > 0 ? 0 : 2 * ulp32(ref) + 2 ** -24;
    default: throw new Error(act);
  }
}

describe('activations forward (ae_act_forward)', () => {
  it.each(ACTS)('%s vs the float64 reference (special values, sweeps, n = 6038)', (act) => {
    const x = activationInputs(11);
    withIO(k, () => {
      const p = putF32(k, x);
      k.x.ae_act_forward(ACT_IDS[act], p, x.length);
      const y = getF32(k, p, x.length);
      const ref = Array.from(x, (v) => actForward(act, v));
      expectWithin(y, ref, (i) => forwardTol(act, ref[i]!), `${act} forward`);
    });
  });

  it.each(ACTS)('%s on every tail size: n = 1..31 agree with the same values in one long call', (act) => {
    const r = new Rng(12);
    const x = r.f32(40, -6, 6);
    withIO(k, () => {
      const pAll = putF32(k, x);
      k.x.ae_act_forward(ACT_IDS[act], pAll, x.length);
      const all = getF32(k, pAll, x.length);
      for (const n of TAIL_SIZES) {
        const p = putF32(k, x.subarray(0, n), 4);
        k.x.ae_act_forward(ACT_IDS[act], p, n);
        const got = getF32(k, p, n + 4);
        // elements [n, n+4) were zero and lie past n: untouched
        expect(Array.from(got.subarray(n)), `${act} n=${n} writes past n`).toEqual([0, 0, 0, 0]);
        expectSameBits(got.subarray(0, n), all.subarray(0, n), `${act} n=${n}`);
      }
    });
  });

  it.each(ACTS)('%s: SIMD lanes and scalar tail give identical bits for the same value', (act) => {
    const x = activationInputs(13);
    withIO(k, () => {
      // (a) each value in all 4 lanes and in the tail: [v, v, v, v, v]
      for (const v of x.subarray(0, 64)) {
        const p = putF32(k, [v, v, v, v, v]);
        k.x.ae_act_forward(ACT_IDS[act], p, 5);
        const y = getF32(k, p, 5);
        for (let i = 1; i < 5; i++) expect(bits32(y[i]!), `${act}(${v}) lane/tail ${i}`).toBe(bits32(y[0]!));
      }
      // (b) the whole sweep in one call (mostly SIMD) vs one n = 1 call per element (scalar only)
      const pv = putF32(k, x), ps = putF32(k, x);
      k.x.ae_act_forward(ACT_IDS[act], pv, x.length);
      for (let i = 0; i < x.length; i++) k.x.ae_act_forward(ACT_IDS[act], ps + 4 * i, 1);
      expectSameBits(getF32(k, pv, x.length), getF32(k, ps, x.length), `${act}: SIMD vs scalar`);
    });
  });

  it('tanh: x itself for every float below 3.5695164e-4, within 7 ulp for the 2,000 above it, 1 exactly from the clamp 8.003122 on, odd to the bit, NaN kept; SIMD and scalar alike', () => {
    // the quotient's constant terms are 1, so small inputs come back unchanged with no tiny-input branch
    const edge = Math.fround(0.00035695164), b = bits32(edge), clamp = Math.fround(8.003122);
    const xs = new Float32Array(2 * 4001 + 9), u = new Uint32Array(xs.buffer);
    for (let i = 0; i <= 4000; i++) { u[2 * i] = b - 2000 + i; u[2 * i + 1] = (b - 2000 + i) | 0x80000000; }
    const ends = [clamp, -clamp, Math.fround(8.0031214), Math.fround(-8.0031214), 1e30, -1e30, Infinity, -Infinity, NaN];
    xs.set(ends, 2 * 4001);
    withIO(k, () => {
      const pv = putF32(k, xs), ps = putF32(k, xs);
      k.x.ae_act_forward(ACT_IDS.tanh, pv, xs.length);
      for (let i = 0; i < xs.length; i++) k.x.ae_act_forward(ACT_IDS.tanh, ps + 4 * i, 1);
      const simd = getF32(k, pv, xs.length);
      expectSameBits(simd, getF32(k, ps, xs.length), 'tanh near 3.57e-4 and the clamp: SIMD vs scalar');
      for (let i = 0; i < 2 * 4001; i++) {
        const x = xs[i]!;
        if (Math.abs(x) < edge) expect(bits32(simd[i]!), `tanh(${x})`).toBe(bits32(x));
        else expect(Math.abs(simd[i]! - Math.tanh(x)), `tanh(${x})`).toBeLessThanOrEqual(7 * ulp32(Math.tanh(x)));
        // odd: the negative input's bits are the positive one's with the sign set
        if (i % 2 === 1) expect(bits32(simd[i]!) >>> 0, `tanh(${x})`).toBe((bits32(simd[i - 1]!) | 0x80000000) >>> 0);
      }
      const at = Array.from(simd.subarray(2 * 4001));
      expect(at).toEqual([1, -1, at[2], -at[2]!, 1, -1, 1, -1, NaN]);
      expect(at[2]).toBeLessThan(1);
      expect(1 - at[2]!).toBeLessThanOrEqual(7 * ulp32(Math.tanh(8.0031214)));
    });
  });
});

describe('activations backward (ae_act_backward)', () => {
  it.each(ACTS)('%s: d * f\'(a) vs the reference actBackwardFromOutput on the same float32 a', (act) => {
    const z = activationInputs(21);
    const r = new Rng(22);
    const d = r.f32(z.length, -2, 2);
    withIO(k, () => {
      const pa = putF32(k, z);
      k.x.ae_act_forward(ACT_IDS[act], pa, z.length);
      const a = getF32(k, pa, z.length);
      const pd = putF32(k, d);
      k.x.ae_act_backward(ACT_IDS[act], pd, pa, z.length);
      const got = getF32(k, pd, z.length);
      const ref = Array.from(a, (av, i) => d[i]! * actBackwardFromOutput(act, av));
      // f'(a) is exact for linear/relu/leakyRelu(0.01f: <= 1 ulp)/elu(a + 1: one rounding); tanh's
      // 1 - a*a rounds a*a (abs error <= 2^-24 |d|, not relative: 1 - a^2 cancels near |a| = 1);
      // sigmoid's a*(1-a) has two roundings; then one more for the product with d
      expectWithin(got, ref, (i) => 2 * ulp32(ref[i]!) + (act === 'tanh' ? U32 * Math.abs(d[i]!) : 0) + (act === 'sigmoid' ? ulp32(ref[i]!) : 0),
        `${act} backward`);
      // SIMD lanes vs scalar tail: the same (d, a) in every position; lengths that leave 3, 4 and 7 past a
      // multiple of 8 (relu's loop takes two vectors a pass, then one, then scalars)
      const lengths = [3, 4, 7].map((r) => z.length - ((z.length - r) & 7));
      for (const n of lengths) {
        const pv = putF32(k, d), ps = putF32(k, d);
        k.x.ae_act_backward(ACT_IDS[act], pv, pa, n);
        for (let i = 0; i < n; i++) k.x.ae_act_backward(ACT_IDS[act], ps + 4 * i, pa + 4 * i, 1);
        expectSameBits(getF32(k, pv, n), getF32(k, ps, n), `${act} backward (${n}): SIMD vs scalar`);
      }
    });
  });
});

// ---- losses --------------------------------------------------------------------------------------
/** Predictions/targets for a loss: bce needs p in (0,1) and t in [0,1]; specials exercise the log clamp. */
function lossData(loss: string, n: number, r: Rng): { p: Float32Array; t: Float32Array } {
  const bce = loss === 'bce';
  const p = r.f32(n, bce ? 0.01 : -3, bce ? 0.99 : 3), t = r.f32(n, bce ? 0 : -3, bce ? 1 : 3);
  if (bce) for (let i = 0; i < n; i += 3) t[i] = r.int(2); // hard 0/1 labels too
  if (loss === 'mae') for (let i = 1; i < n; i += 5) t[i] = p[i]!; // sign(0) = 0 cases
  return { p, t };
}

describe('losses', () => {
  it.each(LOSSES)('%s: ae_loss_rows vs reference rowScores, C in the tail sizes', (loss) => {
    const r = new Rng(31);
    for (const C of [...TAIL_SIZES, 64, 100]) {
      const R = 5;
      const { p, t } = lossData(loss, R * C, r);
      withIO(k, () => {
        const pp = putF32(k, p), pt = putF32(k, t), out = k.alloc(R * 4);
        k.x.ae_loss_rows(LOSS_IDS[loss], pp, pt, R, C, out);
        const got = getF32(k, out, R);
        const ref = rowScores(loss, p, t, C);
        // a row is C element losses summed in f32 then scaled by 1/C: all terms are >= 0, so the
        // relative error is at most gamma_{C+2} plus the element's own error: mse's (p-t)^2 has 2
        // roundings, mae's |p-t| one; bce's logs (musl logf <= 1 ulp) of p and of the rounded 1-p
        // add <= ~3 ulp relative plus an absolute 2^-24 per element (1-p rounding, log near 0)
        const elemRel = loss === 'bce' ? 4 * U32 : 2 * U32;
        expectWithin(got, ref, (i) => (gamma(C + 2) + elemRel) * ref[i]! + (loss === 'bce' ? 2 * U32 : 0), `${loss} rows C=${C}`);
      });
    }
  });

  it('bce: the log clamp at -100 and the endpoints p = 0, 1 match the reference exactly', () => {
    const p = [0, 0, 1, 1, 0, 1, 1e-30, 1 - 2 ** -24, 2 ** -126];
    const t = [1, 0, 0, 1, 0.5, 0.5, 1, 0, 1];
    withIO(k, () => {
      const pp = putF32(k, p), pt = putF32(k, t), out = k.alloc(p.length * 4);
      k.x.ae_loss_rows(LOSS_IDS.bce, pp, pt, p.length, 1, out);
      const got = getF32(k, out, p.length);
      const ref = rowScores('bce', p.map(Math.fround), t, 1);
      // clamped terms are exactly 100 (or 50 for t = 0.5); the others are one log, <= 1 ulp (+ the 1-p rounding)
      expectWithin(got, ref, (i) => 2 * ulp32(ref[i]!), 'bce endpoints');
    });
  });

  it.each(LOSSES)('%s: a row scores the same bits alone as inside a batch (fixed row sum order)', (loss) => {
    const r = new Rng(32);
    const R = 7, C = 13;
    const { p, t } = lossData(loss, R * C, r);
    withIO(k, () => {
      const pp = putF32(k, p), pt = putF32(k, t), out = k.alloc(R * 4), one = k.alloc(R * 4);
      k.x.ae_loss_rows(LOSS_IDS[loss], pp, pt, R, C, out);
      for (let i = 0; i < R; i++) k.x.ae_loss_rows(LOSS_IDS[loss], pp + i * C * 4, pt + i * C * 4, 1, C, one + i * 4);
      expectSameBits(getF32(k, out, R), getF32(k, one, R), `${loss} rows`);
    });
  });

  it.each(LOSSES)('%s: ae_loss_backward vs reference lossGrad, n in the tail sizes', (loss) => {
    const r = new Rng(33);
    for (const n of [...TAIL_SIZES, 100, 1001]) {
      const { p, t } = lossData(loss, n, r);
      withIO(k, () => {
        const pp = putF32(k, p), pt = putF32(k, t), pd = k.alloc(n * 4);
        k.x.ae_loss_backward(LOSS_IDS[loss], pd, pp, pt, n, 0);
        const got = getF32(k, pd, n);
        const ref = lossGrad(loss, p, t);
        // mse: (p-t) * (2/n) with 1/n and 2/n rounded in f32: 3 roundings; mae: sign * (1/n): 1 rounding;
        // bce: (p-t) / max(p(1-p), 1e-12) * (1/n): ~6 roundings
        const ulps = loss === 'bce' ? 6 : 3;
        expectWithin(got, ref, (i) => ulps * ulp32(ref[i]!), `${loss} grad n=${n}`);
        if (loss === 'mae') for (let i = 1; i < n; i += 5) expect(got[i], `mae sign(0) at ${i}`).toBe(0);
      });
    }
  });

  it('bce unfused at p = 0 and p = 1 divides by the 1e-12 floor, as the reference does', () => {
    const p = [0, 1, 0, 1], t = [1, 0, 0.25, 0.75];
    withIO(k, () => {
      const pp = putF32(k, p), pt = putF32(k, t), pd = k.alloc(16);
      k.x.ae_loss_backward(LOSS_IDS.bce, pd, pp, pt, 4, 0);
      const got = getF32(k, pd, 4), ref = lossGrad('bce', p, t);
      // 1e-12 as f32 is 1e-12 (1 + 2e-8): within 3 ulp
      expectWithin(got, ref, (i) => 3 * ulp32(ref[i]!), 'bce grad endpoints');
    });
  });

  it('bce fused with a sigmoid output: (p - t) / n vs reference bceSigmoidGradZ', () => {
    const r = new Rng(34);
    for (const n of [...TAIL_SIZES, 1000]) {
      const { p, t } = lossData('bce', n, r);
      withIO(k, () => {
        const pp = putF32(k, p), pt = putF32(k, t), pd = k.alloc(n * 4);
        k.x.ae_loss_backward(LOSS_IDS.bce, pd, pp, pt, n, 1);
        const got = getF32(k, pd, n), ref = bceSigmoidGradZ(p, t);
        // p - t rounded, 1/n rounded, product rounded: <= 3 ulp
        expectWithin(got, ref, (i) => 3 * ulp32(ref[i]!), `fused grad n=${n}`);
      });
    }
  });

  it.each([...LOSSES.map((l) => [l, 0] as const), ['bce', 1] as const])('%s (fused %i): SIMD lanes and scalar tail agree bit for bit', (loss, fused) => {
    const r = new Rng(35);
    const { p, t } = lossData(loss, 64, r);
    withIO(k, () => {
      for (let j = 0; j < 64; j++) {
        const pp = putF32(k, new Float32Array(5).fill(p[j]!)), pt = putF32(k, new Float32Array(5).fill(t[j]!)), pd = k.alloc(20);
        k.x.ae_loss_backward(LOSS_IDS[loss], pd, pp, pt, 5, fused);
        const d = getF32(k, pd, 5);
        for (let i = 1; i < 5; i++) expect(bits32(d[i]!), `${loss} (${p[j]}, ${t[j]}) position ${i}`).toBe(bits32(d[0]!));
      }
    });
  });
});

// ---- quantile, detect, crc32 ---------------------------------------------------------------------
describe('ae_quantile (numpy linear)', () => {
  const QS = [0, 0.5, 0.9, 0.99, 1];
  // the kernel selects the two order statistics (assembly/stats.ts f32_select) instead of sorting: its result
  // must be the bits of sorting first and interpolating as it does, a + (b - a) frac in float64 then float32
  const sortedFormula = (v: Float32Array, q: number) => {
    const s = v.slice().sort(), n = v.length, pos = q * (n - 1), lo = Math.floor(pos), hi = lo + 1 < n ? lo + 1 : lo;
    return Math.fround(s[lo]! + (s[hi]! - s[lo]!) * (pos - lo));
  };
  const check = (v: Float32Array, what: string) => {
    for (const q of [...QS, 0.25, 0.75, 0.3]) {
      withIO(k, () => {
        const n = v.length, p = putF32(k, v);
        const got = k.x.ae_quantile(p, n, q);
        const want = quantile(v, q);
        // both interpolate the same float32 neighbours in float64 (one-sided vs numpy's two-sided
        // lerp) and the kernel rounds to float32: at most 1 ulp of the float32 result apart
        expect(Math.abs(got - want), `${what} q=${q}: ${got} vs ${want}`).toBeLessThanOrEqual(ulp32(want));
        expect(Object.is(got, sortedFormula(v, q)), `${what} q=${q}: ${got} vs sorting first ${sortedFormula(v, q)}`).toBe(true);
        // reordered in place, nothing lost or changed
        expectSameBits(getF32(k, p, n).sort(), v.slice().sort(), `${what}: the same values`);
        // the ensemble statistics' medians (assembly/stats.ts f32_quantile_binned: a count by the keys' top 12 bits,
        // then a selection in one bin): the same bits as sorting first
        const pb = putF32(k, v), binned = k.x.ae_quantile_binned(pb, n, q, k.alloc(4096 * 4));
        expect(Object.is(binned, sortedFormula(v, q)), `${what} q=${q}, binned: ${binned} vs sorting first ${sortedFormula(v, q)}`).toBe(true);
      });
    }
  };
  it.each([1, 2, 7, 1000, 4096])('n = %i, q in {0, .25, .3, .5, .75, .9, .99, 1}, with ties: the bits of sorting first', (n) => {
    const r = new Rng(40 + n);
    // ties: values from a 5-element set (zeros of both signs among them), so neighbours in sorted order are often equal
    check(r.f32(n, -10, 10), `n=${n}`);
    check(Float32Array.from({ length: n }, () => [0.5, -1, 3.25, 0, -0, 1e-3][r.int(6)]!), `n=${n} ties`);
  });
  it('sorted, reversed, constant, organ-pipe and sawtooth inputs (the shapes that slow a selection down)', () => {
    const n = 3001;
    const shapes: [string, (i: number) => number][] = [
      ['sorted', (i) => i], ['reversed', (i) => n - i], ['constant', () => 7], ['organ pipe', (i) => Math.min(i, n - i)],
      ['sawtooth', (i) => i % 17], ['two values', (i) => (i % 3 ? 1 : -1)],
    ];
    for (const [name, f] of shapes) check(Float32Array.from({ length: n }, (_, i) => f(i)), name);
  });
  it('the binned selection where its bins matter: squared errors over decades, every value in one bin, the next order statistic in a higher bin, both signs, a NaN', () => {
    const r = new Rng(47), n = 4096;
    // (e^2 of normal-ish errors: spread over many of the count's bins, as the ensemble's statistics see them)
    check(Float32Array.from({ length: n }, () => { const e = (r.f32(1, -1, 1)[0]! ** 3) * 10; return Math.fround(e * e); }), 'squared errors');
    // (all in [1, 1.125): one bin, the selection over all of them)
    check(Float32Array.from({ length: n }, () => 1 + r.f32(1, 0, 0.124)[0]!), 'one bin');
    // (two clusters, the median's two order statistics in bins far apart: n/2 values near 1e-3, n/2 near 1e3)
    check(Float32Array.from({ length: n }, (_, i) => (i % 2 ? 1e-3 : 1e3) * (1 + (i % 7) * 1e-3)), 'two clusters');
    // (both signs over 70 decades, subnormals among them)
    check(Float32Array.from({ length: 999 }, (_, i) => Math.fround((i % 2 ? -1 : 1) * 10 ** (r.f32(1, -40, 30)[0]!))), 'both signs, 70 decades');
    // (a NaN: f32_quantile's result, whatever it is, not the count's)
    withIO(k, () => {
      const v = Float32Array.from({ length: 257 }, (_, i) => (i === 100 ? NaN : i * 0.5));
      const want = k.x.ae_quantile(putF32(k, v), v.length, 0.5);
      expect(Object.is(k.x.ae_quantile_binned(putF32(k, v), v.length, 0.5, k.alloc(4096 * 4)), want)).toBe(true);
    });
  });
});

describe('ae_detect', () => {
  it.each(TAIL_SIZES)('n = %i: flags are score > threshold (strict, ties are 0)', (n) => {
    const r = new Rng(50 + n);
    const s = Float32Array.from({ length: n }, () => r.int(7) * 0.125);
    const thr = 0.375; // exactly representable and present among the scores
    withIO(k, () => {
      const ps = putF32(k, s), pf = k.alloc(n + 8);
      k.u8(pf, n + 8).fill(7);
      k.x.ae_detect(ps, n, thr, pf);
      const flags = k.u8(pf, n + 8).slice();
      expect(Array.from(flags.subarray(0, n))).toEqual(Array.from(s, (v) => (v > thr ? 1 : 0)));
      expect(Array.from(flags.subarray(n)), 'bytes past n untouched').toEqual(new Array(8).fill(7));
    });
  });
});

describe('ae_crc32', () => {
  function crcOf(bytes: Uint8Array, misalign = 0): number {
    return withIO(k, () => {
      const p = k.alloc(bytes.length + 8) + misalign;
      k.u8(p, bytes.length).set(bytes);
      return k.x.ae_crc32(p, bytes.length);
    });
  }
  it('CRC-32 check value: "123456789" -> 0xCBF43926; empty -> 0', () => {
    expect(crcOf(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crcOf(new Uint8Array(0))).toBe(0);
  });
  it.skipIf(typeof zlibCrc32 !== 'function')('matches node:zlib crc32 on seeded random bytes (lengths 0..70, 4097; odd offsets) [needs Node >= 20.15]', () => {
    const r = new Rng(60);
    for (const len of [...Array.from({ length: 71 }, (_, i) => i), 4097]) {
      const b = r.bytes(len);
      expect(crcOf(b, len % 4), `len ${len}`).toBe(zlibCrc32(b));
    }
  });
  it.skipIf(typeof zlibCrc32 !== 'function')('from 3,072 bytes (three thirds at once, joined): node:zlib crc32 continued from a given CRC, lengths across the switch and thirds of every remainder [needs Node >= 20.15]', () => {
    const r = new Rng(61);
    const lens = [3071, 3072, 3073, 3079, 3080, 3087, 3095, 4096, 9999, 65536, 65537, 200_003];
    for (const len of lens) {
      for (const prev of [0, 0xffffffff, r.int(0x7fffffff) * 2 + 1]) {
        const b = r.bytes(len);
        const got = withIO(k, () => {
          const p = k.alloc(len + 8) + (len % 8);
          k.u8(p, len).set(b);
          return k.x.ae_crc32_update(prev, p, len);
        });
        expect(got, `len ${len} prev ${prev}`).toBe(zlibCrc32(b, prev));
      }
    }
  });
});

// ---- input checks ----------------------------------------------------------------------------------
describe('ae_find_nonfinite', () => {
  const SIZES = [...TAIL_SIZES, 32, 33];
  /** Finite data with the awkward finite values: the largest float, -0, subnormals, huge negatives. */
  function finiteData(n: number, r: Rng): Float32Array {
    const special = [3.4028234663852886e38, -3.4028234663852886e38, -0, 1e-45, -1e-40, 0];
    return Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? special[r.int(special.length)]! : r.uniform(-1e6, 1e6)));
  }
  it.each(SIZES)('n = %i: -1 for finite data (max float, -0, subnormals included)', (n) => {
    const r = new Rng(70 + n);
    withIO(k, () => {
      expect(k.x.ae_find_nonfinite(putF32(k, finiteData(n, r)), n)).toBe(-1);
    });
  });
  it.each(SIZES)('n = %i: NaN, +Inf, -Inf found at every position (SIMD body and tail); the first of two wins', (n) => {
    const r = new Rng(80 + n);
    withIO(k, () => {
      for (const bad of [NaN, Infinity, -Infinity]) {
        for (let pos = 0; pos < n; pos++) {
          const x = finiteData(n, r);
          x[pos] = bad;
          expect(k.x.ae_find_nonfinite(putF32(k, x), n), `${bad} at ${pos}`).toBe(pos);
          if (pos + 1 < n) {
            x[n - 1] = NaN;
            expect(k.x.ae_find_nonfinite(putF32(k, x), n), `${bad} at ${pos} and NaN at ${n - 1}`).toBe(pos);
          }
        }
        // only the first n floats are looked at
        const x = finiteData(n + 3, r);
        x[n] = bad;
        expect(k.x.ae_find_nonfinite(putF32(k, x), n), `${bad} just past n`).toBe(-1);
      }
    });
  });
});

describe('ae_copy_canon (inference copy-out)', () => {
  // The oracle is the definition: every float's bits copied, except that any NaN (either sign, quiet
  // or signalling, any payload) becomes the canonical quiet NaN 0x7fc00000, the one NaN encoding the
  // outputs may hold, so that their bytes are the same on every CPU.
  const NAN_BITS = [0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fffffff, 0xffffffff, 0x7fa00000];
  const KEEP_BITS = [0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x807fffff, 0x7f7fffff, 0x3f800000];
  it.each([...TAIL_SIZES, 32, 33])('n = %i: finite and infinite bits copied, every NaN canonical, nothing past n written', (n) => {
    const r = new Rng(90 + n);
    withIO(k, () => {
      const src = new Uint32Array(n + 2);
      for (let i = 0; i < src.length; i++) {
        const c = r.int(3);
        src[i] = c === 0 ? NAN_BITS[r.int(NAN_BITS.length)]! : c === 1 ? KEEP_BITS[r.int(KEEP_BITS.length)]! : bits32(r.uniform(-1e3, 1e3));
      }
      const ps = k.alloc(src.length * 4), pd = k.alloc(src.length * 4);
      new Uint32Array(k.x.memory.buffer, ps, src.length).set(src);
      new Uint32Array(k.x.memory.buffer, pd, src.length).fill(0x12345678);
      k.x.ae_copy_canon(pd, ps, n);
      const out = new Uint32Array(k.x.memory.buffer, pd, src.length).slice();
      for (let i = 0; i < n; i++) {
        const nan = (src[i]! & 0x7f800000) === 0x7f800000 && (src[i]! & 0x007fffff) !== 0;
        expect(out[i], `value ${i}: 0x${src[i]!.toString(16)}`).toBe(nan ? 0x7fc00000 : src[i]);
      }
      expect([out[n], out[n + 1]]).toEqual([0x12345678, 0x12345678]);
    });
  });
});

describe('ae_find_outside', () => {
  it('first value outside [0, 1] (NaN counts), -1 when all are inside', () => {
    withIO(k, () => {
      const inside = [0, 1, 0.5, -0, 1e-45, 0.99999994];
      expect(k.x.ae_find_outside(putF32(k, inside), inside.length, 0, 1)).toBe(-1);
      for (const bad of [-1e-45, 1.0000001, NaN, Infinity, -Infinity, 2]) {
        const x = [...inside, 0.25];
        x[4] = bad;
        expect(k.x.ae_find_outside(putF32(k, x), x.length, 0, 1), String(bad)).toBe(4);
      }
    });
  });
  it('equals a scalar scan at every position of the 16-wide blocks and the tail, for any [lo, hi]', () => {
    withIO(k, () => {
      for (const n of [1, 15, 16, 17, 47, 64, 100]) {
        const base = Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 1.7) * 3));
        const lo = -3, hi = 3;
        expect(k.x.ae_find_outside(putF32(k, base), n, lo, hi), `n ${n}`).toBe(-1);
        for (let at = 0; at < n; at += 5) {
          for (const bad of [3.0000002, -3.0000002, NaN, 1e30]) {
            const x = [...base];
            x[at] = bad;
            if (at + 3 < n) x[at + 3] = -bad;   // a later one too: the first must be found
            const want = x.findIndex((v) => !(v >= lo && v <= hi));
            expect(k.x.ae_find_outside(putF32(k, x), n, lo, hi), `n ${n} at ${at} ${bad}`).toBe(want);
          }
        }
      }
    });
  });
});

// ---- normalizer (ae_norm_fit / apply / invert on a planned context) --------------------------------
describe('normalizer', () => {
  /** A fresh kernel planned as a 1-layer model of width D with the given normalizer. */
  async function normKernel(D: number, norm: number): Promise<Kernel> {
    const kk = await loadKernel();
    kk.planModel({ layers: [{ in: D, out: D, act: 0 }], latent: 0, loss: 0, norm });
    return kk;
  }
  const cases = [['standard', NORM_IDS.standard], ['minmax', NORM_IDS.minmax]] as const;

  it.each(cases)('%s: fitted shift/scale vs the reference (D in the tail sizes, rows 1, 9, 40, a constant column)', async (name, id) => {
    const r = new Rng(90 + id);
    for (const D of TAIL_SIZES) {
      const kk = await normKernel(D, id);
      for (const R of [1, 9, 40]) {
        const x = Float32Array.from({ length: R * D }, () => r.uniform(-50, 150));
        for (let i = 0; i < R; i++) x[i * D + (D - 1)] = 0.1; // constant column: scale must be 1
        withIO(kk, () => {
          kk.x.ae_norm_fit(kk.ctx, putF32(kk, x), R);
        });
        const [A, B] = kk.normalizer();
        const ref = id === NORM_IDS.standard ? fitStandard(x, R, D) : fitMinMax(x, R, D);
        const shift = 'mean' in ref ? ref.mean : ref.min, scale = 'std' in ref ? ref.std : ref.range;
        // the kernel accumulates in float64 in row order like the reference and rounds the result to
        // float32 once: within 1 float32 ulp (a tie of the last float64 bits may round either way)
        expectWithin(A, shift, (i) => ulp32(shift[i]!), `${name} D=${D} R=${R} shift`);
        expectWithin(B, scale, (i) => ulp32(scale[i]!), `${name} D=${D} R=${R} scale`);
        expect(B[D - 1], 'constant column scale').toBe(1);
      }
    }
  });

  it.each(cases)('%s: apply and invert vs the reference on the fitted float32 parameters', async (name, id) => {
    const r = new Rng(95 + id);
    for (const D of TAIL_SIZES) {
      const kk = await normKernel(D, id);
      const R = 6;
      const x = Float32Array.from({ length: R * D }, () => r.uniform(-5, 20));
      withIO(kk, () => kk.x.ae_norm_fit(kk.ctx, putF32(kk, x), R));
      const [A, B] = kk.normalizer();
      const a64 = Float64Array.from(A), b64 = Float64Array.from(B);
      const y = Float32Array.from({ length: R * D }, () => r.uniform(-30, 40)); // also outside the fitted range
      withIO(kk, () => {
        const p = putF32(kk, y);
        kk.x.ae_norm_apply(kk.ctx, p, R);
        const got = getF32(kk, p, R * D);
        const ref = id === NORM_IDS.standard ? applyStandard(y, R, D, { mean: a64, std: b64 }) : applyMinMax(y, R, D, { min: a64, range: b64 });
        // (y - A) rounded (absolute u * |y - A|), then / B rounded: <= 2 ulp of the result
        expectWithin(got, ref, (i) => 2 * ulp32(ref[i]!), `${name} apply D=${D}`);
        const q = putF32(kk, y);
        kk.x.ae_norm_invert(kk.ctx, q, R);
        const inv = getF32(kk, q, R * D);
        const refInv = id === NORM_IDS.standard ? invertStandard(y, R, D, { mean: a64, std: b64 }) : invertMinMax(y, R, D, { min: a64, range: b64 });
        // y * B rounded, then + A rounded: u |y B| + 1 ulp of the result (the sum can cancel)
        expectWithin(inv, refInv, (i) => U32 * Math.abs(y[i]! * b64[i % D]!) + ulp32(refInv[i]!), `${name} invert D=${D}`);
      });
    }
  });
});

describe('normalizer through a model (fit, reconstruct)', () => {
  it.each(['standard', 'minmax'] as const)('%s: fit() fits it on the training rows only; reconstruct() normalizes, runs, maps back', async (normalize) => {
    const spec = { inputDim: 7, layers: [5, 3], activation: 'tanh', latentActivation: 'tanh', outputActivation: 'linear', normalize, seed: 3 } as const;
    const ae = await Autoencoder.create(spec);
    const r = new Rng(101);
    const x = Float32Array.from({ length: 10 * 7 }, (_, i) => r.uniform(-20, 80) * (1 + (i % 7)));
    // learningRate 0: the weights stay put, so the oracle below can use them as they are
    await ae.fit(x, { epochs: 1, batchSize: 8, shuffle: false, validationSplit: 0.2, earlyStopping: false, optimizer: 'sgd', learningRate: 0 });
    const [A, B] = kernelOf(ae).normalizer();
    const train = x.subarray(0, 8 * 7); // validationSplit 0.2 of 10 rows: the last 2 are held out
    const fitted = normalize === 'standard' ? fitStandard(train, 8, 7) : fitMinMax(train, 8, 7);
    const shift = 'mean' in fitted ? fitted.mean : fitted.min, scale = 'std' in fitted ? fitted.std : fitted.range;
    // float64 accumulation like the reference, one rounding to float32: 1 ulp
    expectWithin(A, shift, (i) => ulp32(shift[i]!), `${normalize} shift`);
    expectWithin(B, scale, (i) => ulp32(scale[i]!), `${normalize} scale`);

    const rows = 5;
    const x2 = Float32Array.from({ length: rows * 7 }, (_, i) => r.uniform(-40, 120) * (1 + (i % 7)));
    const a64 = Float64Array.from(A), b64 = Float64Array.from(B);
    const p = normalize === 'standard' ? { mean: a64, std: b64 } : { min: a64, range: b64 };
    const apply = (v: Float32Array) => (normalize === 'standard' ? applyStandard(v, rows, 7, p as never) : applyMinMax(v, rows, 7, p as never));
    const invert = (v: Float64Array) => (normalize === 'standard' ? invertStandard(v, rows, 7, p as never) : invertMinMax(v, rows, 7, p as never));
    const sizes = widthsOf(7, [5, 3]);
    const out = netForward(refNet(sizes, actsOf([5, 3], 'tanh', 'tanh', 'linear'), ae.getWeights()), apply(x2), rows);
    const want = invert(out[out.length - 1]!);
    // in normalized units the forward is within 1e-5 absolute (outputs O(1), as for the PyTorch
    // models); mapped back that is 1e-5 * scale, plus the de-normalization's own 2 roundings
    expectWithin(ae.reconstruct(x2), want, (i) => 1e-5 * b64[i % 7]! + 2 * ulp32(want[i]!), `${normalize} reconstruct`);

    // score(): the loss per row in normalized units (output vs the normalized input); the row mean
    // of (p - x)^2 moves by <= 2 |p - x| 1e-5 per element, plus its float32 summation
    const xn = apply(x2), outN = out[out.length - 1]!;
    const wantScore = rowScores('mse', outN, xn, 7);
    expectWithin(ae.score(x2), wantScore, (r) => {
      let s = 0;
      for (let i = 0; i < 7; i++) s += (2 * Math.abs(outN[r * 7 + i]! - xn[r * 7 + i]!) * 1e-5) / 7;
      return s + gamma(9) * wantScore[r]!;
    }, `${normalize} score`);

    // decode(): the decoder half from latent codes, then back to input units
    const z = r.f32(rows * 3, -1, 1);
    const w = ae.getWeights();
    const dec = netForward({ sizes: [3, 5, 7], acts: ['tanh', 'linear'], params: w.slice(4).map((a) => Float64Array.from(a)) }, z, rows);
    const wantDec = invert(dec[dec.length - 1]!);
    expectWithin(ae.decode(z), wantDec, (i) => 1e-5 * b64[i % 7]! + 2 * ulp32(wantDec[i]!), `${normalize} decode`);
  });
});

describe('normalizer edge cases', () => {
  it('standard: a column whose std is nonzero but rounds to 0 in float32 must still get a usable scale', async () => {
    // values 0 and the smallest subnormal 2^-149: population std 2^-150 > 0 in float64, so
    // a zero check made on the f64 std keeps it, but <f32>2^-150 is 0 (ties to even): B = 0 and
    // norm_apply divides by zero. The reference (fitStandard/applyStandard) gives -1 and 1.
    const col = [0, 2 ** -149];
    const ref = applyStandard(Float32Array.from(col), 2, 1, fitStandard(Float32Array.from(col), 2, 1));
    expect(Array.from(ref)).toEqual([-1, 1]);
    const kk = await loadKernel();
    kk.planModel({ layers: [{ in: 1, out: 1, act: 0 }], latent: 0, loss: 0, norm: NORM_IDS.standard });
    withIO(kk, () => {
      const p = putF32(kk, col);
      kk.x.ae_norm_fit(kk.ctx, p, 2);
      const [, B] = kk.normalizer();
      expect(B[0], 'fitted scale').toBeGreaterThan(0);
      kk.x.ae_norm_apply(kk.ctx, p, 2);
      const y = getF32(kk, p, 2);
      expect(Array.from(y).every(Number.isFinite), `normalized values ${Array.from(y)}`).toBe(true);
    });
  });
});

// ---- random streams, four draws at a time ----------------------------------------------------
describe('rng_normal4 and rng_uniform4 (the noise, dropout and addNoise paths): the scalar streams\' bits', () => {
  /** n values of the stream (seed, purpose 3) from draw `skip`, one at a time (vec 0) or four at a time (vec 1). */
  function draws(kind: 'normals' | 'uniforms', seed: number, skip: number, n: number, vec: 0 | 1): Float32Array {
    return withIO(k, () => {
      const state = k.alloc(16), dst = k.alloc(4 * n);
      k.x.ae_draws(state, seed, skip, dst, n, kind === 'normals' ? 1 : 0, vec);
      return getF32(k, dst, n);
    });
  }

  it('four at a time gives the same bits as one at a time, and the values tests/ref/rng.ts computes', () => {
    // odd skips start a normal on an odd draw; from 2^32 - 8 the counter crosses into its high word, 10^12 is beyond it
    for (const seed of [1, 21, 0x9e3779b9]) for (const skip of [0, 1, 3, 2 ** 32 - 8, 1e12]) {
      const n = 4096;
      const one = draws('normals', seed, skip, n, 0), four = draws('normals', seed, skip, n, 1);
      expectSameBits(four, one, `normals, seed ${seed}, skip ${skip}`);
      const s = new Stream(seed, PURPOSE.noise);
      s.ctr = BigInt(skip);
      // the reference's Math.log and Math.cos are not the kernels' (AssemblyScript's musl log; a Taylor cos whose
      // error is below 1e-9, times sqrt(-2 ln u1) <= 6.7): the float32 rounding plus 7e-9
      one.forEach((v, i) => { const w = s.normal(); expect(Math.abs(v - w), `normal ${i}`).toBeLessThanOrEqual(ulp32(w) + 7e-9); });
      const u1 = draws('uniforms', seed, skip, n, 0), u4 = draws('uniforms', seed, skip, n, 1);
      expectSameBits(u4, u1, `uniforms, seed ${seed}, skip ${skip}`);
      const t = new Stream(seed, PURPOSE.noise);
      t.ctr = BigInt(skip);
      u1.forEach((v, i) => expect(v, `uniform ${i}`).toBe(t.uniform()));
    }
  });

  it('the two f64 lanes of log and cos equal the scalar functions at the arguments rng_normal makes (a sample of 2^22 draws and the edges)', () => {
    // AE_RNG_ALL=1 checks all 2^32 draws instead (about 150 s here; none differed on 2026-12-05)
    let bad = 0;
    if (process.env.AE_RNG_ALL) bad += k.x.ae_normal_parts_check(0, 2 ** 32);
    else for (let i = 0; i < 64; i++) bad += k.x.ae_normal_parts_check(i * 2 ** 26 + 2 * i, 2 ** 16);
    // draw 2^32 - 1 makes u1 = 1 (log's own case), draws 0 and k 2^30 the quarter turns of cos
    for (const d of [0, 2 ** 30 - 2, 2 ** 30, 2 ** 31, 3 * 2 ** 30, 2 ** 32 - 2]) bad += k.x.ae_normal_parts_check(d, 2);
    expect(bad).toBe(0);
  }, process.env.AE_RNG_ALL ? 1_200_000 : undefined);
});
