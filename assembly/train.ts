// train.ts: the network as a layer graph, run forward, backward and updated inside the module.
// Reads like llm.c's gpt2_forward / gpt2_backward / gpt2_update: layer kernels in order, then the
// same in reverse, then one flat optimizer step. An epoch (shuffle, gather, step per batch) is a
// single call, so the host crosses the boundary once per epoch, never per batch or element.
// Gradients are overwritten each batch (no accumulation, no zero_grad needed).
// Dims: R samples in the current batch/chunk; layer shapes per sample, channels last (arena.ts).

import * as A from './arena';
import { C_B1T, C_B2T, C_BATCH_IN, C_BATCH_TGT, C_BETA1, C_BETA2, C_CAP, C_COL, C_DELTA0, C_DELTA1, C_EPS, C_GRADS,
  C_INDIM, C_LOSS, C_LR, C_M, C_MOMENTUM, C_NLAYERS, C_NOISE, C_NORM, C_NORM_A, C_NORM_B, C_NPARAMS, C_OPT,
  C_OUTDIM, C_PARAMS, C_RNG, C_SCRATCH, C_STEP, C_TRIM, C_V, C_WD, C_WT, L_ACT, L_B, L_IN, L_OUT, L_W, L_Y, L_OP,
  cf, ci, cp, layer, lf, li, lp } from './arena';
import { ACT_LINEAR, ACT_SIGMOID, act_backward, act_forward } from './act';
import { GEMM_BIAS, GEMM_ZERO, f32_colsum, f32_gemm, f32_gemm_bt, f32_gemv_packed, f32_transpose, pack_strips32 } from './gemm';
import { conv_backward, conv_forward, convt_backward, convt_forward } from './conv';
import { batchnorm_backward, batchnorm_forward, dropout_forward, maxpool_backward, maxpool_forward, mul_backward,
  upsample_backward, upsample_forward } from './layers';
import { LOSS_BCE, loss_backward, loss_rows, loss_sum } from './loss';
import { OPT_ADAM, OPT_ADAMW, OPT_MOMENTUM, adam_update, momentum_update, sgd_update } from './optim';
import { NORM_NONE, norm_apply, norm_invert } from './norm';
import { rng_normal, rng_shuffle, rng_uniform } from './rng';
import { trim_rows } from './trim';

// @ts-ignore: decorator
@inline function fptr(base: usize, floats: i32): usize { return base + (<usize>floats << 2); }

/** True when the last layer is a sigmoid and the loss is bce: the gradient is taken wrt its input. */
function fused_sigmoid_bce(ctx: usize): bool {
  return ci(ctx, C_LOSS) == LOSS_BCE && li(layer(ctx, ci(ctx, C_NLAYERS) - 1), L_ACT) == ACT_SIGMOID;
}

/**
 * Glorot-uniform weights U(-a, a) with a = sqrt(6 / (fan_in + fan_out)) (Keras's fans: dense I + O,
 * conv KH*KW*(C + F)), zero biases, layer by layer from the rng; batchnorm gamma 1, beta 0,
 * moving mean 0, moving variance 1.
 */
export function init_params(ctx: usize): void {
  const params = cp(ctx, C_PARAMS), rng = ctx + C_RNG;
  store<i32>(ctx + A.C_PACK_OK, 0);
  memory.fill(params, 0, <usize>ci(ctx, C_NPARAMS) << 2);
  for (let l = 0; l < ci(ctx, C_NLAYERS); l++) {
    const L = layer(ctx, l);
    const op = li(L, L_OP), C = li(L, A.L_IC), F = li(L, A.L_OC);
    if (op == A.OP_BATCHNORM) {
      const g = fptr(params, li(L, L_W)), st = lp(L, A.L_STATE);
      for (let c = 0; c < F; c++) {
        store<f32>(g + (<usize>c << 2), 1);
        store<f32>(st + (<usize>c << 2), 0);
        store<f32>(st + (<usize>(F + c) << 2), 1);
      }
      continue;
    }
    if (op != A.OP_DENSE && op != A.OP_CONV && op != A.OP_CONVT) continue;
    const area = op == A.OP_DENSE ? 1 : li(L, A.L_KH) * li(L, A.L_KW);
    const a = <f32>Math.sqrt(6.0 / <f64>(area * (C + F)));
    const w = fptr(params, li(L, L_W));
    for (let i = 0; i < area * C * F; i++) {
      store<f32>(w + (<usize>i << 2), (rng_uniform(rng) * <f32>2 - <f32>1) * a);
    }
  }
}

// One-row calls after a change of the params before the packed copy is made: a process that
// scores one row and exits (a cold start) never pays for packing; a serving loop does by its second.
const PACK_AFTER = 2;

/** Counts a one-row inference call; packs on the PACK_AFTER-th since the params changed. */
function pack_after_calls(ctx: usize): void {
  const seen = ci(ctx, A.C_PACK_OK);   // -1: packed and current; n >= 0: stale, n one-row calls since
  if (seen < 0) return;
  if (seen + 1 >= PACK_AFTER) pack_dense(ctx);
  else store<i32>(ctx + A.C_PACK_OK, seen + 1);
}

/** Packs every eligible dense layer's weights for one-row inference and marks the copy current. */
function pack_dense(ctx: usize): void {
  const params = cp(ctx, C_PARAMS), pack = cp(ctx, A.C_PACK);
  for (let l = 0; l < ci(ctx, C_NLAYERS); l++) {
    const L = layer(ctx, l);
    const pk = li(L, A.L_PACK);
    if (pk >= 0) pack_strips32(li(L, A.L_IC), li(L, A.L_OC), fptr(params, li(L, L_W)), pack + <usize>pk);
  }
  store<i32>(ctx + A.C_PACK_OK, -1);
}

/** Runs layers l0..l1 on R samples starting at x (layer l0's input); training selects batch behaviour. Returns &Y[l1]. */
export function net_forward(ctx: usize, x: usize, R: i32, l0: i32, l1: i32, training: bool): usize {
  const params = cp(ctx, C_PARAMS), col = cp(ctx, C_COL), wt = cp(ctx, C_WT), colcap = ci(ctx, A.C_COLCAP);
  let inp = x;
  for (let l = l0; l <= l1; l++) {
    const L = layer(ctx, l);
    const op = li(L, L_OP), act = li(L, L_ACT), IN = li(L, L_IN), OUT = li(L, L_OUT), y = lp(L, L_Y);
    const IH = li(L, A.L_IH), IW = li(L, A.L_IW), IC = li(L, A.L_IC), OH = li(L, A.L_OH), OW = li(L, A.L_OW), OC = li(L, A.L_OC);
    const KH = li(L, A.L_KH), KW = li(L, A.L_KW), SH = li(L, A.L_SH), SW = li(L, A.L_SW), PT = li(L, A.L_PT), PL = li(L, A.L_PL);
    const w = fptr(params, li(L, L_W)), b = fptr(params, li(L, L_B));
    let fusedAct = true;
    if (op == A.OP_DENSE) {
      // Y = f(X.W + b) on the last axis: bias fused into the GEMM's init and f into its store
      const pk = li(L, A.L_PACK);
      if (!training && R == 1 && pk >= 0 && ci(ctx, A.C_PACK_OK) < 0) {
        // one row: the weights in 32-column strips (packed by pack_after_calls)
        f32_gemv_packed(OC, IC, inp, cp(ctx, A.C_PACK) + <usize>pk, y, b, act);
      } else f32_gemm(R * (IN / IC), OC, IC, inp, IC, 1, w, OC, y, OC, b, GEMM_BIAS, act);
    } else if (op == A.OP_CONV) {
      conv_forward(inp, y, R, IH, IW, IC, OH, OW, OC, KH, KW, SH, SW, PT, PL, w, b, act, wt, col, colcap);
    } else if (op == A.OP_CONVT) {
      convt_forward(inp, y, R, IH, IW, IC, OH, OW, OC, KH, KW, SH, SW, PT, PL, w, b, act, col, colcap);
    } else {
      fusedAct = false;
      if (op == A.OP_MAXPOOL) maxpool_forward(inp, y, lp(L, A.L_AUX), R, IH, IW, IC, OH, OW, KH, KW, SH, SW, PT, PL, training);
      else if (op == A.OP_UPSAMPLE) upsample_forward(inp, y, R, IH, IW, IC, SH, SW);
      else if (op == A.OP_DROPOUT && training) dropout_forward(inp, y, lp(L, A.L_AUX), R * IN, lf(L, A.L_RATE), ctx + C_RNG);
      else if (op == A.OP_BATCHNORM) {
        const st = lp(L, A.L_STATE);
        batchnorm_forward(inp, y, R * (IN / IC), IC, w, b, st, st + (<usize>OC << 2), lp(L, A.L_AUX), lp(L, A.L_AUX2),
                          lf(L, A.L_EPS), lf(L, A.L_RATE), training, cp(ctx, C_SCRATCH));
      } else memory.copy(y, inp, <usize>(R * IN) << 2); // flatten, reshape, dropout outside training
    }
    if (!fusedAct && act != ACT_LINEAR) act_forward(act, y, R * OUT);
    inp = y;
  }
  return inp;
}

/**
 * Backward through all layers for R samples whose forward (training) input was x. On entry DELTA0
 * holds dLoss/dY of the last layer (or dLoss/dZ when fused); leaves every weight gradient in the grad block.
 */
export function net_backward(ctx: usize, x: usize, R: i32): void {
  const params = cp(ctx, C_PARAMS), grads = cp(ctx, C_GRADS), wt = cp(ctx, C_WT), col = cp(ctx, C_COL), colcap = ci(ctx, A.C_COLCAP);
  const last = ci(ctx, C_NLAYERS) - 1;
  const fused = fused_sigmoid_bce(ctx);
  let d = cp(ctx, C_DELTA0), dnext = cp(ctx, C_DELTA1);
  for (let l = last; l >= 0; l--) {
    const L = layer(ctx, l);
    const op = li(L, L_OP), IN = li(L, L_IN), OUT = li(L, L_OUT);
    const IH = li(L, A.L_IH), IW = li(L, A.L_IW), IC = li(L, A.L_IC), OH = li(L, A.L_OH), OW = li(L, A.L_OW), OC = li(L, A.L_OC);
    const KH = li(L, A.L_KH), KW = li(L, A.L_KW), SH = li(L, A.L_SH), SW = li(L, A.L_SW), PT = li(L, A.L_PT), PL = li(L, A.L_PL);
    const w = fptr(params, li(L, L_W)), dw = fptr(grads, li(L, L_W)), db = fptr(grads, li(L, L_B));
    const inp = l == 0 ? x : lp(layer(ctx, l - 1), L_Y);
    const dx: usize = l == 0 ? 0 : dnext;
    // dZ = dA * f'(a), from the saved output
    if (!(l == last && fused)) act_backward(li(L, L_ACT), d, lp(L, L_Y), R * OUT);
    if (op == A.OP_DENSE) {
      const rows = R * (IN / IC);
      // dW = X^T . dZ (A read transposed through strides), db = column sums of dZ, dX = dZ . W^T
      f32_gemm(IC, OC, rows, inp, 1, IC, d, OC, dw, OC, 0, GEMM_ZERO, ACT_LINEAR);
      f32_colsum(db, d, rows, OC);
      if (dx != 0) f32_gemm_bt(rows, IC, OC, d, OC, 1, w, OC, dx, IC, 0, GEMM_ZERO, ACT_LINEAR);
    } else if (op == A.OP_CONV) {
      conv_backward(dx, dw, db, d, inp, R, IH, IW, IC, OH, OW, OC, KH, KW, SH, SW, PT, PL, w, col, colcap);
    } else if (op == A.OP_CONVT) {
      convt_backward(dx, dw, db, d, inp, R, IH, IW, IC, OH, OW, OC, KH, KW, SH, SW, PT, PL, w, col, colcap);
    } else if (op == A.OP_BATCHNORM) {
      batchnorm_backward(dnext, dw, db, d, lp(L, A.L_AUX), lp(L, A.L_AUX2), w, R * (IN / IC), IC, cp(ctx, C_SCRATCH));
    } else if (dx != 0) {
      if (op == A.OP_MAXPOOL) maxpool_backward(dx, d, lp(L, A.L_AUX), R, IN, OUT);
      else if (op == A.OP_UPSAMPLE) upsample_backward(dx, d, R, IH, IW, IC, SH, SW);
      else if (op == A.OP_DROPOUT) mul_backward(dx, d, lp(L, A.L_AUX), R * IN);
      else memory.copy(dx, d, <usize>(R * IN) << 2);
    }
    if (l == 0) break;
    const t = d; d = dnext; dnext = t;
  }
}

/** One optimizer step over the whole param block. */
export function net_update(ctx: usize): void {
  store<i32>(ctx + A.C_PACK_OK, 0);   // the packed one-row copy is stale from here
  const n = ci(ctx, C_NPARAMS), opt = ci(ctx, C_OPT);
  const w = cp(ctx, C_PARAMS), g = cp(ctx, C_GRADS), m = cp(ctx, C_M), v = cp(ctx, C_V);
  const lr = cf(ctx, C_LR), wd = cf(ctx, C_WD);
  const step = ci(ctx, C_STEP) + 1;
  store<i32>(ctx + C_STEP, step);
  if (opt == OPT_ADAM || opt == OPT_ADAMW) {
    const b1t = load<f64>(ctx + C_B1T) * <f64>cf(ctx, C_BETA1);
    const b2t = load<f64>(ctx + C_B2T) * <f64>cf(ctx, C_BETA2);
    store<f64>(ctx + C_B1T, b1t);
    store<f64>(ctx + C_B2T, b2t);
    adam_update(w, g, m, v, n, lr, cf(ctx, C_BETA1), cf(ctx, C_BETA2), cf(ctx, C_EPS), wd, opt == OPT_ADAMW, b1t, b2t);
  } else if (opt == OPT_MOMENTUM) {
    momentum_update(w, g, m, n, lr, cf(ctx, C_MOMENTUM), wd, step == 1);
  } else {
    sgd_update(w, g, n, lr, wd);
  }
}

/** Forward, loss and backward on R <= CAP rows (x input, t target); returns the sum of element losses. */
export function net_grads(ctx: usize, x: usize, t: usize, R: i32): f64 {
  const last = ci(ctx, C_NLAYERS) - 1, C = ci(ctx, C_OUTDIM), loss = ci(ctx, C_LOSS);
  const y = net_forward(ctx, x, R, 0, last, true);
  const total = loss_sum(loss, y, t, R, C);
  loss_backward(loss, cp(ctx, C_DELTA0), y, t, R * C, fused_sigmoid_bce(ctx));
  const trim = cf(ctx, C_TRIM); // DELTA1 (>= CAP floats) is free until net_backward
  if (trim > 0) trim_rows(loss, cp(ctx, C_DELTA0), y, t, R, C, trim, cp(ctx, C_DELTA1));
  net_backward(ctx, x, R);
  return total;
}

/** Copies row idx[r] of src (row width C) to row r of dst, for R rows. */
function gather(dst: usize, src: usize, idx: usize, R: i32, C: i32): void {
  const bytes = <usize>C << 2;
  for (let r = 0; r < R; r++) {
    memory.copy(dst + <usize>r * bytes, src + <usize>load<i32>(idx + (<usize>r << 2)) * bytes, bytes);
  }
}

/** Adds N(0, noise^2) to n floats in place (denoising input corruption), from the model's rng. */
function add_noise(ctx: usize, x: usize, n: i32, noise: f32): void {
  const rng = ctx + C_RNG;
  for (let i = 0; i < n; i++) {
    const p = x + (<usize>i << 2);
    store<f32>(p, load<f32>(p) + noise * rng_normal(rng));
  }
}

/**
 * One epoch over n rows: x[n][INDIM] inputs, t[n][OUTDIM] targets (t may equal x).
 * perm: i32[n] row order, reshuffled first when shuffle != 0 (0 = rows in order, read in place).
 * Returns the epoch's mean element loss, each batch weighted by its rows (Keras's epoch loss).
 */
export function train_epoch(ctx: usize, x: usize, t: usize, n: i32, perm: usize, shuffle: i32, batch: i32): f64 {
  const D = ci(ctx, C_INDIM), C = ci(ctx, C_OUTDIM);
  const bin = cp(ctx, C_BATCH_IN), btgt = cp(ctx, C_BATCH_TGT);
  const noise = cf(ctx, C_NOISE);
  if (shuffle != 0) rng_shuffle(ctx + C_RNG, perm, n);
  let total: f64 = 0;
  for (let start = 0; start < n; start += batch) {
    const R = min(batch, n - start);
    let inp = x + (<usize>(start * D) << 2), tgt = t + (<usize>(start * C) << 2);
    if (shuffle != 0 || noise != 0) {
      const idx = perm + (<usize>start << 2);
      gather(bin, x, idx, R, D);
      if (t != x) {
        gather(btgt, t, idx, R, C);
        tgt = btgt;
      } else if (noise != 0) {
        gather(btgt, x, idx, R, C);
        tgt = btgt;
      } else {
        tgt = bin;
      }
      inp = bin;
      if (noise != 0) add_noise(ctx, bin, R * D, noise);
    }
    total += net_grads(ctx, inp, tgt, R);
    net_update(ctx);
  }
  return total / (<f64>n * <f64>C);
}

/** Mean element loss over n rows without training (validation loss), in chunks of CAP rows. */
export function eval_loss(ctx: usize, x: usize, t: usize, n: i32): f64 {
  const cap = ci(ctx, C_CAP), D = ci(ctx, C_INDIM), C = ci(ctx, C_OUTDIM), loss = ci(ctx, C_LOSS);
  const last = ci(ctx, C_NLAYERS) - 1;
  let total: f64 = 0;
  for (let start = 0; start < n; start += cap) {
    const R = min(cap, n - start);
    const y = net_forward(ctx, x + (<usize>(start * D) << 2), R, 0, last, false);
    total += loss_sum(loss, y, t + (<usize>(start * C) << 2), R, C);
  }
  return total / (<f64>n * <f64>C);
}

/** Rewrites every NaN among n floats as the canonical quiet NaN 0x7fc00000 (NaN bits may differ by CPU). */
export function canon_nan(p: usize, n: i32): void {
  const canon = i32x4.splat(0x7fc00000);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = p + (<usize>i << 2);
    const v = v128.load(q);
    const isnan = f32x4.ne(v, v);
    if (v128.any_true(isnan)) v128.store(q, v128.bitselect(canon, v, isnan));   // written only where a NaN is
  }
  for (; i < n; i++) {
    const q = p + (<usize>i << 2);
    const v = load<f32>(q);
    if (v != v) store<u32>(q, 0x7fc00000);
  }
}

export const FLAG_NORM_IN: i32 = 1;
export const FLAG_DENORM_OUT: i32 = 2;

/**
 * Runs layers l0..l1 over n rows of x into out[n][width of l1], in chunks of CAP rows.
 * flags: FLAG_NORM_IN normalizes x in place first; FLAG_DENORM_OUT maps out back to input units.
 */
export function infer(ctx: usize, x: usize, n: i32, l0: i32, l1: i32, out: usize, flags: i32): void {
  if (n == 1) pack_after_calls(ctx);
  const cap = ci(ctx, C_CAP), D = ci(ctx, C_INDIM);
  const Iw = li(layer(ctx, l0), L_IN), Ow = li(layer(ctx, l1), L_OUT);
  const norm = ci(ctx, C_NORM) != NORM_NONE;
  if (norm && (flags & FLAG_NORM_IN)) norm_apply(x, n, D, cp(ctx, C_NORM_A), cp(ctx, C_NORM_B));
  for (let start = 0; start < n; start += cap) {
    const R = min(cap, n - start);
    const y = net_forward(ctx, x + (<usize>(start * Iw) << 2), R, l0, l1, false);
    memory.copy(out + (<usize>(start * Ow) << 2), y, <usize>(R * Ow) << 2);
  }
  if (norm && (flags & FLAG_DENORM_OUT)) norm_invert(out, n, Ow, cp(ctx, C_NORM_A), cp(ctx, C_NORM_B));
  canon_nan(out, n * Ow);
}

/** out[r] = reconstruction error of row r (the loss's per-row mean, in normalized units); x normalized in place. */
export function score(ctx: usize, x: usize, n: i32, out: usize): void {
  if (n == 1) pack_after_calls(ctx);
  const cap = ci(ctx, C_CAP), D = ci(ctx, C_INDIM), C = ci(ctx, C_OUTDIM), loss = ci(ctx, C_LOSS);
  const last = ci(ctx, C_NLAYERS) - 1;
  if (ci(ctx, C_NORM) != NORM_NONE) norm_apply(x, n, D, cp(ctx, C_NORM_A), cp(ctx, C_NORM_B));
  for (let start = 0; start < n; start += cap) {
    const R = min(cap, n - start);
    const xin = x + (<usize>(start * D) << 2);
    const y = net_forward(ctx, xin, R, 0, last, false);
    loss_rows(loss, y, xin, R, C, out + (<usize>start << 2));
  }
  canon_nan(out, n);
}
