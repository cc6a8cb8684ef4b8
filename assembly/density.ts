// density.ts: an ensemble's latent density term (issue 12, round 6): the mean Euclidean distance from a
// row's code (member 0's bottleneck) to its KNN = 5 nearest codes among R reference training rows, put in
// the ensemble score's units and added to it: score += c * (t - tMed). The reference rows are drawn from
// the training rows the fitted ensemble scores at or below its 80% quantile (a clean pool); tMed and
// c = sIQR / tIQR (weight 1) come from up to 4,096 training rows (a row's own code skipped). Not a
// different detector: the distances are between an autoencoder's codes.
// Block dens f32[4 + L * Rp]: R, tMed, c, L (as floats), then the codes transposed, f32[L][Rp] (Rp = R
// rounded up to 4, padded with 1e30), so four reference rows are compared at once. R = 0: no term (a file written before the term).
// Rows are scored through a k-d index of the codes (kd_*, below) when it pays, else four at a time (each step
// of references read once for four codes) and the rest one at a time; all give each row the same term, bit
// for bit (knn_rows), and the threaded build splits a chunk's rows among the threads (threads.ts JOB_KNN).
// Dims: L latent width, R reference rows, S statistic rows, D input width.

import { C_BATCH_IN, C_CAP, C_INDIM, C_KD, C_LATENT, C_RNG, RNG_SHUFFLE, ci, cp } from './arena';
import { gather, net_forward } from './train';
import { WS_SCRATCH_BYTES, ws_scratch } from './gemm';
import { pool_knn } from './threads';
import { rng_shuffle } from './rng';
import { f32_quantile, f32_sort } from './stats';

/** The training rows the ensemble scores at or below this quantile form the reference pool. */
const POOL_Q: f64 = 0.8;

/**
 * References a .. a+31 (their dimension 0 at pl, each next dimension `stride` bytes on) offered to one code's
 * list (see f32_knn_mean_simd): eight chains of sums, each from +0 (+0 + t0^2 is t0^2), left after `half`
 * dimensions when all 32 partial sums are at or past the 5th smallest.
 */
function scan32(q: usize, L: i32, pl: usize, stride: usize, half: i32, a: i32, selfR: usize, self: i32, top: usize): void {
  let vd0 = f32x4.splat(0), vd1 = vd0, vd2 = vd0, vd3 = vd0, vd4 = vd0, vd5 = vd0, vd6 = vd0, vd7 = vd0;
  for (let l = 0; l < L; l++) {
    if (l == half) {
      const v5 = v128.load32_splat(top + 16);
      const lt = v128.or(v128.or(v128.or(f32x4.lt(vd0, v5), f32x4.lt(vd1, v5)), v128.or(f32x4.lt(vd2, v5), f32x4.lt(vd3, v5))),
                         v128.or(v128.or(f32x4.lt(vd4, v5), f32x4.lt(vd5, v5)), v128.or(f32x4.lt(vd6, v5), f32x4.lt(vd7, v5))));
      if (!v128.any_true(lt)) return;
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
  const v5 = v128.load32_splat(top + 16);
  const lt = v128.or(v128.or(v128.or(f32x4.lt(vd0, v5), f32x4.lt(vd1, v5)), v128.or(f32x4.lt(vd2, v5), f32x4.lt(vd3, v5))),
                     v128.or(v128.or(f32x4.lt(vd4, v5), f32x4.lt(vd5, v5)), v128.or(f32x4.lt(vd6, v5), f32x4.lt(vd7, v5))));
  if (!v128.any_true(lt)) return;
  knn_offer(vd0, a, selfR, self, top);
  knn_offer(vd1, a + 4, selfR, self, top);
  knn_offer(vd2, a + 8, selfR, self, top);
  knn_offer(vd3, a + 12, selfR, self, top);
  knn_offer(vd4, a + 16, selfR, self, top);
  knn_offer(vd5, a + 20, selfR, self, top);
  knn_offer(vd6, a + 24, selfR, self, top);
  knn_offer(vd7, a + 28, selfR, self, top);
}

/**
 * The mean of the (up to) KNN = 5 smallest distances sqrt(sum_l (q[l] - ref[l][a])^2) from one code q f32[L]
 * to the R reference codes a (each squared distance summed in f32 in l order, four references per f32x4;
 * the padding's sums are +Inf), the mean in f64; 0 with no reference. selfR: when not 0, i32[R]
 * training-row indices of the references, and the one equal to `self` is skipped (a statistic row's own
 * code). top: scratch f32[8] (the 5 smallest squared distances, ascending, then 3 spare) and f32[4] after it.
 * Thirty-two references a step, then four (eight sums at once, or one: one splat of q[l] and one pass of the
 * l loop for all of them; sixteen read 1.6x the references a second of four at a time, and thirty-two
 * 1.08-1.11x those of sixteen for a row alone, 2026-12-03; since the k-d index, a step of sixteen for the last
 * 16-31 references is no longer worth its code); when one of them is below the 5th smallest so far, the
 * groups of four are offered to the list in order, as four at a time did, so the same list results.
 * From L >= 8, a step whose sums are all at or past the 5th smallest after half the dimensions is left
 * there: partial sums only grow (each added square is >= 0), so none of them could enter the list.
 */
function f32_knn_mean_simd(q: usize, L: i32, ref: usize, R: i32, selfR: usize, self: i32, top: usize): f64 {
  const stride = <usize>(R + 3 & ~3) << 2;
  for (let j = 0; j < 5; j++) store<f32>(top + (<usize>j << 2), Infinity);
  const half = L >= 8 ? L >> 1 : L;
  let a = 0;
  // thirty-two references a step: eight chains of sums, so the additions' latency overlaps
  for (; a + 32 <= R; a += 32) scan32(q, L, ref + (<usize>a << 2), stride, half, a, selfR, self, top);
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
 * f32_knn_mean_simd takes (from +0, + t_l^2 in l order), and its list is offered the references in index
 * order, so every code gets the list and the mean that f32_knn_mean_simd gives it alone. From L >= 8, a step whose 32 sums are all at or past their
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

// ---- the reference codes' k-d index (derived, never saved) ----
// A model with a density block has a second block at its context's C_KD (bindings/wasm.ts layoutModel:
// kdBytes; built at the end of fit(), and after a load() once KD_AFTER rows have been scored), where the
// codes are kept again, grouped into leaves of KD_LEAF nearby codes: a k-d tree whose
// every node splits its codes at a multiple of KD_LEAF along its widest dimension, each node with the box
// (per-dimension minimum and maximum) of its codes. A code's search walks the tree nearer child first and
// skips a node when a lower bound of its codes' squared distances is at or past the 5th smallest so far:
// the bound is summed exactly as the distances are (from +0, in dimension order, each term the square of
// the gap from q to the box, 0 inside it), and every gap is at most the code's |q_l - r_l| in float32
// too (rounding is monotone and symmetric), so no code under the bound is skipped and the list holds the
// same five squared distances as the search of every reference: the same bits. On codes that lie near a
// lower-dimensional manifold (a tabular set's) a row visits a few leaves of hundreds; on codes spread
// through all their dimensions a walk visits most leaves and costs more than the plain search, so kd_build
// walks a probe of the references' own codes and leaves the index unused when they visit a quarter of the
// leaves or more, and knn_rows sends a call's rows back to the plain searches when its walks visit a third.
// The index changes no bit (tests/density.test.ts compares walked and searched terms), only the time: on
// 20,000 rows of 30 columns near a manifold, score() 360 -> 120 ms and a row alone 37 -> 21 µs
// (tools/bench/ensemble.mjs, 2026-12-03); the boxes' bounds with branches (v < lo ? lo - v : ...) took
// 149 ms, 42% of it in the walk's own code against 8% in the leaves' distances.
// Block kd: i32 state (0 stale: built when KD_AFTER rows have been scored; 1 built; 2 not usable: a code is
// not finite; 3 built but not worth a walk, kd_build's probe), i32 R, i32 NL leaves, i32 rows scored while
// stale; then codes f32[L][Rq] (Rq = NL * KD_LEAF; the last leaf padded with 1e30, whose
// squared distance is +Inf), perm i32[Rq] (each slot's reference, -1 for padding), selfq i32[Rq] (dens_fit's
// training rows of the slots, for the statistic rows' self skip), nodes of kd_node_bytes(L) (2 NL - 1, depth
// first, the root first): i32 left child (or -1 - leaf), i32 right child, f32 lo[L4], f32 hi[L4] (L4 = L
// rounded up to 4, the padding 0: the bounds take four dimensions a step).
export const KD_LEAF = 32;
// where kd_knn_mean keeps its leaf count and its stack in the scratch (after knn_rows' four lists and means;
// the stack holds at most the tree's depth + 1 pairs: 13 for 65,536 references)
const KD_VISITS: usize = 240;
const KD_STACK: usize = 256;
// then (from KD_Q) the walk's code padded to L4 floats with zeros and its two children's squared gaps
const KD_Q: usize = 512;
const KD_PROBE = 32;
// rows scored (since the density block changed) before a stale index is built: about where its build
// (2-8 ms for 8,192 codes of 15, the first time in a process) is paid back
const KD_AFTER: i64 = 256;
// @ts-ignore: decorator
@inline function kd_node_bytes(L: i32): usize { return 8 + (<usize>(L + 3 & ~3) << 3); }
/** The bytes of a k-d block for up to Rmax references of width L (bindings/wasm.ts kdBytes computes the same). */
export function kd_bytes(Rmax: i32, L: i32): i32 {
  const NL = (Rmax + KD_LEAF - 1) / KD_LEAF, Rq = NL * KD_LEAF;
  return 16 + 4 * L * Rq + 8 * Rq + max(1, 2 * NL - 1) * <i32>kd_node_bytes(L);
}
// @ts-ignore: decorator
@inline function kd_rq(kd: usize): i32 { return load<i32>(kd, 8) * KD_LEAF; }
// @ts-ignore: decorator
@inline function kd_perm(kd: usize, L: i32): usize { return kd + 16 + (<usize>(L * kd_rq(kd)) << 2); }
// @ts-ignore: decorator
@inline function kd_selfq(kd: usize, L: i32): usize { return kd_perm(kd, L) + (<usize>kd_rq(kd) << 2); }
// @ts-ignore: decorator
@inline function kd_nodes(kd: usize, L: i32): usize { return kd_selfq(kd, L) + (<usize>kd_rq(kd) << 2); }

/**
 * perm[lo..hi) reordered so that the keys key[perm[i]] before s are <= those from s on: Hoare's partitions
 * around medians of three, then an insertion sort of the last 16 or fewer. After 2 log2 n + 4 rounds
 * (keys laid out against the medians of three) the range is left partly ordered: any split gives a correct
 * tree (each node's box holds its own codes), only a slower walk.
 */
function kd_select(perm: usize, lo: i32, hi: i32, s: i32, key: usize): void {
  let rounds = 2 * (32 - clz(hi - lo)) + 4;
  while (hi - lo > 16) {
    if (rounds-- == 0) return;
    const m = lo + ((hi - lo) >> 1);
    const k0 = kd_key(perm, lo, key), k1 = kd_key(perm, m, key), k2 = kd_key(perm, hi - 1, key);
    const pivot = max(min(k0, k1), min(max(k0, k1), k2));   // the median of three
    let i = lo - 1, j = hi;
    while (true) {
      do i++; while (kd_key(perm, i, key) < pivot);
      do j--; while (kd_key(perm, j, key) > pivot);
      if (i >= j) break;
      const t = load<i32>(perm + (<usize>i << 2));
      store<i32>(perm + (<usize>i << 2), load<i32>(perm + (<usize>j << 2)));
      store<i32>(perm + (<usize>j << 2), t);
    }
    if (s <= j) hi = j + 1; else lo = j + 1;
  }
  // what is left (at most 16): sorted whole, by insertion
  for (let i = lo + 1; i < hi; i++) {
    const v = load<i32>(perm + (<usize>i << 2)), kv = load<f32>(key + (<usize>v << 2));
    let j = i;
    while (j > lo && kd_key(perm, j - 1, key) > kv) { store<i32>(perm + (<usize>j << 2), load<i32>(perm + (<usize>(j - 1) << 2))); j--; }
    store<i32>(perm + (<usize>j << 2), v);
  }
}
// @ts-ignore: decorator
@inline function kd_key(perm: usize, i: i32, key: usize): f32 { return load<f32>(key + (<usize>load<i32>(perm + (<usize>i << 2)) << 2)); }

/** Node `id` over perm[lo..hi) (lo a multiple of KD_LEAF) and its subtree; returns the next free node id, or -1 when a code is not finite. */
function kd_split(kd: usize, ref: usize, Rp: i32, L: i32, lo: i32, hi: i32, id: i32): i32 {
  const perm = kd_perm(kd, L), node = kd_nodes(kd, L) + <usize>id * kd_node_bytes(L), box = node + 8, L4 = L + 3 & ~3;
  let wide: f32 = -1, dim = 0;
  for (let l = L; l < L4; l++) {
    store<f32>(box + (<usize>l << 2), 0);
    store<f32>(box + (<usize>(L4 + l) << 2), 0);
  }
  for (let l = 0; l < L; l++) {
    const row = ref + (<usize>(l * Rp) << 2);
    let a: f32 = Infinity, b: f32 = -Infinity;
    for (let i = lo; i < hi; i++) {
      const v = load<f32>(row + (<usize>load<i32>(perm + (<usize>i << 2)) << 2));
      a = min(a, v); b = max(b, v);
    }
    if (!(b - a < Infinity)) return -1;   // (NaN or an infinite code: no index)
    store<f32>(box + (<usize>l << 2), a);
    store<f32>(box + (<usize>(L4 + l) << 2), b);
    if (b - a > wide) { wide = b - a; dim = l; }
  }
  if (hi - lo <= KD_LEAF) {
    store<i32>(node, -1 - lo / KD_LEAF);
    store<i32>(node, 0, 4);
    return id + 1;
  }
  const s = lo + ((((hi - lo + 1) >> 1) + KD_LEAF - 1) & ~(KD_LEAF - 1));
  kd_select(perm, lo, hi, s, ref + (<usize>(dim * Rp) << 2));
  const right = kd_split(kd, ref, Rp, L, lo, s, id + 1);
  if (right < 0) return -1;
  store<i32>(node, id + 1);
  store<i32>(node, right, 4);
  return kd_split(kd, ref, Rp, L, s, hi, right);
}

/** Builds the k-d block kd for the R reference codes ref f32[L][Rp] (its state: 1 built, 2 not usable). */
export function kd_build(kd: usize, ref: usize, R: i32, L: i32): void {
  const NL = (R + KD_LEAF - 1) / KD_LEAF, Rq = NL * KD_LEAF, Rp = R + 3 & ~3;
  store<i32>(kd, 2);
  if (R <= 0) return;
  store<i32>(kd, R, 4);
  store<i32>(kd, NL, 8);
  const perm = kd_perm(kd, L);
  for (let a = 0; a < Rq; a++) store<i32>(perm + (<usize>a << 2), a < R ? a : -1);
  if (kd_split(kd, ref, Rp, L, 0, R, 0) < 0) return;
  const codes = kd + 16;
  for (let l = 0; l < L; l++) {
    const src = ref + (<usize>(l * Rp) << 2), dst = codes + (<usize>(l * Rq) << 2);
    for (let a = 0; a < Rq; a++) {
      const i = load<i32>(perm + (<usize>a << 2));
      store<f32>(dst + (<usize>a << 2), i >= 0 ? load<f32>(src + (<usize>i << 2)) : 1e30);
    }
  }
  // a probe: the walks of KD_PROBE references' own codes (evenly spaced) visit under a quarter of the leaves
  // on the mean, or the index goes unused (state 3: codes spread through all their dimensions, where a walk
  // costs more than the search of every reference; or codes too wide for the walk's scratch)
  store<i32>(kd, 3);
  if (KD_Q + 3 * (<usize>(L + 3 & ~3) << 2) > WS_SCRATCH_BYTES) return;
  store<i32>(kd, 1);
  const top = ws_scratch(), q = top + KD_Q, P = min(R, KD_PROBE);
  store<i32>(top + KD_VISITS, 0);
  for (let i = 0; i < P; i++) {
    const a = <i32>(<i64>i * R / P);
    for (let l = 0; l < L; l++) store<f32>(q + (<usize>l << 2), load<f32>(ref + (<usize>(l * Rp + a) << 2)));
    kd_knn_mean(q, L, kd, 0, 0, top);
  }
  if (<i64>load<i32>(top + KD_VISITS) * 4 >= <i64>P * NL) store<i32>(kd, 3);
}

/**
 * f32_knn_mean_simd's mean for one code q through the k-d block kd (state 1): the same list, so the same
 * bits. self: the code's own training row when selfR (dens_fit: the slots' rows are kd's selfq). top: as
 * there (ws_scratch), with a stack of (node, bound) pairs at KD_STACK and q's padded copy at KD_Q (q may
 * be that copy already). Returns the mean; the leaves it scanned are added to the i32 at top + KD_VISITS.
 */
function kd_knn_mean(q: usize, L: i32, kd: usize, selfR: usize, self: i32, top: usize): f64 {
  for (let j = 0; j < 5; j++) store<f32>(top + (<usize>j << 2), Infinity);
  const Rq = kd_rq(kd), stride = <usize>Rq << 2, codes = kd + 16, nodes = kd_nodes(kd, L), nb = kd_node_bytes(L);
  const half = L >= 8 ? L >> 1 : L, selfq = selfR ? kd_selfq(kd, L) : 0, stack = top + KD_STACK;
  const L4 = L + 3 & ~3, lh = <usize>L4 << 2, qv = top + KD_Q, gl = qv + lh, gr = gl + lh;
  if (q != qv) memory.copy(qv, q, <usize>L << 2);
  for (let l = L; l < L4; l++) store<f32>(qv + (<usize>l << 2), 0);
  // the stack holds at most the tree's depth + 1 nodes (each internal node taken puts back two children)
  let sp = 1, leaves = 0;
  store<i32>(stack, 0);
  store<f32>(stack, 0, 4);   // (the root is walked whatever its bound)
  while (sp > 0) {
    sp--;
    const id = load<i32>(stack + (<usize>sp << 3));
    if (!(load<f32>(stack + (<usize>sp << 3), 4) < load<f32>(top + 16))) continue;
    const node = nodes + <usize>id * nb, left = load<i32>(node);
    if (left < 0) {
      const a = (-1 - left) * KD_LEAF;
      scan32(q, L, codes + (<usize>a << 2), stride, half, a, selfq, self, top);
      leaves++;
      continue;
    }
    const right = load<i32>(node, 4);
    // both children's bounds: a lower bound of the squared distances from q to the codes in a child's box,
    // summed as the distances are (see above). The gaps four dimensions at a time, without a branch:
    // pmax(pmax(lo - q, q - hi), 0) is lo - q below the box, q - hi above it, 0 (or -0) inside; their squares
    // then summed in dimension order, two chains at once
    const nl = nodes + <usize>left * nb + 8, nr = nodes + <usize>right * nb + 8, zero = f32x4.splat(0);
    for (let o: usize = 0; o < lh; o += 16) {
      const v = v128.load(qv + o);
      let g = f32x4.pmax(f32x4.pmax(f32x4.sub(v128.load(nl + o), v), f32x4.sub(v, v128.load(nl + lh + o))), zero);
      v128.store(gl + o, f32x4.mul(g, g));
      g = f32x4.pmax(f32x4.pmax(f32x4.sub(v128.load(nr + o), v), f32x4.sub(v, v128.load(nr + lh + o))), zero);
      v128.store(gr + o, f32x4.mul(g, g));
    }
    let bl: f32 = 0, br: f32 = 0;
    for (let l = 0; l < L; l++) {
      bl += load<f32>(gl + (<usize>l << 2));
      br += load<f32>(gr + (<usize>l << 2));
    }
    // the farther child below the nearer one, so the nearer is taken first
    const near = bl <= br ? left : right, far = bl <= br ? right : left;
    store<i32>(stack + (<usize>sp << 3), far);
    store<f32>(stack + (<usize>sp << 3), bl <= br ? br : bl, 4);
    store<i32>(stack + (<usize>(sp + 1) << 3), near);
    store<f32>(stack + (<usize>(sp + 1) << 3), bl <= br ? bl : br, 4);
    sp += 2;
  }
  store<i32>(top + KD_VISITS, load<i32>(top + KD_VISITS) + leaves);
  return knn_mean(top);
}

/**
 * Rows r0 .. r1-1 of the codes z f32[][L]: each row's term t = f32(the mean distance to its 5 nearest of the R
 * references ref), four rows at a time (f32_knn_mean_4x8_simd) and the last one at a time, or each row
 * through the k-d block kd (0: none; else built, state 1), which all give the same terms. The k-d walks are
 * taken while they visit under a third of the leaves on the mean (after the first 16 rows: codes spread
 * through all their dimensions send the rest to the searches of every reference, whose four-row steps read
 * each reference once for four rows). add: dst[r] += c * (t - tMed) (f32); else dst[r] = t. selfR, selfs:
 * 0, or the references' training rows i32[R] and the rows' own i32[] (a row's own code skipped; with kd,
 * its selfq holds the slots' rows). Scratch: this thread's ws_scratch (no product runs here), so any
 * threads may take any ranges at once.
 */
export function knn_rows(z: usize, L: i32, ref: usize, R: i32, selfR: usize, selfs: usize, r0: i32, r1: i32, dst: usize,
                         add: bool, c: f32, tMed: f32, kd: usize): void {
  const top = ws_scratch(), means = top + 4 * LIST_BYTES, NL = kd ? load<i32>(kd, 8) : 0;
  store<i32>(top + KD_VISITS, 0);
  let r = r0, walked = 0;
  for (; r < r1; r += 4) {
    const n = min(4, r1 - r), q = z + (<usize>(r * L) << 2);
    if (kd && (walked < 16 || <i64>load<i32>(top + KD_VISITS) * 3 < <i64>walked * NL)) {
      for (let i = 0; i < n; i++) {
        store<f64>(means + (<usize>i << 3), kd_knn_mean(q + (<usize>(i * L) << 2), L, kd, selfR, selfs ? load<i32>(selfs + (<usize>(r + i) << 2)) : 0, top));
      }
      walked += n;
    } else if (n == 4) f32_knn_mean_4x8_simd(q, L, ref, R, selfR, selfs ? selfs + (<usize>r << 2) : 0, top, means);
    else for (let i = 0; i < n; i++) {
      store<f64>(means + (<usize>i << 3), f32_knn_mean_simd(q + (<usize>(i * L) << 2), L, ref, R, selfR, selfs ? load<i32>(selfs + (<usize>(r + i) << 2)) : 0, top));
    }
    for (let i = 0; i < n; i++) {
      const o = dst + (<usize>(r + i) << 2), t = <f32>load<f64>(means + (<usize>i << 3));
      store<f32>(o, add ? load<f32>(o) + c * (t - tMed) : t);
    }
  }
}

/**
 * The model's k-d block (context C_KD) when it is usable for the density block at dens, else 0. A stale
 * block is built once KD_AFTER rows (these n included) have been scored since the density block changed
 * (counted in its header): a few milliseconds, which a model loaded to score a handful of rows (a Worker's
 * cold start) does not pay; before that the rows take the plain search.
 */
function kd_ready(ctx: usize, dens: usize, n: i32): usize {
  const kd = cp(ctx, C_KD);
  if (kd == 0) return 0;
  if (load<i32>(kd) == 0) {
    const seen = min<i64>(<i64>load<i32>(kd, 12) + <i64>n, KD_AFTER);
    store<i32>(kd, <i32>seen, 12);
    if (seen < KD_AFTER) return 0;
    kd_build(kd, dens + 16, <i32>load<f32>(dens), <i32>load<f32>(dens + 12));
  }
  return load<i32>(kd) == 1 ? kd : 0;
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
 * Builds the density block at dens (see the header) at the end of fit from the n training rows xn (normalized) and
 * their ensemble scores (scores f32[n], taken by the bindings in calls of rows with the host's turn between:
 * ensemble.ts ens_score), in five parts in order, the host's turn between the calls (the same bits whatever the
 * ranges); parts 1-4 take R, what part 0 returned, as Rmax:
 *  0. draws min(Rmax, pool) reference rows from the pool (every pool row, in order, when it holds at most Rmax; else
 *     the first Rmax of a shuffle on the shuffle stream) into ridx; returns R;
 *  1. the codes of reference rows a..b-1 into z;
 *  2. stores the codes in the block and builds the k-d block;
 *  3. statistic rows a..b-1 of sidx i32[S] (training-row indices): their codes into z, then their term into t (each
 *     row's own code skipped);
 *  4. tMed and c over the S rows, and the block marked ready (its R), the one write a read of the model looks at.
 * Scratch, kept from one part to the next: tmp i32/f32[n], ridx i32[Rmax], z f32[max(Rmax, S)][L], t f32[S].
 */
export function dens_fit(ctx: usize, xn: usize, n: i32, dens: usize, Rmax: i32, L: i32, sidx: usize, S: i32,
  scores: usize, tmp: usize, ridx: usize, z: usize, t: usize, part: i32, a: i32, b: i32): i32 {
  const ref = dens + 16, R = Rmax;
  if (part == 0) {
    store<f32>(dens, 0);
    memory.copy(tmp, scores, <usize>n << 2);
    f32_sort(tmp, n);
    const cut = load<f32>(tmp + (<usize>(<i32>Math.floor(POOL_Q * <f64>(n - 1))) << 2));
    let m = 0;
    for (let i = 0; i < n; i++) if (load<f32>(scores + (<usize>i << 2)) <= cut) { store<i32>(tmp + (<usize>m << 2), i); m++; }
    if (Rmax < m) rng_shuffle(ctx + C_RNG + (<usize>RNG_SHUFFLE << 4), tmp, m);
    memory.copy(ridx, tmp, <usize>min(Rmax, m) << 2);
    return min(Rmax, m);
  }
  if (part == 1) {
    codes(ctx, xn, ridx + (<usize>a << 2), b - a, z + (<usize>(a * L) << 2), L);
  } else if (part == 2) {
    // transposed, each dimension's R codes padded to a multiple of 4 with 1e30 (its squared distance is +Inf)
    const Rp = R + 3 & ~3;
    for (let l = 0; l < L; l++) for (let r = 0; r < Rp; r++) {
      store<f32>(ref + (<usize>(l * Rp + r) << 2), r < R ? load<f32>(z + (<usize>(r * L + l) << 2)) : 1e30);
    }
    // the k-d block for these codes, with the slots' training rows for the self skip in part 3
    const kd = cp(ctx, C_KD);
    if (kd != 0) {
      kd_build(kd, ref, R, L);
      if (load<i32>(kd) == 1) {
        const perm = kd_perm(kd, L), selfq = kd_selfq(kd, L), Rq = kd_rq(kd);
        for (let q = 0; q < Rq; q++) {
          const i = load<i32>(perm + (<usize>q << 2));
          store<i32>(selfq + (<usize>q << 2), i >= 0 ? load<i32>(ridx + (<usize>i << 2)) : -1);
        }
      }
    }
  } else if (part == 3) {
    const za = z + (<usize>(a * L) << 2);
    codes(ctx, xn, sidx + (<usize>a << 2), b - a, za, L);
    // (the k-d block when it is still the one part 2 built: a read of the model in the host's turn marks it stale;
    // either search gives the same terms)
    let kd = cp(ctx, C_KD);
    if (kd != 0 && load<i32>(kd) != 1) kd = 0;
    if (!ASC_FEATURE_THREADS || !pool_knn(za, L, ref, R, ridx, sidx + (<usize>a << 2), b - a, t + (<usize>a << 2), false, 0, 0, kd)) {
      knn_rows(z, L, ref, R, ridx, sidx, a, b, t, false, 0, 0, kd);
    }
  } else {
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
  }
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
  const D = ci(ctx, C_INDIM), cap = ci(ctx, C_CAP), lat = ci(ctx, C_LATENT), kd = kd_ready(ctx, dens, n);
  for (let start = 0; start < n; start += cap) {
    const B = min(cap, n - start);
    const z = net_forward(ctx, x + (<usize>(start * D) << 2), B, 0, lat, false);
    // (threaded build: rows of the chunk split among the threads, the same terms: pool_knn)
    if (!ASC_FEATURE_THREADS || !pool_knn(z, L, dens + 16, R, 0, 0, B, out + (<usize>start << 2), true, c, tMed, kd)) {
      knn_rows(z, L, dens + 16, R, 0, 0, 0, B, out + (<usize>start << 2), true, c, tMed, kd);
    }
  }
}
