// threads-pool.ts: what the threads tests share (threads.test.ts, threads-fuzz.test.ts): models on the built
// package (dist/: the pool module is loaded by a dynamic import() next to index.js) whose every product goes
// through the pool, on the threaded kernels with their assert() preconditions live.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { Autoencoder } from '../dist/bindings/node.js';
import type { PoolHandle } from '../dist/bindings/threads.js';
import { ROOT } from './helpers.js';

export type Spec = Parameters<typeof Autoencoder.create>[0];
export const poolOf = (ae: Autoencoder): PoolHandle | null => (ae as unknown as { k: { pool: PoolHandle | null } | null }).k?.pool ?? null;
export const hex = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

// the threaded kernels with their assert() preconditions live (tools/build.mjs: asconfig.json's test
// target), so a shard's scratch sized too small traps here instead of writing past it
export const MT_TEST = WebAssembly.compile(readFileSync(`${ROOT}build/kernels-mt-test.wasm`));

/**
 * A model on `threads` threads whose every GEMM goes through the pool (its size threshold set to 0, a debug
 * hook: the strongest form of the check; or minWork, in thousands of multiply-adds, the bindings' default 512),
 * on the asserting threaded kernels; threads 1: the single-threaded module. `shards`: the create option (a conv model's).
 */
export async function make(spec: Spec, threads: number, minWork = 0, shards?: number): Promise<Autoencoder> {
  const sh = shards === undefined ? {} : { shards };
  const ae = await Autoencoder.create(spec, threads > 1 ? { threads, wasm: await MT_TEST, ...sh } : { threads, ...sh });
  if (threads > 1) {
    const pool = poolOf(ae);
    expect(pool?.threads).toBe(threads);
    pool!.debug.minWork(minWork);
  } else {
    expect(poolOf(ae)).toBeNull();
  }
  return ae;
}
