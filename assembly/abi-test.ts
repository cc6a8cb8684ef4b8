// abi-test.ts: the entry of build/kernels-test.wasm, the module the tests and tools/bench/w5.mjs load: every
// export of abi.ts (the shipped module, the same code) plus raw kernel entry points that only they call
// (the library never does, so the shipped module leaves them and their code out: 0.26 KB gzipped).
// tests/abi.test.ts holds this list (TEST_EXPORTS) against the module.

export * from './abi';
import { C_INDIM, C_NORM_A, C_NORM_B, ci, cp } from './arena';
import { act_backward, act_forward } from './act';
import { f32_gemm, f32_gemm_bt, f32_gemm_scalar } from './gemm';
import { loss_backward, loss_rows } from './loss';
import { norm_invert } from './norm';
import { copy_canon, net_grads } from './train';
import { series_likelihood } from './series';
import { kd_bytes } from './density';
import { f32_quantile_binned } from './stats';
import { conv_backward } from './conv';
import { cos_turn, cos_turn2, log_unit2, rng_normal, rng_normal4, rng_seed, rng_uniform, rng_uniform4 } from './rng';

/** Forward + backward on n <= capacity rows, leaving gradients in the grad block; returns the loss (the terms' means summed). */
export function ae_grads(ctx: usize, x: usize, t: usize, n: i32): f64 { return net_grads(ctx, x, t, n); }

/** Maps n normalized rows of x back to input units in place. */
export function ae_norm_invert(ctx: usize, x: usize, n: i32): void {
  norm_invert(x, n, ci(ctx, C_INDIM), cp(ctx, C_NORM_A), cp(ctx, C_NORM_B));
}

/** C[M][N] = act(init + A.B) (see gemm.ts for strides, modes and act), tiled SIMD. */
export function ae_gemm(M: i32, N: i32, K: i32, a: usize, sam: i32, sak: i32, b: usize, ldb: i32, c: usize, ldc: i32, bias: usize, mode: i32, act: i32): void {
  f32_gemm(M, N, K, a, sam, sak, b, ldb, c, ldc, bias, mode, act);
}

/** The same with B given transposed: B[k][n] = bt[n * ldbt + k] (dX = dY . W^T in the backward pass). */
export function ae_gemm_bt(M: i32, N: i32, K: i32, a: usize, sam: i32, sak: i32, bt: usize, ldbt: i32, c: usize, ldc: i32, bias: usize, mode: i32, act: i32): void {
  f32_gemm_bt(M, N, K, a, sam, sak, bt, ldbt, c, ldc, bias, mode, act);
}

/** The same product, scalar. */
export function ae_gemm_scalar(M: i32, N: i32, K: i32, a: usize, sam: i32, sak: i32, b: usize, ldb: i32, c: usize, ldc: i32, bias: usize, mode: i32, act: i32): void {
  f32_gemm_scalar(M, N, K, a, sam, sak, b, ldb, c, ldc, bias, mode, act);
}

/** dst[0..n) = src[0..n), every NaN written as 0x7fc00000 (inference's copy-out). */
export function ae_copy_canon(dst: usize, src: usize, n: i32): void { copy_canon(dst, src, n); }

/** y = f(y) for n floats, in place. */
export function ae_act_forward(act: i32, y: usize, n: i32): void { act_forward(act, y, n); }

/** d *= f'(a) for n floats. */
export function ae_act_backward(act: i32, d: usize, a: usize, n: i32): void { act_backward(act, d, a, n); }

/** out[r] = mean element loss of row r of p vs t (R rows, C columns). */
export function ae_loss_rows(loss: i32, p: usize, t: usize, R: i32, C: i32, out: usize): void { loss_rows(loss, p, t, R, C, out); }

/** d = dLoss/dp for the mean over n elements (fused: wrt the input of a sigmoid output). */
export function ae_loss_backward(loss: i32, d: usize, p: usize, t: usize, n: i32, fused: i32): void {
  loss_backward(loss, d, p, t, n, fused != 0);
}

/** The calibrated score of averaged error a under a history (sum s, sum of squares q, n values, spread floor). */
export function ae_series_likelihood(a: f64, s: f64, q: f64, n: i32, floor: f64): f32 { return series_likelihood(a, s, q, n, floor); }

/** The bytes of a density block's k-d index for up to Rmax references of width L (bindings/wasm.ts kdBytes must agree). */
export function ae_kd_bytes(Rmax: i32, L: i32): i32 { return kd_bytes(Rmax, L); }

/**
 * The weight gradient of a conv with one channel on a side (C = 1 or F = 1, the first or last layer of an image
 * model): dK [KH][KW][C][F] and db [F] set (acc 0) or added to (acc 1) over R samples of x [H][W][C] and d
 * [OH][OW][F]; no dx (conv.ts conv_backward with dx = 0: conv_dk_1ch and its paired and three-tap paths).
 */
export function ae_conv_dk(dK: usize, db: usize, d: usize, x: usize, R: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, F: i32,
                           KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, acc: i32): void {
  conv_backward(0, dK, db, d, x, R, H, W, C, OH, OW, F, KH, KW, SH, SW, PT, PL, 0, 0, 0, acc != 0, 0);
}

/**
 * n values (n a multiple of 4 when vec) of a stream seeded at state (16 bytes) for (seed, purpose 3) and moved to draw
 * `skip`: kind 1 normals, 0 uniforms; vec 0 one at a time (rng_normal, rng_uniform), 1 four at a time (rng_normal4,
 * rng_uniform4, which must give the same bits).
 */
export function ae_draws(state: usize, seed: u32, skip: f64, dst: usize, n: i32, kind: i32, vec: i32): void {
  rng_seed(state, seed, 3);
  store<u64>(state, <u64>skip, 8);
  if (vec != 0) for (let i = 0; i < n; i += 4) v128.store(dst + (<usize>i << 2), kind == 1 ? rng_normal4(state) : rng_uniform4(state));
  else for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), kind == 1 ? rng_normal(state) : rng_uniform(state));
}

/**
 * For draws d = start .. start + count - 1 (count even), how many lanes of log_unit2 and cos_turn2 differ in any bit
 * from the scalar Math.log and cos_turn at the arguments rng_normal makes of d: (d + 1) 2^-32 and d 2^-32.
 */
export function ae_normal_parts_check(start: f64, count: f64): f64 {
  let bad: f64 = 0;
  const sc = 2.3283064365386963e-10;
  for (let d = <u64>start, e = <u64>(start + count); d < e; d += 2) {
    const x0 = (<f64>d + 1.0) * sc, x1 = (<f64>(d + 1) + 1.0) * sc, u0 = <f64>d * sc, u1 = <f64>(d + 1) * sc;
    const l = log_unit2(f64x2.replace_lane(f64x2.splat(x0), 1, x1)), c = cos_turn2(f64x2.replace_lane(f64x2.splat(u0), 1, u1));
    if (reinterpret<u64>(f64x2.extract_lane(l, 0)) != reinterpret<u64>(Math.log(x0))) bad++;
    if (reinterpret<u64>(f64x2.extract_lane(l, 1)) != reinterpret<u64>(Math.log(x1))) bad++;
    if (reinterpret<u64>(f64x2.extract_lane(c, 0)) != reinterpret<u64>(cos_turn(u0))) bad++;
    if (reinterpret<u64>(f64x2.extract_lane(c, 1)) != reinterpret<u64>(cos_turn(u1))) bad++;
  }
  return bad;
}

/** stats.ts f32_quantile_binned: ae_quantile's value for n floats at p (overwritten), hist u32[4096] scratch. */
export function ae_quantile_binned(p: usize, n: i32, q: f64, hist: usize): f32 { return f32_quantile_binned(p, n, q, hist); }
