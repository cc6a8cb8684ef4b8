// density.ts: an ensemble's latent density term (issue 12, round 6): the mean Euclidean distance from a
// row's code (member 0's bottleneck) to its KNN = 5 nearest codes among R reference training rows, put in
// the ensemble score's units and added to it: score += c * (t - tMed). The reference rows are drawn from
// the training rows the fitted ensemble scores at or below its 80% quantile (a clean pool); tMed and
// c = sIQR / tIQR (weight 1) come from up to 4,096 training rows (a row's own code skipped). Not a
// different detector: the distances are between an autoencoder's codes.
// Block dens f32[4 + L * Rp]: R, tMed, c, L (as floats), then the codes transposed, f32[L][Rp] (Rp = R
// rounded up to 4, padded with 1e30), so four reference rows are compared at once. R = 0: no term (a file written before the term).
// Dims: L latent width, R reference rows, S statistic rows, D input width.

import { C_BATCH_IN, C_CAP, C_SCRATCH, C_INDIM, C_LATENT, C_RNG, RNG_SHUFFLE, ci, cp } from './arena';
import { gather, net_forward } from './train';
import { rng_shuffle } from './rng';
import { f32_quantile, f32_sort } from './stats';
import { ens_score_rows } from './ensemble';

/** The training rows the ensemble scores at or below this quantile form the reference pool. */
const POOL_Q: f64 = 0.8;

/**
 * The mean of the (up to) KNN = 5 smallest distances sqrt(sum_l (q[l] - ref[l][a])^2) from one code q f32[L]
 * to the R reference codes a (each squared distance summed in f32 in l order, four references per f32x4;
 * the padding's sums are +Inf), the mean in f64; 0 with no reference. selfR: when not 0, i32[R]
 * training-row indices of the references, and the one equal to `self` is skipped (a statistic row's own
 * code). top: scratch f32[8] (the 5 smallest squared distances, ascending, then 3 spare) and f32[4] after it.
 * Sixteen references a step (four sums at once: one splat of q[l] and one pass of the l loop for all
 * sixteen, 1.6x the references a second of four at a time); when one of them is below the 5th smallest so
 * far, the four groups are offered to the list in order, as four at a time did, so the same list results.
 */
function f32_knn_mean_simd(q: usize, L: i32, ref: usize, R: i32, selfR: usize, self: i32, top: usize): f64 {
  const stride = <usize>(R + 3 & ~3) << 2;
  for (let j = 0; j < 5; j++) store<f32>(top + (<usize>j << 2), Infinity);
  let a = 0;
  for (; a + 16 <= R; a += 16) {
    const p = ref + (<usize>a << 2);
    const vq0 = v128.load32_splat(q);
    let vt = f32x4.sub(vq0, v128.load(p));
    let vt1 = f32x4.sub(vq0, v128.load(p, 16));
    let vt2 = f32x4.sub(vq0, v128.load(p, 32));
    let vt3 = f32x4.sub(vq0, v128.load(p, 48));
    let vd0 = f32x4.mul(vt, vt), vd1 = f32x4.mul(vt1, vt1), vd2 = f32x4.mul(vt2, vt2), vd3 = f32x4.mul(vt3, vt3);
    let pl = p;
    for (let l = 1; l < L; l++) {
      pl += stride;
      const vq = v128.load32_splat(q + (<usize>l << 2));
      vt = f32x4.sub(vq, v128.load(pl)); vd0 = f32x4.add(vd0, f32x4.mul(vt, vt));
      vt = f32x4.sub(vq, v128.load(pl, 16)); vd1 = f32x4.add(vd1, f32x4.mul(vt, vt));
      vt = f32x4.sub(vq, v128.load(pl, 32)); vd2 = f32x4.add(vd2, f32x4.mul(vt, vt));
      vt = f32x4.sub(vq, v128.load(pl, 48)); vd3 = f32x4.add(vd3, f32x4.mul(vt, vt));
    }
    // (d = t0^2, then + t_l^2: the same sums as 0 + t0^2 + ..., since +0 + x is x for x >= 0 or +Inf)
    const v5 = v128.load32_splat(top + 16);
    if (!v128.any_true(v128.or(v128.or(f32x4.lt(vd0, v5), f32x4.lt(vd1, v5)), v128.or(f32x4.lt(vd2, v5), f32x4.lt(vd3, v5))))) continue;
    knn_offer(vd0, a, selfR, self, top);
    knn_offer(vd1, a + 4, selfR, self, top);
    knn_offer(vd2, a + 8, selfR, self, top);
    knn_offer(vd3, a + 12, selfR, self, top);
  }
  for (; a < R; a += 4) {
    let vd0123 = f32x4.splat(0);
    for (let l = 0; l < L; l++) {
      const vt = f32x4.sub(f32x4.splat(load<f32>(q + (<usize>l << 2))), v128.load(ref + <usize>l * stride + (<usize>a << 2)));
      vd0123 = f32x4.add(vd0123, f32x4.mul(vt, vt));
    }
    knn_offer(vd0123, a, selfR, self, top);
  }
  let sum: f64 = 0, m = 0;
  for (; m < 5 && load<f32>(top + (<usize>m << 2)) < Infinity; m++) sum += <f64>Mathf.sqrt(load<f32>(top + (<usize>m << 2)));
  return m ? sum / <f64>m : 0;
}

/** Offers the squared distances of references a .. a+3 to the ascending list of the 5 smallest at top (see f32_knn_mean_simd). */
function knn_offer(vd: v128, a: i32, selfR: usize, self: i32, top: usize): void {
  // all four at or beyond the 5th smallest so far: nothing to insert
  if (!v128.any_true(f32x4.lt(vd, v128.load32_splat(top + 16)))) return;
  const lanes = top + 32;
  v128.store(lanes, vd);
  for (let b = 0; b < 4; b++) {
    const s = load<f32>(lanes + (<usize>b << 2));
    if (!(s < load<f32>(top + 16)) || (selfR && load<i32>(selfR + (<usize>(a + b) << 2)) == self)) continue;
    let p = 4;   // insert into the ascending list
    while (p > 0 && load<f32>(top + (<usize>(p - 1) << 2)) > s) { store<f32>(top + (<usize>p << 2), load<f32>(top + (<usize>(p - 1) << 2))); p--; }
    store<f32>(top + (<usize>p << 2), s);
  }
}

/** Member 0's codes (f32[rows][L]) of the rows idx i32[rows] of x (normalized) into z, cap rows at a time. */
function codes(ctx: usize, x: usize, idx: usize, rows: i32, z: usize, L: i32): void {
  const D = ci(ctx, C_INDIM), cap = ci(ctx, C_CAP), lat = ci(ctx, C_LATENT), bin = cp(ctx, C_BATCH_IN);
  for (let start = 0; start < rows; start += cap) {
    const B = min(cap, rows - start);
    gather(bin, x, idx + (<usize>start << 2), B, D);
    memory.copy(z + (<usize>(start * L) << 2), net_forward(ctx, bin, B, 0, lat, false), <usize>(B * L) << 2);
  }
}

/**
 * Builds the density block at dens (see the header) at the end of fit: scores the n training rows xn
 * (normalized) with the ensemble (stats: its statistics), draws min(Rmax, pool) reference rows from the
 * pool (every pool row, in order, when it holds at most Rmax; else the first Rmax of a shuffle on the
 * shuffle stream), stores their codes, then tMed and c over the S statistic rows sidx i32[S] (training-row
 * indices). Scratch: scores f32[n], tmp i32/f32[n], ridx i32[Rmax], z f32[max(Rmax, S)][L], t f32[S]. Returns R.
 */
export function dens_fit(ctx: usize, xn: usize, n: i32, K: i32, stats: usize, dens: usize, Rmax: i32, L: i32, sidx: usize, S: i32,
  scores: usize, tmp: usize, ridx: usize, z: usize, t: usize): i32 {
  const ref = dens + 16;
  store<f32>(dens, 0);
  ens_score_rows(ctx, xn, n, scores, K, stats);
  memory.copy(tmp, scores, <usize>n << 2);
  f32_sort(tmp, n);
  const cut = load<f32>(tmp + (<usize>(<i32>Math.floor(POOL_Q * <f64>(n - 1))) << 2));
  let m = 0;
  for (let i = 0; i < n; i++) if (load<f32>(scores + (<usize>i << 2)) <= cut) { store<i32>(tmp + (<usize>m << 2), i); m++; }
  if (Rmax < m) rng_shuffle(ctx + C_RNG + (<usize>RNG_SHUFFLE << 4), tmp, m);
  const R = min(Rmax, m);
  memory.copy(ridx, tmp, <usize>R << 2);
  codes(ctx, xn, ridx, R, z, L);
  // transposed, each dimension's R codes padded to a multiple of 4 with 1e30 (its squared distance is +Inf)
  const Rp = R + 3 & ~3;
  for (let l = 0; l < L; l++) for (let a = 0; a < Rp; a++) {
    store<f32>(ref + (<usize>(l * Rp + a) << 2), a < R ? load<f32>(z + (<usize>(a * L + l) << 2)) : 1e30);
  }
  // the statistic rows: their term (own code skipped), then their ensemble scores
  codes(ctx, xn, sidx, S, z, L);
  for (let i = 0; i < S; i++) {
    const self = load<i32>(sidx + (<usize>i << 2));
    store<f32>(t + (<usize>i << 2), <f32>f32_knn_mean_simd(z + (<usize>(i * L) << 2), L, ref, R, ridx, self, cp(ctx, C_SCRATCH)));
    store<f32>(tmp + (<usize>i << 2), load<f32>(scores + (<usize>self << 2)));
  }
  let sIqr = f32_quantile(tmp, S, 0.75) - f32_quantile(tmp, S, 0.25);
  if (!(sIqr > 0)) sIqr = 1;
  const tMed = f32_quantile(t, S, 0.5);
  let tIqr = f32_quantile(t, S, 0.75) - f32_quantile(t, S, 0.25);
  if (!(tIqr > 0)) tIqr = 1;
  store<f32>(dens + 4, tMed);
  store<f32>(dens + 8, sIqr / tIqr);
  store<f32>(dens + 12, <f32>L);
  store<f32>(dens, <f32>R);
  return R;
}

/**
 * out[i] += c * (t_i - tMed) in f32 for n rows of x (normalized), t_i the density term of row i (member 0's
 * code, cap rows per forward pass); nothing when the block's R is 0.
 */
export function dens_add(ctx: usize, x: usize, n: i32, out: usize, dens: usize): void {
  const R = <i32>load<f32>(dens);
  if (R <= 0) return;
  const tMed = load<f32>(dens + 4), c = load<f32>(dens + 8), L = <i32>load<f32>(dens + 12);
  const D = ci(ctx, C_INDIM), cap = ci(ctx, C_CAP), lat = ci(ctx, C_LATENT);
  for (let start = 0; start < n; start += cap) {
    const B = min(cap, n - start);
    const z = net_forward(ctx, x + (<usize>(start * D) << 2), B, 0, lat, false);
    for (let r = 0; r < B; r++) {
      const o = out + (<usize>(start + r) << 2);
      const t = <f32>f32_knn_mean_simd(z + (<usize>(r * L) << 2), L, dens + 16, R, 0, 0, cp(ctx, C_SCRATCH));
      store<f32>(o, load<f32>(o) + c * (t - tMed));
    }
  }
}
