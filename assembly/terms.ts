// terms.ts: the loss as a list of terms (arena.ts C_TERMS), each reading one tensor of the graph.
// Per term kind, a value (its contribution over R rows, summed over rows, before the epoch's
// division by n rows) and a gradient added into the tensor's dLoss/dY (policy: accumulate, +=).
// The reconstruction term lives in train.ts (it needs the target); penalties live here.
// Dims: R rows, W values per row of the tensor; L latent units (a VAE head is [mu L, logVar L]).
// Conventions (issue 11): sparse L1 = w * sum|z| / R; sparse KL with rho-hat clamped to
// [1e-7, 1 - 1e-7]; VAE KL_row = -1/2 sum_j (1 + lv_j - mu_j^2 - exp(lv_j)), in nats. The rate term (spec
// `rate`) is L1's arithmetic under its own kind: the code's length in bits under a unit Laplace prior is
// sum|z| / ln 2 plus a constant, and the bindings fold 1 / (inputDim ln 2) into its weight.

import { TERM_KLSPARSE, TERM_VAEKL, l1_kind } from './arena';
import { bn_part_sum } from './layers';
import { f32_exp_scalar, f32_exp_simd, f32_log_scalar } from './math';

const RHO_LO: f64 = 1e-7;
const RHO_HI: f64 = 1.0 - 1e-7;

/** KL(N(mu, e^lv) || N(0,1)) of one row: -1/2 sum_j (1 + lv_j - mu_j^2 - exp(lv_j)), L latent units at h (mu then lv). */
export function vae_kl_row(h: usize, L: i32): f32 {
  let acc: f32 = 0;
  let j = 0;
  // four units' terms at a time (f32_exp_simd's lanes are f32_exp_scalar's), added to acc one by one in the scalar order
  // (the scoring module keeps the scalar loop alone: asconfig.json AE_SCORE_ONLY)
  const one = f32x4.splat(1);
  for (; !AE_SCORE_ONLY && j + 4 <= L; j += 4) {
    const mu = v128.load(h + (<usize>j << 2)), lv = v128.load(h + (<usize>(L + j) << 2));
    const t = f32x4.sub(f32x4.sub(f32x4.add(one, lv), f32x4.mul(mu, mu)), f32_exp_simd(lv));
    acc += f32x4.extract_lane(t, 0); acc += f32x4.extract_lane(t, 1);
    acc += f32x4.extract_lane(t, 2); acc += f32x4.extract_lane(t, 3);
  }
  for (; j < L; j++) {
    const mu = load<f32>(h + (<usize>j << 2)), lv = load<f32>(h + (<usize>(L + j) << 2));
    acc += <f32>1 + lv - mu * mu - f32_exp_scalar(lv);
  }
  return <f32>-0.5 * acc;
}

/** out[r] = vae_kl_row of row r, for R rows of 2L values at h; a NaN (an overflow, Inf - Inf, of a row far from the data) as +Infinity. */
export function vae_kl_rows(h: usize, R: i32, L: i32, out: usize): void {
  for (let r = 0; r < R; r++) {
    const v = vae_kl_row(h + (<usize>(r * 2 * L) << 2), L);
    store<f32>(out + (<usize>r << 2), v != v ? Infinity : v);
  }
}

/**
 * A penalty's raw sum on R rows of W values at y, unweighted (term_weigh applies the weight).
 * L1 and the VAE's KL are sums over rows, continued from `part` (the batch's rows before these: its
 * chunks and shards add up, train.ts terms_forward); sparse KL is the batch's sum over units of
 * KL(rho || column mean), a batch statistic (its rows come in one piece, or in shards whose column sums
 * train.ts kl_reduce adds; part unused).
 * scratch: f64[W] (sparse KL's column means).
 */
export function term_raw(kind: i32, y: usize, R: i32, W: i32, param: f32, scratch: usize, part: f64): f64 {
  const n = R * W;
  let acc: f64 = part;
  if (l1_kind(kind)) {
    for (let i = 0; i < n; i++) acc += <f64>abs<f32>(load<f32>(y + (<usize>i << 2)));
    return acc;
  }
  if (kind == TERM_KLSPARSE) {
    bn_part_sum(y, R, W, scratch);
    return kl_sparse_raw(scratch, R, W, param);
  }
  if (kind == TERM_VAEKL) {
    const L = W >> 1;
    for (let r = 0; r < R; r++) acc += <f64>vae_kl_row(y + (<usize>(r * W) << 2), L);
    return acc;
  }
  return 0;
}

/** A penalty's value from its raw sum over a batch of N rows (term_raw), weight w applied, summed over rows (the epoch divides by n rows). */
export function term_weigh(kind: i32, raw: f64, w: f32, N: i32): f64 {
  // (sparse KL: the batch's penalty counts once per row in the epoch's mean over rows)
  return kind == TERM_KLSPARSE ? <f64>w * raw * <f64>N : l1_kind(kind) || kind == TERM_VAEKL ? <f64>w * raw : 0;
}

/**
 * d[R][W] += d(the penalty's share of the batch's objective) / dy, for R rows of a batch of N (a chunk or a shard of it:
 * L1 and the VAE's KL are row by row; sparse KL takes its column means over these R rows, so it is called with R = N,
 * unless `batch` holds its gradient per column over the whole batch, f64[W] (a shard's rows: kl_sparse_grad)).
 */
export function term_backward(kind: i32, d: usize, y: usize, R: i32, W: i32, w: f32, param: f32, scratch: usize, N: i32, batch: usize): void {
  const n = R * W;
  const s = w / <f32>N;
  if (l1_kind(kind)) {
    // four at a time: v > 0 ? s : v < 0 ? -s : 0 by lanes (NaN: 0, as the scalar loop)
    const s4 = f32x4.splat(s), m4 = f32x4.splat(-s), z4 = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2, v = v128.load(y + off);
      const g = v128.bitselect(s4, v128.bitselect(m4, z4, f32x4.lt(v, z4)), f32x4.gt(v, z4));
      v128.store(d + off, f32x4.add(v128.load(d + off), g));
    }
    for (; i < n; i++) {
      const off = <usize>i << 2;
      const v = load<f32>(y + off);
      store<f32>(d + off, load<f32>(d + off) + (v > 0 ? s : v < 0 ? -s : <f32>0));
    }
  } else if (kind == TERM_KLSPARSE) {
    let g = batch;
    if (g == 0) {
      bn_part_sum(y, R, W, scratch);
      kl_sparse_grad(scratch, N, W, w, param);
      g = scratch;
    }
    for (let r = 0; r < R; r++) {
      let j = 0;
      // four columns at a time: f32x4.demote_f64x2_zero rounds as the scalar conversion does
      for (; j + 4 <= W; j += 4) {
        const off = <usize>(r * W + j) << 2, gj = g + (<usize>j << 3);
        const lo = f32x4.demote_f64x2_zero(v128.load(gj)), hi = f32x4.demote_f64x2_zero(v128.load(gj + 16));
        v128.store(d + off, f32x4.add(v128.load(d + off), i32x4.shuffle(lo, hi, 0, 1, 4, 5)));
      }
      for (; j < W; j++) {
        const off = <usize>(r * W + j) << 2;
        store<f32>(d + off, load<f32>(d + off) + <f32>load<f64>(g + (<usize>j << 3)));
      }
    }
  } else if (kind == TERM_VAEKL) {
    // dKL/dmu = mu, dKL/dlv = (exp(lv) - 1) / 2
    const L = W >> 1, s4 = f32x4.splat(s), half = f32x4.splat(0.5), one = f32x4.splat(1);
    for (let r = 0; r < R; r++) {
      const h = y + (<usize>(r * W) << 2), dh = d + (<usize>(r * W) << 2);
      let j = 0;
      // four units at a time, each lane the scalar loop's operations in its order
      for (; j + 4 <= L; j += 4) {
        const om = <usize>j << 2, ol = <usize>(L + j) << 2;
        v128.store(dh + om, f32x4.add(v128.load(dh + om), f32x4.mul(s4, v128.load(h + om))));
        v128.store(dh + ol, f32x4.add(v128.load(dh + ol), f32x4.mul(f32x4.mul(s4, half), f32x4.sub(f32_exp_simd(v128.load(h + ol)), one))));
      }
      for (; j < L; j++) {
        const om = <usize>j << 2, ol = <usize>(L + j) << 2;
        store<f32>(dh + om, load<f32>(dh + om) + s * load<f32>(h + om));
        store<f32>(dh + ol, load<f32>(dh + ol) + s * <f32>0.5 * (f32_exp_scalar(load<f32>(h + ol)) - <f32>1));
      }
    }
  }
}

/** Sparse KL's raw value, sum_j KL(rho || m_j), from its column sums over a batch of N rows (f64[W] at sums, each m_j = sum / N, clamped). */
export function kl_sparse_raw(sums: usize, N: i32, W: i32, param: f32): f64 {
  const rho = <f64>param, inv = 1.0 / <f64>N;
  let acc: f64 = 0;
  for (let j = 0; j < W; j++) {
    const m = min<f64>(max<f64>(load<f64>(sums + (<usize>j << 3)) * inv, RHO_LO), RHO_HI);
    acc += rho * <f64>f32_log_scalar(<f32>(rho / m)) + (1.0 - rho) * <f64>f32_log_scalar(<f32>((1.0 - rho) / (1.0 - m)));
  }
  return acc;
}

/**
 * Sparse KL's gradient per column, over its column sums of a batch of N rows, in place: d/dz_rj of w * sum_j KL(rho || m_j),
 * m_j = mean_r z_rj, is w * (-rho/m + (1-rho)/(1-m)) / N, the same for every row; 0 where the clamp holds.
 */
export function kl_sparse_grad(sums: usize, N: i32, W: i32, w: f32, param: f32): void {
  const rho = <f64>param, inv = 1.0 / <f64>N, s = <f64>(w / <f32>N);
  for (let j = 0; j < W; j++) {
    const at = sums + (<usize>j << 3);
    const m = load<f64>(at) * inv;
    store<f64>(at, m < RHO_LO || m > RHO_HI ? 0.0 : (-rho / m + (1.0 - rho) / (1.0 - m)) * s);
  }
}
