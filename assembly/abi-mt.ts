// abi-mt.ts: the entry of the threaded build (build/kernels-mt.wasm: --enable simd,threads, imported
// shared memory). Every export of abi.ts, the same code, plus the pool's two: the GEMMs split by
// output tiles across threads (threads.ts), bit-identical to the single-threaded module.

export * from './abi';
import { POOL_BYTES, pool_attach, thread_run } from './threads';

/** The calling instance (the main thread's) uses the pool whose control block is at p (0: none); returns the block's bytes. */
export function ae_pool_attach(p: usize): i32 { pool_attach(p); return <i32>POOL_BYTES; }

/** A worker's loop over the pool's jobs as thread t >= 1 (its workspace set by ae_workspace first); returns when stopped. */
export function ae_thread_run(pool: usize, t: i32): void { thread_run(pool, t); }
