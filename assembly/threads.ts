// threads.ts: the wasm side of the thread pool (threaded build only: kernels-mt.wasm, shared memory).
// A product C = A.B that is large enough is split by output tiles: units of one 8-column strip of C by
// a group of rows (or, when C has few strips, 12-row blocks), which the threads take in runs from a
// shared counter, each run computed by the same gemm_kblocks as the single-threaded path in the
// taker's own workspace. Every element of C still sums init, then k = 0..K-1 in order (gemm.ts: every
// tile gives the scalar kernel's bits), so the result is bit-identical whatever the thread count, the
// split, or which thread took which run. The optimizers' updates (Adam's, SGD's, momentum's:
// elementwise) are split the same way, by ranges of the flat parameter block. A sharded (conv) model's
// batch is a job of one unit per shard (its count set with the model: arena.ts SH_N), one shard of rows each (train.ts shard_run: the whole forward and
// backward of those rows, in the shard's own buffers and gradient block), computed alone by whichever
// thread takes it; the main thread then adds the shards' gradients in shard order. A batch's loss (its
// rows' sums, gradient and the output activation's derivative: JOB_LOSS) splits by rows, the row sums
// added in row order on the main thread; a dense layer's bias gradient rides on its dW product's units
// (pool_colsum). An ensemble's latent density terms (density.ts knn_rows: each row's nearest reference
// codes, alone in its range) split by rows too (JOB_KNN); an ensemble's epoch by members, each trained
// whole by one thread on its own lane (JOB_MEMBERS, ensemble.ts member_epoch), and its scores by ranges of
// rows on the lanes, each row through the members in member order (JOB_ENS_ROWS), and its statistics by
// members (JOB_ENS_STATS). Otherwise the epoch loop and the hidden activations' derivatives stay on the calling
// (main) thread.
// Pairs: two independent jobs can run as one (pool_hold .. pool_release: the first is held, the second
// publishes both, units 0 .. P_NA-1 the first's): a dense layer's dW and dX products (dense.ts), and a
// shuffled batch's optimizer step with the next batch's rows copied into place (train.ts train_epoch,
// JOB_GATHER). One barrier fewer each, and one job's last units overlap the other's; same bits.
// Synchronisation: the main thread publishes a job (its arguments, then the unit counter tagged with
// the job's generation, then SEQ + 1) and wakes the workers (ae_thread_run: polling, then blocked in
// memory.atomic.wait32 between jobs); every thread, the main one included, takes runs until no unit is
// left, and counts LEFT down by the units it did; the main thread then waits for LEFT = 0 (spinning
// where it may not block: a browser's main thread). A worker that wakes late finds fewer units, or
// none: the main thread never waits for a share nobody has started.
// Dims: M rows of C, N columns, K the shared dimension; T threads (main = thread 0).

import { f32_colsum, gemm_kblocks, ws_scratch } from './gemm';
import { OPT_MOMENTUM, adam_update, momentum_update, sgd_update } from './optim';
import { C_NPARAMS, C_PARAMS, LN_FIELD, LN_N, ci, cp } from './arena';
import { draws_part, gather, noise_part, rows_shard, shard_count, shard_run } from './train';
import { loss_part } from './loss';
import { knn_rows } from './density';
import { cae_phase } from './contractive';
import { ens_rows_on, lane_ctx, member_epoch, member_stats } from './ensemble';

// the control block (POOL_BYTES at a 16-byte-aligned arena offset; the bindings mirror it in threads.ts)
const P_SEQ = 0;     // i32 job generation: the main thread adds 1 to start a job (or to wake workers to stop)
const P_LEFT = 4;    // i32 units of the current job not yet done
const P_STOP = 8;    // i32 1: workers return from ae_thread_run
const P_DEAD = 12;   // i32 1: a worker failed (set by the bindings); the main thread stops waiting, later products run alone
const P_NT = 16;     // i32 threads T (main + workers)
const P_WAIT = 20;   // i32 1: the main thread may block in wait32; 0: it spins (a browser's main thread)
const P_MIN = 24;    // i32 a product of fewer than P_MIN * 1024 multiply-adds (M * N * K) runs on the main thread alone
const P_CRASH = 28;  // i32 debug, -1 normally: thread t traps at the next run it takes when this is t, which the others leave to it (tests of the crash path)
const P_SPIN = 32;   // i32 polls of SEQ / LEFT before blocking (a job is often back within microseconds)
const P_NA = 36;     // i32 0: the job is the one at P_JOB; else a pair: units 0 .. P_NA-1 are P_JOB's, the rest P_JOB2's
const P_NEXT = 40;   // i64 the job's generation << 32 | its units << 16 | the next unit to take
const P_JOB = 48;    // the job: kind (0 GEMM, 1 GEMM with B transposed, 2 Adam, 3-13 below), then its arguments (20 slots of 4 bytes)
const P_JOB2 = 128;  // a pair's second job (two independent products published as one: pool_hold)
const P_HOT = 208;   // i32 while the main thread runs a training epoch (pool_hot), threads t < P_HOT poll between its jobs without blocking
const P_HOLD = 212;  // i32 the main thread's pool_hold: 1 a job that goes through the pool waits for a second, 2 one is held at P_JOB
export const POOL_BYTES: usize = 224;
// Adam jobs: w, g, m, v, n (i32), lr, beta1, beta2, eps, wd (f32), decoupled, then b1t, b2t (f64) at byte 48 / 56
const JOB_ADAM = 2;
// SGD and momentum jobs: w, g, buf, n, lr, mu, wd, first, kind (OPT_*), in Adam's slots (see pool_update)
const JOB_UPDATE = 5;
// shard jobs (a sharded model's batch, train.ts net_grads): ctx, x, t, R; a unit is a shard
const JOB_SHARDS = 3;
// row jobs (a sharded model's inference or scoring, train.ts rows_through): ctx, x, n, l0, l1, out, scoring; a unit is a shard of the rows
const JOB_ROWS = 4;
// gather jobs (train.ts train_epoch: the next batch's rows, paired with the optimizer's step): dst, src, idx, R, C; a unit is a range of rows
const JOB_GATHER = 6;
// loss jobs (train.ts terms_forward: a chunk's reconstruction loss row sums, gradient and output activation's
// derivative, loss.ts loss_part): loss, d, p, t, R, C, fused, N, wgt (f32), act, sums; a unit is a range of rows
const JOB_LOSS = 7;
// nearest-codes jobs (density.ts dens_add and dens_fit: a chunk's density terms, knn_rows): z, L, ref, R, selfR, selfs,
// B, dst, add, c (f32), tMed (f32), kd (the k-d block, built, or 0); a unit is a range of rows, in fours
const JOB_KNN = 8;
// member jobs (ensemble.ts ens_epoch: members k0..k1-1 of an ensemble's epoch): ctx, x, perms, R, K, batch, k0, k1; a unit is a member's
// epoch, computed whole by the thread that takes it on its own lane's context (ensemble.ts member_epoch)
const JOB_MEMBERS = 9;
// ensemble rows jobs (ensemble.ts ens_score_rows): ctx, x, n, out, K, stats; a unit is a range of rows, through
// every member on the taking thread's lane (ens_rows_on)
const JOB_ENS_ROWS = 10;
// ensemble statistics jobs (ensemble.ts ens_stats): ctx, x, S, members, stats, idx, e, tmp, k0, part, a, b, rec; a unit is a member
// (k0 the first) whose part runs on the taking thread's lane, with that member's share of the scratch (ensemble.ts member_stats)
const JOB_ENS_STATS = 11;
// noisy batch jobs (train.ts train_rows: a batch's rows gathered, their clean targets too, and gaussian or mask noise
// on the inputs, noise_part): ctx, bin, btgt, x, idx, R, D, amount (f32), the noise stream's counter (u64 at byte 40);
// a unit is a range of rows
const JOB_NOISE = 12;
// contractive penalty jobs (contractive.ts cae_run: a phase of a chunk of rows' Jacobians and their gradients): ctx, x, E,
// r0, nr, ch (a chunk's rows), phase, scale (f32), n; a unit is a range of the phase's n rows (the chunk's rows, each
// in the taking thread's work block, or every layer's inputs i), each computed whole
const JOB_CAE = 13;
// draws jobs (train.ts net_forward: a training dropout node's masks, or a sampling node's normals, for a batch's rows,
// draws_part): op (A.OP_DROPOUT or A.OP_SAMPLE), x, y, aux (mask or eps), R, W (a row's units), rate (f32), the stream's
// key and the counter of the batch's first row (u64s at bytes 32 and 40), a row's draws (at 48); a unit is a range of rows
const JOB_DRAWS = 14;
// A job is cut into units, at most MAX_UNITS: a product into tiles of one 8-column strip by RG rows
// (RG a multiple of 12 making the tile about UNIT_KMAC thousand multiply-adds, so its packed strip is
// reused by enough rows), or into 12-row blocks when C has few strips (12: whole 4-row tiles, gemm.ts,
// where 6-row parts took the slower 6-row tile); Adam into ranges of f32x4
// groups. Threads take runs of units, guided: a run is the units left / T, at least one (OpenMP's
// guided schedule), so the first runs are long (few calls, each strip packed once for many rows) and
// the last ones a single tile of microseconds: no thread waits long for another's last run at the end
// of a product. (Left / 2T, before 2026-12-03: dense784 on 2 threads about 3% slower, from the more
// runs and the strips they cut; left / 3T and / 4T slower still.)
// A thread's first run of a job of 16T units or more is shorter when its share of its previous job
// was: at most FIRST x that share x the job's units (1 / T before its first job). This VM's two
// vCPUs run at different speeds for seconds at a time (1.3-1.5x per unit in timed runs, 2026-12-04);
// with plain guided runs the slower thread often took the first half of a job and the faster one
// then waited for it. Sized by the share, the slower one takes less, and the guided runs after the
// first balance the rest. dense784 on 2 threads 1.02-1.09x in such phases, 0.98-1.01x when the two
// are even (tools/bench/ab-threads.mjs); same bits. Jobs of fewer units (a conv model's 4 shards, a
// loss's 16 row ranges) keep plain guided runs (with the rule for them too, convdae on 2 threads
// 0.96x and 0.98x).
const UNIT_KMAC: i64 = 32;
const FIRST: f64 = 0.8;
const MAX_UNITS: i64 = 4096;
// an Adam float costs about as much as 16 multiply-adds (a sqrt, two divisions, loads and stores):
// the update goes through the pool from P_MIN * 1024 / 16 floats

// this instance's pool (0: none, products run alone); a wasm global, so per thread
let POOL: usize = 0;
// true while this thread computes a shard: its products and updates run alone (no job inside a job)
let SOLO = false;
// where the job being read lies (P_JOB or P_JOB2 of POOL); per thread
let JB: usize = 0;
// this thread's index t (0: the main thread), set as it takes a run: its lane in a member job; per thread
let LANE = 0;
// this thread's share of the last job it took units of (units taken / the job's units; -1: none yet),
// which sizes its first run of the next (FIRST); the job it counts now (its seq), its units and the
// job's units; per thread
let SHARE: f64 = -1;
let SHARE_SEQ = -1;
let SHARE_TAKEN = 0;
let SHARE_UNITS = 0;
// (pool_hold's state is P_HOLD, in the control block rather than in globals, so that the bindings can
// clear it after a call that failed between pool_hold and pool_release: PoolHandle.settle)


/** The main thread's instance takes part in the pool at p (0: leave it). */
export function pool_attach(p: usize): void { POOL = p; }

// @ts-ignore: decorator
@inline function job(i: i32): i32 { return load<i32>(JB + (<usize>i << 2)); }

// @ts-ignore: decorator
@inline function jobf(i: i32): f32 { return load<f32>(JB + (<usize>i << 2)); }

/** A product splits by 8-column strips when it has enough of them for every thread to take several, else by 12-row blocks. */
// @ts-ignore: decorator
@inline function by_strips(N: i32, T: i32): bool { return ((N + 7) >> 3) >= 8 * T; }

/** Rows per unit of a strip-split product (a multiple of 12; see UNIT_KMAC). */
// @ts-ignore: decorator
@inline function unit_rows(M: i32, K: i32): i32 {
  const r = <i32>min<i64>(<i64>M, (UNIT_KMAC << 10) / (<i64>max(K, 1) << 3) + 1);
  return (r + 11) / 12 * 12;
}

/** How many units the published job has (see MAX_UNITS); any split gives the same bits. */
function unit_count(T: i32): i32 {
  if (job(0) == JOB_SHARDS || job(0) == JOB_ROWS) return shard_count(<usize>job(1));
  if (job(0) == JOB_GATHER) return min(job(4), 16);
  if (job(0) == JOB_LOSS) return min(job(5), 16);
  if (job(0) == JOB_NOISE) return min(job(6), 16);
  if (job(0) == JOB_DRAWS) return min(job(5), 16);
  if (job(0) == JOB_CAE) return min(job(9), 64);
  if (job(0) == JOB_KNN) return min((job(7) + 3) >> 2, 64);
  if (job(0) == JOB_MEMBERS) return job(8) - job(7);
  if (job(0) == JOB_ENS_ROWS) return min((job(3) + 15) >> 4, 64);
  if (job(0) == JOB_ENS_STATS) return job(4);
  if (job(0) == JOB_ADAM || job(0) == JOB_UPDATE) {
    // ranges of whole f32x4 groups, each about UNIT_KMAC thousand multiply-adds' worth (an SGD or momentum float: 4)
    const n4 = job(5) >> 2, cost = job(0) == JOB_ADAM ? 4 : 2;
    return max(1, <i32>min<i64>(<i64>n4, min<i64>(MAX_UNITS, (<i64>job(5) << cost) / (UNIT_KMAC << 10))));
  }
  const M = job(1), N = job(2), K = job(3);
  if (!by_strips(N, T)) return <i32>min<i64>(MAX_UNITS, <i64>((M + 11) / 12));
  // strips x row groups; when that is more than MAX_UNITS, the row groups grow (unit_groups)
  return ((N + 7) >> 3) * unit_groups(M, K, (N + 7) >> 3);
}

/** Row groups per strip of a strip-split product: M / unit_rows, at most MAX_UNITS / strips (and at least 1). */
function unit_groups(M: i32, K: i32, strips: i32): i32 {
  const g = (M + unit_rows(M, K) - 1) / unit_rows(M, K);
  return max(1, min(g, <i32>(MAX_UNITS / <i64>strips)));
}

/** Row range [m0, m1) of group g of G over M rows, in whole 12-row blocks. */
// @ts-ignore: decorator
@inline function group_row(g: i32, G: i32, M: i32): i32 {
  const blocks = (M + 11) / 12;
  return min(M, 12 * <i32>(<i64>blocks * g / G));
}

/**
 * The part of the product over rows [m0, m1) and columns [n0, n1) (n0 a multiple of 8); with a colsum
 * (pool_colsum: the job's slot 14 holds db), the unit that holds row 0 also sums B's K rows over
 * those columns into db (slot 15: adding to it).
 */
function gemm_part(m0: i32, m1: i32, n0: i32, n1: i32): void {
  if (m0 >= m1 || n0 >= n1) return;
  const db = <usize>job(14);
  if (db != 0 && m0 == 0) f32_colsum(db + (<usize>n0 << 2), <usize>job(7) + (<usize>n0 << 2), job(3), n1 - n0, job(15) != 0, job(8));
  const bt = job(0) != 0, K = job(3);
  const a = <usize>job(4), sam = job(5), sak = job(6), b = <usize>job(7), ldb = job(8);
  const c = <usize>job(9), ldc = job(10), bias = <usize>job(11), mode = job(12), act = job(13);
  const bn = bt ? b + (<usize>n0 * <usize>ldb << 2) : b + (<usize>n0 << 2);
  gemm_kblocks(m1 - m0, n1 - n0, K, a + (<usize>(m0 * sam) << 2), sam, sak, bn, ldb, bt,
               c + (<usize>(m0 * ldc + n0) << 2), ldc, bias + (<usize>n0 << 2), mode, act);
}

/** Computes units [u0, u1) of n of the published job (any thread; see unit_count). */
function run_units(u0: i32, u1: i32, n: i32): void {
  if (job(0) == JOB_SHARDS || job(0) == JOB_ROWS) {
    SOLO = true;
    for (let s = u0; s < u1; s++) {
      if (job(0) == JOB_SHARDS) shard_run(<usize>job(1), <usize>job(2), <usize>job(3), job(4), s, job(5));
      else rows_shard(<usize>job(1), <usize>job(2), job(3), job(4), job(5), <usize>job(6), job(7) != 0, s);
    }
    SOLO = false;
    return;
  }
  if (job(0) == JOB_GATHER) {
    const R = job(4), r0 = <i32>(<i64>R * u0 / n), r1 = <i32>(<i64>R * u1 / n), C = job(5);
    gather(<usize>job(1) + (<usize>r0 * <usize>C << 2), <usize>job(2), <usize>job(3) + (<usize>r0 << 2), r1 - r0, C);
    return;
  }
  if (job(0) == JOB_LOSS) {
    const R = job(5), r0 = <i32>(<i64>R * u0 / n), r1 = <i32>(<i64>R * u1 / n);
    if (r0 < r1) loss_part(job(1), <usize>job(2), <usize>job(3), <usize>job(4), r0, r1, job(6), job(7) != 0, job(8), jobf(9), job(10), <usize>job(11));
    return;
  }
  if (job(0) == JOB_NOISE) {
    const R = job(6), r0 = <i32>(<i64>R * u0 / n), r1 = <i32>(<i64>R * u1 / n);
    if (r0 < r1) noise_part(<usize>job(1), <usize>job(2), <usize>job(3), <usize>job(4), <usize>job(5), r0, r1, job(7), jobf(8), load<u64>(JB, 40), ws_scratch());
    return;
  }
  if (job(0) == JOB_DRAWS) {
    const R = job(5), r0 = <i32>(<i64>R * u0 / n), r1 = <i32>(<i64>R * u1 / n);
    if (r0 < r1) draws_part(job(1), <usize>job(2), <usize>job(3), <usize>job(4), r0, r1, job(6), jobf(7), load<u64>(JB, 32), load<u64>(JB, 40), <u64>job(12), ws_scratch());
    return;
  }
  if (job(0) == JOB_CAE) {
    const N = job(9), a = <i32>(<i64>N * u0 / n), b = <i32>(<i64>N * u1 / n);
    if (a < b) cae_phase(<usize>job(1), <usize>job(2), job(3), job(4), job(5), job(6), job(7), jobf(8), a, b, LANE);
    return;
  }
  if (job(0) == JOB_MEMBERS) {
    SOLO = true;
    for (let u = u0; u < u1; u++) member_epoch(<usize>job(1), <usize>job(2), <usize>job(3), job(4), job(6), job(7) + u, job(5), LANE);
    SOLO = false;
    return;
  }
  if (job(0) == JOB_ENS_STATS) {
    const ctx = <usize>job(1), lc = lane_ctx(ctx, LANE);
    SOLO = true;
    for (let u = u0; u < u1; u++) {
      member_stats(lc, <usize>job(2), job(3), job(9) + u, u, <usize>job(5), <usize>job(6), <usize>job(7), <usize>job(8), <usize>job(13), cp(ctx, C_PARAMS), job(10), job(11), job(12));
    }
    SOLO = false;
    return;
  }
  if (job(0) == JOB_ENS_ROWS) {
    const ctx = <usize>job(1), N = job(3), r0 = <i32>(<i64>N * u0 / n), r1 = <i32>(<i64>N * u1 / n);
    if (r0 >= r1) return;
    SOLO = true;
    ens_rows_on(lane_ctx(ctx, LANE), <usize>job(2), r0, r1, <usize>job(4), job(5), <usize>job(6), cp(ctx, C_PARAMS));
    SOLO = false;
    return;
  }
  if (job(0) == JOB_KNN) {
    // whole fours of rows (the last range takes the remainder): each row's term is the same in any range
    const G = (job(7) + 3) >> 2, r0 = min(job(7), <i32>(<i64>G * u0 / n) << 2), r1 = min(job(7), <i32>(<i64>G * u1 / n) << 2);
    if (r0 < r1) knn_rows(<usize>job(1), job(2), <usize>job(3), job(4), <usize>job(5), <usize>job(6), r0, r1, <usize>job(8), job(9) != 0, jobf(10), jobf(11), <usize>job(12));
    return;
  }
  if (job(0) == JOB_UPDATE) {
    const n4 = job(5) >> 2;
    const i0 = <i32>(<i64>n4 * u0 / n) << 2, i1 = <i32>(<i64>n4 * u1 / n) << 2;
    if (i0 >= i1) return;
    const o = <usize>i0 << 2;
    if (job(9) == OPT_MOMENTUM) momentum_update(<usize>job(1) + o, <usize>job(2) + o, <usize>job(3) + o, i1 - i0, jobf(6), jobf(7), jobf(8), job(4) != 0, <usize>job(10) + o, false);
    else sgd_update(<usize>job(1) + o, <usize>job(2) + o, i1 - i0, jobf(6), jobf(8), <usize>job(10) + o, false);
    return;
  }
  if (job(0) == JOB_ADAM) {
    // ranges of whole f32x4 groups: every float gets the same arithmetic as in one pass
    const n4 = job(5) >> 2;
    const i0 = <i32>(<i64>n4 * u0 / n) << 2, i1 = <i32>(<i64>n4 * u1 / n) << 2;
    if (i0 >= i1) return;
    const o = <usize>i0 << 2;
    adam_update(<usize>job(1) + o, <usize>job(2) + o, <usize>job(3) + o, <usize>job(4) + o, i1 - i0, jobf(6), jobf(7), jobf(8), jobf(9), jobf(10),
                job(11) != 0, load<f64>(JB + 48), load<f64>(JB + 56), <usize>job(16) + o, false);
    return;
  }
  const M = job(1), N = job(2), K = job(3);
  if (!by_strips(N, load<i32>(POOL + P_NT))) {
    gemm_part(group_row(u0, n, M), group_row(u1, n, M), 0, N);
    return;
  }
  // units strip-major: unit u is row group u % G of strip u / G
  const G = unit_groups(M, K, (N + 7) >> 3);
  let s0 = u0 / G, g0 = u0 % G;
  const s1 = u1 / G, g1 = u1 % G;   // the run ends before group g1 of strip s1
  if (s0 == s1) { gemm_part(group_row(g0, G, M), group_row(g1, G, M), s0 << 3, min(N, (s0 + 1) << 3)); return; }
  if (g0 > 0) { gemm_part(group_row(g0, G, M), M, s0 << 3, min(N, (s0 + 1) << 3)); s0++; }
  gemm_part(0, M, s0 << 3, min(N, s1 << 3));            // whole strips s0 .. s1-1 in one call
  if (g1 > 0) gemm_part(0, group_row(g1, G, M), s1 << 3, min(N, (s1 + 1) << 3));
}

/**
 * Takes the next run of units of job `seq` (P_NEXT holds seq << 32 | units << 16 | next unit, so a
 * thread still on an older job can never take units of a newer one), computes it and counts its units
 * done; returns how many it took, 0 when the job has no unit left.
 */
function take_run(pool: usize, seq: i32, t: i32): i32 {
  const tag = <i64><u32>seq, T = load<i32>(pool + P_NT), crash = load<i32>(pool + P_CRASH);
  // (debug: while thread `crash` is set to trap, the others leave every run to it, so it takes one
  // however the threads are scheduled: the tests of the failure path)
  if (crash >= 0 && crash != t) return 0;
  if (seq != SHARE_SEQ) {
    if (SHARE_UNITS > 0) SHARE = <f64>SHARE_TAKEN / <f64>SHARE_UNITS;
    SHARE_SEQ = seq; SHARE_TAKEN = 0; SHARE_UNITS = 0;
  }
  let v = atomic.load<i64>(pool + P_NEXT);
  while (true) {
    if (<i64>(<u64>v >> 32) != tag) return 0;
    const n = <i32>(v >> 16) & 0xFFFF, i = <i32>v & 0xFFFF;
    if (i >= n) return 0;
    let run = max(1, (n - i) / T);
    if (SHARE_TAKEN == 0 && n >= 16 * T) run = min(run, max(1, <i32>(FIRST * (SHARE >= 0 ? SHARE : 1 / <f64>T) * <f64>n)));
    const seen = atomic.cmpxchg<i64>(pool + P_NEXT, v, v + <i64>run);
    if (seen != v) { v = seen; continue; }
    SHARE_TAKEN += run; SHARE_UNITS = n;
    // (debug: thread t traps holding a run, so the job cannot finish: the tests of the failure path)
    if (crash == t) unreachable();
    // the job's arguments were stored before P_NEXT got this tag, and stay until every unit is done
    LANE = t;
    const na = load<i32>(pool + P_NA);
    if (na == 0) { JB = pool + P_JOB; run_units(i, i + run, n); }
    else {
      if (i < na) { JB = pool + P_JOB; run_units(i, min(i + run, na), na); }
      if (i + run > na) { JB = pool + P_JOB2; run_units(max(i, na) - na, i + run - na, n - na); }
    }
    if (atomic.sub<i32>(pool + P_LEFT, run) == run) atomic.notify(pool + P_LEFT, 1);
    return run;
  }
}

/**
 * The thread count when the pool can take a job of about `work` multiply-adds (at least P_MIN * 1024; -1: any size),
 * else 0: no pool, inside a job (SOLO), one thread, or a worker has failed (pool_threads). The pool_* jobs start with it.
 */
function pool_open(work: i64): i32 {
  const T = pool_threads();
  return T < 2 || (work >= 0 && work < (<i64>load<i32>(POOL + P_MIN) << 10)) ? 0 : T;
}

/**
 * The product through the pool, when there is one, it is large enough and no worker has failed:
 * returns false to let the caller compute it alone. Same arguments as gemm_kblocks.
 */
export function pool_gemm(M: i32, N: i32, K: i32, a: usize, sam: i32, sak: i32, b: usize, ldb: i32, bt: bool,
                          c: usize, ldc: i32, bias: usize, mode: i32, act: i32): bool {
  const T = pool_open(<i64>M * <i64>N * <i64>K);
  if (T == 0) return false;
  if (N > <i32>(MAX_UNITS << 3)) return false;   // (more strips than the counter's units: alone)
  const j = slot();
  store<i32>(j, bt ? 1 : 0); store<i32>(j, M, 4); store<i32>(j, N, 8); store<i32>(j, K, 12);
  store<i32>(j, <i32>a, 16); store<i32>(j, sam, 20); store<i32>(j, sak, 24); store<i32>(j, <i32>b, 28);
  store<i32>(j, ldb, 32); store<i32>(j, <i32>c, 36); store<i32>(j, ldc, 40); store<i32>(j, <i32>bias, 44);
  store<i32>(j, mode, 48); store<i32>(j, act, 52);
  // a colsum rides along only on a product with B not transposed (dense_backward's dW: B = d)
  store<i32>(j, bt ? 0 : <i32>CS_DST, 56); store<i32>(j, CS_ACC ? 1 : 0, 60);
  if (!bt) CS_DST = 0;   // taken (pool_colsum_taken)
  submit(T);
  return true;
}

// pool_colsum's request, 0 once a product took it (per thread: only the main thread publishes jobs)
let CS_DST: usize = 0;
let CS_ACC = false;

/**
 * The next product, if it goes through the pool (B not transposed, K rows of it), also sums B's columns
 * over its K rows into db (acc: adding to it), each column in row order as f32_colsum: the bias
 * gradient with dW's product (dense.ts dense_backward). pool_colsum_taken() then says whether it did.
 */
export function pool_colsum(db: usize, acc: bool): void { CS_DST = db; CS_ACC = acc; }

/** Whether the product after pool_colsum took its colsum (else the caller sums); clears the request. */
export function pool_colsum_taken(): bool { const t = CS_DST == 0; CS_DST = 0; return t; }

/**
 * From here to pool_release, a job that would go through the pool waits (at P_JOB) for the next one,
 * and the two run as one job: the caller promises that neither reads nor writes what the other writes,
 * and that nothing the held one writes is read before pool_release (dense_backward's dW and dX; an
 * optimizer step and the next batch's gather).
 */
export function pool_hold(): void { if (POOL != 0 && !SOLO) store<i32>(POOL + P_HOLD, 1); }

/** Runs a held job alone (if any) and ends pool_hold. */
export function pool_release(): void {
  if (POOL == 0 || SOLO) return;
  const held = load<i32>(POOL + P_HOLD) == 2;
  store<i32>(POOL + P_HOLD, 0);
  if (held) run_job(load<i32>(POOL + P_NT), false);
}

/**
 * hot: a training epoch starts (train.ts train_rows); its jobs follow one another within microseconds,
 * so the workers poll for them without blocking until it ends (hot false), across the epoch's calls and the host's
 * turns between them (for HOT_POLLS at most). The bindings clear it too when a fit() ends, whatever happened
 * (bindings/threads.ts settle). P_HOT holds how many threads poll: all T, or for a sharded model's epoch
 * (shards > 0, its shard count) at most that many, whose batches' work is one unit a shard: threads beyond those (threads: 'auto' on a
 * machine of more cores) block between jobs as outside an epoch, instead of polling through every job with no
 * unit for them. The jobs are the same; only who waits how changes (never the bits).
 */
export function pool_hot(hot: bool, shards: i32 = 0): void {
  if (POOL != 0 && !SOLO) atomic.store<i32>(POOL + P_HOT, hot ? (shards > 0 ? min(load<i32>(POOL + P_NT), shards) : load<i32>(POOL + P_NT)) : 0);
}

/** Where the next job's arguments go: P_JOB, or P_JOB2 when one is held. */
// @ts-ignore: decorator
@inline function slot(): usize { return POOL + (load<i32>(POOL + P_HOLD) == 2 ? P_JOB2 : P_JOB); }

/** Runs the job just written at slot() (with the held one, as a pair), or holds it (pool_hold). */
function submit(T: i32): void {
  const hold = load<i32>(POOL + P_HOLD);
  if (hold == 1) { store<i32>(POOL + P_HOLD, 2); return; }
  if (hold == 2) store<i32>(POOL + P_HOLD, 1);   // (the pair runs; a next job would be held again)
  run_job(T, hold == 2);
}

/**
 * Rows idx[0..R) of src (row width C) to dst's rows 0..R through the pool (train.ts gather), in
 * ranges of rows; false: the caller copies them.
 */
export function pool_gather(dst: usize, src: usize, idx: usize, R: i32, C: i32): bool {
  // (fewer than P_MIN * 64 floats, 128 KB at the bindings' default: the caller's own copy costs less than a job)
  const T = pool_open((<i64>R * <i64>C) << 4);
  if (T == 0) return false;
  const j = slot();
  store<i32>(j, JOB_GATHER); store<i32>(j, <i32>dst, 4); store<i32>(j, <i32>src, 8); store<i32>(j, <i32>idx, 12);
  store<i32>(j, R, 16); store<i32>(j, C, 20);
  submit(T);
  return true;
}

/**
 * A noisy batch's R rows of D through the pool (train.ts train_rows, noise_part): gathered from x by idx into bin (and
 * btgt, unless 0), the noise added to bin's from the noise stream's draw ctr on. False: the caller does it alone (no
 * pool, or fewer than P_MIN * 64 values).
 */
export function pool_noise(ctx: usize, bin: usize, btgt: usize, x: usize, idx: usize, R: i32, D: i32, amount: f32, ctr: u64): bool {
  // (a normal costs about 16 ns here, as many multiply-adds as P_MIN counts per 1024 for about 16 values: Adam's rate)
  const T = pool_open(<i64>R * <i64>D << 4);
  if (T == 0) return false;
  const j = slot();
  store<i32>(j, JOB_NOISE); store<i32>(j, <i32>ctx, 4); store<i32>(j, <i32>bin, 8); store<i32>(j, <i32>btgt, 12); store<i32>(j, <i32>x, 16);
  store<i32>(j, <i32>idx, 20); store<i32>(j, R, 24); store<i32>(j, D, 28); store<f32>(j, amount, 32); store<u64>(j, ctr, 40);
  submit(T);
  return true;
}

/**
 * A training dropout node's masks (op A.OP_DROPOUT: W uniforms a row) or a sampling node's normals (A.OP_SAMPLE: W
 * units, two draws each) for R rows through the pool (train.ts net_forward, draws_part), in ranges of rows, each
 * drawing from the stream at s (key, the batch's first row's counter) moved past the rows before it, `per` draws a row
 * (train.ts node_draws). False: the caller
 * draws alone (no pool, or fewer than P_MIN * 64 floats' worth, a draw counted as 8: a uniform about 10 ns here with
 * its stores, a normal (two draws) 16, against a loss float's 1).
 */
export function pool_draws(op: i32, x: usize, y: usize, aux: usize, R: i32, W: i32, rate: f32, s: usize, per: u64): bool {
  const T = pool_open(<i64>R * <i64>per << 7);
  if (T == 0) return false;
  const j = slot();
  store<i32>(j, JOB_DRAWS); store<i32>(j, op, 4); store<i32>(j, <i32>x, 8); store<i32>(j, <i32>y, 12); store<i32>(j, <i32>aux, 16);
  store<i32>(j, R, 20); store<i32>(j, W, 24); store<f32>(j, rate, 28); store<u64>(j, load<u64>(s), 32); store<u64>(j, load<u64>(s, 8), 40);
  store<i32>(j, <i32>per, 48);
  submit(T);
  return true;
}

/**
 * A phase of the contractive penalty's chunk of nr rows from row r0 through the pool (contractive.ts cae_run), in ranges
 * of its n rows; false: the caller runs it alone (no pool, or a phase of fewer than P_MIN * 1024 / 4 multiply-adds
 * `cost`. Its loops once ran about 4 times slower a multiply-add than the products; a row's pipeline now runs near
 * them, but with this threshold a chunk of 16 rows of a 30-16-8 encoder still goes through the pool: 1.29-1.42x on two
 * threads in this VM's slow phases, 0.89-0.97x in its fast ones, session 67).
 */
export function pool_cae(ctx: usize, x: usize, E: i32, r0: i32, nr: i32, ch: i32, phase: i32, scale: f32, n: i32, cost: i64): bool {
  const T = n < 2 ? 0 : pool_open(cost << 2);
  if (T == 0) return false;
  const j = slot();
  store<i32>(j, JOB_CAE); store<i32>(j, <i32>ctx, 4); store<i32>(j, <i32>x, 8); store<i32>(j, E, 12); store<i32>(j, r0, 16);
  store<i32>(j, nr, 20); store<i32>(j, ch, 24); store<i32>(j, phase, 28); store<f32>(j, scale, 32); store<i32>(j, n, 36);
  submit(T);
  return true;
}

/**
 * A chunk's reconstruction term through the pool (train.ts terms_forward, loss.ts loss_part) in ranges of
 * rows: the R row sums into sums, the gradient (times wgt, then f'(p) of act unless fused) into d;
 * false: the caller computes them alone (no pool, or fewer than P_MIN * 64 floats).
 */
export function pool_loss(loss: i32, d: usize, p: usize, t: usize, R: i32, C: i32, fused: bool, N: i32, wgt: f32, act: i32, sums: usize): bool {
  const T = pool_open((<i64>R * <i64>C) << 4);
  if (T == 0) return false;
  const j = slot();
  store<i32>(j, JOB_LOSS); store<i32>(j, loss, 4); store<i32>(j, <i32>d, 8); store<i32>(j, <i32>p, 12); store<i32>(j, <i32>t, 16);
  store<i32>(j, R, 20); store<i32>(j, C, 24); store<i32>(j, fused ? 1 : 0, 28); store<i32>(j, N, 32); store<f32>(j, wgt, 36);
  store<i32>(j, act, 40); store<i32>(j, <i32>sums, 44);
  submit(T);
  return true;
}

/** Adam's update through the pool (see optim.ts adam_update); false: the caller runs it alone. */
export function pool_adam(w: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, beta1: f32, beta2: f32,
                          eps: f32, wd: f32, decoupled: bool, b1t: f64, b2t: f64, wo: usize): bool {
  const T = pool_open(<i64>n << 4);
  if (T == 0) return false;
  const j = slot();
  store<i32>(j, JOB_ADAM); store<i32>(j, <i32>w, 4); store<i32>(j, <i32>g, 8); store<i32>(j, <i32>m, 12); store<i32>(j, <i32>v, 16);
  store<i32>(j, n, 20); store<f32>(j, lr, 24); store<f32>(j, beta1, 28); store<f32>(j, beta2, 32); store<f32>(j, eps, 36);
  store<f32>(j, wd, 40); store<i32>(j, decoupled ? 1 : 0, 44); store<f64>(j, b1t, 48); store<f64>(j, b2t, 56); store<i32>(j, <i32>wo, 64);
  submit(T);
  return true;
}

/** SGD's or momentum's update through the pool (optim.ts sgd_update, momentum_update; buf 0 for SGD); false: the caller runs it alone. */
export function pool_update(kind: i32, w: usize, g: usize, buf: usize, n: i32, lr: f32, mu: f32, wd: f32, first: bool, wo: usize): bool {
  const T = pool_open(<i64>n << 2);
  if (T == 0) return false;
  const j = slot();
  store<i32>(j, JOB_UPDATE); store<i32>(j, <i32>w, 4); store<i32>(j, <i32>g, 8); store<i32>(j, <i32>buf, 12); store<i32>(j, first ? 1 : 0, 16);
  store<i32>(j, n, 20); store<f32>(j, lr, 24); store<f32>(j, mu, 28); store<f32>(j, wd, 32); store<i32>(j, kind, 36); store<i32>(j, <i32>wo, 40);
  submit(T);
  return true;
}

/** A sharded model's batch through the pool (train.ts net_grads), a shard per unit; false: the caller runs the shards in turn. */
export function pool_shards(ctx: usize, x: usize, t: usize, R: i32, phase: i32): bool {
  const T = pool_open(-1);
  if (T == 0) return false;
  const j = slot();
  store<i32>(j, JOB_SHARDS); store<i32>(j, <i32>ctx, 4); store<i32>(j, <i32>x, 8); store<i32>(j, <i32>t, 12); store<i32>(j, R, 16);
  store<i32>(j, phase, 20);
  submit(T);
  return true;
}

/**
 * A chunk's density terms through the pool (density.ts knn_rows over rows 0 .. B-1, in ranges of fours);
 * false: the caller computes them alone (no pool, or fewer than P_MIN * 1024 distance terms B R L).
 */
export function pool_knn(z: usize, L: i32, ref: usize, R: i32, selfR: usize, selfs: usize, B: i32, dst: usize, add: bool, c: f32, tMed: f32, kd: usize): bool {
  const T = B < 8 ? 0 : pool_open(<i64>B * <i64>R * <i64>L);
  if (T == 0) return false;
  const j = slot();
  store<i32>(j, JOB_KNN); store<i32>(j, <i32>z, 4); store<i32>(j, L, 8); store<i32>(j, <i32>ref, 12); store<i32>(j, R, 16);
  store<i32>(j, <i32>selfR, 20); store<i32>(j, <i32>selfs, 24); store<i32>(j, B, 28); store<i32>(j, <i32>dst, 32);
  store<i32>(j, add ? 1 : 0, 36); store<f32>(j, c, 40); store<f32>(j, tMed, 44); store<i32>(j, <i32>kd, 48);
  submit(T);
  return true;
}

/** The pool's threads when a job can go through it now (a pool, not inside a job, no worker failed), else 0. */
export function pool_threads(): i32 {
  if (POOL == 0 || SOLO || atomic.load<i32>(POOL + P_DEAD) != 0) return 0;
  return load<i32>(POOL + P_NT);
}

/** Members k0..k1-1 of an ensemble's epoch through the pool, a member per unit (ensemble.ts ens_epoch, after pool_threads() said it can). */
export function pool_members(ctx: usize, x: usize, perms: usize, R: i32, K: i32, batch: i32, k0: i32, k1: i32): void {
  const j = slot();
  store<i32>(j, JOB_MEMBERS); store<i32>(j, <i32>ctx, 4); store<i32>(j, <i32>x, 8); store<i32>(j, <i32>perms, 12);
  store<i32>(j, R, 16); store<i32>(j, K, 20); store<i32>(j, batch, 24); store<i32>(j, k0, 28); store<i32>(j, k1, 32);
  submit(load<i32>(POOL + P_NT));
}

/**
 * An ensemble's scores of n rows through the pool, ranges of rows on the threads' lanes (ensemble.ts
 * ens_score_rows); false: the caller runs them alone (no pool or lanes, or fewer than P_MIN * 1024
 * multiply-adds: rows x members x the params of one).
 */
export function pool_ens_rows(ctx: usize, x: usize, n: i32, out: usize, K: i32, stats: usize): bool {
  const T = pool_threads(), lanes = cp(ctx, LN_FIELD);
  if (T < 2 || lanes == 0 || T > load<i32>(lanes + LN_N) || n < 2) return false;
  if (<i64>n * <i64>K * <i64>ci(ctx, C_NPARAMS) < (<i64>load<i32>(POOL + P_MIN) << 10)) return false;
  const j = slot();
  store<i32>(j, JOB_ENS_ROWS); store<i32>(j, <i32>ctx, 4); store<i32>(j, <i32>x, 8); store<i32>(j, n, 12);
  store<i32>(j, <i32>out, 16); store<i32>(j, K, 20); store<i32>(j, <i32>stats, 24);
  submit(T);
  return true;
}

/**
 * Part `part` of members k0..k1-1's statistics through the pool, a member per unit on the threads' lanes (ensemble.ts
 * ens_stats: e and tmp hold a share per member of k0..k1-1); false: the caller computes them alone.
 */
export function pool_ens_stats(ctx: usize, x: usize, S: i32, stats: usize, idx: usize, e: usize, tmp: usize, rec: usize, k0: i32, k1: i32, part: i32, a: i32, b: i32): bool {
  const T = pool_threads(), lanes = cp(ctx, LN_FIELD);
  if (T < 2 || lanes == 0 || T > load<i32>(lanes + LN_N) || k1 - k0 < 2) return false;
  const j = slot();
  store<i32>(j, JOB_ENS_STATS); store<i32>(j, <i32>ctx, 4); store<i32>(j, <i32>x, 8); store<i32>(j, S, 12);
  store<i32>(j, k1 - k0, 16); store<i32>(j, <i32>stats, 20); store<i32>(j, <i32>idx, 24); store<i32>(j, <i32>e, 28); store<i32>(j, <i32>tmp, 32);
  store<i32>(j, k0, 36); store<i32>(j, part, 40); store<i32>(j, a, 44); store<i32>(j, b, 48); store<i32>(j, <i32>rec, 52);
  submit(T);
  return true;
}

/** A sharded model's rows through the pool (train.ts rows_through), a shard of them per unit; false: the caller runs them alone. */
export function pool_rows(ctx: usize, x: usize, n: i32, l0: i32, l1: i32, out: usize, scoring: bool): bool {
  const T = pool_open(-1);
  if (T == 0) return false;
  const j = slot();
  store<i32>(j, JOB_ROWS); store<i32>(j, <i32>ctx, 4); store<i32>(j, <i32>x, 8); store<i32>(j, n, 12); store<i32>(j, l0, 16);
  store<i32>(j, l1, 20); store<i32>(j, <i32>out, 24); store<i32>(j, scoring ? 1 : 0, 28);
  submit(T);
  return true;
}

/**
 * Publishes the job written at P_JOB (with pair, and the one at P_JOB2 after its units) in units, takes
 * runs until none is left, waits for the workers' (or a failure).
 */
function run_job(T: i32, pair: bool): void {
  JB = POOL + P_JOB;
  let n = unit_count(T);
  if (pair) {
    store<i32>(POOL + P_NA, n);
    JB = POOL + P_JOB2;
    n += unit_count(T);
  } else store<i32>(POOL + P_NA, 0);
  assert(n >= 1 && n <= <i32>(MAX_UNITS << 1));   // P_NEXT holds the unit counts in 16 bits
  const seq = load<i32>(POOL + P_SEQ) + 1;   // only this thread writes SEQ during jobs (the bindings' close() bumps it between them)
  // the job's plain stores happen before these sequentially consistent ones, which workers read
  atomic.store<i32>(POOL + P_LEFT, n);
  atomic.store<i64>(POOL + P_NEXT, (<i64><u32>seq << 32) | (<i64>n << 16));
  atomic.store<i32>(POOL + P_SEQ, seq);
  // (no more than the job's units less the main thread's: a worker woken beyond them would find none; all of them
  // while a thread is set to trap, which the others leave every run to: debug)
  atomic.notify(POOL + P_SEQ, load<i32>(POOL + P_CRASH) >= 0 ? T - 1 : min(T, n) - 1);
  while (take_run(POOL, seq, 0) != 0) {}
  const canWait = load<i32>(POOL + P_WAIT) != 0, spin = load<i32>(POOL + P_SPIN);
  let polls = 0;
  while (true) {
    const left = atomic.load<i32>(POOL + P_LEFT);
    if (left == 0) break;
    // a failed worker never counts its run down: the run is lost, the bindings reject the call
    if (atomic.load<i32>(POOL + P_DEAD) != 0) break;
    if (canWait && ++polls > spin) atomic.wait<i32>(POOL + P_LEFT, left, 20_000_000);   // 20 ms, then look at DEAD again
  }
}

/** A worker's polls for the next job while an epoch runs (P_HOT), before it blocks: about 24 ms here. */
const HOT_POLLS = 20_000_000;

/** A worker's life (thread t): wait for a job, take runs of its units while there are any; returns when STOP is set. */
export function thread_run(pool: usize, t: i32): void {
  let seen = 0;   // SEQ starts at 0 and no job is published before every worker has started
  const spin = load<i32>(pool + P_SPIN);
  while (true) {
    let s = atomic.load<i32>(pool + P_SEQ), polls = 0;
    while (s == seen) {
      // (not while an epoch runs, for the P_HOT threads it keeps busy: a worker that blocked between its jobs woke too
      // late for the next one; but at most HOT_POLLS, about 24 ms, while the host has its turn between two calls of an
      // epoch: bindings/index.ts fit)
      if (++polls > spin && (atomic.load<i32>(pool + P_HOT) <= t || polls > HOT_POLLS)) atomic.wait<i32>(pool + P_SEQ, seen, -1);
      s = atomic.load<i32>(pool + P_SEQ);
    }
    seen = s;
    if (atomic.load<i32>(pool + P_STOP) != 0) return;
    POOL = pool;
    while (take_run(pool, s, t) != 0) {}
  }
}
