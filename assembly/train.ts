// train.ts: the network as a layer graph, run forward, backward and updated inside the module.
// Reads like llm.c's gpt2_forward / gpt2_backward / gpt2_update: layer kernels in order, then the
// same in reverse, then one flat optimizer step. An epoch (shuffle, gather, step per batch) runs in calls of
// whole batches (train_rows: the bindings size them to about 50 ms), never a call per batch or element.
// The graph: each node (layer table entry) names its input tensors (L_SRC0/L_SRC1: a node, the
// network input or the condition); the bindings order the nodes and plan every buffer. The loss
// is the list of terms in the context (terms.ts). Weight gradients are overwritten each batch.
// Dims: R samples in the current batch/chunk; D the network's input width, C its output width (what the
// loss compares), K the condition's; a node's IN/OUT per sample and IC/OC its channels (the last axis),
// channels last (arena.ts).

import * as A from './arena';
import { C_B1T, C_B2T, C_BATCH_IN, C_BATCH_TGT, C_BETA1, C_BETA2, C_CAP, C_COL, C_DELTA0, C_DELTA1, C_EPS, C_GRADS,
  C_INDIM, C_LOSS, C_LR, C_M, C_MOMENTUM, C_NLAYERS, C_NOISE, C_NORM, C_NORM_A, C_NORM_B, C_NPARAMS, C_OPT,
  C_OUTDIM, C_PARAMS, C_SCRATCH, C_STEP, C_V, C_WD, C_WT, L_ACT, L_B, L_IN, L_OUT, L_W, L_Y, L_OP,
  cf, ci, cp, layer, lf, li, lp, scratch } from './arena';
import { ACT_LINEAR, ACT_SIGMOID, act_backward, act_forward } from './act';
import { pack_strips32 } from './gemm';
import { conv_backward, conv_forward, convt_backward, convt_forward } from './conv';
import { dense_backward, dense_forward } from './dense';
import { add_or_copy, batchnorm_backward, batchnorm_forward, bn_part_apply, bn_part_back_apply, bn_part_back_sums, bn_part_sqdev, bn_part_sum, bn_stats, concat_backward, concat_forward, dropout_backward, dropout_forward, sample_backward, sample_common, sample_forward, maxpool_backward, maxpool_forward,
  upsample_backward, upsample_forward } from './layers';
import { LOSS_BCE, loss_backward, loss_row_sum, loss_rows, loss_sum, loss_terms, loss_weight, nll_terms_add } from './loss';
import { kl_sparse_grad, kl_sparse_raw, term_backward, term_raw, term_weigh, vae_kl_row } from './terms';
import { contractive } from './contractive';
import { OPT_ADAM, OPT_ADAMW, OPT_MOMENTUM, adam_update, momentum_update, sgd_update } from './optim';
import { NORM_NONE, norm_apply, norm_invert } from './norm';
import { rng_normal, rng_normal4, rng_shuffle, rng_uniform, rng_uniform4 } from './rng';
import { pool_draws, pool_gather, pool_hold, pool_hot, pool_loss, pool_noise, pool_release, pool_rows, pool_shards } from './threads';

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
  const params = cp(ctx, C_PARAMS), s = rng(ctx, A.RNG_INIT);
  store<i32>(ctx + A.C_PACK_OK, 0);
  memory.fill(params, 0, <usize>ci(ctx, C_NPARAMS) << 2);
  for (let l = 0; l < ci(ctx, C_NLAYERS); l++) {
    const L = layer(ctx, l);
    const op = li(L, L_OP), IC = li(L, A.L_IC), OC = li(L, A.L_OC);
    if (op == A.OP_BATCHNORM) {
      const g = fptr(params, li(L, L_W)), st = lp(L, A.L_STATE);
      for (let c = 0; c < OC; c++) {
        store<f32>(g + (<usize>c << 2), 1);
        store<f32>(st + (<usize>c << 2), 0);
        store<f32>(st + (<usize>(OC + c) << 2), 1);
      }
      continue;
    }
    if (op != A.OP_DENSE && op != A.OP_CONV && op != A.OP_CONVT) continue;
    const area = op == A.OP_DENSE ? 1 : li(L, A.L_KH) * li(L, A.L_KW);
    const a = <f32>Math.sqrt(6.0 / <f64>(area * (IC + OC)));
    const w = fptr(params, li(L, L_W));
    for (let i = 0; i < area * IC * OC; i++) {
      store<f32>(w + (<usize>i << 2), (rng_uniform(s) * <f32>2 - <f32>1) * a);
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

/** Where tensor `src` lives for a run of nodes from l0 whose input is x (nodes before l0 read as x). */
function src_ptr(ctx: usize, src: i32, l0: i32, x: usize): usize {
  if (src == A.SRC_COND) return cp(ctx, A.C_COND);
  if (src < l0) return x;
  return lp(layer(ctx, src), L_Y);
}

/** Runs nodes l0..l1 on R samples, x the input of the run; training selects batch behaviour. Returns &Y[l1]. */
export function net_forward(ctx: usize, x: usize, R: i32, l0: i32, l1: i32, training: bool): usize {
  const params = cp(ctx, C_PARAMS), col = cp(ctx, C_COL), wt = cp(ctx, C_WT), colcap = ci(ctx, A.C_COLCAP);
  let y: usize = x;
  for (let l = l0; l <= l1; l++) {
    const L = layer(ctx, l);
    const op = li(L, L_OP), act = li(L, L_ACT), IN = li(L, L_IN), OUT = li(L, L_OUT);
    y = lp(L, L_Y);
    const inp = src_ptr(ctx, li(L, A.L_SRC0), l0, x);
    const IH = li(L, A.L_IH), IW = li(L, A.L_IW), IC = li(L, A.L_IC), OH = li(L, A.L_OH), OW = li(L, A.L_OW), OC = li(L, A.L_OC);
    const KH = li(L, A.L_KH), KW = li(L, A.L_KW), SH = li(L, A.L_SH), SW = li(L, A.L_SW), PT = li(L, A.L_PT), PL = li(L, A.L_PL);
    const w = fptr(params, li(L, L_W)), b = fptr(params, li(L, L_B));
    let fusedAct = true;
    if (op == A.OP_DENSE) {
      // one row outside training: the weights' 32-column strips when they are packed (pack_after_calls)
      const pk = li(L, A.L_PACK);
      const packed: usize = !training && R == 1 && pk >= 0 && ci(ctx, A.C_PACK_OK) < 0 ? cp(ctx, A.C_PACK) + <usize>pk : 0;
      dense_forward(inp, y, R * (IN / IC), IC, OC, w, b, act, packed);
    } else if (op == A.OP_CONV) {
      conv_forward(inp, y, R, IH, IW, IC, OH, OW, OC, KH, KW, SH, SW, PT, PL, w, b, act, wt, col, colcap);
    } else if (op == A.OP_CONVT) {
      convt_forward(inp, y, R, IH, IW, IC, OH, OW, OC, KH, KW, SH, SW, PT, PL, w, b, act, col, colcap);
    } else {
      fusedAct = false;
      if (op == A.OP_MAXPOOL) maxpool_forward(inp, y, lp(L, A.L_AUX), R, IH, IW, IC, OH, OW, KH, KW, SH, SW, PT, PL, training);
      else if (op == A.OP_UPSAMPLE) upsample_forward(inp, y, R, IH, IW, IC, SH, SW);
      else if (op == A.OP_DROPOUT && training) {
        const s = draws_at(ctx, A.RNG_DROPOUT, l);
        if (!ASC_FEATURE_THREADS || !pool_draws(op, inp, y, lp(L, A.L_AUX), R, IN, lf(L, A.L_RATE), s, node_draws(ctx, l, A.RNG_DROPOUT))) dropout_forward(inp, y, lp(L, A.L_AUX), R * IN, lf(L, A.L_RATE), s);
      }
      else if (op == A.OP_BATCHNORM) {
        const st = lp(L, A.L_STATE);
        batchnorm_forward(inp, y, R * (IN / IC), IC, w, b, st, st + (<usize>OC << 2), lp(L, A.L_AUX), lp(L, A.L_AUX2),
                          lf(L, A.L_EPS), lf(L, A.L_RATE), training, scratch(ctx, 2 * IC));
      } else if (op == A.OP_CONCAT) concat_forward(y, inp, IC, src_ptr(ctx, li(L, A.L_SRC1), l0, x), IN - IC, R);
      else if (op == A.OP_SAMPLE) {
        const s = training ? draws_at(ctx, A.RNG_SAMPLE, l) : 0;
        if (!ASC_FEATURE_THREADS || !training || !pool_draws(op, inp, y, lp(L, A.L_AUX), R, OUT, 0, s, node_draws(ctx, l, A.RNG_SAMPLE))) sample_forward(y, inp, lp(L, A.L_AUX), R, OUT, training, s);
      }
      else memory.copy(y, inp, <usize>(R * IN) << 2); // flatten, reshape, dropout outside training
    }
    if (!fusedAct && act != ACT_LINEAR) act_forward(act, y, R * OUT);
  }
  return y;
}

/** The stream of one purpose (arena.ts RNG_*). */
// @ts-ignore: decorator
@inline function rng(ctx: usize, purpose: i32): usize { return ctx + A.C_RNG + (<usize>purpose << 4); }

/** A batch row's draws from the stream of `purpose` at node l: IN uniforms at a dropout node, two per unit at a sampling node. */
function node_draws(ctx: usize, l: i32, purpose: i32): u64 {
  const L = layer(ctx, l), op = li(L, L_OP);
  if (op == A.OP_DROPOUT && purpose == A.RNG_DROPOUT) return <u64>li(L, L_IN);
  if (op == A.OP_SAMPLE && purpose == A.RNG_SAMPLE) return 2 * <u64>li(L, L_OUT);
  return 0;
}

/** A batch row's draws from the stream of `purpose` at nodes 0 .. l - 1. */
function draws_before(ctx: usize, l: i32, purpose: i32): u64 {
  let n: u64 = 0;
  for (let i = 0; i < l; i++) n += node_draws(ctx, i, purpose);
  return n;
}

/**
 * The stream training node l draws from for the rows a forward runs (C_DRAW): its purpose's, at draw
 * before + N pre + r0 per, where before is the stream's position as the batch began (it stays there until draws_end),
 * N the batch's rows, pre a batch row's draws at the nodes before l, r0 the batch row of the first of these rows and
 * per a row's draws at l. So a node draws its rows' numbers in row order as one pass over the batch does, node after
 * node, whether the batch comes in chunks of rows or in shards on any thread.
 */
function draws_at(ctx: usize, purpose: i32, l: i32): usize {
  const s = rng(ctx, purpose), d = ctx + A.C_DRAW;
  store<u64>(d, load<u64>(s));
  store<u64>(d, load<u64>(s, 8) + <u64>ci(ctx, A.C_DRAW_N) * draws_before(ctx, l, purpose) + <u64>ci(ctx, A.C_DRAW_ROW) * node_draws(ctx, l, purpose), 8);
  return d;
}

/**
 * Rows r0..r1-1 of a training dropout node's (op A.OP_DROPOUT: x its input, y its output, aux the mask, W its units) or
 * a sampling node's (A.OP_SAMPLE: x the [mu, logVar] rows, y z, aux eps) R rows (threads.ts JOB_DRAWS; any thread),
 * drawing from the stream (key, ctr: where the node's first row draws, draws_at) past the rows before r0, `per` a row
 * (node_draws): the draws each row takes in one pass, so the same bits. s: 16 bytes of the calling thread's own for the
 * stream (gemm.ts ws_scratch).
 */
export function draws_part(op: i32, x: usize, y: usize, aux: usize, r0: i32, r1: i32, W: i32, rate: f32, key: u64, ctr: u64, per: u64, s: usize): void {
  const o = <usize>(r0 * W) << 2;
  store<u64>(s, key);
  store<u64>(s, ctr + <u64>r0 * per, 8);
  if (op == A.OP_DROPOUT) dropout_forward(x + o, y + o, aux + o, (r1 - r0) * W, rate, s);
  else {
    sample_forward(y + o, x + 2 * o, aux != 0 ? aux + o : 0, r1 - r0, W, true, s);
  }
}

/** After a training batch of N rows: the dropout and sampling streams move past its draws (draws_at). */
function draws_end(ctx: usize, N: i32): void {
  const n = ci(ctx, C_NLAYERS), d = rng(ctx, A.RNG_DROPOUT), z = rng(ctx, A.RNG_SAMPLE);
  store<u64>(d, load<u64>(d, 8) + <u64>N * draws_before(ctx, n, A.RNG_DROPOUT), 8);
  store<u64>(z, load<u64>(z, 8) + <u64>N * draws_before(ctx, n, A.RNG_SAMPLE), 8);
}

/**
 * Backward through nodes hi down to lo (every node: last to 0; a sharded batch's parts between its batchNorm nodes:
 * bn_phase) for R samples of a batch of N whose forward (training) input was x. On entry node hi's DY holds dLoss/dY
 * (dLoss/dZ when fused); nodes run in reverse, each first adding its penalty terms' gradients into its DY, then writing
 * (or, where another consumer wrote first, adding) its inputs' gradients, so fan-out sums. Leaves every weight
 * gradient in the grad block; acc: adds them to the ones there (a chunk of rows after the last call's, see net_grads).
 * kl: a shard's batch, the sparse KL terms' gradients per column over the whole batch (kl_reduce), else 0.
 */
function backward_nodes(ctx: usize, x: usize, R: i32, acc: bool, N: i32, hi: i32, lo: i32, kl: usize): void {
  const params = cp(ctx, C_PARAMS), grads = cp(ctx, C_GRADS), wt = cp(ctx, C_WT), col = cp(ctx, C_COL), colcap = ci(ctx, A.C_COLCAP);
  const last = ci(ctx, C_NLAYERS) - 1, tmp = cp(ctx, C_DELTA0);
  const fused = fused_sigmoid_bce(ctx);
  for (let l = hi; l >= lo; l--) {
    const L = layer(ctx, l);
    const op = li(L, L_OP), IN = li(L, L_IN), OUT = li(L, L_OUT), d = lp(L, A.L_DY);
    const IH = li(L, A.L_IH), IW = li(L, A.L_IW), IC = li(L, A.L_IC), OH = li(L, A.L_OH), OW = li(L, A.L_OW), OC = li(L, A.L_OC);
    const KH = li(L, A.L_KH), KW = li(L, A.L_KW), SH = li(L, A.L_SH), SW = li(L, A.L_SW), PT = li(L, A.L_PT), PL = li(L, A.L_PL);
    const w = fptr(params, li(L, L_W)), dw = fptr(grads, li(L, L_W)), db = fptr(grads, li(L, L_B));
    penalties_backward(ctx, l, d, lp(L, L_Y), R, OUT, N, kl);
    const s0 = li(L, A.L_SRC0), acc0 = li(L, A.L_ACC0) != 0;
    const inp = src_ptr(ctx, s0, 0, x);
    const dsrc: usize = s0 >= 0 ? lp(layer(ctx, s0), A.L_DY) : 0;
    // ops that can only overwrite write into tmp when they must add
    const dx: usize = dsrc != 0 && acc0 ? tmp : dsrc;
    // dZ = dA * f'(a), from the saved output
    // (threaded build: unless pool_loss applied the last node's with the loss's gradient, OUT_ACT_DONE)
    if (ASC_FEATURE_THREADS) {
      if (!(l == last && (fused || OUT_ACT_DONE))) act_backward(li(L, L_ACT), d, lp(L, L_Y), R * OUT);
      if (l == last) OUT_ACT_DONE = false;
    } else if (!(l == last && fused)) act_backward(li(L, L_ACT), d, lp(L, L_Y), R * OUT);
    if (op == A.OP_DENSE) {
      dense_backward(dx, dw, db, d, inp, R * (IN / IC), IC, OC, w, acc);
    } else if (op == A.OP_CONV) {
      conv_backward(dx, dw, db, d, inp, R, IH, IW, IC, OH, OW, OC, KH, KW, SH, SW, PT, PL, w, col, colcap, acc, lp(L, A.L_AUX));
    } else if (op == A.OP_CONVT) {
      convt_backward(dx, dw, db, d, inp, R, IH, IW, IC, OH, OW, OC, KH, KW, SH, SW, PT, PL, w, col, colcap, acc, lp(L, A.L_AUX));
    } else if (op == A.OP_BATCHNORM) {
      batchnorm_backward(dx != 0 ? dx : tmp, dw, db, d, lp(L, A.L_AUX), lp(L, A.L_AUX2), w, R * (IN / IC), IC, scratch(ctx, 2 * IC));
    } else if (op == A.OP_CONCAT) {
      const s1 = li(L, A.L_SRC1);
      concat_backward(dsrc, acc0, s1 >= 0 ? lp(layer(ctx, s1), A.L_DY) : 0, li(L, A.L_ACC1) != 0, d, IC, IN - IC, R);
      continue;
    } else if (op == A.OP_SAMPLE) {
      if (dsrc != 0) sample_backward(dsrc, acc0, d, inp, lp(L, A.L_AUX), R, OUT);
      continue;
    } else if (dx != 0) {
      if (op == A.OP_MAXPOOL) maxpool_backward(dx, d, lp(L, A.L_AUX), R, IN, OUT);
      else if (op == A.OP_UPSAMPLE) upsample_backward(dx, d, R, IH, IW, IC, SH, SW);
      else if (op == A.OP_DROPOUT) dropout_backward(dx, d, lp(L, A.L_AUX), R * IN);
      else memory.copy(dx, d, <usize>(R * IN) << 2);
    }
    if (dx != dsrc) add_or_copy(dsrc, tmp, R * IN, true);
  }
}

// threaded build: the last node's activation derivative was applied with the loss's gradient (pool_loss,
// terms_forward), so backward_nodes skips it once; a wasm global, so per thread (only the main thread trains)
let OUT_ACT_DONE = false;

/**
 * Adds the gradients of the penalty terms on node l's output y[R][W] (R rows of a batch of N) into its d; kl: as
 * backward_nodes (a sparse KL term's batch gradient per column at kl + kl_at(ctx, k) f64s).
 */
function penalties_backward(ctx: usize, l: i32, d: usize, y: usize, R: i32, W: i32, N: i32, kl: usize): void {
  const n = ci(ctx, A.C_NTERMS);
  for (let k = 0; k < n; k++) {
    const T = ctx + A.C_TERMS + <usize>k * A.T_BYTES, kind = load<i32>(T + A.T_KIND);
    if (load<i32>(T + A.T_TENSOR) != l || kind == A.TERM_RECON) continue;
    const batch: usize = kl != 0 && kind == A.TERM_KLSPARSE ? kl + (<usize>kl_at(ctx, k) << 3) : 0;
    // (a sparse KL term in one pass takes its column means in the scratch)
    const sc = scratch(ctx, kind == A.TERM_KLSPARSE && batch == 0 ? W : 0);
    term_backward(kind, d, y, R, W, load<f32>(T + A.T_WEIGHT), load<f32>(T + A.T_PARAM), sc, N, batch);
  }
}

/**
 * Where sparse KL term k's columns sit in a shard's sums (f64s from kl_sums's start, the terms' widths one after
 * another); k = C_NTERMS: their total width (0: no sparse KL term).
 */
function kl_at(ctx: usize, k: i32): i32 {
  let at = 0;
  for (let j = 0; j < k; j++) {
    const T = ctx + A.C_TERMS + <usize>j * A.T_BYTES;
    if (load<i32>(T + A.T_KIND) == A.TERM_KLSPARSE) at += li(layer(ctx, load<i32>(T + A.T_TENSOR)), L_OUT);
  }
  return at;
}

/**
 * Where a shard's sparse KL column sums start in its own scratch (wasm.ts shardPlan): after its batchNorm nodes'
 * sums, f64[2 C] for their widest C.
 */
function kl_sums(cs: usize): usize {
  const C = bn_channels(cs);
  return scratch(cs, ASC_NO_ASSERT ? 0 : 2 * C + kl_at(cs, ci(cs, A.C_NTERMS))) + (<usize>(2 * C) << 3);
}

/** The widest batchNorm node's channels (0: none); its sums take f64[2 C] of a scratch. */
function bn_channels(cs: usize): i32 {
  let C = 0;
  for (let l = 0; l < ci(cs, C_NLAYERS); l++) if (li(layer(cs, l), L_OP) == A.OP_BATCHNORM) C = max(C, li(layer(cs, l), A.L_IC));
  return C;
}

/**
 * One optimizer step over the whole param block. swap: the new weights are written over the
 * gradients, and the context's param and gradient blocks trade places (train_epoch).
 */
export function net_update(ctx: usize, swap: bool): void {
  store<i32>(ctx + A.C_PACK_OK, 0);   // the packed one-row copy is stale from here
  const n = ci(ctx, C_NPARAMS), opt = ci(ctx, C_OPT);
  const w = cp(ctx, C_PARAMS), g = cp(ctx, C_GRADS), m = cp(ctx, C_M), v = cp(ctx, C_V), wo = swap ? g : w;
  const lr = cf(ctx, C_LR), wd = cf(ctx, C_WD);
  const step = ci(ctx, C_STEP) + 1;
  store<i32>(ctx + C_STEP, step);
  if (opt == OPT_ADAM || opt == OPT_ADAMW) {
    const b1t = load<f64>(ctx + C_B1T) * <f64>cf(ctx, C_BETA1);
    const b2t = load<f64>(ctx + C_B2T) * <f64>cf(ctx, C_BETA2);
    store<f64>(ctx + C_B1T, b1t);
    store<f64>(ctx + C_B2T, b2t);
    adam_update(w, g, m, v, n, lr, cf(ctx, C_BETA1), cf(ctx, C_BETA2), cf(ctx, C_EPS), wd, opt == OPT_ADAMW, b1t, b2t, wo);
  } else if (opt == OPT_MOMENTUM) {
    momentum_update(w, g, m, n, lr, cf(ctx, C_MOMENTUM), wd, step == 1, wo);
  } else {
    sgd_update(w, g, n, lr, wd, wo);
  }
  if (swap) {
    store<u32>(ctx + C_PARAMS, <u32>g);
    store<u32>(ctx + C_GRADS, <u32>w);
  }
}

/**
 * Every term's raw sum on the forward just run (R rows, target t) into C_TPART, continuing the sums of the
 * batch's rows before these (a batch of N rows in chunks, or a shard's rows of it) unless `first`; with
 * `backward`, also the reconstruction gradient into the last node's DY (that of the batch's mean). With `fin`
 * (the batch's last rows) the sums are weighed and added to C_TERMSUM (terms_weigh) and the batch's objective
 * returned: each term's mean (reconstruction per element, penalties per row), summed; else 0. A contractive
 * term is computed here outside training only (grads_rows adds it during training). sums: a shard's sparse KL
 * column sums go there (kl_sums), else 0.
 */
function terms_forward(ctx: usize, x: usize, y: usize, t: usize, R: i32, backward: bool, N: i32, first: bool, fin: bool, sums: usize): f64 {
  const n = ci(ctx, A.C_NTERMS), C = ci(ctx, C_OUTDIM), loss = ci(ctx, C_LOSS);
  for (let k = 0; k < n; k++) {
    const T = ctx + A.C_TERMS + <usize>k * A.T_BYTES, at = ctx + A.C_TPART + (<usize>k << 3);
    const kind = load<i32>(T + A.T_KIND), wgt = load<f32>(T + A.T_WEIGHT), part = first ? 0.0 : load<f64>(at);
    let raw: f64;
    if (kind == A.TERM_RECON) {
      // threaded build, the loss the only term: the rows' sums, gradient and output activation's derivative
      // split by rows across the pool (loss.ts loss_part; the scratch holds at least 4 D floats), the sums
      // then added in row order: loss_sum's and backward_nodes's bits
      if (ASC_FEATURE_THREADS && backward && n == 1 && R <= 4 * ci(ctx, C_INDIM) && pooled_loss(ctx, y, t, R, C, N, wgt)) {
        raw = part;
        const rows = scratch(ctx, (R + 1) >> 1);
        for (let r = 0; r < R; r++) raw += <f64>load<f32>(rows + (<usize>r << 2));
      } else {
        raw = loss_sum(loss, y, t, R, C, part);
        if (backward) {
          const d = lp(layer(ctx, ci(ctx, C_NLAYERS) - 1), A.L_DY);
          loss_backward(loss, d, y, t, R * C, fused_sigmoid_bce(ctx), N * C);
          loss_weight(d, R * C, wgt);
        }
      }
    } else if (kind == A.TERM_CONTRACTIVE) {
      // (weighted already; such a model's batch comes in one piece)
      raw = backward ? 0 : contractive(ctx, x, R, load<i32>(T + A.T_TENSOR) + 1, wgt, false);
    } else if (kind == A.TERM_KLSPARSE && sums != 0) {
      // a shard's rows: their column sums (kl_reduce adds the shards' and puts the batch's value in shard 0's part)
      const L = layer(ctx, load<i32>(T + A.T_TENSOR));
      bn_part_sum(lp(L, L_Y), R, li(L, L_OUT), sums + (<usize>kl_at(ctx, k) << 3));
      raw = 0;
    } else {
      const L = layer(ctx, load<i32>(T + A.T_TENSOR));
      raw = term_raw(kind, lp(L, L_Y), R, li(L, L_OUT), load<f32>(T + A.T_PARAM), scratch(ctx, kind == A.TERM_KLSPARSE ? li(L, L_OUT) : 0), part);
    }
    store<f64>(at, raw);
  }
  return fin ? terms_weigh(ctx, N) : 0;
}

/**
 * A batch of N rows' terms from their raw sums (C_TPART): each weighted, added to its running sum (C_TERMSUM);
 * returns the batch's objective, each term's mean (reconstruction per element, penalties per row) in term order.
 */
function terms_weigh(ctx: usize, N: i32): f64 {
  const C = ci(ctx, C_OUTDIM);
  let total: f64 = 0;
  for (let k = 0; k < ci(ctx, A.C_NTERMS); k++) {
    const T = ctx + A.C_TERMS + <usize>k * A.T_BYTES, sum = ctx + A.C_TERMSUM + (<usize>k << 3);
    const kind = load<i32>(T + A.T_KIND), raw = load<f64>(ctx + A.C_TPART + (<usize>k << 3));
    if (kind == A.TERM_RECON) {
      total += recon_finish(T, sum, raw, N, C);
      continue;
    }
    const v = kind == A.TERM_CONTRACTIVE ? raw : term_weigh(kind, raw, load<f32>(T + A.T_WEIGHT), N);
    store<f64>(sum, load<f64>(sum) + v);
    total += v / <f64>N;
  }
  return total;
}

/**
 * The threaded build's reconstruction term over a chunk of R rows through the pool (terms_forward): the
 * rows' loss sums into the context's scratch, the gradient times wgt, then the output's activation
 * derivative, into the last node's d; false when the pool does not take it (the caller computes it alone).
 */
function pooled_loss(ctx: usize, y: usize, t: usize, R: i32, C: i32, N: i32, wgt: f32): bool {
  const Lo = layer(ctx, ci(ctx, C_NLAYERS) - 1);
  if (!pool_loss(ci(ctx, C_LOSS), lp(Lo, A.L_DY), y, t, R, C, fused_sigmoid_bce(ctx), N * C, wgt, li(Lo, L_ACT), cp(ctx, C_SCRATCH))) return false;
  // (the test build: the rows' sums fitted; checked after, as the pool takes the job only outside a shard: SOLO)
  if (!ASC_NO_ASSERT) scratch(ctx, (R + 1) >> 1);
  OUT_ACT_DONE = true;
  return true;
}

/** A reconstruction term (entry T, sum its running sum) at the end of a batch of N rows of C: its loss sum `raw`, weighted, added to the sum; returns its per-element mean. */
function recon_finish(T: usize, sum: usize, raw: f64, N: i32, C: i32): f64 {
  const wgt = load<f32>(T + A.T_WEIGHT), v = wgt == 1 ? raw : <f64>wgt * raw;
  store<f64>(sum, load<f64>(sum) + v);
  return v / (<f64>N * <f64>C);
}

/** Zeroes the per-term sums before a call that accumulates them. */
function terms_reset(ctx: usize): void { memory.fill(ctx + A.C_TERMSUM, 0, A.MAX_TERMS << 3); }

/** Turns the per-term sums over n rows into means (reconstruction per element, penalties per row); returns their sum. */
function terms_finish(ctx: usize, n: i32): f64 {
  const C = ci(ctx, C_OUTDIM);
  let total: f64 = 0;
  for (let k = 0; k < ci(ctx, A.C_NTERMS); k++) {
    const sum = ctx + A.C_TERMSUM + (<usize>k << 3);
    const kind = load<i32>(ctx + A.C_TERMS + <usize>k * A.T_BYTES + A.T_KIND);
    const v = load<f64>(sum) / (kind == A.TERM_RECON ? <f64>n * <f64>C : <f64>n);
    store<f64>(sum, v);
    total += v;
  }
  return total;
}

/**
 * Forward, loss terms and backward on R <= CAP rows (x input, t target); returns the batch objective
 * (terms' means summed). A sharded model (its context field SH_FIELD set) takes its shards' gradients, each on its own
 * context (shard_run: through the thread pool when there is one, else in turn), then adds them into
 * its own gradient block in shard order, and their terms' sums alike (with batchNorm or sparse KL, in phases between
 * which the batch's sums are added likewise: bn_phase, kl_reduce): every shard's sums keep their order whichever thread took it, so
 * the bits do not depend on the thread count. Either way the dropout and sampling streams move past the batch.
 */
export function net_grads(ctx: usize, x: usize, t: usize, R: i32): f64 {
  const sh = cp(ctx, A.SH_FIELD);
  if (sh == 0) {
    const total = grads_rows(ctx, x, t, R, R, 0, false);
    draws_end(ctx, R);
    return total;
  }
  const S = load<i32>(sh + A.SH_N);
  // (each shard draws from the model's streams as they stand: draws_at)
  for (let s = 0; s < S; s++) memory.copy(<usize>load<u32>(sh + A.SH_CTX + (<usize>s << 2)) + A.C_RNG, ctx + A.C_RNG, A.RNG_STREAMS << 4);
  const m = bn_node(ctx, 0), kl = kl_at(ctx, ci(ctx, A.C_NTERMS)) > 0;
  if (m == 0 && !kl) shards_phase(ctx, x, t, R, PH_ALL);
  else {
    // batchNorm's statistics over the whole batch: the shards' parts between its nodes, their sums added in shard order
    for (let k = 0; k <= m; k++) {
      shards_phase(ctx, x, t, R, PH_FWD + k);
      if (k == m) break;
      bn_reduce(ctx, sh, S, R, k + 1, PH_FWD);
      shards_phase(ctx, x, t, R, PH_VAR + k + 1);
      bn_reduce(ctx, sh, S, R, k + 1, PH_VAR);
    }
    // sparse KL's column means over the whole batch: the shards' column sums added in shard order
    if (kl) {
      kl_reduce(ctx, sh, S, R);
      shards_phase(ctx, x, t, R, PH_KL);
    }
    for (let k = m; k >= 1; k--) {
      bn_reduce(ctx, sh, S, R, k, PH_BWD);
      shards_phase(ctx, x, t, R, PH_BWD + k);
    }
  }
  draws_end(ctx, R);
  const g = cp(ctx, C_GRADS), nT = ci(ctx, A.C_NTERMS), part = ctx + A.C_TPART;
  memory.fill(part, 0, <usize>nT << 3);
  for (let s = 0; s < S; s++) {
    if (shard_row(R, s, S) >= shard_row(R, s + 1, S)) continue;   // an empty shard (fewer rows than shards)
    const cs = <usize>load<u32>(sh + A.SH_CTX + (<usize>s << 2));
    if (s > 0) add_or_copy(g, cp(cs, C_GRADS), ci(ctx, C_NPARAMS), true);   // (shard 0's block is the model's)
    for (let k = 0; k < nT; k++) {
      const at = part + (<usize>k << 3);
      store<f64>(at, load<f64>(at) + load<f64>(cs + A.C_TPART + (<usize>k << 3)));
    }
  }
  // the terms as one pass's last chunk weighs them
  return terms_weigh(ctx, R);
}

/** First row of shard s of S of a batch of R rows: ceil(R s / S), so shard 0 has a row whenever the batch has one. */
// @ts-ignore: decorator
@inline function shard_row(R: i32, s: i32, S: i32): i32 { return (R * s + S - 1) / S; }

/** A sharded model's shard count (its shard block's SH_N). */
// @ts-ignore: decorator
@inline export function shard_count(ctx: usize): i32 { return load<i32>(cp(ctx, A.SH_FIELD) + A.SH_N); }

/** Phase `phase` of a sharded batch of R rows on every shard: through the pool, else in turn. */
function shards_phase(ctx: usize, x: usize, t: usize, R: i32, phase: i32): void {
  if (!ASC_FEATURE_THREADS || !pool_shards(ctx, x, t, R, phase)) for (let s = 0; s < shard_count(ctx); s++) shard_run(ctx, x, t, R, s, phase);
}

// The phases of a sharded batch (net_grads, shard_run). PH_ALL: a shard's rows' whole forward and backward (no batchNorm,
// no sparse KL). A model with batchNorm nodes b_1 < ... < b_m (m >= 0) takes its batch in parts between them, the batch's
// sums of each node added by the calling thread between phases (bn_reduce): PH_FWD + k (k = 0..m): b_k's normalization
// (k > 0), the nodes after it up to b_{k+1}, and its input's sums (k < m), or at k = m the nodes to the end, the loss
// terms, then (the top: top_backward) the backward down to b_m and b_m's gradient sums; PH_VAR + k: b_k's input's squared
// deviations from the batch's mean; PH_BWD + k: b_k's input gradient, the backward down to b_{k-1} and its gradient sums
// (k > 1). With a sparse KL term PH_FWD + m ends after the loss terms, whose column sums kl_reduce adds, and PH_KL runs
// the top.
const PH_ALL: i32 = 0;
const PH_FWD: i32 = 1 << 8;
const PH_VAR: i32 = 2 << 8;
const PH_BWD: i32 = 3 << 8;
const PH_KL: i32 = 4 << 8;

/** The k-th batchNorm node (k >= 1), or -1; k = 0: how many there are. */
function bn_node(ctx: usize, k: i32): i32 {
  let n = 0;
  for (let l = 0; l < ci(ctx, C_NLAYERS); l++) {
    if (li(layer(ctx, l), L_OP) != A.OP_BATCHNORM) continue;
    if (++n == k) return l;
  }
  return k == 0 ? n : -1;
}

/** Shard s of a sharded model's batch of R rows (net_grads), phase `phase` (PH_*): its rows' gradients on its context, its terms' sums in its C_TPART. */
export function shard_run(ctx: usize, x: usize, t: usize, R: i32, s: i32, phase: i32): void {
  const sh = cp(ctx, A.SH_FIELD), S = load<i32>(sh + A.SH_N), r0 = shard_row(R, s, S), r1 = shard_row(R, s + 1, S);
  if (r0 >= r1) return;
  const cs = <usize>load<u32>(sh + A.SH_CTX + (<usize>s << 2));
  const xs = x + (<usize>(r0 * ci(ctx, C_INDIM)) << 2), ts = t + (<usize>(r0 * ci(ctx, C_OUTDIM)) << 2);
  if (phase == PH_ALL) grads_rows(cs, xs, ts, r1 - r0, R, r0, true);
  else bn_phase(ctx, cs, xs, ts, r1 - r0, R, r0, phase);
}

/**
 * A phase of a sharded batch with batchNorm or sparse KL (PH_FWD, PH_VAR, PH_BWD, PH_KL) on shard context cs: its R
 * rows (x, t) of a batch of N from row r0; the batch's figures from the model's scratch (ctx: bn_reduce) and shard 0's
 * (kl_reduce), the shard's sums into its own.
 */
function bn_phase(ctx: usize, cs: usize, x: usize, t: usize, R: i32, N: i32, r0: i32, phase: i32): void {
  const kind = phase & ~255, k = phase & 255, m = bn_node(cs, 0), last = ci(cs, C_NLAYERS) - 1;
  // (the shard's batchNorm sums and the batch's: f64[2 C] for the widest node, checked in the test build only)
  const C2 = ASC_NO_ASSERT ? 0 : 2 * bn_channels(cs), own = scratch(cs, C2), batch = scratch(ctx, C2), klsums = kl_sums(cs);
  // (the sparse KL terms' batch gradients, which kl_reduce leaves in shard 0's sums; 0 without such a term)
  const kl: usize = kl_at(cs, ci(cs, A.C_NTERMS)) > 0 ? kl_sums(<usize>load<u32>(cp(ctx, A.SH_FIELD) + A.SH_CTX)) : 0;
  if (kind == PH_KL) {
    top_backward(ctx, cs, x, R, N, kl);
    return;
  }
  if (kind == PH_VAR) {
    const L = layer(cs, bn_node(cs, k)), P = li(L, L_IN) / li(L, A.L_IC);
    bn_part_sqdev(src_ptr(cs, li(L, A.L_SRC0), 0, x), R * P, li(L, A.L_IC), batch, own);
    return;
  }
  if (kind == PH_FWD) {
    let from = 0;
    if (k > 0) {
      const b = bn_node(cs, k), L = layer(cs, b), IC = li(L, A.L_IC), P = li(L, L_IN) / IC, params = cp(cs, C_PARAMS);
      bn_part_apply(src_ptr(cs, li(L, A.L_SRC0), 0, x), lp(L, L_Y), R * P, IC, fptr(params, li(L, L_W)), fptr(params, li(L, L_B)),
                    lp(L, A.L_AUX), lp(L, A.L_AUX2), batch);
      if (li(L, L_ACT) != ACT_LINEAR) act_forward(li(L, L_ACT), lp(L, L_Y), R * li(L, L_OUT));
      from = b + 1;
    }
    const to = k < m ? bn_node(cs, k + 1) - 1 : last;
    store<i32>(cs + A.C_DRAW_ROW, r0);
    store<i32>(cs + A.C_DRAW_N, N);
    let y = from > 0 ? lp(layer(cs, from - 1), L_Y) : x;
    if (from <= to) y = net_forward(cs, from > 0 ? y : x, R, from, to, true);
    if (k < m) {
      const L = layer(cs, to + 1), P = li(L, L_IN) / li(L, A.L_IC);
      bn_part_sum(src_ptr(cs, li(L, A.L_SRC0), 0, x), R * P, li(L, A.L_IC), own);
      return;
    }
    terms_forward(cs, x, y, t, R, true, N, true, false, klsums);
    if (kl == 0) top_backward(ctx, cs, x, R, N, 0);
    return;
  }
  // PH_BWD: b_k's input gradient from the batch's sums, then the nodes below it
  const b = bn_node(cs, k), L = layer(cs, b), IC = li(L, A.L_IC), IN = li(L, L_IN), P = IN / IC;
  const s0 = li(L, A.L_SRC0), dsrc: usize = s0 >= 0 ? lp(layer(cs, s0), A.L_DY) : 0, acc0 = li(L, A.L_ACC0) != 0;
  const tmp = cp(cs, C_DELTA0), dx: usize = dsrc != 0 && !acc0 ? dsrc : tmp;
  bn_part_back_apply(dx, lp(L, A.L_DY), lp(L, A.L_AUX), lp(L, A.L_AUX2), fptr(cp(cs, C_PARAMS), li(L, L_W)), R * P, N * P, IC, batch);
  if (dsrc != 0 && acc0) add_or_copy(dsrc, tmp, R * IN, true);
  const lo = k > 1 ? bn_node(cs, k - 1) + 1 : 0;
  if (b - 1 >= lo) backward_nodes(cs, x, R, false, N, b - 1, lo, kl);
  if (k > 1) bn_back_prep(ctx, cs, R, N, lo - 1, kl);
}

/** A shard's backward from the last node down to the node after its last batchNorm node b_m (to node 0 when m = 0), then b_m's gradient sums (bn_phase). */
function top_backward(ctx: usize, cs: usize, x: usize, R: i32, N: i32, kl: usize): void {
  const m = bn_node(cs, 0), last = ci(cs, C_NLAYERS) - 1, bm = m > 0 ? bn_node(cs, m) : -1;
  if (last > bm) backward_nodes(cs, x, R, false, N, last, bm + 1, kl);
  if (m > 0) bn_back_prep(ctx, cs, R, N, bm, kl);
}

/**
 * Between PH_FWD + m and PH_KL of a sharded batch of R rows: each sparse KL term's shard column sums (kl_sums) added in
 * shard order into the model's scratch, then its batch value into shard 0's part (C_TPART: the other shards' parts hold
 * 0, so net_grads's sum over shards is that value) and its gradient per column over shard 0's sums.
 */
function kl_reduce(ctx: usize, sh: usize, S: i32, R: i32): void {
  const c0 = <usize>load<u32>(sh + A.SH_CTX), first = kl_sums(c0);
  for (let k = 0; k < ci(ctx, A.C_NTERMS); k++) {
    const T = ctx + A.C_TERMS + <usize>k * A.T_BYTES;
    if (load<i32>(T + A.T_KIND) != A.TERM_KLSPARSE) continue;
    const W = li(layer(ctx, load<i32>(T + A.T_TENSOR)), L_OUT), at = <usize>kl_at(ctx, k) << 3, sum = scratch(ctx, W);
    shard_sums(sh, S, R, first + at - cp(c0, C_SCRATCH), W, sum);
    const w = load<f32>(T + A.T_WEIGHT), rho = load<f32>(T + A.T_PARAM);
    store<f64>(c0 + A.C_TPART + (<usize>k << 3), kl_sparse_raw(sum, R, W, rho));
    memory.copy(first + at, sum, <usize>W << 3);
    kl_sparse_grad(first + at, R, W, w, rho);
  }
}

/**
 * batchNorm node b's part of a shard's backward before its input gradient: its penalties and activation derivative
 * into its DY, then the shard's sums of DY and DY xhat (bn_reduce adds them); a shard's own gradient block gets zeros for
 * its gamma and beta (bn_reduce writes the batch's into the model's block, which is shard 0's).
 */
function bn_back_prep(ctx: usize, cs: usize, R: i32, N: i32, b: i32, kl: usize): void {
  const L = layer(cs, b), IC = li(L, A.L_IC), OUT = li(L, L_OUT), d = lp(L, A.L_DY), y = lp(L, L_Y);
  penalties_backward(cs, b, d, y, R, OUT, N, kl);
  if (!(b == ci(cs, C_NLAYERS) - 1 && fused_sigmoid_bce(cs))) act_backward(li(L, L_ACT), d, y, R * OUT);
  bn_part_back_sums(d, lp(L, A.L_AUX), R * (li(L, L_IN) / IC), IC, scratch(cs, 2 * IC));
  const g = cp(cs, C_GRADS);
  if (g != cp(ctx, C_GRADS)) {
    memory.fill(fptr(g, li(L, L_W)), 0, <usize>IC << 2);
    memory.fill(fptr(g, li(L, L_B)), 0, <usize>IC << 2);
  }
}

/**
 * out[0..n) = the sum over the non-empty shards of a batch of R rows, in shard order, of each shard's f64[n] at byte
 * `off` of its own scratch (its batchNorm or sparse KL sums: bn_reduce, kl_reduce).
 */
function shard_sums(sh: usize, S: i32, R: i32, off: usize, n: i32, out: usize): void {
  memory.fill(out, 0, <usize>n << 3);
  for (let s = 0; s < S; s++) {
    if (shard_row(R, s, S) >= shard_row(R, s + 1, S)) continue;
    const part = scratch(<usize>load<u32>(sh + A.SH_CTX + (<usize>s << 2)), <i32>(off >> 3) + n) + off;
    for (let c = 0; c < n; c++) store<f64>(out + (<usize>c << 3), load<f64>(out + (<usize>c << 3)) + load<f64>(part + (<usize>c << 3)));
  }
}

/**
 * Between phases of a sharded batch of R rows: batchNorm node b_k's shard sums added in shard order into the model's
 * scratch. After PH_FWD: the batch's f64 means; after PH_VAR: the variance, 1/std (its AUX2), the moving statistics
 * and the f32 means (in the low halves of the mean slots), as batchnorm_forward; before PH_BWD: the sums of DY and DY
 * xhat, and the batch's gamma and beta gradients into the model's block, as batchnorm_backward.
 */
function bn_reduce(ctx: usize, sh: usize, S: i32, R: i32, k: i32, after: i32): void {
  const L = layer(ctx, bn_node(ctx, k)), C = li(L, A.L_IC), Nb = R * (li(L, L_IN) / C), sc = scratch(ctx, 2 * C);
  // (after PH_VAR the sums go after the means, which that phase read)
  const n = after == PH_BWD ? 2 * C : C, out = after == PH_VAR ? sc + (<usize>C << 3) : sc;
  shard_sums(sh, S, R, 0, n, out);
  if (after == PH_FWD) {
    for (let c = 0; c < C; c++) store<f64>(out + (<usize>c << 3), load<f64>(out + (<usize>c << 3)) / <f64>Nb);
    return;
  }
  if (after == PH_VAR) {
    const st = lp(L, A.L_STATE);
    bn_stats(sc, out, Nb, C, lp(L, A.L_AUX2), st, st + (<usize>C << 2), lf(L, A.L_EPS), lf(L, A.L_RATE));
    return;
  }
  const g = cp(ctx, C_GRADS);
  for (let c = 0; c < C; c++) {
    store<f32>(fptr(g, li(L, L_B)) + (<usize>c << 2), <f32>load<f64>(out + (<usize>c << 3)));
    store<f32>(fptr(g, li(L, L_W)) + (<usize>c << 2), <f32>load<f64>(out + (<usize>(C + c) << 3)));
  }
}

/**
 * net_grads over R rows of a batch of N, from its row r0: the objective (0 for a shard, whose terms' sums stay in its
 * C_TPART); the gradients are those of the batch's mean.
 */
function grads_rows(ctx: usize, x: usize, t: usize, R: i32, N: i32, r0: i32, shard: bool): f64 {
  const last = ci(ctx, C_NLAYERS) - 1, D = ci(ctx, C_INDIM), C = ci(ctx, C_OUTDIM), K = ci(ctx, A.C_CONDDIM), cond = cp(ctx, A.C_COND);
  // In chunks of rows for a model without batch statistics or batch-wide penalties: the widest activation of
  // a chunk within TRAIN_FLOATS, so that a layer's output and gradient are still in cache when the
  // next layer (forward or backward) reads them; the weight gradients sum across chunks. Every sum
  // keeps its order (samples in order, each product accumulating onto the last chunk's: GEMM_ACC,
  // f32_colsum's acc, the terms' f64 sums carried in C_TPART), and dropout and sampling draw each
  // row's numbers by its row in the batch (draws_at), so the bits equal one pass over the batch.
  const rows = chunkable(ctx) ? infer_rows(ctx, 0, last, TRAIN_FLOATS) : R;
  let total: f64 = 0;
  for (let s = 0; s < R; s += rows) {
    const r = min(rows, R - s), xs = x + (<usize>(s * D) << 2), fin = s + r >= R && !shard;
    store<u32>(ctx + A.C_COND, <u32>(cond + (<usize>(s * K) << 2)));
    store<i32>(ctx + A.C_DRAW_ROW, r0 + s);
    store<i32>(ctx + A.C_DRAW_N, N);
    const y = net_forward(ctx, xs, r, 0, last, true);
    total = terms_forward(ctx, xs, y, t + (<usize>(s * C) << 2), r, true, N, s == 0, fin, 0);
    backward_nodes(ctx, xs, r, s > 0, N, last, 0, 0);
  }
  store<u32>(ctx + A.C_COND, <u32>cond);
  // a contractive term adds its gradient into the weight gradients backward_nodes just wrote
  for (let k = 0; k < ci(ctx, A.C_NTERMS); k++) {
    const T = ctx + A.C_TERMS + <usize>k * A.T_BYTES;
    if (load<i32>(T + A.T_KIND) != A.TERM_CONTRACTIVE) continue;
    const v = contractive(ctx, x, R, load<i32>(T + A.T_TENSOR) + 1, load<f32>(T + A.T_WEIGHT), true);
    const sum = ctx + A.C_TERMSUM + (<usize>k << 3);
    store<f64>(sum, load<f64>(sum) + v);
    total += v / <f64>R;
  }
  return total;
}

/**
 * True when a batch's gradients can be taken in chunks of rows (or shards): no batch statistics (batchNorm), and
 * terms that sum row by row (the reconstruction, L1 and the rate term, the VAE's KL; not sparse KL's column means or the contractive
 * term's pass over the batch).
 */
function chunkable(ctx: usize): bool {
  for (let k = 0; k < ci(ctx, A.C_NTERMS); k++) {
    const kind = load<i32>(ctx + A.C_TERMS + <usize>k * A.T_BYTES + A.T_KIND);
    if (kind != A.TERM_RECON && !A.l1_kind(kind) && kind != A.TERM_VAEKL) return false;
  }
  for (let l = 0; l < ci(ctx, C_NLAYERS); l++) if (li(layer(ctx, l), L_OP) == A.OP_BATCHNORM) return false;
  return true;
}

/** Copies row idx[r] of src (row width C) to row r of dst, for R rows. */
export function gather(dst: usize, src: usize, idx: usize, R: i32, C: i32): void {
  const bytes = <usize>C << 2;
  // short rows by f32x4 moves: memory.copy is a call out of the module in V8, which for a row of a few
  // hundred bytes cost more than the copy (the series detector's 96-float rows: gather 6.8% of a corpus
  // run's profile); long rows (dense784's 3 KB) keep memory.copy
  if (C <= GATHER_SIMD_MAX) {
    const C4 = <usize>(C & ~3) << 2;
    for (let r = 0; r < R; r++) {
      const d = dst + <usize>r * bytes, s = src + <usize>load<i32>(idx + (<usize>r << 2)) * bytes;
      let o: usize = 0;
      for (; o < C4; o += 16) v128.store(d + o, v128.load(s + o));
      for (; o < bytes; o += 4) store<f32>(d + o, load<f32>(s + o));
    }
    return;
  }
  for (let r = 0; r < R; r++) {
    memory.copy(dst + <usize>r * bytes, src + <usize>load<i32>(idx + (<usize>r << 2)) * bytes, bytes);
  }
}
const GATHER_SIMD_MAX: i32 = 256;

/**
 * Corrupts R rows of D normalized inputs in place (denoising), in the units of the data as passed:
 * gaussian x += amount * N(0, 1) (clipped to [lo, hi] when lo <= hi), mask: a fraction `amount`
 * set to 0, salt-and-pepper: a fraction set to the feature's training minimum or maximum (half each).
 * Draws come from the noise stream; normalizer shift a and scale b map data units to the model's.
 */
function add_noise(ctx: usize, x: usize, R: i32, D: i32, amount: f32): void {
  noise_rows(ctx, x, R, D, amount, rng(ctx, A.RNG_NOISE));
}

/**
 * Draws of the noise stream that a row of D columns takes (noise_rows: two per normal, one per mask uniform), -1
 * where the count varies (salt-and-pepper: a second draw for each corrupted value).
 */
function noise_draws(kind: i32, D: i32): i32 {
  return kind == A.NOISE_GAUSSIAN ? 2 * D : kind == A.NOISE_MASK ? D : -1;
}

/**
 * Rows r0..r1-1 of a noisy batch (threads.ts JOB_NOISE; any thread): their input rows gathered from x by idx into bin,
 * and with btgt != 0 their clean target rows into btgt, then the input rows corrupted as add_noise does, drawing from
 * the noise stream's draw ctr + r0 * noise_draws: the rows' own draws in one pass over the batch, so the same bits.
 * s: 16 bytes of the calling thread's own for the stream (gemm.ts ws_scratch).
 */
export function noise_part(ctx: usize, bin: usize, btgt: usize, x: usize, idx: usize, r0: i32, r1: i32, D: i32, amount: f32, ctr: u64, s: usize): void {
  const off = <usize>(r0 * D) << 2, rows = idx + (<usize>r0 << 2), n = r1 - r0;
  gather(bin + off, x, rows, n, D);
  if (btgt != 0) gather(btgt + off, x, rows, n, D);
  store<u64>(s, load<u64>(rng(ctx, A.RNG_NOISE)));
  store<u64>(s, ctr + <u64>r0 * <u64>noise_draws(ci(ctx, A.C_NOISE_KIND), D), 8);
  noise_rows(ctx, bin + off, n, D, amount, s);
}

/** add_noise's R rows at x, drawing from the stream at s. */
function noise_rows(ctx: usize, x: usize, R: i32, D: i32, amount: f32, s: usize): void {
  const kind = ci(ctx, A.C_NOISE_KIND);
  const a = cp(ctx, C_NORM_A), b = cp(ctx, C_NORM_B), lo = cf(ctx, A.C_NOISE_LO), hi = cf(ctx, A.C_NOISE_HI);
  const mn = cp(ctx, A.C_NOISE_MIN), mx = cp(ctx, A.C_NOISE_MAX);
  const clip = lo <= hi, am = f32x4.splat(amount), lo4 = f32x4.splat(lo), hi4 = f32x4.splat(hi);
  for (let r = 0; r < R; r++) {
    let j = 0;
    // gaussian: four columns at a time (rng_normal4 takes the same draws in the same order as the loop below)
    if (kind == A.NOISE_GAUSSIAN) for (; j + 4 <= D; j += 4) {
      const p = x + (<usize>(r * D + j) << 2), o = <usize>j << 2;
      const bj = v128.load(b + o);
      let v = f32x4.add(v128.load(p), f32x4.div(f32x4.mul(am, rng_normal4(s)), bj));
      if (clip) {
        const aj = v128.load(a + o);
        v = f32x4.min(f32x4.max(v, f32x4.div(f32x4.sub(lo4, aj), bj)), f32x4.div(f32x4.sub(hi4, aj), bj));
      }
      v128.store(p, v);
    }
    // mask: one draw per column, so four at a time as well (rng_uniform4: the same draws as rng_uniform's)
    if (kind == A.NOISE_MASK) for (; j + 4 <= D; j += 4) {
      const p = x + (<usize>(r * D + j) << 2), o = <usize>j << 2;
      const zero = f32x4.div(f32x4.sub(f32x4.splat(0), v128.load(a + o)), v128.load(b + o));
      v128.store(p, v128.bitselect(zero, v128.load(p), f32x4.lt(rng_uniform4(s), am)));
    }
    for (; j < D; j++) {
      const p = x + (<usize>(r * D + j) << 2), o = <usize>j << 2;
      const bj = load<f32>(b + o);
      if (kind == A.NOISE_GAUSSIAN) {
        let v = load<f32>(p) + amount * rng_normal(s) / bj;
        if (lo <= hi) v = min<f32>(max<f32>(v, (lo - load<f32>(a + o)) / bj), (hi - load<f32>(a + o)) / bj);
        store<f32>(p, v);
      } else if (rng_uniform(s) < amount) {
        if (kind == A.NOISE_MASK) store<f32>(p, (<f32>0 - load<f32>(a + o)) / bj);
        else store<f32>(p, load<f32>((rng_uniform(s) < <f32>0.5 ? mn : mx) + o));
      }
    }
  }
}

/** mn[j], mx[j] = min and max of column j over n rows of D values at x. */
export function col_minmax(x: usize, n: i32, D: i32, mn: usize, mx: usize): void {
  for (let j = 0; j < D; j++) {
    let lo = load<f32>(x + (<usize>j << 2)), hi = lo;
    for (let r = 1; r < n; r++) {
      const v = load<f32>(x + (<usize>(r * D + j) << 2));
      lo = min<f32>(lo, v);
      hi = max<f32>(hi, v);
    }
    store<f32>(mn + (<usize>j << 2), lo);
    store<f32>(mx + (<usize>j << 2), hi);
  }
}

/**
 * One epoch over n rows: x[n][INDIM] inputs, t[n][OUTDIM] targets (t may equal x); the condition,
 * if any, from C_COND_BASE (n rows). perm: i32[n] row order, reshuffled first when shuffle is 1
 * (0 = rows in order, read in place; 2 = rows in perm's order as it is, nothing drawn: an ensemble's
 * member on a lane, ensemble.ts member_epoch). Leaves each term's epoch mean in C_TERMSUM and returns their
 * sum (each batch weighted by its rows, as Keras's epoch loss).
 */
export function train_epoch(ctx: usize, x: usize, t: usize, n: i32, perm: usize, shuffle: i32, batch: i32): f64 {
  return train_rows(ctx, x, t, n, perm, shuffle, batch, 0, n);
}

/**
 * The batches of an epoch (train_epoch's arguments) that start in rows [from, to): from a multiple of batch, to
 * one or n. The epoch's start (from 0) shuffles and zeroes the term sums; its end (to n) turns them into means and
 * returns their sum (0 before that). The calls of one epoch, in order, give the bits of one call over it: a batch
 * draws and steps alike wherever a call begins, and each call leaves the weights in the kernel's own block.
 */
export function train_rows(ctx: usize, x: usize, t: usize, n: i32, perm: usize, shuffle: i32, batch: i32, from: i32, to: i32): f64 {
  const D = ci(ctx, C_INDIM), C = ci(ctx, C_OUTDIM), K = ci(ctx, A.C_CONDDIM), cbase = cp(ctx, A.C_COND_BASE);
  const bin = cp(ctx, C_BATCH_IN), btgt = cp(ctx, C_BATCH_TGT);
  const noise = cf(ctx, C_NOISE);
  if (from == 0) {
    if (shuffle == 1) rng_shuffle(rng(ctx, A.RNG_SHUFFLE), perm, n);
    terms_reset(ctx);
  }
  // threaded build: the next batch's rows are copied while the optimizer steps (one pool job), when
  // they are the batch's only copy (no condition, no separate target, no noise)
  const ahead = ASC_FEATURE_THREADS && shuffle != 0 && K == 0 && t == x && noise == 0;
  let ready = false;   // bin holds this batch's rows already
  // Each step writes the new weights over the gradient block, and the two blocks trade places: the next batch's
  // gradients overwrite the old weights. With threads, the weights that one thread's update writes in place are
  // lines that both threads read in every product, held in both cores' caches, and each write must first take its
  // line from the other core: over both threads, dense784's Adam took 380-460 ms of CPU time in a profile of 40,000
  // rows, and 220-270 ms writing the same values over the gradients, while the products, which now write the next
  // gradients over the old weights, kept theirs (1,680-1,790 ms either way). The same values, so the same bits; an
  // odd step count ends with the weights in the other block, copied home as the epoch ends, so between calls the
  // blocks are where the bindings put them. Not for a sharded model (its shards' contexts point at the params) or an
  // ensemble's lane.
  const p0 = cp(ctx, C_PARAMS), g0 = cp(ctx, C_GRADS), swap = cp(ctx, A.SH_FIELD) == 0 && shuffle != 2;
  if (ASC_FEATURE_THREADS) pool_hot(true, cp(ctx, A.SH_FIELD) != 0 ? shard_count(ctx) : 0);
  for (let start = from; start < to; start += batch) {
    const R = min(batch, n - start);
    let inp = x + (<usize>(start * D) << 2), tgt = t + (<usize>(start * C) << 2);
    if (K > 0) store<u32>(ctx + A.C_COND, <u32>(cbase + (<usize>(start * K) << 2)));
    if (shuffle != 0 || noise != 0) {
      const idx = perm + (<usize>start << 2);
      // threaded build: gaussian or mask noise (a fixed count of draws a row) on rows gathered from x, whose targets
      // are their clean copies: the gathers and the noise in one job of row ranges (noise_part)
      let pooled = false;
      if (ASC_FEATURE_THREADS && noise != 0 && !ready && t == x) {
        // (salt-and-pepper's rows take a varying count of draws: their places in the stream are not known ahead)
        const s = rng(ctx, A.RNG_NOISE), per = noise_draws(ci(ctx, A.C_NOISE_KIND), D), ctr = load<u64>(s, 8);
        if (per >= 0 && pool_noise(ctx, bin, btgt, x, idx, R, D, noise, ctr)) {
          store<u64>(s, ctr + <u64>R * <u64>per, 8);   // past the batch's draws
          pooled = true;
        }
      }
      if (!ready && !pooled) gather(bin, x, idx, R, D);
      ready = false;
      if (K > 0) {
        gather(cp(ctx, A.C_BATCH_COND), cbase, idx, R, K);
        store<u32>(ctx + A.C_COND, <u32>cp(ctx, A.C_BATCH_COND));
      }
      if (t != x) {
        gather(btgt, t, idx, R, C);
        tgt = btgt;
      } else if (noise != 0) {
        if (!pooled) gather(btgt, x, idx, R, C);
        tgt = btgt;
      } else {
        tgt = bin;
      }
      inp = bin;
      if (noise != 0 && !pooled) add_noise(ctx, bin, R, D, noise);
    }
    net_grads(ctx, inp, tgt, R);
    const next = start + batch;
    if (ASC_FEATURE_THREADS && ahead && next < to) {
      pool_hold();
      ready = pool_gather(bin, x, perm + (<usize>next << 2), min(batch, n - next), D);
      net_update(ctx, swap);
      pool_release();
    } else net_update(ctx, swap);
  }
  if (cp(ctx, C_PARAMS) != p0) {
    memory.copy(p0, g0, <usize>ci(ctx, C_NPARAMS) << 2);
    store<u32>(ctx + C_PARAMS, <u32>p0);
    store<u32>(ctx + C_GRADS, <u32>g0);
  }
  // (the workers stay hot until the epoch's last call: the next call follows within microseconds unless the host's turn
  // is long, threads.ts thread_run)
  if (ASC_FEATURE_THREADS && to == n) pool_hot(false);
  return to == n ? terms_finish(ctx, n) : 0;
}

/** The terms over n rows without training (validation), in chunks of CAP rows; condition from C_COND_BASE. */
export function eval_loss(ctx: usize, x: usize, t: usize, n: i32): f64 {
  const cap = ci(ctx, C_CAP), D = ci(ctx, C_INDIM), C = ci(ctx, C_OUTDIM), K = ci(ctx, A.C_CONDDIM), cbase = cp(ctx, A.C_COND_BASE);
  const last = ci(ctx, C_NLAYERS) - 1;
  terms_reset(ctx);
  for (let start = 0; start < n; start += cap) {
    const R = min(cap, n - start);
    if (K > 0) store<u32>(ctx + A.C_COND, <u32>(cbase + (<usize>(start * K) << 2)));
    const y = net_forward(ctx, x + (<usize>(start * D) << 2), R, 0, last, false);
    terms_forward(ctx, x + (<usize>(start * D) << 2), y, t + (<usize>(start * C) << 2), R, false, R, true, true, 0);
  }
  return terms_finish(ctx, n);
}

/** Rewrites every NaN among n floats as the canonical quiet NaN 0x7fc00000 (NaN bits may differ by CPU). */
// @ts-ignore: decorator
@inline export function canon_nan(p: usize, n: i32): void { nan_replace(p, n, 0x7fc00000); }

/** Replaces every NaN among n floats at p by the float of bits `bits` (only vectors that hold a NaN are written). */
function nan_replace(p: usize, n: i32, bits: i32): void {
  const to = i32x4.splat(bits);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = p + (<usize>i << 2);
    const v = v128.load(q);
    const isnan = f32x4.ne(v, v);
    if (v128.any_true(isnan)) v128.store(q, v128.bitselect(to, v, isnan));
  }
  for (; i < n; i++) {
    const q = p + (<usize>i << 2);
    const v = load<f32>(q);
    if (v != v) store<i32>(q, bits);
  }
}

/**
 * Rows per pass of inference over layers l0..l1: the capacity, but no more than keep the widest
 * activation within INFER_FLOATS (1 MiB), so that a layer's output is still in L2 when the next
 * layer reads it (a conv model's 128-row activations are 13 MB: every layer then streams from
 * DRAM). Outside training every row is computed on its own (no batch statistics), so the bits do
 * not depend on how the rows are split.
 */
function infer_rows(ctx: usize, l0: i32, l1: i32, floats: i32): i32 {
  let widest = 1;
  for (let l = l0; l <= l1; l++) widest = max(widest, li(layer(ctx, l), L_OUT));
  return min(ci(ctx, C_CAP), max(1, floats / widest));
}
const INFER_FLOATS: i32 = 1 << 18;
// training keeps every layer's output and gradient of a chunk (about 2 x 3 widest activations in
// convdae): half of inference's chunk, 5 rows of 28x28x32 there. Measured against one pass of 128
// (2026-12-01): 10 rows 1.08x, 2 rows 1.13x, 1 row 1.11x. Since the GEMM's A pack (2026-12-04: in one
// process, tools/bench/ab.mjs, convdae training) 5 rows against 2: 1.086x, 1.056x, 1.006x (15 rounds) and
// 1.034x (31 rounds); 3, 4, 6, 8 and 10 rows against 5: 1.021x and 1.006x, 0.996x, 0.991x, 0.957x, 0.978x;
// 20 rows against 2: 0.890x. The larger products of a longer chunk pay their per-product costs (the panels,
// the A pack, the tiles' set-up) over more rows, until the chunk leaves L2.
const TRAIN_FLOATS: i32 = 1 << 17;

export const FLAG_NORM_IN: i32 = 1;
export const FLAG_DENORM_OUT: i32 = 2;

/**
 * Runs layers l0..l1 over n rows of x into out[n][width of l1], in chunks of CAP rows.
 * flags: FLAG_NORM_IN normalizes x in place first; FLAG_DENORM_OUT maps out back to input units.
 */
export function infer(ctx: usize, x: usize, n: i32, l0: i32, l1: i32, out: usize, flags: i32): void {
  if (n == 1) pack_after_calls(ctx);
  const D = ci(ctx, C_INDIM), Ow = li(layer(ctx, l1), L_OUT);
  const norm = ci(ctx, C_NORM) != NORM_NONE;
  if (norm && (flags & FLAG_NORM_IN)) norm_apply(x, n, D, cp(ctx, C_NORM_A), cp(ctx, C_NORM_B));
  rows_through(ctx, x, n, l0, l1, out, false);
  // rows_through's copy-out already wrote canonical NaNs; norm_invert's arithmetic may not keep them
  if (norm && (flags & FLAG_DENORM_OUT)) {
    norm_invert(out, n, Ow, cp(ctx, C_NORM_A), cp(ctx, C_NORM_B));
    canon_nan(out, n * Ow);
  }
}

/**
 * Rows [0, n) of x through nodes l0..l1 (outside training: every row on its own, so the bits do not
 * depend on how the rows are split): their outputs into out, or with `scoring` (l0..l1 the whole
 * network, x its input) each row's loss. A sharded model with a thread pool splits the rows into its
 * shards (rows_shard), each on its own context; otherwise chunks of rows in turn (forward_rows).
 */
function rows_through(ctx: usize, x: usize, n: i32, l0: i32, l1: i32, out: usize, scoring: bool): void {
  if (ASC_FEATURE_THREADS && cp(ctx, A.SH_FIELD) != 0 && n >= 2 * shard_count(ctx) && pool_rows(ctx, x, n, l0, l1, out, scoring)) return;
  forward_rows(ctx, x, n, l0, l1, out, scoring ? ROWS_SCORE : ROWS_OUT);
}

/** Shard s of rows_through's rows, on the shard's context (the pool's unit of work). */
export function rows_shard(ctx: usize, x: usize, n: i32, l0: i32, l1: i32, out: usize, scoring: bool, s: i32): void {
  const S = shard_count(ctx), r0 = shard_row(n, s, S), r1 = shard_row(n, s + 1, S);
  if (r0 >= r1) return;
  const mode = scoring ? ROWS_SCORE : ROWS_OUT, Iw = row_in(ctx, l0, mode), Ow = scoring ? 1 : li(layer(ctx, l1), L_OUT);
  forward_rows(<usize>load<u32>(cp(ctx, A.SH_FIELD) + A.SH_CTX + (<usize>s << 2)), x + (<usize>(r0 * Iw) << 2), r1 - r0, l0, l1,
               out + (<usize>(r0 * Ow) << 2), mode);
}

/** forward_rows's outputs: node l1's values (ROWS_OUT); each row's loss (ROWS_SCORE); each element's loss / OUTDIM (ROWS_TERMS, explain()). */
const ROWS_OUT: i32 = 0, ROWS_SCORE: i32 = 1, ROWS_TERMS: i32 = 2;

/**
 * Floats per row of rows_through's x: the network input's (a loss, or a run from node 0), else the output of the node
 * before l0, whose rows they are (not l0's input: a conditional model's concat node takes the condition beside
 * them, from C_COND, and a stride of its input put every chunk after the first at the wrong rows).
 */
// @ts-ignore: decorator
@inline function row_in(ctx: usize, l0: i32, mode: i32): i32 { return mode != ROWS_OUT || l0 == 0 ? ci(ctx, C_INDIM) : li(layer(ctx, l0 - 1), L_OUT); }

/** rows_through's rows (and explain_rows') in chunks of rows on one context, written as `mode` says. */
function forward_rows(ctx: usize, x: usize, n: i32, l0: i32, l1: i32, out: usize, mode: i32): void {
  const cap = infer_rows(ctx, l0, l1, INFER_FLOATS), K = ci(ctx, A.C_CONDDIM), cbase = cp(ctx, A.C_COND_BASE);
  const Iw = row_in(ctx, l0, mode), Ow = mode != ROWS_OUT ? ci(ctx, C_OUTDIM) : li(layer(ctx, l1), L_OUT);
  for (let start = 0; start < n; start += cap) {
    const R = min(cap, n - start), xin = x + (<usize>(start * Iw) << 2);
    if (K > 0) store<u32>(ctx + A.C_COND, <u32>(cbase + (<usize>(start * K) << 2)));
    const y = net_forward(ctx, xin, R, l0, l1, false);
    if (mode == ROWS_SCORE) loss_rows(ci(ctx, C_LOSS), y, xin, R, Ow, out + (<usize>start << 2));
    else if (mode == ROWS_TERMS) loss_terms(ci(ctx, C_LOSS), y, xin, R * Ow, <f32>1 / <f32>Ow, out + (<usize>(start * Ow) << 2));
    else copy_canon(out + (<usize>(start * Ow) << 2), y, R * Ow);
  }
}

/**
 * dst[0..n) = src[0..n) with every NaN written as the canonical quiet NaN 0x7fc00000: inference's
 * copy-out and canon_nan in one branch-free pass (the output then needs no second pass over it).
 */
export function copy_canon(dst: usize, src: usize, n: i32): void {
  const q = i32x4.splat(0x7fc00000);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = v128.load(src + o), b = v128.load(src + o, 16);
    v128.store(dst + o, v128.bitselect(q, a, f32x4.ne(a, a)));
    v128.store(dst + o, v128.bitselect(q, b, f32x4.ne(b, b)), 16);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(src + o);
    store<f32>(dst + o, v != v ? reinterpret<f32>(0x7fc00000) : v);
  }
}

/**
 * out[r] = reconstruction error of row r (the loss's per-row mean, in normalized units); x normalized
 * in place first. Inputs are finite, so a NaN error can only come from an overflow
 * (Inf - Inf): it is stored as +Infinity, the defined score of a row whose error overflows float32.
 */
export function score(ctx: usize, x: usize, n: i32, out: usize): void {
  if (n == 1) pack_after_calls(ctx);
  const D = ci(ctx, C_INDIM);
  if (ci(ctx, C_NORM) != NORM_NONE) norm_apply(x, n, D, cp(ctx, C_NORM_A), cp(ctx, C_NORM_B));
  rows_through(ctx, x, n, 0, ci(ctx, C_NLAYERS) - 1, out, true);
  nan_to_inf(out, n);
}

/**
 * explain(): out[r][j] = element j's share of row r's reconstruction error (score()): the loss's element
 * term / OUTDIM, in normalized units, so a row's shares sum to its score but for float32 rounding; x
 * normalized in place first; a NaN share (an overflow, Inf - Inf) stored as +Infinity. A conditional
 * VAE's condition rows from C_COND_BASE, as score() takes them.
 */
export function explain_rows(ctx: usize, x: usize, n: i32, out: usize): void {
  if (ci(ctx, C_NORM) != NORM_NONE) norm_apply(x, n, ci(ctx, C_INDIM), cp(ctx, C_NORM_A), cp(ctx, C_NORM_B));
  forward_rows(ctx, x, n, 0, ci(ctx, C_NLAYERS) - 1, out, ROWS_TERMS);
  nan_to_inf(out, n * ci(ctx, C_OUTDIM));
}

/** Replaces every NaN in p[0..n) by +Infinity. */
// @ts-ignore: decorator
@inline export function nan_to_inf(p: usize, n: i32): void { nan_replace(p, n, 0x7f800000); }

/** z[R][L] = mu + exp(logVar / 2) * eps, eps ~ N(0, 1) from the sampling stream, for rows h[R][2L] = [mu, logVar]. */
export function sample_rows(ctx: usize, h: usize, R: i32, L: i32, z: usize): void {
  sample_forward(z, h, 0, R, L, true, rng(ctx, A.RNG_SAMPLE));
}

// 1/2 log(2 pi), for the unit-variance Gaussian likelihood of a VAE with loss 'mse'
const HALF_LOG_2PI: f64 = 0.9189385332046727;

/**
 * out[r] = negative ELBO of row r in nats, averaged over `draws` samples of z from the sampling
 * stream, the same `draws` eps vectors for every row (common random numbers: a row's score is a function
 * of the row, the model and the stream's seed alone, and two rows' scores differ by the rows, not by
 * their draws): the reconstruction's negative log-likelihood summed over the row (bce: sum of BCE; mse:
 * 1/2 sum (x - x^)^2 + D/2 log 2 pi) + KL_row. x normalized in place first. Needs a VAE: node
 * `latent` is the sample node, the one before it the [mu, logVar] head. With `shares`, out[r][j]
 * instead: feature j's negative log-likelihood averaged over the same draws (explain() by 'elbo'), which
 * sum over j to the row's score less its KL. A NaN (an overflow, Inf - Inf: a row far from the data) reads
 * +Infinity in both, as explain_rows and score() write it.
 */
export function elbo_rows(ctx: usize, x: usize, n: i32, latent: i32, draws: i32, out: usize, shares: bool): void {
  const cap = ci(ctx, C_CAP), D = ci(ctx, C_INDIM), C = ci(ctx, C_OUTDIM), loss = ci(ctx, C_LOSS);
  const K = ci(ctx, A.C_CONDDIM), cbase = cp(ctx, A.C_COND_BASE);
  const last = ci(ctx, C_NLAYERS) - 1;
  const S = layer(ctx, latent), L = li(S, L_OUT), z = lp(S, L_Y), e = lp(S, A.L_AUX), s = rng(ctx, A.RNG_SAMPLE);
  const W = shares ? C : 1;   // floats out per row
  const c0 = load<u64>(s, 8);
  if (ci(ctx, C_NORM) != NORM_NONE) norm_apply(x, n, D, cp(ctx, C_NORM_A), cp(ctx, C_NORM_B));
  for (let start = 0; start < n; start += cap) {
    const R = min(cap, n - start);
    if (K > 0) store<u32>(ctx + A.C_COND, <u32>(cbase + (<usize>(start * K) << 2)));
    const xin = x + (<usize>(start * D) << 2);
    const o0 = out + (<usize>(start * W) << 2);
    const h = net_forward(ctx, xin, R, 0, latent - 1, false);
    memory.fill(o0, 0, <usize>(R * W) << 2);
    for (let k = 0; k < draws; k++) {
      // draw k's eps is the stream's normals k L .. k L + L - 1 (each two counters) for every row: a row's score
      // does not depend on the other rows of the call, on its place among them or on the blocks of cap rows.
      // Drawn once into the sample node's eps rows (training's; unused by inference), then taken by every row.
      store<u64>(s, c0 + (<u64>k * <u64>L << 1), 8);
      for (let j = 0; j < L; j++) store<f32>(e + (<usize>j << 2), rng_normal(s));
      sample_common(z, h, e, R, L);
      const y = net_forward(ctx, z, R, latent + 1, last, false);
      if (shares) {
        nll_terms_add(loss, y, xin, R * C, <f32>HALF_LOG_2PI, o0);
        continue;
      }
      for (let r = 0; r < R; r++) {
        const nll = <f64>loss_row_sum(loss, y + (<usize>(r * C) << 2), xin + (<usize>(r * C) << 2), C);
        const o = o0 + (<usize>r << 2);
        store<f32>(o, load<f32>(o) + <f32>(loss == LOSS_BCE ? nll : 0.5 * nll + <f64>C * HALF_LOG_2PI));
      }
    }
    const inv = <f32>1 / <f32>draws;
    if (shares) {
      for (let i = 0; i < R * C; i++) store<f32>(o0 + (<usize>i << 2), load<f32>(o0 + (<usize>i << 2)) * inv);
      continue;
    }
    for (let r = 0; r < R; r++) {
      const o = o0 + (<usize>r << 2);
      store<f32>(o, load<f32>(o) * inv + vae_kl_row(h + (<usize>(r * 2 * L) << 2), L));
    }
  }
  nan_to_inf(out, shares ? n * C : n);
}
