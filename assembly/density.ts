// density.ts: an ensemble's latent density term (issue 12, round 6): the mean Euclidean distance from a
// row's code (member 0's bottleneck) to its KNN = 5 nearest codes among R reference training rows, put in
// the ensemble score's units and added to it: score += c * (t - tMed). The reference rows are drawn from
// the training rows the fitted ensemble scores at or below its 80% quantile (a clean pool); tMed and
// c = sIQR / tIQR (weight 1) come from up to 4,096 training rows (a row's own code skipped). Not a
// different detector: the distances are between an autoencoder's codes.
// Block dens f32[4 + L * Rp]: R, tMed, c, L (as floats), then the codes transposed, f32[L][Rp] (Rp = R
// rounded up to 4, padded with 1e30), so four reference rows are compared at once. R = 0: no term (a file written before the term).
// Rows are scored four at a time (each step of references read once for four codes) and the rest one at a
// time; both give each row the same term, bit for bit (knn_rows), and the threaded build splits a chunk's rows
// among the threads (threads.ts JOB_KNN).
// Dims: L latent width, R reference rows, S statistic rows, D input width.

import { C_BATCH_IN, C_CAP, C_INDIM, C_LATENT, C_RNG, RNG_SHUFFLE, ci, cp } from './arena';
import { gather, net_forward } from './train';
import { ws_scratch } from './gemm';
import { pool_knn } from './threads';
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
 * Thirty-two references a step, then sixteen (eight or four sums at once: one splat of q[l] and one pass of
 * the l loop for all of them; sixteen read 1.6x the references a second of four at a time, and thirty-two
 * 1.08-1.11x those of sixteen for a row alone, 2026-12-03); when one of them is below the 5th smallest so
 * far, the groups of four are offered to the list in order, as four at a time did, so the same list results.
 * From L >= 8, a step whose sums are all at or past the 5th smallest after half the dimensions is left
 * there: partial sums only grow (each added square is >= 0), so none of them could enter the list.
 */
function f32_knn_mean_simd(q: usize, L: i32, ref: usize, R: i32, selfR: usize, self: i32, top: usize): f64 {
  const stride = <usize>(R + 3 & ~3) << 2;
  for (let j = 0; j < 5; j++) store<f32>(top + (<usize>j << 2), Infinity);
  const half = L >= 8 ? L >> 1 : L;
  let a = 0;
  // thirty-two references a step: eight chains of sums, so the additions' latency overlaps (each sum from
  // +0: +0 + t0^2 is t0^2, as the steps of sixteen below start)
  for (; a + 32 <= R; a += 32) {
    let vd0 = f32x4.splat(0), vd1 = vd0, vd2 = vd0, vd3 = vd0, vd4 = vd0, vd5 = vd0, vd6 = vd0, vd7 = vd0;
    let pl = ref + (<usize>a << 2), past = false;
    for (let l = 0; l < L; l++) {
      if (l == half) {
        const v5 = v128.load32_splat(top + 16);
        const lt = v128.or(v128.or(v128.or(f32x4.lt(vd0, v5), f32x4.lt(vd1, v5)), v128.or(f32x4.lt(vd2, v5), f32x4.lt(vd3, v5))),
                           v128.or(v128.or(f32x4.lt(vd4, v5), f32x4.lt(vd5, v5)), v128.or(f32x4.lt(vd6, v5), f32x4.lt(vd7, v5))));
        if (!v128.any_true(lt)) { past = true; break; }
      }
      const vq = v128.load32_splat(q + (<usize>l << 2));
      let vt = f32x4.sub(vq, v128.load(pl)); vd0 = f32x4.add(vd0, f32x4.mul(vt, vt));
      vt = f32x4.sub(vq, v128.load(pl, 16)); vd1 = f32x4.add(vd1, f32x4.mul(vt, vt));
      vt = f32x4.sub(vq, v128.load(pl, 32)); vd2 = f32x4.add(vd2, f32x4.mul(vt, vt));
      vt = f32x4.sub(vq, v128.load(pl, 48)); vd3 = f32x4.add(vd3, f32x4.mul(vt, vt));
      vt = f32x4.sub(vq, v128.load(pl, 64)); vd4 = f32x4.add(vd4, f32x4.mul(vt, vt));
      vt = f32x4.sub(vq, v128.load(pl, 80)); vd5 = f32x4.add(vd5, f32x4.mul(vt, vt));
      vt = f32x4.sub(vq, v128.load(pl, 96)); vd6 = f32x4.add(vd6, f32x4.mul(vt, vt));
      vt = f32x4.sub(vq, v128.load(pl, 112)); vd7 = f32x4.add(vd7, f32x4.mul(vt, vt));
      pl += stride;
    }
    if (past) continue;
    const v5 = v128.load32_splat(top + 16);
    const lt = v128.or(v128.or(v128.or(f32x4.lt(vd0, v5), f32x4.lt(vd1, v5)), v128.or(f32x4.lt(vd2, v5), f32x4.lt(vd3, v5))),
                       v128.or(v128.or(f32x4.lt(vd4, v5), f32x4.lt(vd5, v5)), v128.or(f32x4.lt(vd6, v5), f32x4.lt(vd7, v5))));
    if (!v128.any_true(lt)) continue;
    knn_offer(vd0, a, selfR, self, top);
    knn_offer(vd1, a + 4, selfR, self, top);
    knn_offer(vd2, a + 8, selfR, self, top);
    knn_offer(vd3, a + 12, selfR, self, top);
    knn_offer(vd4, a + 16, selfR, self, top);
    knn_offer(vd5, a + 20, selfR, self, top);
    knn_offer(vd6, a + 24, selfR, self, top);
    knn_offer(vd7, a + 28, selfR, self, top);
  }
  for (; a + 16 <= R; a += 16) {
    const p = ref + (<usize>a << 2);
    const vq0 = v128.load32_splat(q);
    let vt = f32x4.sub(vq0, v128.load(p));
    let vt1 = f32x4.sub(vq0, v128.load(p, 16));
    let vt2 = f32x4.sub(vq0, v128.load(p, 32));
    let vt3 = f32x4.sub(vq0, v128.load(p, 48));
    let vd0 = f32x4.mul(vt, vt), vd1 = f32x4.mul(vt1, vt1), vd2 = f32x4.mul(vt2, vt2), vd3 = f32x4.mul(vt3, vt3);
    let pl = p, past = false;
    for (let l = 1; l < L; l++) {
      if (l == half) {
        // (as in f32_knn_mean_4x8_simd: 16 partial sums all at or past the 5th smallest cannot enter the list)
        const v5 = v128.load32_splat(top + 16);
        if (!v128.any_true(v128.or(v128.or(f32x4.lt(vd0, v5), f32x4.lt(vd1, v5)), v128.or(f32x4.lt(vd2, v5), f32x4.lt(vd3, v5))))) { past = true; break; }
      }
      pl += stride;
      const vq = v128.load32_splat(q + (<usize>l << 2));
      vt = f32x4.sub(vq, v128.load(pl)); vd0 = f32x4.add(vd0, f32x4.mul(vt, vt));
      vt = f32x4.sub(vq, v128.load(pl, 16)); vd1 = f32x4.add(vd1, f32x4.mul(vt, vt));
      vt = f32x4.sub(vq, v128.load(pl, 32)); vd2 = f32x4.add(vd2, f32x4.mul(vt, vt));
      vt = f32x4.sub(vq, v128.load(pl, 48)); vd3 = f32x4.add(vd3, f32x4.mul(vt, vt));
    }
    if (past) continue;
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
  return knn_mean(top);
}

/** The mean in f64 of the square roots of a list's entries below +Inf (top: the ascending 5 smallest); 0 when none is. */
function knn_mean(top: usize): f64 {
  let sum: f64 = 0, m = 0;
  for (; m < 5 && load<f32>(top + (<usize>m << 2)) < Infinity; m++) sum += <f64>Mathf.sqrt(load<f32>(top + (<usize>m << 2)));
  return m ? sum / <f64>m : 0;
}

// one code's list in f32_knn_mean_4x8_simd's scratch: the 5 smallest (and 3 spare), then knn_offer's four lanes
const LIST_BYTES: usize = 48;

/**
 * f32_knn_mean_simd for four codes at once, q f32[4][L] (four rows of L): each step reads eight references
 * (two f32x4 per dimension) once for all four codes, where one code at a time reads all R references from
 * memory for every row (8,192 references of 15 dimensions are 480 KB). Each code's sums are the ones
 * f32_knn_mean_simd takes (from +0, + t_l^2 in l order; +0 + t0^2 is t0^2, which its steps of sixteen start
 * from), and its list is offered the references in index order, so every code gets the list and the
 * mean that f32_knn_mean_simd gives it alone. From L >= 8, a step whose 32 sums are all at or past their
 * codes' 5th smallest after half the dimensions is left there: its references cannot enter a list (the
 * sums only grow), so the lists are the same. selfs: 0, or i32[4] the codes' own training rows (with
 * selfR). top: scratch of 4 * LIST_BYTES (gemm.ts ws_scratch); the four means go to out f64[4].
 */
function f32_knn_mean_4x8_simd(q: usize, L: i32, ref: usize, R: i32, selfR: usize, selfs: usize, top: usize, out: usize): void {
  const stride = <usize>(R + 3 & ~3) << 2, lq = <usize>L << 2;
  const self0 = selfs ? load<i32>(selfs) : 0, self1 = selfs ? load<i32>(selfs, 4) : 0;
  const self2 = selfs ? load<i32>(selfs, 8) : 0, self3 = selfs ? load<i32>(selfs, 12) : 0;
  const top0 = top, top1 = top + LIST_BYTES, top2 = top + 2 * LIST_BYTES, top3 = top + 3 * LIST_BYTES;
  for (let i: usize = 0; i < 4; i++) for (let j = 0; j < 5; j++) store<f32>(top + i * LIST_BYTES + (<usize>j << 2), Infinity);
  const q1 = q + lq, q2 = q1 + lq, q3 = q2 + lq;
  const half = L >= 8 ? L >> 1 : L;
  let a = 0;
  for (; a + 8 <= R; a += 8) {
    // (each sum from +0: +0 + t0^2 is t0^2, so the sums are f32_knn_mean_simd's)
    let vd0x0 = f32x4.splat(0), vd0x1 = vd0x0, vd1x0 = vd0x0, vd1x1 = vd0x0, vd2x0 = vd0x0, vd2x1 = vd0x0, vd3x0 = vd0x0, vd3x1 = vd0x0;
    let pl = ref + (<usize>a << 2), skip = false;
    for (let l = 0; l < L; l++) {
      if (l == half) {
        // partial sums only grow (each added square is >= 0): when all 32 are already at or past their code's
        // 5th smallest, none of these references can enter a list, and the rest of their sums is not needed
        const c0 = v128.or(f32x4.lt(vd0x0, v128.load32_splat(top0 + 16)), f32x4.lt(vd0x1, v128.load32_splat(top0 + 16)));
        const c1 = v128.or(f32x4.lt(vd1x0, v128.load32_splat(top1 + 16)), f32x4.lt(vd1x1, v128.load32_splat(top1 + 16)));
        const c2 = v128.or(f32x4.lt(vd2x0, v128.load32_splat(top2 + 16)), f32x4.lt(vd2x1, v128.load32_splat(top2 + 16)));
        const c3 = v128.or(f32x4.lt(vd3x0, v128.load32_splat(top3 + 16)), f32x4.lt(vd3x1, v128.load32_splat(top3 + 16)));
        if (!v128.any_true(v128.or(v128.or(c0, c1), v128.or(c2, c3)))) { skip = true; break; }
      }
      const o = <usize>l << 2, vr0 = v128.load(pl), vr1 = v128.load(pl, 16);
      let vq = v128.load32_splat(q + o);
      let vt = f32x4.sub(vq, vr0); vd0x0 = f32x4.add(vd0x0, f32x4.mul(vt, vt));
      vt = f32x4.sub(vq, vr1); vd0x1 = f32x4.add(vd0x1, f32x4.mul(vt, vt));
      vq = v128.load32_splat(q1 + o);
      vt = f32x4.sub(vq, vr0); vd1x0 = f32x4.add(vd1x0, f32x4.mul(vt, vt));
      vt = f32x4.sub(vq, vr1); vd1x1 = f32x4.add(vd1x1, f32x4.mul(vt, vt));
      vq = v128.load32_splat(q2 + o);
      vt = f32x4.sub(vq, vr0); vd2x0 = f32x4.add(vd2x0, f32x4.mul(vt, vt));
      vt = f32x4.sub(vq, vr1); vd2x1 = f32x4.add(vd2x1, f32x4.mul(vt, vt));
      vq = v128.load32_splat(q3 + o);
      vt = f32x4.sub(vq, vr0); vd3x0 = f32x4.add(vd3x0, f32x4.mul(vt, vt));
      vt = f32x4.sub(vq, vr1); vd3x1 = f32x4.add(vd3x1, f32x4.mul(vt, vt));
      pl += stride;
    }
    if (skip) continue;
    knn_offer2(vd0x0, vd0x1, a, selfR, self0, top0);
    knn_offer2(vd1x0, vd1x1, a, selfR, self1, top1);
    knn_offer2(vd2x0, vd2x1, a, selfR, self2, top2);
    knn_offer2(vd3x0, vd3x1, a, selfR, self3, top3);
  }
  for (; a < R; a += 4) {
    const p = ref + (<usize>a << 2);
    let vd0 = f32x4.splat(0), vd1 = f32x4.splat(0), vd2 = f32x4.splat(0), vd3 = f32x4.splat(0);
    for (let l = 0; l < L; l++) {
      const vr = v128.load(p + <usize>l * stride), o = <usize>l << 2;
      let vt = f32x4.sub(v128.load32_splat(q + o), vr); vd0 = f32x4.add(vd0, f32x4.mul(vt, vt));
      vt = f32x4.sub(v128.load32_splat(q1 + o), vr); vd1 = f32x4.add(vd1, f32x4.mul(vt, vt));
      vt = f32x4.sub(v128.load32_splat(q2 + o), vr); vd2 = f32x4.add(vd2, f32x4.mul(vt, vt));
      vt = f32x4.sub(v128.load32_splat(q3 + o), vr); vd3 = f32x4.add(vd3, f32x4.mul(vt, vt));
    }
    knn_offer(vd0, a, selfR, self0, top0);
    knn_offer(vd1, a, selfR, self1, top1);
    knn_offer(vd2, a, selfR, self2, top2);
    knn_offer(vd3, a, selfR, self3, top3);
  }
  store<f64>(out, knn_mean(top0));
  store<f64>(out, knn_mean(top1), 8);
  store<f64>(out, knn_mean(top2), 16);
  store<f64>(out, knn_mean(top3), 24);
}

/** References a .. a+7's squared distances (two groups of four) offered to one code's list in order, when one is below its 5th smallest. */
// @ts-ignore: decorator
@inline function knn_offer2(vd0: v128, vd1: v128, a: i32, selfR: usize, self: i32, top: usize): void {
  const v5 = v128.load32_splat(top + 16);
  if (!v128.any_true(v128.or(f32x4.lt(vd0, v5), f32x4.lt(vd1, v5)))) return;
  knn_offer(vd0, a, selfR, self, top);
  knn_offer(vd1, a + 4, selfR, self, top);
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

/**
 * Rows r0 .. r1-1 of the codes z f32[][L]: each row's term t = f32(the mean distance to its 5 nearest of the R
 * references ref), four rows at a time (f32_knn_mean_4x8_simd) and the last one at a time, which give the
 * same terms. add: dst[r] += c * (t - tMed) (f32); else dst[r] = t. selfR, selfs: 0, or the references'
 * training rows i32[R] and the rows' own i32[] (a row's own code skipped). Scratch: this thread's
 * ws_scratch (no product runs here), so any threads may take any ranges at once.
 */
export function knn_rows(z: usize, L: i32, ref: usize, R: i32, selfR: usize, selfs: usize, r0: i32, r1: i32, dst: usize,
                         add: bool, c: f32, tMed: f32): void {
  const top = ws_scratch(), means = top + 4 * LIST_BYTES;
  let r = r0;
  for (; r < r1; r += 4) {
    const n = min(4, r1 - r), q = z + (<usize>(r * L) << 2);
    if (n == 4) f32_knn_mean_4x8_simd(q, L, ref, R, selfR, selfs ? selfs + (<usize>r << 2) : 0, top, means);
    else for (let i = 0; i < n; i++) {
      store<f64>(means + (<usize>i << 3), f32_knn_mean_simd(q + (<usize>(i * L) << 2), L, ref, R, selfR, selfs ? load<i32>(selfs + (<usize>(r + i) << 2)) : 0, top));
    }
    for (let i = 0; i < n; i++) {
      const o = dst + (<usize>(r + i) << 2), t = <f32>load<f64>(means + (<usize>i << 3));
      store<f32>(o, add ? load<f32>(o) + c * (t - tMed) : t);
    }
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
  if (!ASC_FEATURE_THREADS || !pool_knn(z, L, ref, R, ridx, sidx, S, t, false, 0, 0)) knn_rows(z, L, ref, R, ridx, sidx, 0, S, t, false, 0, 0);
  for (let i = 0; i < S; i++) store<f32>(tmp + (<usize>i << 2), load<f32>(scores + (<usize>load<i32>(sidx + (<usize>i << 2)) << 2)));
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
    // (threaded build: rows of the chunk split among the threads, the same terms: pool_knn)
    if (!ASC_FEATURE_THREADS || !pool_knn(z, L, dens + 16, R, 0, 0, B, out + (<usize>start << 2), true, c, tMed)) {
      knn_rows(z, L, dens + 16, R, 0, 0, 0, B, out + (<usize>start << 2), true, c, tMed);
    }
  }
}
