// ensemble.ts: K autoencoders with one layer plan, their params back to back in the param block
// (member k at k * NPARAMS floats), each trained on its own subsample of the rows and scored by
// its reconstruction error scaled per feature (recM), standardised by its training median and IQR,
// summed over the members. Every call loops over the members by pointing the context's params
// (and in training Adam's moments and step) at member k's slices and running the existing code;
// the context points at member 0 between calls. Per-member statistics: f32[K][D + 2], member k's
// v[D] (the median of e_j^2 over the statistic rows / 0.455 + 1e-6) then the median and the IQR
// (numpy 'linear' quantiles) of its recM on those rows. recM(row) = (1/D) sum_j e_j^2 / v_j, e_j = y_j - x_j (f32), summed in f64.

import * as A from './arena';
import { C_B1T, C_B2T, C_BATCH_IN, C_CAP, C_INDIM, C_M, C_NLAYERS, C_NORM, C_NORM_A, C_NORM_B, C_NPARAMS, C_PARAMS, C_STEP, C_V, ci, cp, layer, li } from './arena';
import { gather, nan_to_inf, net_forward, train_epoch } from './train';
import { NORM_NONE, norm_apply } from './norm';
import { rng_shuffle } from './rng';
import { QBINS, f32_quantile, f32_quantile_binned, f32_sort } from './stats';
import { dens_add } from './density';
import { net_bound, node_off } from './bound';
import { pool_ens_rows, pool_ens_stats, pool_members, pool_threads } from './threads';

/** Points the context's params (and moments when `train`) at member k's slices of blocks starting at p, m, v. */
function point(ctx: usize, k: i32, p: usize, m: usize, v: usize, train: bool): void {
  const off = <usize>k * (<usize>ci(ctx, C_NPARAMS) << 2);
  store<u32>(ctx + C_PARAMS, <u32>(p + off));
  if (train) {
    store<u32>(ctx + C_M, <u32>(m + off));
    store<u32>(ctx + C_V, <u32>(v + off));
  }
  store<i32>(ctx + A.C_PACK_OK, 0);   // the packed one-row copy belongs to no member now
}

/**
 * perms i32[K][R]: member k's R training rows out of n. R >= n: every member takes rows 0..n-1 in
 * order and nothing is drawn; else each takes the first R of a shuffle of 0..n-1 from the shuffle stream (tmp i32[n]).
 */
export function ens_draw(ctx: usize, n: i32, R: i32, K: i32, perms: usize, tmp: usize): void {
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < n; i++) store<i32>(tmp + (<usize>i << 2), i);
    if (R < n) rng_shuffle(ctx + A.C_RNG + (<usize>A.RNG_SHUFFLE << 4), tmp, n);
    memory.copy(perms + (<usize>(k * R) << 2), tmp, <usize>min(R, n) << 2);
  }
}

/**
 * Members k0..k1-1 of one epoch of every member on its R rows (perms i32[K][R] into x[n][D], rows shuffled
 * each epoch): train_epoch with the context on member k's params, moments and the step count the epoch
 * began with. An epoch is one call (k0 0, k1 K) or several in member order (the bindings give the host its
 * turn between them): the same bits, since each member's epoch reads only its own slices, the epoch's
 * starting step and the streams, which the calls draw in member order. keep f64[4] carries the epoch across
 * its calls: the call with k0 0 stores the starting step and beta powers there and zeroes the objectives'
 * sum (summed in member order, as one call sums them). The call that reaches K returns the members' mean
 * objective (C_TERMSUM is left with the last member's terms; an ensemble's only term is the
 * reconstruction, whose mean the objective is) and leaves the context as the last member's epoch does;
 * the others return 0. Every call ends with the context pointed at member 0.
 */
export function ens_epoch(ctx: usize, x: usize, perms: usize, R: i32, K: i32, batch: i32, k0: i32, k1: i32, keep: usize): f64 {
  const p = cp(ctx, C_PARAMS), m = cp(ctx, C_M), v = cp(ctx, C_V);
  if (k0 == 0) {
    store<f64>(keep, <f64>ci(ctx, C_STEP));
    store<f64>(keep, load<f64>(ctx + C_B1T), 8);
    store<f64>(keep, load<f64>(ctx + C_B2T), 16);
    store<f64>(keep, 0, 24);
  }
  const step = <i32>load<f64>(keep), b1 = load<f64>(keep, 8), b2 = load<f64>(keep, 16);
  let total = load<f64>(keep, 24);
  // threaded build, with lanes (arena.ts LN_*) for the pool's threads and no noise to draw in the epoch: the
  // shuffles train_epoch would draw, in member order, then the members' epochs on the threads' lanes
  // (threads.ts JOB_MEMBERS: member_epoch, which reads the starting step from the context), their objectives
  // summed here in member order
  const lanes = cp(ctx, A.LN_FIELD);
  let threaded = false;
  if (ASC_FEATURE_THREADS && lanes != 0 && K > 1 && load<f32>(ctx + A.C_NOISE) == 0) {
    const T = pool_threads();
    threaded = T >= 2 && T <= load<i32>(lanes + A.LN_N);
  }
  if (ASC_FEATURE_THREADS && threaded) {
    store<i32>(ctx + C_STEP, step);
    store<f64>(ctx + C_B1T, b1);
    store<f64>(ctx + C_B2T, b2);
    for (let k = k0; k < k1; k++) rng_shuffle(ctx + A.C_RNG + (<usize>A.RNG_SHUFFLE << 4), perms + (<usize>(k * R) << 2), R);
    pool_members(ctx, x, perms, R, K, batch, k0, k1);
    const res = cp(lanes, A.LN_RES);
    for (let k = k0; k < k1; k++) total += load<f64>(res + (<usize>k << 3));
    if (k1 == K) {
      // the context as the last member's epoch leaves it (its step, beta powers and term sums)
      store<i32>(ctx + C_STEP, load<i32>(lanes + A.LN_STEP));
      store<f64>(ctx + C_B1T, load<f64>(lanes + A.LN_B1T));
      store<f64>(ctx + C_B2T, load<f64>(lanes + A.LN_B2T));
      memory.copy(ctx + A.C_TERMSUM, lanes + A.LN_TERMS, <usize>A.MAX_TERMS << 3);
    }
  } else {
    for (let k = k0; k < k1; k++) {
      point(ctx, k, p, m, v, true);
      store<i32>(ctx + C_STEP, step);
      store<f64>(ctx + C_B1T, b1);
      store<f64>(ctx + C_B2T, b2);
      total += train_epoch(ctx, x, x, R, perms + (<usize>(k * R) << 2), 1, batch);
    }
  }
  point(ctx, 0, p, m, v, true);
  store<f64>(keep, total, 24);
  return k1 == K ? total / <f64>K : 0;
}

/** Lane t's context block of the model whose context is ctx (arena.ts LN_*; the model has lanes). */
export function lane_ctx(ctx: usize, t: i32): usize {
  return <usize>load<u32>(cp(ctx, A.LN_FIELD) + A.LN_CTX + (<usize>t << 2));
}

/**
 * Member k's epoch (ens_epoch's, its rows already shuffled in perms) on lane t's context (threads.ts
 * JOB_MEMBERS, the thread that takes it; ctx the model's, pointed at member 0 and holding the epoch's
 * starting step and beta powers while the job runs): its objective to the lanes block's LN_RES[k]; the last
 * member also leaves its step, beta powers and term sums there.
 */
export function member_epoch(ctx: usize, x: usize, perms: usize, R: i32, batch: i32, k: i32, K: i32, t: i32): void {
  const lanes = cp(ctx, A.LN_FIELD), lc = lane_ctx(ctx, t);
  point(lc, k, cp(ctx, C_PARAMS), cp(ctx, C_M), cp(ctx, C_V), true);
  store<i32>(lc + C_STEP, ci(ctx, C_STEP));
  store<f64>(lc + C_B1T, load<f64>(ctx + C_B1T));
  store<f64>(lc + C_B2T, load<f64>(ctx + C_B2T));
  // (2: the rows in perm's order, nothing drawn)
  store<f64>(cp(lanes, A.LN_RES) + (<usize>k << 3), train_epoch(lc, x, x, R, perms + (<usize>(k * R) << 2), 2, batch));
  if (k != K - 1) return;
  store<i32>(lanes + A.LN_STEP, ci(lc, C_STEP));
  store<f64>(lanes + A.LN_B1T, load<f64>(lc + C_B1T));
  store<f64>(lanes + A.LN_B2T, load<f64>(lc + C_B2T));
  memory.copy(lanes + A.LN_TERMS, lc + A.C_TERMSUM, <usize>A.MAX_TERMS << 3);
}

/** y[i] = (y[i] - x[i])^2 in f32 for n floats: the squared errors, over the output buffer. */
function sq_err(y: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {   // (lane by lane the same subtraction and product as the scalar loop)
    const o = <usize>i << 2;
    const d = f32x4.sub(v128.load(y + o), v128.load(x + o));
    v128.store(y + o, f32x4.mul(d, d));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(y + o) - load<f32>(x + o);
    store<f32>(y + o, d * d);
  }
}

/** recM of one row of squared errors e[D]: (1/D) sum_j e_j / v_j in f64. */
function recm(e: usize, v: usize, D: i32): f64 {
  let s: f64 = 0;
  for (let j = 0; j < D; j++) s += <f64>load<f32>(e + (<usize>j << 2)) / <f64>load<f32>(v + (<usize>j << 2));
  return s / <f64>D;
}

/**
 * out[0..2) += (recM - med) / iqr for two rows of squared errors e f32[2][D] (f32 stores of f64 sums), as
 * recm and the scalar update do for each: each row's quotients summed in j order, one row per f64x2 lane
 * (IEEE division and addition lane by lane, so the same bits), two chains and two divisions at once.
 */
function recm_add2(e: usize, v: usize, D: i32, med: f64, iqr: f64, out: usize): void {
  const e1 = e + (<usize>D << 2);
  let s = f64x2.splat(0);
  for (let j = 0; j < D; j++) {
    const o = <usize>j << 2;
    const ej = f64x2.replace_lane(f64x2.splat(<f64>load<f32>(e + o)), 1, <f64>load<f32>(e1 + o));
    s = f64x2.add(s, f64x2.div(ej, f64x2.splat(<f64>load<f32>(v + o))));
  }
  const t = f64x2.div(f64x2.sub(f64x2.div(s, f64x2.splat(<f64>D)), f64x2.splat(med)), f64x2.splat(iqr));
  store<f32>(out, <f32>(<f64>load<f32>(out) + f64x2.extract_lane(t, 0)));
  store<f32>(out, <f32>(<f64>load<f32>(out, 4) + f64x2.extract_lane(t, 1)), 4);
}

/**
 * Part `part` of members k0..k1-1's statistics (stats f32[K][D + 2]: each member's row depends on that member alone)
 * over the S rows idx i32[S] of x (normalized; the bindings take them with ens_draw: every row up to 4,096, else 4,096
 * drawn). A member's statistics are four parts in order, each in calls of any ranges [a, b) (the bindings give the host
 * its turn between calls): 0, rows a..b-1 through member k, their squared errors to its e; 1, features a..b-1, their
 * v_j (the median of e_j^2 / 0.455 + 1e-6); 2, rows a..b-1, their recM to its tmp (and in f64 to rec f64[K][S], unless
 * rec is 0); 3 (a, b unused), the median and IQR of recM. Part 4, once every member's statistics are taken (k0..k1 all
 * members): the ensemble scores of rows a..b-1 of the S rows into tmp f32[S], from rec (rec_scores). Each value is the same computation whatever the ranges, so the same bits. Scratch: member k0 + i's e
 * f32[S][D] at e + i S D floats and tmp f32[STATS_COLS S + QBINS] at tmp + i (STATS_COLS S + QBINS) floats, kept from one part to the next (the threaded
 * build: a member per unit on the threads' lanes, threads.ts JOB_ENS_STATS; any lane runs any member's part alike).
 * Medians and quartiles: f32_quantile and f32_quantile_binned (numpy's 'linear', to float32).
 */
export function ens_stats(ctx: usize, x: usize, S: i32, stats: usize, idx: usize, e: usize, tmp: usize, rec: usize, k0: i32, k1: i32, part: i32, a: i32, b: i32): void {
  if (part == 4) {
    rec_scores(ci(ctx, C_INDIM), S, stats, rec, k0, k1, tmp, a, b);
    return;
  }
  const p = cp(ctx, C_PARAMS);
  if (ASC_FEATURE_THREADS && pool_ens_stats(ctx, x, S, stats, idx, e, tmp, rec, k0, k1, part, a, b)) return;
  for (let k = k0; k < k1; k++) member_stats(ctx, x, S, k, k - k0, stats, idx, e, tmp, rec, p, part, a, b);
  point(ctx, 0, p, 0, 0, false);
}

/**
 * out[r] for rows a..b-1 of the S statistic rows: the ensemble score ens_score_rows gives them (members k0..k1-1, all of
 * them, each member's (recM - med) / iqr added in f64 to the float32 sum, in member order; NaN becomes +Infinity),
 * from their recM in f64, rec f64[K][S], which part 2 kept. The same operations on the same values: when those rows
 * are every training row in order, the cleaning pass's scores without running the rows through the members again.
 */
function rec_scores(D: i32, S: i32, stats: usize, rec: usize, k0: i32, k1: i32, out: usize, a: i32, b: i32): void {
  for (let r = a; r < b; r++) {
    let o: f32 = 0;
    for (let k = k0; k < k1; k++) {
      const v = stats + (<usize>(k * (D + 2)) << 2);
      const med = <f64>load<f32>(v + (<usize>D << 2)), iqr = <f64>load<f32>(v + (<usize>(D + 1) << 2));
      o = <f32>(<f64>o + (load<f64>(rec + (<usize>(k * S + r) << 3)) - med) / iqr);
    }
    store<f32>(out + (<usize>r << 2), o);
  }
  nan_to_inf(out + (<usize>a << 2), b - a);
}

/** The features whose medians part 1 of the statistics takes at once (ens_stats: tmp's share of a member is f32[STATS_COLS][S], then f32_quantile_binned's u32[QBINS]). */
export const STATS_COLS = 16;

/** Part `part` of member k's statistics (ens_stats), its scratch share i, on context c (the model's or a lane's), p the members' param block; part 0 leaves c pointed at member k. */
export function member_stats(c: usize, x: usize, S: i32, k: i32, i: i32, stats: usize, idx: usize, e: usize, tmp: usize, rec: usize, p: usize, part: i32, a: i32, b: i32): void {
  const D = ci(c, C_INDIM), v = stats + (<usize>(k * (D + 2)) << 2);
  e += <usize>i * (<usize>(S * D) << 2);
  tmp += <usize>i * (<usize>(STATS_COLS * S + QBINS) << 2);
  if (part == 0) {
    const cap = ci(c, C_CAP), last = ci(c, C_NLAYERS) - 1, bin = cp(c, C_BATCH_IN);
    point(c, k, p, 0, 0, false);
    for (let start = a; start < b; start += cap) {
      const R = min(cap, b - start);
      gather(bin, x, idx + (<usize>start << 2), R, D);
      const y = net_forward(c, bin, R, 0, last, false);
      sq_err(y, bin, R * D);
      memory.copy(e + (<usize>(start * D) << 2), y, <usize>(R * D) << 2);
    }
  } else if (part == 1) {
    // (STATS_COLS features' columns at a time, each row's run of them read once: a column alone read one cache line a row)
    for (let j0 = a; j0 < b; j0 += STATS_COLS) {
      const w = min(STATS_COLS, b - j0);
      for (let r = 0; r < S; r++) {
        const row = e + (<usize>(r * D + j0) << 2);
        for (let c = 0; c < w; c++) store<f32>(tmp + (<usize>(c * S + r) << 2), load<f32>(row + (<usize>c << 2)));
      }
      const hist = tmp + (<usize>(STATS_COLS * S) << 2);
      for (let c = 0; c < w; c++) {
        store<f32>(v + (<usize>(j0 + c) << 2), <f32>(<f64>f32_quantile_binned(tmp + (<usize>(c * S) << 2), S, 0.5, hist) / 0.455 + 1e-6));
      }
    }
  } else if (part == 2) {
    for (let r = a; r < b; r++) {
      const m = recm(e + (<usize>(r * D) << 2), v, D);
      store<f32>(tmp + (<usize>r << 2), <f32>m);
      if (rec != 0) store<f64>(rec + (<usize>(k * S + r) << 3), m);
    }
  } else {
    let iqr = f32_quantile(tmp, S, 0.75) - f32_quantile(tmp, S, 0.25);
    if (!(iqr > 0)) iqr = 1;
    store<f32>(v + (<usize>D << 2), f32_quantile(tmp, S, 0.5));
    store<f32>(v + (<usize>(D + 1) << 2), iqr);
  }
}

/**
 * out[r] = sum over members of (recM_k(r) - median_k) / IQR_k (each term in f64, accumulated into
 * out in float32, member by member) for n rows of x, normalized in place first (unless `normalized`), plus the latent density
 * term when the model has one (density.ts); NaN becomes +Infinity.
 */
export function ens_score(ctx: usize, x: usize, n: i32, out: usize, K: i32, stats: usize, dens: usize, normalized: bool): void {
  if (!normalized && ci(ctx, C_NORM) != NORM_NONE) norm_apply(x, n, ci(ctx, C_INDIM), cp(ctx, C_NORM_A), cp(ctx, C_NORM_B));
  ens_score_rows(ctx, x, n, out, K, stats);
  // the latent density term (density.ts), when the model has its block (dens 0: none; what follows the
  // statistics otherwise is the normaliser, not a block)
  if (dens != 0) dens_add(ctx, x, n, out, dens);
  nan_to_inf(out, n);
}

/**
 * bound.ts's proof for the whole score of rows within +-B (K 1: the model itself, net_bound alone):
 * each member's values and error (net_bound), then the score itself, sum over members of
 * (recM bound + |median|) / |IQR| with recM's bound (1/D) sum_j (|y_j| + B)^2 / |v_j|, plus the density
 * term's |c| (t + |tMed|), t the distance from member 0's code bounds to the farthest reference code
 * (at most sqrt of float32's largest: a longer distance is +Inf in float32, which the nearest-5 list drops).
 * Returns -1 when all are at most lim; k (nodes + 1) + node for the first member k past it; K (nodes + 1)
 * for the score (its bound at m[0]).
 */
export function ens_bound(ctx: usize, B: f32, lim: f32, m: usize, v: usize, K: i32, stats: usize, dens: usize): i32 {
  if (K <= 1) return net_bound(ctx, B, lim, m, v);
  const p = cp(ctx, C_PARAMS), n = ci(ctx, C_NLAYERS), D = ci(ctx, C_INDIM);
  let r = -1, k = 0, total: f64 = 0;
  for (; k < K && r < 0; k++) {
    point(ctx, k, p, 0, 0, false);
    r = net_bound(ctx, B, lim, m, v);
    if (r >= 0) break;
    // member k's recM: its output's bounds are the last node's
    const y = m + (<usize>node_off(ctx, n - 1) << 2), ch = li(layer(ctx, n - 1), A.L_OC);
    const st = stats + (<usize>(k * (D + 2)) << 2);
    let e: f64 = 0;
    for (let j = 0; j < D; j++) {
      const d = <f64>load<f32>(y + (<usize>(j % ch) << 2)) + <f64>B;
      e += d * d / abs<f64>(<f64>load<f32>(st + (<usize>j << 2)));
    }
    total += (e / <f64>D + abs<f64>(<f64>load<f32>(st + (<usize>D << 2)))) / abs<f64>(<f64>load<f32>(st + (<usize>(D + 1) << 2)));
    if (k == 0 && dens != 0 && load<f32>(dens) > 0) {
      // member 0's codes against the reference codes f32[L][Rp] (R real ones per row)
      const R = <i32>load<f32>(dens), L = <i32>load<f32>(dens + 12), Rp = R + 3 & ~3;
      const z = m + (<usize>node_off(ctx, ci(ctx, A.C_LATENT)) << 2), zc = li(layer(ctx, ci(ctx, A.C_LATENT)), A.L_OC);
      let t2: f64 = 0;
      for (let l = 0; l < L; l++) {
        let big: f64 = 0;
        for (let a = 0; a < R; a++) big = max(big, abs<f64>(<f64>load<f32>(dens + 16 + (<usize>(l * Rp + a) << 2))));
        const d = <f64>load<f32>(z + (<usize>(l % zc) << 2)) + big;
        t2 += d * d;
      }
      const t = min(Math.sqrt(t2), Math.sqrt(<f64>F32.MAX_VALUE));
      total += abs<f64>(<f64>load<f32>(dens + 8)) * (t + abs<f64>(<f64>load<f32>(dens + 4)));
    }
  }
  point(ctx, 0, p, 0, 0, false);
  if (r >= 0) return k * (n + 1) + r;
  if (!(total <= <f64>lim)) { store<f32>(m, <f32>total); return K * (n + 1); }
  return -1;
}

/**
 * The members' summed standardised recM of n rows of x already normalized (x unchanged), no density term.
 * (Threaded build, with lanes: ranges of rows on the threads' lanes, threads.ts JOB_ENS_ROWS; each row
 * still takes its members in member order, so the sums are the same.)
 */
export function ens_score_rows(ctx: usize, x: usize, n: i32, out: usize, K: i32, stats: usize): void {
  memory.fill(out, 0, <usize>n << 2);
  if (!ASC_FEATURE_THREADS || !pool_ens_rows(ctx, x, n, out, K, stats)) {
    const p = cp(ctx, C_PARAMS);
    ens_rows_on(ctx, x, 0, n, out, K, stats, p);
    point(ctx, 0, p, 0, 0, false);
  }
  nan_to_inf(out, n);
}

/**
 * Rows r0 .. r1-1 of x through every member in turn on context c (the model's, or a lane's: threads.ts
 * JOB_ENS_ROWS), each member's (recM - med) / iqr added into out's rows; p the members' param block
 * (member 0's). Leaves c pointed at the last member.
 */
export function ens_rows_on(c: usize, x: usize, r0: i32, r1: i32, out: usize, K: i32, stats: usize, p: usize): void {
  const D = ci(c, C_INDIM), cap = ci(c, C_CAP), last = ci(c, C_NLAYERS) - 1;
  for (let k = 0; k < K; k++) {
    point(c, k, p, 0, 0, false);
    const v = stats + (<usize>(k * (D + 2)) << 2);
    const med = <f64>load<f32>(v + (<usize>D << 2)), iqr = <f64>load<f32>(v + (<usize>(D + 1) << 2));
    for (let start = r0; start < r1; start += cap) {
      const R = min(cap, r1 - start);
      const xin = x + (<usize>(start * D) << 2);
      const y = net_forward(c, xin, R, 0, last, false);
      sq_err(y, xin, R * D);
      let r = 0;
      for (; r + 2 <= R; r += 2) recm_add2(y + (<usize>(r * D) << 2), v, D, med, iqr, out + (<usize>(start + r) << 2));
      if (r < R) {
        const o = out + (<usize>(start + r) << 2);
        store<f32>(o, <f32>(<f64>load<f32>(o) + (recm(y + (<usize>(r * D) << 2), v, D) - med) / iqr));
      }
    }
  }
}

/**
 * explain() of an ensemble: out[r][j] = the sum over members k of (e_kj^2 / v_kj - median_k) / (D IQR_k) (each
 * term in f64, accumulated into out in float32 member by member), feature j's share of row r's score: the
 * shares of a row sum to its score without the density term, but for rounding (recM_k is the mean over j of
 * e_kj^2 / v_kj, so each member's (recM_k - median_k) / IQR_k is its terms' sum).
 * x normalized in place first; NaN becomes +Infinity. Leaves the context on member 0.
 */
export function ens_explain(ctx: usize, x: usize, n: i32, out: usize, K: i32, stats: usize): void {
  const D = ci(ctx, C_INDIM), cap = ci(ctx, C_CAP), last = ci(ctx, C_NLAYERS) - 1, p = cp(ctx, C_PARAMS);
  if (ci(ctx, C_NORM) != NORM_NONE) norm_apply(x, n, D, cp(ctx, C_NORM_A), cp(ctx, C_NORM_B));
  memory.fill(out, 0, <usize>(n * D) << 2);
  for (let k = 0; k < K; k++) {
    point(ctx, k, p, 0, 0, false);
    const v = stats + (<usize>(k * (D + 2)) << 2);
    const med = <f64>load<f32>(v + (<usize>D << 2)), scale = <f64>D * <f64>load<f32>(v + (<usize>(D + 1) << 2));
    for (let start = 0; start < n; start += cap) {
      const R = min(cap, n - start), xin = x + (<usize>(start * D) << 2);
      const y = net_forward(ctx, xin, R, 0, last, false);
      sq_err(y, xin, R * D);
      for (let r = 0; r < R; r++) {
        const e = y + (<usize>(r * D) << 2), o = out + (<usize>((start + r) * D) << 2);
        for (let j = 0; j < D; j++) {
          const at = <usize>j << 2;
          store<f32>(o + at, <f32>(<f64>load<f32>(o + at) + (<f64>load<f32>(e + at) / <f64>load<f32>(v + at) - med) / scale));
        }
      }
    }
  }
  point(ctx, 0, p, 0, 0, false);
  nan_to_inf(out, n * D);
}

/**
 * The cleaning pass's row choice: scores f32[n] holds the ensemble's scores of the n training rows
 * (normalized; the bindings take them with ens_score in calls of rows, with the host's turn between), cut =
 * the order statistic sorted[floor(q (n - 1))] of those scores (no interpolation), and the rows of xr
 * (the same n rows in input units, D floats each) whose score is <= cut are moved to its front, in
 * their order. Returns how many were kept (at least 1: the smallest score is <= cut). Scratch: tmp f32[n].
 */
export function ens_clean(ctx: usize, xr: usize, n: i32, q: f64, scores: usize, tmp: usize): i32 {
  const D = ci(ctx, C_INDIM), row = <usize>D << 2;
  memory.copy(tmp, scores, <usize>n << 2);
  f32_sort(tmp, n);
  const cut = load<f32>(tmp + (<usize>(<i32>Math.floor(q * <f64>(n - 1))) << 2));
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (load<f32>(scores + (<usize>i << 2)) <= cut) {
      if (m != i) memory.copy(xr + <usize>m * row, xr + <usize>i * row, row);
      m++;
    }
  }
  return m;
}
