// contractive.ts: the contractive autoencoder's penalty (Rifai et al., "Contractive Auto-Encoders",
// ICML 2011), exact through every dense encoder layer and activation: P = w * (1/R) sum_rows
// ||dz/dx||_F^2, and its exact gradient (second derivatives of the activations included).
// Not a GEMM kernel: per row, loops over the Jacobians, for tabular widths.
// Dims: R rows, D input width, I/O a layer's input/output width, E encoder layers (nodes 0..E-1).
// Per row, forward: J_l = diag(f'(a_l)) M_l, M_l = W_l^T J_{l-1} (J_0 = I), so M_1 = W_1^T.
// Backward: G_E = 2w/R J_E; per layer, ds = rowsum(G_l . M_l), dM = diag(s) G_l, dW += J_{l-1} dM^T,
// G_{l-1} = W dM, da = ds f''(a) + dh_l f'(a), dW += h_{l-1} da, db += da, dh_{l-1} = W da.
// Rows run in chunks of CAE_ROWS. Each row's whole pipeline (forward, then backward layer by layer: CAE_ROW) runs on the
// thread that takes it, in that thread's work block (J, M, G, Gn, dM transposed, dh), which stays in its core's cache
// from row to row; what the sums over rows need (the first layer's dM transposed, da, the row's dW terms) goes into the
// row's own block, and CAE_SUM adds the chunk's rows' terms to dW in row order (on threads: two syncs a chunk). Every
// element is computed as in a row-by-row pass, and the weight and bias gradients take the rows' terms in row order:
// the bits of the scalar loops, on any thread count.
// Scratch (C_CSCRATCH): the first layer's W transposed (maxO x D), the chunk's penalties (f64 each), a block a row
// (row_floats), a work block a thread (work_floats), then 16 floats (a last sixteen-wide block of sums reads up to 15
// past what it keeps). The loops over d
// (or over o, for dW) run four or sixteen in f32x4 lanes, each lane doing the scalar loop's operations in its order (no
// fused multiply-add in wasm's SIMD): the bits of the scalar loops.

import * as A from './arena';
import { cp, ci, layer, li, lp } from './arena';
import { ws_scratch } from './gemm';
import { pool_cae, pool_threads } from './threads';
import { d2act_scalar, dact_scalar } from './act';

// @ts-ignore: decorator
@inline function f(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function put(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }
// @ts-ignore: decorator
@inline function add(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), load<f32>(p + (<usize>i << 2)) + v); }

/** Rows of a chunk: at most CAE_ROWS, fewer where their blocks would pass CAE_FLOATS (chunk_rows). */
const CAE_ROWS = 16;
const CAE_FLOATS = 1 << 21;
/** A chunk's rows (bindings/wasm.ts sizes the scratch alike): min(the batch capacity, CAE_FLOATS / a row's floats, CAE_ROWS), at least 2. */
function chunk_rows(ctx: usize, E: i32, D: i32): i32 {
  return min(ci(ctx, A.C_CAP), max(2, min(CAE_ROWS, CAE_FLOATS / row_floats(ctx, E, D))));
}

// Two kinds of block. A thread's work block (work_floats), which each row it takes uses in turn, so that it stays in
// that core's cache: J_1..J_E (D x sum O), M_2..M_E (D x the same sum without the first layer's O), G and Gn (maxO x D
// each; layer l's G is the first when E - 1 - l is even), T (dM transposed, D x maxO; the first layer's goes into the
// row's block), dh (maxO). A row's block (row_floats), what outlives its pipeline for CAE_SUM and the bias sums: the
// first layer's dM transposed (T0, D x O), every layer's da (sum O: da_at), and every layer's dW terms from the second
// on (In x Op each, Op: O rounded up to 16: tw_at).
// @ts-ignore: decorator
@inline function max_out(ctx: usize, E: i32): i32 {
  let w = 0;
  for (let l = 0; l < E; l++) w = max(w, li(layer(ctx, l), A.L_OUT));
  return w;
}
/** Floats of J_1..J_{l} (the Jacobians of the layers before layer l): where J_{l+1}, layer l's, starts in a work block. */
function j_at(ctx: usize, l: i32, D: i32): i32 {
  let n = 0;
  for (let k = 0; k < l; k++) n += li(layer(ctx, k), A.L_OUT) * D;
  return n;
}
/** Floats of a row's block. */
function row_floats(ctx: usize, E: i32, D: i32): i32 {
  return j_at(ctx, 1, D) + j_at(ctx, E, 1) + tw_before(ctx, E);
}
/** Floats of a thread's work block. */
function work_floats(ctx: usize, E: i32, D: i32): i32 {
  const mo = max_out(ctx, E);
  return 2 * j_at(ctx, E, D) - j_at(ctx, 1, D) + 3 * mo * D + mo;
}
/** Floats of a row's dW terms of layers 1..l-1: In x Op each (Op: O rounded up to 16); where layer l's start. */
function tw_before(ctx: usize, l: i32): i32 {
  let n = 0;
  for (let q = 1; q < l; q++) n += li(layer(ctx, q), A.L_IN) * ((li(layer(ctx, q), A.L_OUT) + 15) & ~15);
  return n;
}
/** Layer l's da in row block rb (O floats). */
// @ts-ignore: decorator
@inline function da_at(ctx: usize, D: i32, rb: usize, l: i32): usize {
  return rb + (<usize>(j_at(ctx, 1, D) + j_at(ctx, l, 1)) << 2);
}
/** Layer l's dW terms (l >= 1) in row block rb (In x Op floats). */
// @ts-ignore: decorator
@inline function tw_at(ctx: usize, E: i32, D: i32, rb: usize, l: i32): usize {
  return rb + (<usize>(j_at(ctx, 1, D) + j_at(ctx, E, 1) + tw_before(ctx, l)) << 2);
}
/** Row k's block of the chunk (the scratch: the first layer's W transposed, the penalties, the rows' blocks, the work blocks). */
function row_at(ctx: usize, E: i32, D: i32, k: i32): usize {
  return cp(ctx, A.C_CSCRATCH) + (<usize>(max_out(ctx, E) * D + 2 * CAE_ROWS + k * row_floats(ctx, E, D)) << 2);
}
/** Thread `lane`'s work block, after the ch rows' blocks. */
function work_at(ctx: usize, E: i32, D: i32, ch: i32, lane: i32): usize {
  const wb = row_at(ctx, E, D, ch) + (<usize>(lane * work_floats(ctx, E, D)) << 2);
  // (the test build: the block the bindings sized holds this work block and the 16 floats past it)
  if (!ASC_NO_ASSERT) assert(wb + (<usize>(work_floats(ctx, E, D) + 16) << 2) <= cp(ctx, A.C_CSCRATCH) + <usize>load<u32>(ctx + A.C_CSCRATCHCAP));
  return wb;
}
const WB_M = 0, WB_G0 = 1, WB_G1 = 2, WB_T = 3, WB_DH = 4;
/** Part `which` (WB_*) of work block wb: M_2..M_E, G, Gn, T, dh (J_1..J_E at its start). */
function wb_at(ctx: usize, E: i32, D: i32, wb: usize, which: i32): usize {
  const big = max_out(ctx, E) * D;
  let n = j_at(ctx, E, D);
  if (which > WB_M) n += j_at(ctx, E, D) - j_at(ctx, 1, D);
  if (which > WB_G0) n += big;
  if (which > WB_G1) n += big;
  if (which > WB_T) n += big;
  return wb + (<usize>n << 2);
}
/** Layer l's M_{l+1} = W^T J_{l-1} in work block wb (l >= 1; O x D), kept by its forward for its backward. */
// @ts-ignore: decorator
@inline function m_at(ctx: usize, E: i32, l: i32, D: i32, wb: usize): usize {
  return wb + (<usize>(j_at(ctx, E, D) + j_at(ctx, l, D) - j_at(ctx, 1, D)) << 2);
}

// The phases of a chunk (cae_phase), each over a range [a, b). Without gradients, CAE_FWD: the rows' forward (rows k of
// the chunk: every layer's J and M, and the penalty). With them, CAE_ROW (rows k): each row's whole pipeline, on the
// thread that took it, in that thread's work block: the forward (and G_E, a zero dh), then per layer l from the last:
// ds, dM (over G in place) and da (cae_o), dM transposed into T; for l >= 1 the row's terms of layer l's dW (cae_w) and
// dh_{l-1}, G_{l-1} (cae_g). Then CAE_SUM (rows i of every layer's dW, layer 0's first): dW's rows i add the chunk's
// rows' terms in row order (the first layer's are one product each, h[i] da[o] + T0[i][o]). A chunk has two syncs on
// threads, and only a row's T0, da and dW terms cross between the cores. Every element is computed as in a
// row-by-row pass, and the weight and bias gradients take the rows' terms in row order: the bits do not depend on the
// split.
export const CAE_FWD = 0;
export const CAE_ROW = 1;
export const CAE_SUM = 2;

/**
 * The penalty over R rows of x (the encoder's input, nodes 0..E-1 run forward already, training),
 * summed over rows and weighted (the epoch divides by its rows); with `grads`, adds its gradient
 * into the grad block (call after backward_nodes, which overwrites it). A weight of 0 (`contractive: 0`)
 * computes nothing and returns 0: its value and gradient would be 0 times the penalty's, so such a model
 * trains to the plain model's weights at its speed, and the bindings give it no scratch (C_CSCRATCH).
 */
export function contractive(ctx: usize, x: usize, R: i32, E: i32, wgt: f32, grads: bool): f64 {
  if (wgt == 0) return 0;
  const g = cp(ctx, A.C_GRADS), scr = cp(ctx, A.C_CSCRATCH);
  const D = li(layer(ctx, 0), A.L_IN), mo = max_out(ctx, E);
  // (the scale of G_E, 2w/R; negative: no gradients)
  const scale = grads ? <f32>2 * wgt / <f32>R : <f32>-1;
  // the first layer's weights transposed (WT): J_1 = diag(f') W^T row by row, and its M in the backward
  const L0 = layer(ctx, 0), O0 = li(L0, A.L_OUT), W0 = cp(ctx, A.C_PARAMS) + (<usize>li(L0, A.L_W) << 2);
  for (let d = 0; d < D; d++) for (let o = 0; o < O0; o++) put(scr, o * D + d, f(W0, d * O0 + o));
  const pens = scr + (<usize>(mo * D) << 2);
  let total: f64 = 0;
  let ch = chunk_rows(ctx, E, D);
  // (on threads, a whole number of rows a thread where the chunk holds one for each: a chunk's rows are its job's units;
  // the chunks' size does not change a bit)
  if (ASC_FEATURE_THREADS) {
    const T = pool_threads();
    if (T > 1 && ch >= T) ch -= ch % T;
  }
  const ins = in_before(ctx, E);
  for (let c0 = 0; c0 < R; c0 += ch) {
    const nr = min(ch, R - c0);
    cae_run(ctx, x, E, c0, nr, ch, grads ? CAE_ROW : CAE_FWD, scale, nr);
    for (let k = 0; k < nr; k++) total += <f64>wgt * load<f64>(pens + (<usize>k << 3));
    if (!grads) continue;
    cae_run(ctx, x, E, c0, nr, ch, CAE_SUM, scale, ins);
    // each layer's bias gradient: the rows' da in row order
    for (let l = E - 1; l >= 0; l--) {
      const L = layer(ctx, l), O = li(L, A.L_OUT), dB = g + (<usize>li(L, A.L_B) << 2);
      for (let k = 0; k < nr; k++) {
        const da = da_at(ctx, D, row_at(ctx, E, D, k), l);
        for (let o = 0; o < O; o++) add(dB, o, f(da, o));
      }
    }
  }
  return total;
}

/** In of layers 0..l-1: where layer l's rows i start in CAE_SUM's range. */
function in_before(ctx: usize, l: i32): i32 {
  let n = 0;
  for (let q = 0; q < l; q++) n += li(layer(ctx, q), A.L_IN);
  return n;
}

/** Phase `phase` of the chunk of nr rows from row r0 over its whole range 0..n-1: through the pool where it takes it, else here. */
function cae_run(ctx: usize, x: usize, E: i32, r0: i32, nr: i32, ch: i32, phase: i32, scale: f32, n: i32): void {
  if (ASC_FEATURE_THREADS && pool_cae(ctx, x, E, r0, nr, ch, phase, scale, n, cae_cost(ctx, E, nr, phase))) return;
  cae_phase(ctx, x, E, r0, nr, ch, phase, scale, 0, n, 0);
}

/** About the multiply-adds of a phase (its pool threshold), for each of nr rows. */
function cae_cost(ctx: usize, E: i32, nr: i32, phase: i32): i64 {
  const D = <i64>li(layer(ctx, 0), A.L_IN);
  let n: i64 = 0;
  for (let k = 0; k < E; k++) {
    const L = layer(ctx, k), IO = <i64>li(L, A.L_IN) * <i64>li(L, A.L_OUT);
    if (phase == CAE_SUM) n += IO;
    else if (phase == CAE_FWD) n += (k == 0 ? <i64>li(L, A.L_OUT) : IO) * D;
    // (the forward, ds and dM (its products added one at a time, dM transposed: about 8 multiply-adds an element),
    // the dW terms and G_{l-1})
    else n += (k == 0 ? 10 * <i64>li(L, A.L_OUT) : 3 * IO + 8 * <i64>li(L, A.L_OUT)) * D;
  }
  return n * <i64>nr;
}

/**
 * Range a..b-1 of phase `phase` (rows k of the chunk; for CAE_SUM rows i of every layer's dW, layer 0's first) of the
 * chunk of nr rows from row r0 (ch: a chunk's rows) of E encoder layers, on thread `lane` (its work block). scale:
 * G_E's, 2w/R (negative: the forward only).
 */
export function cae_phase(ctx: usize, x: usize, E: i32, r0: i32, nr: i32, ch: i32, phase: i32, scale: f32, a: i32, b: i32, lane: i32): void {
  const D = li(layer(ctx, 0), A.L_IN);
  if (phase == CAE_SUM) {
    for (let q = 0, i0 = 0; q < E; q++) {
      const In = li(layer(ctx, q), A.L_IN), lo = max(a - i0, 0), hi = min(b - i0, In);
      if (lo < hi) cae_wsum(ctx, x, E, D, r0, nr, q, lo, hi);
      i0 += In;
    }
    return;
  }
  const pens = cp(ctx, A.C_CSCRATCH) + (<usize>(max_out(ctx, E) * D) << 2), wb = work_at(ctx, E, D, ch, lane);
  for (let k = a; k < b; k++) {
    const rb = row_at(ctx, E, D, k);
    for (let q = 0; q < E; q++) cae_fwd(ctx, E, D, r0 + k, q, wb);
    // the row's penalty ||J_E||^2 (f64, in order), and with gradients G_E = scale J_E and dh = 0
    const jE = wb + (<usize>j_at(ctx, E - 1, D) << 2), OE = li(layer(ctx, E - 1), A.L_OUT);
    let pen: f64 = 0;
    for (let i = 0; i < OE * D; i++) pen += <f64>(f(jE, i) * f(jE, i));
    store<f64>(pens + (<usize>k << 3), pen);
    if (phase == CAE_FWD) continue;
    const G = wb_at(ctx, E, D, wb, WB_G0), dh = wb_at(ctx, E, D, wb, WB_DH);
    for (let i = 0; i < OE * D; i++) put(G, i, scale * f(jE, i));
    for (let i = 0, mo = max_out(ctx, E); i < mo; i++) put(dh, i, 0);
    for (let q = E - 1; q >= 0; q--) {
      cae_o(ctx, E, D, r0 + k, q, wb, rb);
      if (q > 0) {
        cae_w(ctx, E, D, r0 + k, q, wb, rb);
        cae_g(ctx, E, D, q, wb, rb);
      }
    }
  }
}

/** Layer l's G (the first of a work block's two when E - 1 - l is even: G_E is written there) or, with `next`, G_{l-1}. */
// @ts-ignore: decorator
@inline function g_at(ctx: usize, E: i32, D: i32, wb: usize, l: i32, next: bool): usize {
  return wb_at(ctx, E, D, wb, (((E - 1 - l) & 1) == 0) != next ? WB_G0 : WB_G1);
}

/**
 * Layer l of batch row r (work block wb, row block rb): ds = sum_d G[o][d] M[o][d], M as the forward kept it (J_l / s
 * would lose M where s underflows; M_1 = W^T); G[o] becomes dM[o] = s G[o], and T[d][o] = dM[o][d] (dM transposed, so
 * that four o of dW's rows are one load; the first layer's into the row's T0); da = ds f''(a) + dh s. Four o at a time
 * (ds_4o: each lane one o's ds, its products added one by one in d's order), then the rest one o at a time (ds_add:
 * four d's products, added in order).
 */
function cae_o(ctx: usize, E: i32, D: i32, r: i32, l: i32, wb: usize, rb: usize): void {
  const L = layer(ctx, l), O = li(L, A.L_OUT), act = li(L, A.L_ACT);
  const G = g_at(ctx, E, D, wb, l, false), T = l == 0 ? rb : wb_at(ctx, E, D, wb, WB_T);
  const dh = wb_at(ctx, E, D, wb, WB_DH), da = da_at(ctx, D, rb, l);
  const M: usize = l == 0 ? cp(ctx, A.C_CSCRATCH) : m_at(ctx, E, l, D, wb), y = lp(L, A.L_Y) + (<usize>(r * O) << 2);
  let o = 0;
  for (; o + 4 <= O; o += 4) ds_4o(G, M, T, y, dh, da, act, o, O, D);
  for (; o < O; o++) {
    const av = f(y, o), s = dact_scalar(act, av);
    let ds: f32 = 0, d = 0;
    for (; d + 4 <= D; d += 4) ds = ds_add(ds, G + (<usize>(o * D + d) << 2), v128.load(M + (<usize>(o * D + d) << 2)), s);
    for (; d < D; d++) {
      ds += f(G, o * D + d) * f(M, o * D + d);
      put(G, o * D + d, s * f(G, o * D + d));
    }
    put(da, o, ds * d2act_scalar(act, av) + f(dh, o) * s);
    for (d = 0; d < D; d++) put(T, d * O + o, f(G, o * D + d));
  }
}

/**
 * Layer l's (l >= 1) dW terms of batch row r into the row's block: h_{l-1}[i] da[o] + sum_d J_{l-1}[i][d] dM[o][d] (in
 * d's order), rows Op = O rounded up to 16 floats apart: sixteen o at a time, two rows i at a time (sum16x2: one load of
 * T for both), in place from h da. A last block's lanes past O read the floats after da and T's rows and are never
 * added: CAE_SUM adds the O terms of each row to dW in row order.
 */
function cae_w(ctx: usize, E: i32, D: i32, r: i32, l: i32, wb: usize, rb: usize): void {
  const L = layer(ctx, l), O = li(L, A.L_OUT), In = li(L, A.L_IN), Op = (O + 15) & ~15;
  const T = wb_at(ctx, E, D, wb, WB_T), da = da_at(ctx, D, rb, l);
  const tw = tw_at(ctx, E, D, rb, l), Jp = wb + (<usize>j_at(ctx, l - 1, D) << 2);
  const hp = lp(layer(ctx, l - 1), A.L_Y) + (<usize>(r * In) << 2);
  for (let i = 0; i < In; i += 2) {
    const two = i + 1 < In, hi0 = f(hp, i), hi1 = two ? f(hp, i + 1) : 0;
    for (let o = 0; o < Op; o += 16) {
      const at = tw + (<usize>(i * Op + o) << 2), at1 = at + (<usize>Op << 2);
      for (let q = 0; q < 64; q += 16) {
        const dq = v128.load(da + (<usize>o << 2) + q);
        v128.store(at + q, f32x4.mul(f32x4.splat(hi0), dq));
        if (two) v128.store(at1 + q, f32x4.mul(f32x4.splat(hi1), dq));
      }
      if (two) sum16x2(Jp + (<usize>(i * D) << 2), Jp + (<usize>((i + 1) * D) << 2), 4, T + (<usize>o << 2), O << 2, D, at, at1, false);
      else sum16(Jp + (<usize>(i * D) << 2), 4, T + (<usize>o << 2), O << 2, D, at, false);
    }
  }
}

/**
 * Layer l's (l >= 1) G_{l-1} = W dM (sixteen d at a time, two rows i at a time: one load of G for both) and dh_{l-1} =
 * W da, read by layer l-1's cae_o (this layer's dh was read by its own, before).
 */
function cae_g(ctx: usize, E: i32, D: i32, l: i32, wb: usize, rb: usize): void {
  const L = layer(ctx, l), O = li(L, A.L_OUT), In = li(L, A.L_IN);
  const W = cp(ctx, A.C_PARAMS) + (<usize>li(L, A.L_W) << 2);
  const G = g_at(ctx, E, D, wb, l, false), Gn = g_at(ctx, E, D, wb, l, true);
  const dh = wb_at(ctx, E, D, wb, WB_DH), da = da_at(ctx, D, rb, l);
  for (let i = 0; i < In; i += 2) {
    for (let d = 0; d < D; d += 16) {
      sums16(W + (<usize>(i * O) << 2), W + (<usize>((i + 1) * O) << 2), 4, G + (<usize>d << 2), D << 2, O,
             Gn + (<usize>(i * D + d) << 2), D, min(16, D - d), i + 1 < In);
    }
  }
  for (let i = 0; i < In; i++) {
    let dhi: f32 = 0;
    for (let o = 0; o < O; o++) dhi += f(W, i * O + o) * f(da, o);
    put(dh, i, dhi);
  }
}

/**
 * Layer l's dW rows i a..b-1 plus the chunk's rows' terms in row order: a row's dW terms (l >= 1, rows Op floats apart),
 * or for the first layer (J_0 = I) h[i] da[o] + dM[o][i] from the row's T0, four o at a time, then one by one.
 */
function cae_wsum(ctx: usize, x: usize, E: i32, D: i32, r0: i32, nr: i32, l: i32, a: i32, b: i32): void {
  const L = layer(ctx, l), O = li(L, A.L_OUT), In = li(L, A.L_IN), Op = (O + 15) & ~15;
  const dW = cp(ctx, A.C_GRADS) + (<usize>li(L, A.L_W) << 2);
  for (let k = 0; k < nr; k++) {
    const rb = row_at(ctx, E, D, k);
    if (l > 0) {
      const tw = tw_at(ctx, E, D, rb, l);
      for (let i = a; i < b; i++) {
        const src = tw + (<usize>(i * Op) << 2), dst = dW + (<usize>(i * O) << 2);
        let o = 0;
        for (; o + 4 <= O; o += 4) v128.store(dst + (<usize>o << 2), f32x4.add(v128.load(dst + (<usize>o << 2)), v128.load(src + (<usize>o << 2))));
        for (; o < O; o++) add(dst, o, f(src, o));
      }
      continue;
    }
    const T = rb, da = da_at(ctx, D, rb, 0), hp = x + (<usize>((r0 + k) * In) << 2);
    for (let i = a; i < b; i++) {
      const hi = f(hp, i);
      let o = 0;
      for (; o + 4 <= O; o += 4) {
        const acc = f32x4.add(f32x4.mul(f32x4.splat(hi), v128.load(da + (<usize>o << 2))), v128.load(T + (<usize>(i * O + o) << 2)));
        const at = dW + (<usize>(i * O + o) << 2);
        v128.store(at, f32x4.add(v128.load(at), acc));
      }
      for (; o < O; o++) add(dW, i * O + o, hi * f(da, o) + f(T, i * O + o));
    }
  }
}

/** Layer q's J (and M, q >= 1) of batch row r into work block wb: J_q[o] = f'(a_q[o]) M[o], M = W^T J_{q-1} (M_1 = W^T). */
function cae_fwd(ctx: usize, E: i32, D: i32, r: i32, q: i32, wb: usize): void {
  const L = layer(ctx, q), O = li(L, A.L_OUT), In = li(L, A.L_IN), act = li(L, A.L_ACT);
  const W = cp(ctx, A.C_PARAMS) + (<usize>li(L, A.L_W) << 2), y = lp(L, A.L_Y) + (<usize>(r * O) << 2);
  const J = wb + (<usize>j_at(ctx, q, D) << 2), WT = cp(ctx, A.C_CSCRATCH);
  const Jp: usize = q == 0 ? 0 : wb + (<usize>j_at(ctx, q - 1, D) << 2), M: usize = q == 0 ? 0 : m_at(ctx, E, q, D, wb);
  // M sixteen d at a time, two rows o at a time (one load of J_{q-1} for both)
  for (let o = 0; Jp != 0 && o < O; o += 2) {
    for (let d = 0; d < D; d += 16) {
      sums16(W + (<usize>o << 2), W + (<usize>(o + 1) << 2), O << 2, Jp + (<usize>d << 2), D << 2, In,
             M + (<usize>(o * D + d) << 2), D, min(16, D - d), o + 1 < O);
    }
  }
  for (let o = 0; o < O; o++) {
    const s = dact_scalar(act, f(y, o));
    // J_1[o] = s W^T[o] (WT: the first layer's weights transposed, contractive()); else M[o] kept (its backward reads
    // it), J[o] = s M[o]
    const src: usize = Jp == 0 ? WT : M;
    let d = 0;
    for (; d + 4 <= D; d += 4) v128.store(J + (<usize>(o * D + d) << 2), f32x4.mul(f32x4.splat(s), v128.load(src + (<usize>(o * D + d) << 2))));
    for (; d < D; d++) put(J, o * D + d, s * f(src, o * D + d));
  }
}

/**
 * out[k] += sum over j = 0..n-1, in order, of a[j] b[j][k] for k = 0..15 (a's floats sa bytes apart, b's rows sb bytes
 * apart): sixteen sums in four f32x4 accumulators, one splat of a[j] for all, each lane the scalar `out += a * b` in
 * order, from out's value (the first term of a sum that starts elsewhere), or with from0 from 0 (out not read).
 */
// @ts-ignore: decorator
@inline function sum16(a: usize, sa: i32, b: usize, sb: i32, n: i32, out: usize, from0: bool): void {
  const z = f32x4.splat(0);
  let a0 = from0 ? z : v128.load(out), a1 = from0 ? z : v128.load(out, 16), a2 = from0 ? z : v128.load(out, 32), a3 = from0 ? z : v128.load(out, 48);
  for (const end = a + <usize>(n * sa); a != end; a += <usize>sa, b += <usize>sb) {
    const w = f32x4.splat(load<f32>(a));
    a0 = f32x4.add(a0, f32x4.mul(w, v128.load(b)));
    a1 = f32x4.add(a1, f32x4.mul(w, v128.load(b, 16)));
    a2 = f32x4.add(a2, f32x4.mul(w, v128.load(b, 32)));
    a3 = f32x4.add(a3, f32x4.mul(w, v128.load(b, 48)));
  }
  v128.store(out, a0);
  v128.store(out, a1, 16);
  v128.store(out, a2, 32);
  v128.store(out, a3, 48);
}

/**
 * Sums from 0 of w <= 16 columns for one row of a (a0), or with `two` two (a0 and a1): out[k] (and out[ld + k], ld in
 * floats) = sum over j in order of a[j] b[j][k], k < w, as sum16 and sum16x2 compute them. A block of fewer than 16 is
 * summed sixteen wide into ws_scratch and its w floats copied: its lanes past w read the floats after each of b's rows
 * (CSCRATCH's padding keeps the last in bounds) and are dropped, so each kept lane is the scalar sum.
 */
// @ts-ignore: decorator
@inline function sums16(a0: usize, a1: usize, sa: i32, b: usize, sb: i32, n: i32, out: usize, ld: i32, w: i32, two: bool): void {
  const full = w == 16, tmp = ws_scratch(), t1 = tmp + 64;
  const at = full ? out : tmp, at1 = full ? out + (<usize>ld << 2) : t1;
  if (!two) sum16(a0, sa, b, sb, n, at, true);
  else sum16x2(a0, a1, sa, b, sb, n, at, at1, true);
  if (full) return;
  for (let e = 0; e < w; e++) {
    put(out, e, f(tmp, e));
    if (two) put(out, ld + e, f(t1, e));
  }
}

/** sum16 for two rows of a (a0 and a1, the same stride) against the same b, into out0 and out1: each b block loaded once. */
// @ts-ignore: decorator
@inline function sum16x2(a0: usize, a1: usize, sa: i32, b: usize, sb: i32, n: i32, out0: usize, out1: usize, from0: bool): void {
  const z = f32x4.splat(0);
  let p0 = from0 ? z : v128.load(out0), p1 = from0 ? z : v128.load(out0, 16), p2 = from0 ? z : v128.load(out0, 32), p3 = from0 ? z : v128.load(out0, 48);
  let q0 = from0 ? z : v128.load(out1), q1 = from0 ? z : v128.load(out1, 16), q2 = from0 ? z : v128.load(out1, 32), q3 = from0 ? z : v128.load(out1, 48);
  for (const end = a0 + <usize>(n * sa); a0 != end; a0 += <usize>sa, a1 += <usize>sa, b += <usize>sb) {
    const w = f32x4.splat(load<f32>(a0)), u = f32x4.splat(load<f32>(a1));
    const b0 = v128.load(b), b1 = v128.load(b, 16), b2 = v128.load(b, 32), b3 = v128.load(b, 48);
    p0 = f32x4.add(p0, f32x4.mul(w, b0)); q0 = f32x4.add(q0, f32x4.mul(u, b0));
    p1 = f32x4.add(p1, f32x4.mul(w, b1)); q1 = f32x4.add(q1, f32x4.mul(u, b1));
    p2 = f32x4.add(p2, f32x4.mul(w, b2)); q2 = f32x4.add(q2, f32x4.mul(u, b2));
    p3 = f32x4.add(p3, f32x4.mul(w, b3)); q3 = f32x4.add(q3, f32x4.mul(u, b3));
  }
  v128.store(out0, p0); v128.store(out0, p1, 16); v128.store(out0, p2, 32); v128.store(out0, p3, 48);
  v128.store(out1, q0); v128.store(out1, q1, 16); v128.store(out1, q2, 32); v128.store(out1, q3, 48);
}

/**
 * CAE_BACK_O for rows o..o+3 of G and M (O x D): each lane's ds = sum_d G[o+j][d] M[o+j][d] from 0, its products added one
 * by one in d's order (a 4 x 4 block's products transposed, so that a lane holds one o's four), G[o+j] scaled by s_j
 * into dM, the block of dM transposed into T[d][o..o+3], and da[o+j] = ds f''(a) + dh[o+j] s: the scalar loop's bits.
 */
function ds_4o(G: usize, M: usize, T: usize, y: usize, dh: usize, da: usize, act: i32, o: i32, O: i32, D: i32): void {
  const a0 = f(y, o), a1 = f(y, o + 1), a2 = f(y, o + 2), a3 = f(y, o + 3);
  const s0 = dact_scalar(act, a0), s1 = dact_scalar(act, a1), s2 = dact_scalar(act, a2), s3 = dact_scalar(act, a3);
  const sv = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(s0), 1, s1), 2, s2), 3, s3);
  const rs = <usize>D << 2, g0 = G + (<usize>(o * D) << 2), m0 = M + (<usize>(o * D) << 2);
  let acc = f32x4.splat(0), d = 0;
  for (; d + 4 <= D; d += 4) {
    const at = <usize>d << 2;
    const x0 = v128.load(g0 + at), x1 = v128.load(g0 + rs + at), x2 = v128.load(g0 + 2 * rs + at), x3 = v128.load(g0 + 3 * rs + at);
    const p0 = f32x4.mul(x0, v128.load(m0 + at)), p1 = f32x4.mul(x1, v128.load(m0 + rs + at));
    const p2 = f32x4.mul(x2, v128.load(m0 + 2 * rs + at)), p3 = f32x4.mul(x3, v128.load(m0 + 3 * rs + at));
    // the products transposed: q_c's lane j is p_j's lane c (row o + j, column d + c)
    const u0 = v128.shuffle<f32>(p0, p1, 0, 4, 1, 5), u1 = v128.shuffle<f32>(p2, p3, 0, 4, 1, 5);
    const u2 = v128.shuffle<f32>(p0, p1, 2, 6, 3, 7), u3 = v128.shuffle<f32>(p2, p3, 2, 6, 3, 7);
    acc = f32x4.add(acc, v128.shuffle<f32>(u0, u1, 0, 1, 4, 5));
    acc = f32x4.add(acc, v128.shuffle<f32>(u0, u1, 2, 3, 6, 7));
    acc = f32x4.add(acc, v128.shuffle<f32>(u2, u3, 0, 1, 4, 5));
    acc = f32x4.add(acc, v128.shuffle<f32>(u2, u3, 2, 3, 6, 7));
    // dM = s G, row by row, and the block of G transposed times s (lane j: s_j) into T's rows d..d+3
    v128.store(g0 + at, f32x4.mul(f32x4.splat(s0), x0));
    v128.store(g0 + rs + at, f32x4.mul(f32x4.splat(s1), x1));
    v128.store(g0 + 2 * rs + at, f32x4.mul(f32x4.splat(s2), x2));
    v128.store(g0 + 3 * rs + at, f32x4.mul(f32x4.splat(s3), x3));
    const v0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), v1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
    const v2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7), v3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
    const t = T + (<usize>(d * O + o) << 2), rt = <usize>O << 2;
    v128.store(t, f32x4.mul(v128.shuffle<f32>(v0, v1, 0, 1, 4, 5), sv));
    v128.store(t + rt, f32x4.mul(v128.shuffle<f32>(v0, v1, 2, 3, 6, 7), sv));
    v128.store(t + 2 * rt, f32x4.mul(v128.shuffle<f32>(v2, v3, 0, 1, 4, 5), sv));
    v128.store(t + 3 * rt, f32x4.mul(v128.shuffle<f32>(v2, v3, 2, 3, 6, 7), sv));
  }
  // the rest of d (fewer than 4), lane by lane in order, then da
  for (let j = 0; j < 4; j++) {
    const r = o + j, s = j == 0 ? s0 : j == 1 ? s1 : j == 2 ? s2 : s3, av = j == 0 ? a0 : j == 1 ? a1 : j == 2 ? a2 : a3;
    let ds = f32x4.extract_lane(acc, 0);
    if (j == 1) ds = f32x4.extract_lane(acc, 1);
    else if (j == 2) ds = f32x4.extract_lane(acc, 2);
    else if (j == 3) ds = f32x4.extract_lane(acc, 3);
    for (let e = d; e < D; e++) {
      ds += f(G, r * D + e) * f(M, r * D + e);
      const v = s * f(G, r * D + e);
      put(G, r * D + e, v);
      put(T, e * O + r, v);
    }
    put(da, r, ds * d2act_scalar(act, av) + f(dh, r) * s);
  }
}

/** ds plus G[o][d..d+3] m[d..d+3] (four products added one by one in d's order), and G[o][d..d+3] scaled by s: dM. */
// @ts-ignore: decorator
@inline function ds_add(ds: f32, at: usize, m: v128, s: f32): f32 {
  const g4 = v128.load(at), p = f32x4.mul(g4, m);
  ds += f32x4.extract_lane(p, 0);
  ds += f32x4.extract_lane(p, 1);
  ds += f32x4.extract_lane(p, 2);
  ds += f32x4.extract_lane(p, 3);
  v128.store(at, f32x4.mul(f32x4.splat(s), g4));
  return ds;
}
