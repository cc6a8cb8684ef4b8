// gemm.ts: f32 matrix products for dense layers, forward and backward.
// C[M][N] = A(M x K) . B[K][N], initialised from zero, a bias row, or C itself (accumulate).
// A is read through two strides (row `sam`, column `sak`, in elements), so the same kernel
// serves X.W (A = X) and X^T.dY (A = X read transposed) without a copy. B and C are row-major.
// From 6 rows up, each 8-column strip of B is packed into a contiguous K x 8 panel and swept by
// 4x8 register tiles (XNNPACK's "splat" scheme: 8 f32x4 accumulators, 2 B vectors, the A splat and a
// product stay in registers), with one 6x8 tile for a last 6 or 7 rows, then 1x8 (six_at). Unpacked
// (fewer rows): 4x8 and 1x8 over B in place. Sum order is fixed: init, then k = 0..K-1 in order, so
// results are identical on every host and every tile gives the bits of the scalar kernel.
// Relu is fused into a tile's store (a single pass over Y); the other activations run over the
// tile's rows right after it (act_rows: the same f32x4 code act_forward runs), so no tile holds a call.
// Dims: M rows of C, N columns of C, K the shared dimension.

import { ACT_LINEAR, ACT_RELU, act_f32, act_forward, act_v128, relu_v128 } from './act';
import { pool_gemm } from './threads';

// what a tile applies at its store: relu or nothing. The tiles hold no call: a call anywhere in a
// function makes V8 keep the accumulators' values in spill slots across the loop (every register is
// caller-saved in its wasm calling convention), which took the 4x8 tile from 86% to 67% of the f32x4
// peak on an AMD EPYC host. The other activations run after the tile, over its rows (act_rows).
// @ts-ignore: decorator
@inline export function tile_store(act: i32, x: v128): v128 {
  return act == ACT_RELU ? relu_v128(x) : x;
}
/** The activation a tile applies itself (relu, linear), or ACT_LINEAR when act_rows applies it after. */
// @ts-ignore: decorator
@inline export function tile_act(act: i32): i32 { return act == ACT_RELU ? ACT_RELU : ACT_LINEAR; }
/** f over n floats at p (the SIMD body of act_forward, the same bits): what a kernel that stored with tile_store leaves to do (nothing for linear and relu). */
export function act_rest(act: i32, p: usize, n: i32): void {
  if (act != ACT_LINEAR && act != ACT_RELU) act_forward(act, p, n);
}
// The one-row strip (batch 1) keeps the activation in its store: the form of the tiles (tile_store,
// then the activation over the strip's 8 vectors) measured 60 us against 37 us for dense784's batch-1
// reconstruct (sigmoid output), alternated in one process; why was not found.
// @ts-ignore: decorator
@inline function act_store(act: i32, x: v128): v128 {
  if (act == ACT_LINEAR) return x;
  if (act == ACT_RELU) return relu_v128(x);
  return act_v128(act, x);
}
/** f over `rows` rows of `width` floats (8, or 4 for a 4-wide strip) at c (row stride ldc bytes): the activations a tile leaves to its caller.
 *  The test is inline, so a linear or relu product (a tanh dense layer's too: dense.ts runs tanh in a pass
 *  of its own) makes no call per tile: 1.1% of tab30's batch-256 reconstruct went to those calls. */
// @ts-ignore: decorator
@inline function act_rows(act: i32, c: usize, ldc: usize, rows: i32, width: i32 = 8): void {
  if (act != ACT_LINEAR && act != ACT_RELU) act_rows_after(act, c, ldc, rows, width);
}
function act_rows_after(act: i32, c: usize, ldc: usize, rows: i32, width: i32): void {
  for (let r = 0; r < rows; r++) { act_forward(act, c, width); c += ldc; }
}
// @ts-ignore: decorator
@inline function act_store_scalar(act: i32, x: f32): f32 {
  return act == ACT_LINEAR ? x : act_f32(act, x);
}

export const GEMM_ZERO: i32 = 0;
export const GEMM_BIAS: i32 = 1;
export const GEMM_ACC: i32 = 2;

// A tile's starting values come from one source without a branch per accumulator: C itself
// (accumulate; row stride ldc), the bias row (every row alike) or a zero row (ZEROS, 128 bytes:
// the widest tile row). init_src / init_ld pick the source once per tile.
const ZEROS: usize = memory.data(128, 16);
// @ts-ignore: decorator
@inline function init_src(mode: i32, bias: usize, c: usize): usize {
  return mode == GEMM_ACC ? c : mode == GEMM_BIAS ? bias : ZEROS;
}
// @ts-ignore: decorator
@inline function init_ld(mode: i32, ldc: usize): usize { return mode == GEMM_ACC ? ldc : 0; }

// @ts-ignore: decorator
@inline function sinit(mode: i32, bias: usize, c: usize): f32 {
  if (mode == GEMM_BIAS) return load<f32>(bias);
  if (mode == GEMM_ACC) return load<f32>(c);
  return 0;
}

/** A 4x8 tile's accumulators into C (rows ldc bytes apart), relu fused (tile_store). */
// @ts-ignore: decorator
@inline function store_4x8(c: usize, ldc: usize, act: i32, r0a: v128, r0b: v128, r1a: v128, r1b: v128,
                           r2a: v128, r2b: v128, r3a: v128, r3b: v128): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  v128.store(c, tile_store(act, r0a)); v128.store(c, tile_store(act, r0b), 16);
  v128.store(c1, tile_store(act, r1a)); v128.store(c1, tile_store(act, r1b), 16);
  v128.store(c2, tile_store(act, r2a)); v128.store(c2, tile_store(act, r2b), 16);
  v128.store(c3, tile_store(act, r3a)); v128.store(c3, tile_store(act, r3b), 16);
}

/** 4 rows x 8 columns. a: &A(m,0); b: &B[0][n]; c: &C[m][n]; bias: &bias[n]; strides in bytes.
 *  Inlined into its two callers: as a call (11 arguments) the products ran 6-19% slower on the AMD
 *  EPYC host (256^3 1.13-1.15x, tab30's 256x16x30 1.10-1.14x, alternated in one process), for 0.5 KB
 *  of module; inlining the 6x8 or the 1x8 tile as well changed nothing (0.97-1.02x). */
// @ts-ignore: decorator
@inline function f32_gemm_4x8_simd(K: i32, a: usize, sam: usize, sak: usize, b: usize, ldb: usize,
                           c: usize, ldc: usize, bias: usize, mode: i32, act: i32): void {
  const i0 = init_src(mode, bias, c), il = init_ld(mode, ldc);
  const i1 = i0 + il, i2 = i1 + il, i3 = i2 + il;
  let vacc0x0123 = v128.load(i0), vacc0x4567 = v128.load(i0, 16);
  let vacc1x0123 = v128.load(i1), vacc1x4567 = v128.load(i1, 16);
  let vacc2x0123 = v128.load(i2), vacc2x4567 = v128.load(i2, 16);
  let vacc3x0123 = v128.load(i3), vacc3x4567 = v128.load(i3, 16);
  let a0 = a, a1 = a + sam, a2 = a1 + sam, a3 = a2 + sam;
  for (let k = 0; k < K; k++) {
    const vb0123 = v128.load(b), vb4567 = v128.load(b, 16);
    const va0 = v128.load32_splat(a0);
    const va1 = v128.load32_splat(a1);
    const va2 = v128.load32_splat(a2);
    const va3 = v128.load32_splat(a3);
    vacc0x0123 = f32x4.add(vacc0x0123, f32x4.mul(va0, vb0123));
    vacc0x4567 = f32x4.add(vacc0x4567, f32x4.mul(va0, vb4567));
    vacc1x0123 = f32x4.add(vacc1x0123, f32x4.mul(va1, vb0123));
    vacc1x4567 = f32x4.add(vacc1x4567, f32x4.mul(va1, vb4567));
    vacc2x0123 = f32x4.add(vacc2x0123, f32x4.mul(va2, vb0123));
    vacc2x4567 = f32x4.add(vacc2x4567, f32x4.mul(va2, vb4567));
    vacc3x0123 = f32x4.add(vacc3x0123, f32x4.mul(va3, vb0123));
    vacc3x4567 = f32x4.add(vacc3x4567, f32x4.mul(va3, vb4567));
    a0 += sak; a1 += sak; a2 += sak; a3 += sak;
    b += ldb;
  }
  store_4x8(c, ldc, act, vacc0x0123, vacc0x4567, vacc1x0123, vacc1x4567, vacc2x0123, vacc2x4567, vacc3x0123, vacc3x4567);
}

/**
 * 4 rows x 8 columns with A's four rows side by side: A(m + r, k) at a + 4r + k * as (bytes), B the packed
 * panel (32 bytes a k). One pointer for the four rows, their values at constant offsets: the 4x8 tile
 * keeps a pointer per row (A row-major), four adds a k that V8 issues beside the 16 mul/add, and this
 * loop leaves them out (a k: 2 loads of B, 4 splats, 16 mul/add, 2 adds, the compare). The same products
 * in the same order as the 4x8 tile. a: A given transposed (sam 1: the weight gradients' X^T), as its sak in bytes.
 */
// @ts-ignore: decorator
@inline function f32_gemm_4x8_sbs(K: i32, a: usize, as: usize, b: usize,
                                  c: usize, ldc: usize, bias: usize, mode: i32, act: i32): void {
  const i0 = init_src(mode, bias, c), il = init_ld(mode, ldc);
  const i1 = i0 + il, i2 = i1 + il, i3 = i2 + il;
  let vacc0x0123 = v128.load(i0), vacc0x4567 = v128.load(i0, 16);
  let vacc1x0123 = v128.load(i1), vacc1x4567 = v128.load(i1, 16);
  let vacc2x0123 = v128.load(i2), vacc2x4567 = v128.load(i2, 16);
  let vacc3x0123 = v128.load(i3), vacc3x4567 = v128.load(i3, 16);
  const end = b + (<usize>K << 5);
  while (b < end) {
    const vb0123 = v128.load(b), vb4567 = v128.load(b, 16);
    const va0 = v128.load32_splat(a);
    const va1 = v128.load32_splat(a, 4);
    const va2 = v128.load32_splat(a, 8);
    const va3 = v128.load32_splat(a, 12);
    vacc0x0123 = f32x4.add(vacc0x0123, f32x4.mul(va0, vb0123));
    vacc0x4567 = f32x4.add(vacc0x4567, f32x4.mul(va0, vb4567));
    vacc1x0123 = f32x4.add(vacc1x0123, f32x4.mul(va1, vb0123));
    vacc1x4567 = f32x4.add(vacc1x4567, f32x4.mul(va1, vb4567));
    vacc2x0123 = f32x4.add(vacc2x0123, f32x4.mul(va2, vb0123));
    vacc2x4567 = f32x4.add(vacc2x4567, f32x4.mul(va2, vb4567));
    vacc3x0123 = f32x4.add(vacc3x0123, f32x4.mul(va3, vb0123));
    vacc3x4567 = f32x4.add(vacc3x4567, f32x4.mul(va3, vb4567));
    a += as;
    b += 32;
  }
  store_4x8(c, ldc, act, vacc0x0123, vacc0x4567, vacc1x0123, vacc1x4567, vacc2x0123, vacc2x4567, vacc3x0123, vacc3x4567);
}

/** 6 rows x 8 columns over a packed panel (ldb = 32): 12 accumulators. It was the main tile (near
 *  the peak on the Intel host of earlier sessions, where two FP ports bound both tiles) until
 *  measured on an AMD EPYC host, where it reaches 60% of the f32x4 peak against the 4x8 tile's 86%
 *  (12 accumulators, 2 B vectors, the splat and a product do not fit the 15 SIMD registers V8 hands
 *  out); now it takes the last 6 or 7 rows of a block (six_at). */
function f32_gemm_6x8_simd(K: i32, a: usize, sam: usize, sak: usize, b: usize,
                           c: usize, ldc: usize, bias: usize, mode: i32, act: i32): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
  const i0 = init_src(mode, bias, c), il = init_ld(mode, ldc);
  const i1 = i0 + il, i2 = i1 + il, i3 = i2 + il, i4 = i3 + il, i5 = i4 + il;
  let vacc0x0123 = v128.load(i0), vacc0x4567 = v128.load(i0, 16);
  let vacc1x0123 = v128.load(i1), vacc1x4567 = v128.load(i1, 16);
  let vacc2x0123 = v128.load(i2), vacc2x4567 = v128.load(i2, 16);
  let vacc3x0123 = v128.load(i3), vacc3x4567 = v128.load(i3, 16);
  let vacc4x0123 = v128.load(i4), vacc4x4567 = v128.load(i4, 16);
  let vacc5x0123 = v128.load(i5), vacc5x4567 = v128.load(i5, 16);
  let a0 = a;
  const end = b + (<usize>K << 5);
  while (b < end) {
    const vb0123 = v128.load(b), vb4567 = v128.load(b, 16);
    let va = v128.load32_splat(a0);
    vacc0x0123 = f32x4.add(vacc0x0123, f32x4.mul(va, vb0123));
    vacc0x4567 = f32x4.add(vacc0x4567, f32x4.mul(va, vb4567));
    va = v128.load32_splat(a0 + sam);
    vacc1x0123 = f32x4.add(vacc1x0123, f32x4.mul(va, vb0123));
    vacc1x4567 = f32x4.add(vacc1x4567, f32x4.mul(va, vb4567));
    va = v128.load32_splat(a0 + 2 * sam);
    vacc2x0123 = f32x4.add(vacc2x0123, f32x4.mul(va, vb0123));
    vacc2x4567 = f32x4.add(vacc2x4567, f32x4.mul(va, vb4567));
    va = v128.load32_splat(a0 + 3 * sam);
    vacc3x0123 = f32x4.add(vacc3x0123, f32x4.mul(va, vb0123));
    vacc3x4567 = f32x4.add(vacc3x4567, f32x4.mul(va, vb4567));
    va = v128.load32_splat(a0 + 4 * sam);
    vacc4x0123 = f32x4.add(vacc4x0123, f32x4.mul(va, vb0123));
    vacc4x4567 = f32x4.add(vacc4x4567, f32x4.mul(va, vb4567));
    va = v128.load32_splat(a0 + 5 * sam);
    vacc5x0123 = f32x4.add(vacc5x0123, f32x4.mul(va, vb0123));
    vacc5x4567 = f32x4.add(vacc5x4567, f32x4.mul(va, vb4567));
    a0 += sak;
    b += 32;
  }
  v128.store(c, tile_store(act, vacc0x0123)); v128.store(c, tile_store(act, vacc0x4567), 16);
  v128.store(c1, tile_store(act, vacc1x0123)); v128.store(c1, tile_store(act, vacc1x4567), 16);
  v128.store(c2, tile_store(act, vacc2x0123)); v128.store(c2, tile_store(act, vacc2x4567), 16);
  v128.store(c3, tile_store(act, vacc3x0123)); v128.store(c3, tile_store(act, vacc3x4567), 16);
  v128.store(c4, tile_store(act, vacc4x0123)); v128.store(c4, tile_store(act, vacc4x4567), 16);
  v128.store(c5, tile_store(act, vacc5x0123)); v128.store(c5, tile_store(act, vacc5x4567), 16);
}

/**
 * One row through a dense layer whose weights were packed by pack_strips32: C row = act(bias +
 * a . B), 32 columns per strip, K x 32 floats per strip read front to back with constant offsets
 * (the strided GEMV needs an address add per load). Same sum order as every other path: bias,
 * then k = 0..K-1. The last strip, zero-padded, goes through a 32-float scratch.
 */
export function f32_gemv_packed(N: i32, K: i32, a: usize, bp: usize, c: usize, bias: usize, act: i32): void {
  assert(N > 0 && K >= 0 && WS != 0);
  const strip = <usize>K << 7;
  let n = 0;
  for (; n + 32 <= N; n += 32) {
    gemv_strip32(K, a, bp, c + (<usize>n << 2), bias + (<usize>n << 2), act);
    bp += strip;
  }
  if (n < N) {
    const r = N - n;
    const stripC = WS + WS_STRIP_C, stripBias = WS + WS_STRIP_BIAS;
    for (let j = 0; j < 32; j++) store<f32>(stripBias + (<usize>j << 2), j < r ? load<f32>(bias + (<usize>(n + j) << 2)) : 0);
    gemv_strip32(K, a, bp, stripC, stripBias, act);
    for (let j = 0; j < r; j++) store<f32>(c + (<usize>(n + j) << 2), load<f32>(stripC + (<usize>j << 2)));
  }
}

function gemv_strip32(K: i32, a: usize, b: usize, c: usize, bias: usize, act: i32): void {
  let v0 = v128.load(bias), v1 = v128.load(bias, 16), v2 = v128.load(bias, 32), v3 = v128.load(bias, 48);
  let v4 = v128.load(bias, 64), v5 = v128.load(bias, 80), v6 = v128.load(bias, 96), v7 = v128.load(bias, 112);
  const end = b + (<usize>K << 7);
  while (b < end) {
    const va = v128.load32_splat(a);
    v0 = f32x4.add(v0, f32x4.mul(va, v128.load(b)));
    v1 = f32x4.add(v1, f32x4.mul(va, v128.load(b, 16)));
    v2 = f32x4.add(v2, f32x4.mul(va, v128.load(b, 32)));
    v3 = f32x4.add(v3, f32x4.mul(va, v128.load(b, 48)));
    v4 = f32x4.add(v4, f32x4.mul(va, v128.load(b, 64)));
    v5 = f32x4.add(v5, f32x4.mul(va, v128.load(b, 80)));
    v6 = f32x4.add(v6, f32x4.mul(va, v128.load(b, 96)));
    v7 = f32x4.add(v7, f32x4.mul(va, v128.load(b, 112)));
    a += 4;
    b += 128;
  }
  v128.store(c, act_store(act, v0)); v128.store(c, act_store(act, v1), 16);
  v128.store(c, act_store(act, v2), 32); v128.store(c, act_store(act, v3), 48);
  v128.store(c, act_store(act, v4), 64); v128.store(c, act_store(act, v5), 80);
  v128.store(c, act_store(act, v6), 96); v128.store(c, act_store(act, v7), 112);
}

/** dst = W[K][N] (row stride N) as strips of 32 columns, each K x 32 floats, the last zero-padded. */
export function pack_strips32(K: i32, N: i32, w: usize, dst: usize): void {
  const ld = <usize>N << 2;
  for (let n = 0; n < N; n += 32) {
    const r = min(32, N - n);
    let src = w + (<usize>n << 2);
    for (let k = 0; k < K; k++) {
      if (r == 32) {
        for (let j: usize = 0; j < 128; j += 16) v128.store(dst + j, v128.load(src + j));
      } else {
        for (let j = 0; j < 32; j++) store<f32>(dst + (<usize>j << 2), j < r ? load<f32>(src + (<usize>j << 2)) : 0);
      }
      dst += 128;
      src += ld;
    }
  }
}

/** 1 row x 8 columns. */
function f32_gemm_1x8_simd(K: i32, a: usize, sak: usize, b: usize, ldb: usize,
                           c: usize, bias: usize, mode: i32, act: i32): void {
  const i0 = init_src(mode, bias, c);
  let vacc0123 = v128.load(i0), vacc4567 = v128.load(i0, 16);
  for (let k = 0; k < K; k++) {
    const va = v128.load32_splat(a);
    vacc0123 = f32x4.add(vacc0123, f32x4.mul(va, v128.load(b)));
    vacc4567 = f32x4.add(vacc4567, f32x4.mul(va, v128.load(b, 16)));
    a += sak;
    b += ldb;
  }
  v128.store(c, tile_store(act, vacc0123)); v128.store(c, tile_store(act, vacc4567), 16);
}

/** 1 row x 1 column, scalar: the tail of every tile, in the same sum order. */
// @ts-ignore: decorator
@inline function f32_gemm_1x1_scalar(K: i32, a: usize, sak: usize, b: usize, ldb: usize,
                                     c: usize, bias: usize, mode: i32, act: i32): void {
  let acc = sinit(mode, bias, c);
  for (let k = 0; k < K; k++) {
    acc += load<f32>(a) * load<f32>(b);
    a += sak;
    b += ldb;
  }
  store<f32>(c, act_store_scalar(act, acc));
}

/**
 * C[M][N] = init + sum_k A(m,k) * B[k][n].
 * a: A base, element (m,k) at a + 4*(m*sam + k*sak); b: B[K][N] row stride ldb; c: C row stride ldc
 * (strides in elements). mode: GEMM_ZERO (init 0), GEMM_BIAS (init bias[n]), GEMM_ACC (init C).
 * act: ACT_* applied to each finished element before it is stored (ACT_LINEAR: none).
 */
export function f32_gemm(M: i32, N: i32, K: i32, a: usize, sam: i32, sak: i32, b: usize, ldb: i32,
                         c: usize, ldc: i32, bias: usize, mode: i32, act: i32): void {
  // (threaded build: split by output tiles across the pool, same bits; see threads.ts)
  if (ASC_FEATURE_THREADS) { if (pool_gemm(M, N, K, a, sam, sak, b, ldb, false, c, ldc, bias, mode, act)) return; }
  gemm_kblocks(M, N, K, a, sam, sak, b, ldb, false, c, ldc, bias, mode, act);
}

/**
 * The same with B given transposed: B[k][n] = bt[n][k] (bt row stride ldbt, in elements), so
 * dX = dY . W^T reads W where it lies, no transposed copy. The transpose happens as each 8-column
 * panel is packed (4 x 4 blocks through shuffles), a step the product makes anyway; same sums.
 */
export function f32_gemm_bt(M: i32, N: i32, K: i32, a: usize, sam: i32, sak: i32, bt: usize, ldbt: i32,
                            c: usize, ldc: i32, bias: usize, mode: i32, act: i32): void {
  if (ASC_FEATURE_THREADS) { if (pool_gemm(M, N, K, a, sam, sak, bt, ldbt, true, c, ldc, bias, mode, act)) return; }
  gemm_kblocks(M, N, K, a, sam, sak, bt, ldbt, true, c, ldc, bias, mode, act);
}

export function gemm_kblocks(M: i32, N: i32, K: i32, a: usize, sam: i32, sak: i32, b: usize, ldb: i32, bt: bool,
                      c: usize, ldc: i32, bias: usize, mode: i32, act: i32): void {
  assert(M >= 0 && N >= 0 && K >= 0 && ldc >= N && (bt ? ldb >= K : ldb >= N));
  assert(WS != 0);   // the workspace (panels, tails) is set: set_workspace
  // K in blocks of KB: a block's 8-column strip of B (KB x 8 floats) stays in L1 while every row
  // block of A passes over it. Later blocks accumulate into C, so each element still sums init, then
  // k = 0..K-1 in order (an f32 store and reload is exact): the same bits as one pass.
  for (let k0 = 0; k0 < K; k0 += KB) {
    const kb = min(KB, K - k0);
    const last = k0 + kb >= K;
    gemm_block(M, N, kb, a + (<usize>(k0 * sak) << 2), sam, sak, b + (<usize>(bt ? k0 : k0 * ldb) << 2), ldb, bt, c, ldc, bias,
               k0 == 0 ? mode : GEMM_ACC, last ? act : ACT_LINEAR);
  }
  if (K == 0) gemm_block(M, N, 0, a, sam, sak, b, ldb, bt, c, ldc, bias, mode, act);
}

const KB = 256;
// (A row-major is not packed by fours for f32_gemm_4x8_sbs: session 36 did, from 32 columns, and measured
// 1.04-1.09x on its host; on sessions 38 and 39's AMD EPYC (Zen 5) hosts every shape ran faster without the
// copy, 256^3 1.065x, 64 x 784 x 256 1.04x, convdae 1.04-1.08x, dense784 training 1.026-1.029x; docs/benchmark-log.md)
// rows from which packing B pays for itself (the copy is K x 8 floats per strip, reused M/4 times)
const PACK_MIN_ROWS = 6;
// The mutable scratch of the products lives in a workspace the bindings place in the model's arena
// (one per thread in the threaded build: WS is a wasm global, so each instance, i.e. each thread,
// has its own pointer; nothing mutable is in static data that threads would share):
//   PANEL      the packed strip, KB rows of 8 floats (64-byte aligned)
//   TAIL_C     a column tail's 6 rows of 8 floats;  TAIL_BIAS  the tail's bias padded to 8
//   STRIP_C    f32_gemv_packed's last strip;        STRIP_BIAS its bias padded to 32
const WS_PANEL: usize = 0;
const WS_TAIL_C: usize = WS_PANEL + KB * 8 * 4;
const WS_TAIL_BIAS: usize = WS_TAIL_C + 6 * 8 * 4;
const WS_STRIP_C: usize = WS_TAIL_BIAS + 8 * 4;
const WS_STRIP_BIAS: usize = WS_STRIP_C + 32 * 4;
/** Bytes of one workspace (a multiple of 64). */
export const WS_BYTES: usize = (WS_STRIP_BIAS + 32 * 4 + 63) & ~63;
let WS: usize = 0;
/** This instance's (this thread's) workspace: WS_BYTES at p, 64-byte aligned. */
export function set_workspace(p: usize): void {
  WS = p;
}
/**
 * This thread's PANEL (KB * 8 floats, 64-byte aligned) as scratch for a kernel that runs no product while
 * it uses it (density.ts's lists of nearest codes): a product overwrites it.
 */
export function ws_scratch(): usize { return WS + WS_PANEL; }
/** The bytes of ws_scratch(). */
export const WS_SCRATCH_BYTES: usize = KB * 8 * 4;

/** dst[0..r) = src[0..r), r < 8 floats (a call to memory.copy costs more than the copy) */
// @ts-ignore: decorator
@inline function copy_cols(dst: usize, src: usize, r: i32): void {
  let i = 0;
  if (r >= 4) { v128.store(dst, v128.load(src)); i = 4; }
  for (; i < r; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/**
 * Where a block of rows switches from 4-row tiles to one 6-row tile (M when it does not): the 6-row
 * tile takes the last 6 or 7 rows when 4-row tiles would leave 2 or 3 (M >= 6), which 1-row tiles (two
 * accumulators, each k waiting on the add before) would take about twice as long. 4-row tiles come
 * first: their 8 accumulators and the operands fit the registers V8 allocates, where the 6-row tile's
 * 12 do not quite (on an AMD EPYC host: 86% of the f32x4 peak against 60%, tiles alone). Each
 * element's sum keeps its order whichever tile computes it, so the tiling does not change a bit.
 */
// @ts-ignore: decorator
@inline function six_at(M: i32): i32 {
  const r = M & 3;
  return r >= 2 && M >= 6 ? M - 4 - r : M;
}

/** C[M][0..r) for r < 8 remaining columns (a, b, c, bias at column n; strides in bytes). */
function gemm_tail_packed(M: i32, r: i32, K: i32, a: usize, samB: usize, sakB: usize, b: usize, ldbB: usize, bt: bool,
                          c: usize, ldcB: usize, bias: usize, mode: i32, act: i32): void {
  // PANEL[k] = B[k][0..r) then zeros (bt: B[k][j] = b[j][k])
  const PANEL = WS + WS_PANEL, TAIL_C = WS + WS_TAIL_C, TAIL_BIAS = WS + WS_TAIL_BIAS;
  let p = PANEL, q = b;
  for (let k = 0; k < K; k++) {
    v128.store(p, f32x4.splat(0)); v128.store(p, f32x4.splat(0), 16);
    if (bt) {
      for (let j = 0; j < r; j++) store<f32>(p + (<usize>j << 2), load<f32>(q + <usize>j * ldbB));
      q += 4;
    } else {
      copy_cols(p, q, r);
      q += ldbB;
    }
    p += 32;
  }
  v128.store(TAIL_BIAS, f32x4.splat(0)); v128.store(TAIL_BIAS, f32x4.splat(0), 16);
  if (mode == GEMM_BIAS) copy_cols(TAIL_BIAS, bias, r);
  let m = 0;
  const m6 = six_at(M), tact = tile_act(act);
  while (m < M) {
    const rows = m + 4 <= m6 ? 4 : m == m6 ? 6 : 1;
    const am = a + <usize>m * samB, cm = c + <usize>m * ldcB;
    if (mode == GEMM_ACC) for (let i = 0; i < rows; i++) copy_cols(TAIL_C + (<usize>i << 5), cm + <usize>i * ldcB, r);
    if (rows == 6) f32_gemm_6x8_simd(K, am, samB, sakB, PANEL, TAIL_C, 32, TAIL_BIAS, mode, tact);
    else if (rows == 4) f32_gemm_4x8_simd(K, am, samB, sakB, PANEL, 32, TAIL_C, 32, TAIL_BIAS, mode, tact);
    else f32_gemm_1x8_simd(K, am, sakB, PANEL, 32, TAIL_C, TAIL_BIAS, mode, tact);
    act_rows(act, TAIL_C, 32, rows);
    for (let i = 0; i < rows; i++) copy_cols(cm + <usize>i * ldcB, TAIL_C + (<usize>i << 5), r);
    m += rows;
  }
}

/** PANEL[k][0..W) = B[k][0..W) for k < K, W 4 or 8 (b: &B[0][n], ldb in bytes). */
function pack_panel(K: i32, b: usize, ldb: usize, W: i32): void {
  let p = WS + WS_PANEL;
  if (W == 8) {
    for (let k = 0; k < K; k++) {
      v128.store(p, v128.load(b));
      v128.store(p, v128.load(b, 16), 16);
      p += 32;
      b += ldb;
    }
  } else {
    for (let k = 0; k < K; k++) {
      v128.store(p, v128.load(b));
      p += 16;
      b += ldb;
    }
  }
}

/**
 * PANEL[k][j] = bt[j][k] for k < K, j < W (W 4 or 8: the panel's width; bt: &bt[n][0], ldb: its row
 * stride in bytes). 4 x 4 transposes: rows 4h..4h+3 of bt give columns 4h..4h+3 of four panel rows.
 */
function pack_panel_t(K: i32, bt: usize, ldb: usize, W: i32): void {
  let p = WS + WS_PANEL, q = bt;
  const pw = <usize>W << 2;   // bytes per panel row
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    for (let h: usize = 0; h < pw; h += 16) {
      const r = q + (h >> 4) * 4 * ldb;
      const r0 = v128.load(r), r1 = v128.load(r + ldb), r2 = v128.load(r + 2 * ldb), r3 = v128.load(r + 3 * ldb);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      v128.store(p + h, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(p + h + pw, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
      v128.store(p + h + 2 * pw, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
      v128.store(p + h + 3 * pw, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
    }
    p += 4 * pw;
    q += 16;
  }
  for (; k < K; k++) {
    for (let j = 0; j < W; j++) store<f32>(p + (<usize>j << 2), load<f32>(q + <usize>j * ldb));
    p += pw;
    q += 4;
  }
}

/**
 * One K block. The rows that 4-row tiles take (all but a 6- or 7-row or a 1-3-row tail, six_at) go through
 * f32_gemm_4x8_sbs when A is given transposed (sam 1: its four rows side by side, read in place); the tail
 * rows, and a row-major A, take the row tiles of block_cols.
 */
function gemm_block(M: i32, N: i32, K: i32, a: usize, sam: i32, sak: i32, b: usize, ldb: i32, bt: bool,
                    c: usize, ldc: i32, bias: usize, mode: i32, act: i32): void {
  const R4 = six_at(M) & ~3;
  if (R4 == 0 || sam != 1 || (M < PACK_MIN_ROWS && !bt)) {
    block_cols(M, N, K, a, sam, sak, b, ldb, bt, c, ldc, bias, mode, act, false);
    return;
  }
  block_cols(R4, N, K, a, sam, sak, b, ldb, bt, c, ldc, bias, mode, act, true);
  if (R4 < M) block_cols(M - R4, N, K, a + (<usize>R4 << 2), sam, sak, b, ldb, bt, c + <usize>R4 * (<usize>ldc << 2), ldc, bias, mode, act, false);
}

/**
 * One K block's columns: 8-column strips outermost (their B panel stays hot), row tiles inside. sbs: A is
 * given transposed (sam 1), M is a multiple of 4 and every row tile of an 8-column strip is f32_gemm_4x8_sbs;
 * the 4-column strip and a packed tail take the row tiles.
 */
function block_cols(M: i32, N: i32, K: i32, a: usize, sam: i32, sak: i32, b: usize, ldb: i32, bt: bool,
                    c: usize, ldc: i32, bias: usize, mode: i32, act: i32, sbs: bool): void {
  const N8 = N & ~7;
  let n = 0;
  for (; n < N8; n += 8) gemm_strip(M, n, K, a, sam, sak, b, ldb, bt, c, ldc, bias, mode, act, sbs);
  if (n == N) return;
  // exactly 4 more columns (N = 4, 12, 20, ...): one 4-wide strip, no column computed twice or dropped
  if (N - n == 4) { gemm_strip4(M, n, K, a, sam, sak, b, ldb, bt, c, ldc, bias, mode, act); return; }
  // The last 1-7 columns. With 8 or more columns and an init that does not read C, the last strip is
  // taken at N - 8, overlapping the one before: the overlapped columns are computed again from the same
  // init in the same order (the same bits) and stored over themselves, and the activation applies to
  // the fresh sums (a tile stores before act_rows reads). Accumulating (C read as the init) cannot
  // recompute them, nor can fewer than 8 columns: a zero-padded 8-wide panel, tiles computed into an
  // 8-wide scratch tile and their valid columns copied out (the padding lanes are computed and dropped).
  if (N >= 8 && mode != GEMM_ACC) gemm_strip(M, N - 8, K, a, sam, sak, b, ldb, bt, c, ldc, bias, mode, act, sbs);
  else gemm_tail_packed(M, N - n, K, a, <usize>sam << 2, <usize>sak << 2, bt ? b + <usize>n * (<usize>ldb << 2) : b + (<usize>n << 2), <usize>ldb << 2, bt,
                        c + (<usize>n << 2), <usize>ldc << 2, bias + (<usize>n << 2), mode, act);
}

/** Columns [n, n + 8) of one K block: the strip's B packed into the panel (with enough rows), then row tiles. */
function gemm_strip(M: i32, n: i32, K: i32, a: usize, sam: i32, sak: i32, b: usize, ldb: i32, bt: bool,
                    c: usize, ldc: i32, bias: usize, mode: i32, act: i32, sbs: bool): void {
  const samB = <usize>sam << 2, sakB = <usize>sak << 2, ldbB = <usize>ldb << 2, ldcB = <usize>ldc << 2;
  // with enough rows, each 8-column strip of B is first copied into a contiguous panel (K x 8,
  // 32 bytes per k): the tiles then stream it from L1 instead of touching one line per k at a
  // stride of N floats (N = 256 puts all those lines in 4 of L1's 64 sets). Same products, same
  // order: packing moves data, not arithmetic.
  // (B given transposed is always packed: the panel is where it gets its B[k][n] layout)
  const pack = bt || M >= PACK_MIN_ROWS || sbs;
  const m6 = pack ? six_at(M) : M, tact = tile_act(act);
  let bn = b + (<usize>n << 2), ldbN = ldbB;
  const cn = c + (<usize>n << 2), biasn = bias + (<usize>n << 2);
  let m = 0;
  if (pack) {
    if (bt) pack_panel_t(K, b + <usize>n * ldbB, ldbB, 8);
    else pack_panel(K, bn, ldbB, 8);
    bn = WS + WS_PANEL;
    ldbN = 32;
  }
  if (sbs) {
    // (M a multiple of 4, sam 1: gemm_block)
    for (; m < M; m += 4) {
      const cm = cn + <usize>m * ldcB;
      f32_gemm_4x8_sbs(K, a + (<usize>m << 2), sakB, bn, cm, ldcB, biasn, mode, tact);
      act_rows(act, cm, ldcB, 4);
    }
    return;
  }
  // 4-row tiles, then (packed, when 4-row tiles would leave 2 or 3 rows) one 6-row tile, then 1-row ones
  for (; m + 4 <= m6; m += 4) {
    const cm = cn + <usize>m * ldcB;
    f32_gemm_4x8_simd(K, a + <usize>m * samB, samB, sakB, bn, ldbN, cm, ldcB, biasn, mode, tact);
    act_rows(act, cm, ldcB, 4);
  }
  if (pack && m == m6 && m6 < M) {
    const cm = cn + <usize>m * ldcB;
    f32_gemm_6x8_simd(K, a + <usize>m * samB, samB, sakB, bn, cm, ldcB, biasn, mode, tact);
    act_rows(act, cm, ldcB, 6);
    m += 6;
  }
  for (; m < M; m++) {
    const cm = cn + <usize>m * ldcB;
    f32_gemm_1x8_simd(K, a + <usize>m * samB, sakB, bn, ldbN, cm, biasn, mode, tact);
    act_rows(act, cm, ldcB, 1);
  }
}

/**
 * Columns [n, n + 4) of one K block, the last 4 of a product 4 wider than a multiple of 8 (a 12-wide
 * layer, a latent of 4): 4x4 and 1x4 tiles over a 4-wide panel (16 bytes per k). The 8-wide tiles would
 * compute 8 columns there (a zero-padded tail, or a strip overlapping the one before): twice the work.
 * Each element still sums its init, then k = 0..K-1 in order, so the same bits.
 */
function gemm_strip4(M: i32, n: i32, K: i32, a: usize, sam: i32, sak: i32, b: usize, ldb: i32, bt: bool,
                     c: usize, ldc: i32, bias: usize, mode: i32, act: i32): void {
  const samB = <usize>sam << 2, sakB = <usize>sak << 2, ldbB = <usize>ldb << 2, ldcB = <usize>ldc << 2;
  const pack = bt || M >= PACK_MIN_ROWS, tact = tile_act(act);
  let bn = b + (<usize>n << 2), ldbN = ldbB;
  const cn = c + (<usize>n << 2), biasn = bias + (<usize>n << 2);
  if (pack) {
    if (bt) pack_panel_t(K, b + <usize>n * ldbB, ldbB, 4);
    else pack_panel(K, bn, ldbB, 4);
    bn = WS + WS_PANEL;
    ldbN = 16;
  }
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    const cm = cn + <usize>m * ldcB;
    f32_gemm_4x4_simd(K, a + <usize>m * samB, samB, sakB, bn, ldbN, cm, ldcB, biasn, mode, tact);
    act_rows(act, cm, ldcB, 4, 4);
  }
  for (; m < M; m++) {
    const cm = cn + <usize>m * ldcB;
    let vacc = v128.load(init_src(mode, biasn, cm));
    let am = a + <usize>m * samB, bk = bn;
    for (let k = 0; k < K; k++) {
      vacc = f32x4.add(vacc, f32x4.mul(v128.load32_splat(am), v128.load(bk)));
      am += sakB;
      bk += ldbN;
    }
    v128.store(cm, tile_store(tact, vacc));
    act_rows(act, cm, ldcB, 1, 4);
  }
}

/** 4 rows x 4 columns over B (ldb bytes a k): 4 accumulators, the 4x8 tile's order. */
// @ts-ignore: decorator
@inline function f32_gemm_4x4_simd(K: i32, a: usize, sam: usize, sak: usize, b: usize, ldb: usize,
                                   c: usize, ldc: usize, bias: usize, mode: i32, act: i32): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  const i0 = init_src(mode, bias, c), il = init_ld(mode, ldc);
  let vacc0 = v128.load(i0), vacc1 = v128.load(i0 + il), vacc2 = v128.load(i0 + 2 * il), vacc3 = v128.load(i0 + 3 * il);
  let a0 = a, a1 = a + sam, a2 = a1 + sam, a3 = a2 + sam;
  for (let k = 0; k < K; k++) {
    const vb = v128.load(b);
    vacc0 = f32x4.add(vacc0, f32x4.mul(v128.load32_splat(a0), vb));
    vacc1 = f32x4.add(vacc1, f32x4.mul(v128.load32_splat(a1), vb));
    vacc2 = f32x4.add(vacc2, f32x4.mul(v128.load32_splat(a2), vb));
    vacc3 = f32x4.add(vacc3, f32x4.mul(v128.load32_splat(a3), vb));
    a0 += sak; a1 += sak; a2 += sak; a3 += sak;
    b += ldb;
  }
  v128.store(c, tile_store(act, vacc0));
  v128.store(c1, tile_store(act, vacc1));
  v128.store(c2, tile_store(act, vacc2));
  v128.store(c3, tile_store(act, vacc3));
}

/** The same product, scalar and untiled: the in-module oracle the SIMD path is checked against. */
export function f32_gemm_scalar(M: i32, N: i32, K: i32, a: usize, sam: i32, sak: i32, b: usize, ldb: i32,
                                c: usize, ldc: i32, bias: usize, mode: i32, act: i32): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      f32_gemm_1x1_scalar(K, a + (<usize>(m * sam) << 2), <usize>sak << 2, b + (<usize>n << 2), <usize>ldb << 2,
                          c + (<usize>(m * ldc + n) << 2), bias + (<usize>n << 2), mode, act);
    }
  }
}

/** dst[n] (+)= sum_r src[r][n] over R rows of N columns (row stride ldr, 0: N): the bias gradient; acc adds to dst.
 *  32 columns per pass over the rows (8 f32x4 sums), each column summed in row order, so any split of
 *  the columns gives the same bits (threads.ts: the dW product's units sum their strips' columns). */
export function f32_colsum(dst: usize, src: usize, R: i32, N: i32, acc: bool, ldr: i32 = 0): void {
  const ld = <usize>(ldr > 0 ? ldr : N) << 2;
  if (!acc) memory.fill(dst, 0, <usize>N << 2);
  let n = 0;
  for (; n + 32 <= N; n += 32) {
    const d = dst + (<usize>n << 2);
    let v0 = v128.load(d), v1 = v128.load(d, 16), v2 = v128.load(d, 32), v3 = v128.load(d, 48);
    let v4 = v128.load(d, 64), v5 = v128.load(d, 80), v6 = v128.load(d, 96), v7 = v128.load(d, 112);
    let p = src + (<usize>n << 2);
    for (let r = 0; r < R; r++) {
      v0 = f32x4.add(v0, v128.load(p)); v1 = f32x4.add(v1, v128.load(p, 16));
      v2 = f32x4.add(v2, v128.load(p, 32)); v3 = f32x4.add(v3, v128.load(p, 48));
      v4 = f32x4.add(v4, v128.load(p, 64)); v5 = f32x4.add(v5, v128.load(p, 80));
      v6 = f32x4.add(v6, v128.load(p, 96)); v7 = f32x4.add(v7, v128.load(p, 112));
      p += ld;
    }
    v128.store(d, v0); v128.store(d, v1, 16); v128.store(d, v2, 32); v128.store(d, v3, 48);
    v128.store(d, v4, 64); v128.store(d, v5, 80); v128.store(d, v6, 96); v128.store(d, v7, 112);
  }
  for (; n + 4 <= N; n += 4) {
    let vacc = v128.load(dst + (<usize>n << 2));
    let p = src + (<usize>n << 2);
    for (let r = 0; r < R; r++) {
      vacc = f32x4.add(vacc, v128.load(p));
      p += ld;
    }
    v128.store(dst + (<usize>n << 2), vacc);
  }
  for (; n < N; n++) {
    let a = load<f32>(dst + (<usize>n << 2));
    let p = src + (<usize>n << 2);
    for (let r = 0; r < R; r++) {
      a += load<f32>(p);
      p += ld;
    }
    store<f32>(dst + (<usize>n << 2), a);
  }
}

/** dst[N][R] = src[R][N] transposed (for dX = dY . W^T). */
export function f32_transpose(dst: usize, src: usize, R: i32, N: i32): void {
  for (let r = 0; r < R; r++) {
    const row = src + (<usize>(r * N) << 2);
    for (let n = 0; n < N; n++) {
      store<f32>(dst + (<usize>(n * R + r) << 2), load<f32>(row + (<usize>n << 2)));
    }
  }
}
