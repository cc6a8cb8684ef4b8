// threads.ts: the wasm side of the thread pool (threaded build only: kernels-mt.wasm, shared memory).
// A product C = A.B that is large enough is split by output tiles: runs of whole 8-column strips of
// C (or, when C has few strips, runs of 6-row blocks), in chunks of about CHUNK_KMAC thousand
// multiply-adds that the threads take one at a time from a shared counter, each computed by the same
// gemm_kblocks as the single-threaded path in the taker's own workspace. Every element of C still sums
// init, then k = 0..K-1 in order (gemm.ts: every tile gives the scalar kernel's bits), so the result
// is bit-identical whatever the thread count, the split, or which thread took which chunk. Adam's
// update (elementwise) is split the same way, by ranges of the flat parameter block. The epoch loop,
// activations and losses stay on the calling (main) thread.
// Synchronisation: the main thread publishes a job (its arguments, then the chunk counter tagged with
// the job's generation, then SEQ + 1) and wakes the workers (ae_thread_run: polling, then blocked in
// memory.atomic.wait32 between jobs); every thread, the main one included, takes chunks until none is
// left, and counts LEFT down per chunk done; the main thread then waits for LEFT = 0 (spinning where it
// may not block: a browser's main thread). A worker that wakes late finds fewer chunks, or none: the
// main thread never waits for a share nobody has started.
// Dims: M rows of C, N columns, K the shared dimension; T threads (main = thread 0).

import { gemm_kblocks } from './gemm';
import { adam_update } from './optim';

// the control block (POOL_BYTES at a 16-byte-aligned arena offset; the bindings mirror it in threads.ts)
const P_SEQ = 0;     // i32 job generation: the main thread adds 1 to start a job (or to wake workers to stop)
const P_LEFT = 4;    // i32 chunks of the current job not yet done
const P_STOP = 8;    // i32 1: workers return from ae_thread_run
const P_DEAD = 12;   // i32 1: a worker failed (set by the bindings); the main thread stops waiting, later products run alone
const P_NT = 16;     // i32 threads T (main + workers)
const P_WAIT = 20;   // i32 1: the main thread may block in wait32; 0: it spins (a browser's main thread)
const P_MIN = 24;    // i32 a product of fewer than P_MIN * 1024 multiply-adds (M * N * K) runs on the main thread alone
const P_CRASH = 28;  // i32 debug: worker t traps at the next chunk it takes when this is t (tests of the crash path)
const P_SPIN = 32;   // i32 polls of SEQ / LEFT before blocking (a job is often back within microseconds)
const P_NEXT = 40;   // i64 the job's generation << 32 | its chunks << 16 | the next chunk to take
const P_JOB = 48;    // the job: kind (0 GEMM, 1 GEMM with B transposed, 2 Adam), then its arguments (20 slots of 4 bytes)
export const POOL_BYTES: usize = 128;
// Adam jobs: w, g, m, v, n (i32), lr, beta1, beta2, eps, wd (f32), decoupled, then b1t, b2t (f64) at byte 48 / 56
const JOB_ADAM = 2;
// a chunk is about this many thousand multiply-adds (tens of microseconds), and a job has at most MAX_CHUNKS
const CHUNK_KMAC: i64 = 256;
const MAX_CHUNKS: i64 = 4096;
// an Adam float costs about as much as 16 multiply-adds (a sqrt, two divisions, loads and stores):
// the update goes through the pool from P_MIN * 1024 / 16 floats

// this instance's pool (0: none, products run alone); a wasm global, so per thread
let POOL: usize = 0;

/** The main thread's instance takes part in the pool at p (0: leave it). */
export function pool_attach(p: usize): void { POOL = p; }

// @ts-ignore: decorator
@inline function job(i: i32): i32 { return load<i32>(POOL + P_JOB + (<usize>i << 2)); }

// @ts-ignore: decorator
@inline function jobf(i: i32): f32 { return load<f32>(POOL + P_JOB + (<usize>i << 2)); }

/**
 * How many chunks the published job splits into: whole 8-column strips of C (or 6-row blocks when C
 * has few strips; Adam: ranges of f32x4 groups), about CHUNK_KMAC thousand multiply-adds each, at
 * least T and at most MAX_CHUNKS. Any split gives the same bits; small chunks let a thread that
 * starts late (a worker waking from wait32) take fewer, so no thread waits for another's share.
 */
function chunk_count(T: i32): i32 {
  let units: i32, work: i64;
  if (job(0) == JOB_ADAM) {
    units = job(5) >> 2;
    work = <i64>job(5) << 4;
  } else {
    const M = job(1), N = job(2), K = job(3);
    // a row block packs all of B again: a chunk of about CHUNK_KMAC has ~CHUNK_KMAC / (N K) rows, and
    // its packing is one pass over B, a small share of the chunk's work when N K is small (as in the
    // tall, narrow products of convolutions, which split by rows)
    units = by_strips(N, T) ? (N + 7) >> 3 : (M + 5) / 6;
    work = <i64>M * <i64>N * <i64>max(K, 1);
  }
  const want = <i32>min<i64>(MAX_CHUNKS, max<i64>(<i64>T, work / (CHUNK_KMAC << 10)));
  return max(1, min(units, want));
}

/** A product splits by 8-column strips when it has enough of them for every thread to take several, else by 6-row blocks. */
// @ts-ignore: decorator
@inline function by_strips(N: i32, T: i32): bool { return ((N + 7) >> 3) >= 8 * T; }

/** Computes chunk i of n of the published job (any thread; see chunk_count). */
function run_chunk(i: i32, n: i32): void {
  if (job(0) == JOB_ADAM) {
    // ranges of whole f32x4 groups: every float gets the same arithmetic as in one pass
    const n4 = job(5) >> 2;
    const i0 = <i32>(<i64>n4 * i / n) << 2, i1 = <i32>(<i64>n4 * (i + 1) / n) << 2;
    if (i0 >= i1) return;
    const o = <usize>i0 << 2;
    adam_update(<usize>job(1) + o, <usize>job(2) + o, <usize>job(3) + o, <usize>job(4) + o, i1 - i0, jobf(6), jobf(7), jobf(8), jobf(9), jobf(10),
                job(11) != 0, load<f64>(POOL + P_JOB + 48), load<f64>(POOL + P_JOB + 56), false);
    return;
  }
  const bt = job(0) != 0, M = job(1), N = job(2), K = job(3);
  const a = <usize>job(4), sam = job(5), sak = job(6), b = <usize>job(7), ldb = job(8);
  const c = <usize>job(9), ldc = job(10), bias = <usize>job(11), mode = job(12), act = job(13);
  const strips = (N + 7) >> 3;
  if (by_strips(N, load<i32>(POOL + P_NT))) {
    const s0 = <i32>(<i64>strips * i / n), s1 = <i32>(<i64>strips * (i + 1) / n);
    const n0 = s0 << 3, n1 = min(N, s1 << 3);
    if (n0 >= n1) return;
    const bn = bt ? b + (<usize>n0 * <usize>ldb << 2) : b + (<usize>n0 << 2);
    gemm_kblocks(M, n1 - n0, K, a, sam, sak, bn, ldb, bt, c + (<usize>n0 << 2), ldc, bias + (<usize>n0 << 2), mode, act);
  } else {
    const blocks = (M + 5) / 6;
    const m0 = min(M, 6 * <i32>(<i64>blocks * i / n)), m1 = min(M, 6 * <i32>(<i64>blocks * (i + 1) / n));
    if (m0 >= m1) return;
    gemm_kblocks(m1 - m0, N, K, a + (<usize>(m0 * sam) << 2), sam, sak, b, ldb, bt, c + (<usize>(m0 * ldc) << 2), ldc, bias, mode, act);
  }
}

/**
 * Takes the next chunk of job `seq` (P_NEXT holds seq << 32 | chunks << 16 | next index, so a thread
 * still on an older job can never take a chunk of a newer one), computes it and counts it done;
 * returns false when the job has no chunk left.
 */
function take_chunk(pool: usize, seq: i32, t: i32): bool {
  const tag = <i64><u32>seq;
  let v = atomic.load<i64>(pool + P_NEXT);
  while (true) {
    if (<i64>(<u64>v >> 32) != tag) return false;
    const n = <i32>(v >> 16) & 0xFFFF, i = <i32>v & 0xFFFF;
    if (i >= n) return false;
    const seen = atomic.cmpxchg<i64>(pool + P_NEXT, v, v + 1);
    if (seen != v) { v = seen; continue; }
    // (debug: thread t traps holding a chunk, so the job cannot finish: the tests of the failure path)
    if (load<i32>(pool + P_CRASH) == t) unreachable();
    // the job's arguments were stored before P_NEXT got this tag, and stay until every chunk is done
    run_chunk(i, n);
    if (atomic.sub<i32>(pool + P_LEFT, 1) == 1) atomic.notify(pool + P_LEFT, 1);
    return true;
  }
}

/**
 * The product through the pool, when there is one, it is large enough and no worker has failed:
 * returns false to let the caller compute it alone. Same arguments as gemm_kblocks.
 */
export function pool_gemm(M: i32, N: i32, K: i32, a: usize, sam: i32, sak: i32, b: usize, ldb: i32, bt: bool,
                          c: usize, ldc: i32, bias: usize, mode: i32, act: i32): bool {
  if (POOL == 0) return false;
  const T = load<i32>(POOL + P_NT);
  if (T < 2 || <i64>M * <i64>N * <i64>K < (<i64>load<i32>(POOL + P_MIN) << 10) || atomic.load<i32>(POOL + P_DEAD) != 0) return false;
  const j = POOL + P_JOB;
  store<i32>(j, bt ? 1 : 0); store<i32>(j, M, 4); store<i32>(j, N, 8); store<i32>(j, K, 12);
  store<i32>(j, <i32>a, 16); store<i32>(j, sam, 20); store<i32>(j, sak, 24); store<i32>(j, <i32>b, 28);
  store<i32>(j, ldb, 32); store<i32>(j, <i32>c, 36); store<i32>(j, ldc, 40); store<i32>(j, <i32>bias, 44);
  store<i32>(j, mode, 48); store<i32>(j, act, 52);
  run_job(T);
  return true;
}

/** Adam's update through the pool (see optim.ts adam_update); false: the caller runs it alone. */
export function pool_adam(w: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, beta1: f32, beta2: f32,
                          eps: f32, wd: f32, decoupled: bool, b1t: f64, b2t: f64): bool {
  if (POOL == 0) return false;
  const T = load<i32>(POOL + P_NT);
  if (T < 2 || (<i64>n << 4) < (<i64>load<i32>(POOL + P_MIN) << 10) || atomic.load<i32>(POOL + P_DEAD) != 0) return false;
  const j = POOL + P_JOB;
  store<i32>(j, JOB_ADAM); store<i32>(j, <i32>w, 4); store<i32>(j, <i32>g, 8); store<i32>(j, <i32>m, 12); store<i32>(j, <i32>v, 16);
  store<i32>(j, n, 20); store<f32>(j, lr, 24); store<f32>(j, beta1, 28); store<f32>(j, beta2, 32); store<f32>(j, eps, 36);
  store<f32>(j, wd, 40); store<i32>(j, decoupled ? 1 : 0, 44); store<f64>(j, b1t, 48); store<f64>(j, b2t, 56);
  run_job(T);
  return true;
}

/** Publishes the job written at P_JOB in chunks, takes chunks until none is left, waits for the workers' (or a failure). */
function run_job(T: i32): void {
  const n = chunk_count(T);
  const seq = load<i32>(POOL + P_SEQ) + 1;   // only this thread writes SEQ during jobs (the bindings' close() bumps it between them)
  // the job's plain stores happen before these sequentially consistent ones, which workers read
  atomic.store<i32>(POOL + P_LEFT, n);
  atomic.store<i64>(POOL + P_NEXT, (<i64><u32>seq << 32) | (<i64>n << 16));
  atomic.store<i32>(POOL + P_SEQ, seq);
  atomic.notify(POOL + P_SEQ, T - 1);
  while (take_chunk(POOL, seq, 0)) {}
  const canWait = load<i32>(POOL + P_WAIT) != 0, spin = load<i32>(POOL + P_SPIN);
  let polls = 0;
  while (true) {
    const left = atomic.load<i32>(POOL + P_LEFT);
    if (left == 0) break;
    // a failed worker never counts its chunk down: the chunk is lost, the bindings reject the call
    if (atomic.load<i32>(POOL + P_DEAD) != 0) break;
    if (canWait && ++polls > spin) atomic.wait<i32>(POOL + P_LEFT, left, 20_000_000);   // 20 ms, then look at DEAD again
  }
}

/** A worker's life (thread t): wait for a job, take its chunks while there are any; returns when STOP is set. */
export function thread_run(pool: usize, t: i32): void {
  let seen = 0;   // SEQ starts at 0 and no job is published before every worker has started
  const spin = load<i32>(pool + P_SPIN);
  while (true) {
    let s = atomic.load<i32>(pool + P_SEQ), polls = 0;
    while (s == seen) {
      if (++polls > spin) atomic.wait<i32>(pool + P_SEQ, seen, -1);
      s = atomic.load<i32>(pool + P_SEQ);
    }
    seen = s;
    if (atomic.load<i32>(pool + P_STOP) != 0) return;
    POOL = pool;
    while (take_chunk(pool, s, t)) {}
  }
}
